"""A training mixture: our output plus Cauldron-format subsets, each taking an asked share of the rows
or of the QA pairs.

A subset is a source resolved to Parquet files:
- a `docmatix run` output (it has `_done/`): its finished Cauldron shards;
- a folder or fsspec URL, optionally `#config` (the Cauldron keeps each subset in `<config>/`): every
  `*.parquet` under it;
- a Hub dataset, `hf://datasets/owner/name[#config]`: `<config>/*.parquet`, or `data/*.parquet`.
Every file's features (from its Parquet schema) must equal the Cauldron's; a subset that differs is
refused, naming the file and how it differs.

Selection: shares p_i = w_i / sum(w). The mixture's size T (in rows or pairs) is `total`, or by default
the largest with no row repeated: min_i(S_i / p_i) for subset sizes S_i. Subset i gets rows from a
seeded permutation, cycled when p_i*T exceeds S_i (upsampling), until it holds p_i*T units.
"""

from __future__ import annotations

import json
import posixpath
import random
from dataclasses import asdict, dataclass, field

import fsspec
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import Dataset, Features, concatenate_datasets, load_dataset

from docmatix.output.features_diff import feature_differences
from docmatix.publish.repo_layout import output_shards
from docmatix.schemas.output import CAULDRON_FEATURES
from docmatix.schemas.output_layout import OutputLayout

MANIFEST = "mixture.json"


class MixtureError(ValueError):
    pass


@dataclass
class SubsetSpec:
    name: str
    source: str
    weight: float = 1.0


@dataclass
class Subset:
    name: str
    source: str
    weight: float
    files: list[str]
    rows_per_file: list[int]
    pairs_per_row: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file)

    def units(self, by: str) -> list[int]:
        return [1] * self.rows if by == "rows" else self.pairs_per_row


# -- resolving sources ------------------------------------------------------------------------
def resolve_files(source: str) -> list[str]:
    """The Parquet files of a source, as fsspec URLs, in a fixed order."""
    location, _, config = source.partition("#")
    fs, root = fsspec.core.url_to_fs(location)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol == "hf":
        root = pin_hub_revision(fs, root)
    layout = OutputLayout(root)
    if fs.exists(layout.done_dir):
        files = [layout.path(name) for name, _ in output_shards(location)]
    else:
        folder = posixpath.join(root, config) if config else root
        if protocol == "hf" and not config:
            folder = posixpath.join(root, "data")
        files = sorted(fs.glob(posixpath.join(folder, "**", "*.parquet")))
    if not files:
        raise MixtureError(f"no Parquet file found for {source}")
    return files if protocol in ("file", "local") else [fs.unstrip_protocol(f) for f in files]


def pin_hub_revision(fs, root: str) -> str:
    """`datasets/owner/name[@rev]/path` -> the same at the revision's commit oid, so that the manifest
    names the exact files it was built from even after the repo moves on."""
    resolved = fs.resolve_path(root)
    sha = fs._api.repo_info(resolved.repo_id, repo_type=resolved.repo_type, revision=resolved.revision).sha
    prefix = "" if resolved.repo_type == "model" else f"{resolved.repo_type}s/"
    return f"{prefix}{resolved.repo_id}@{sha}/{resolved.path_in_repo}".rstrip("/")


def file_features(url: str) -> tuple[Features, int]:
    with fsspec.open(url, "rb") as f:
        pf = pq.ParquetFile(f)
        return Features.from_arrow_schema(pf.schema_arrow), pf.metadata.num_rows


def pairs_per_row(url: str) -> list[int]:
    with fsspec.open(url, "rb") as f:
        texts = pq.read_table(f, columns=["texts"]).column("texts")
    return pc.fill_null(pc.list_value_length(texts), 0).to_pylist()


def read_subset(spec: SubsetSpec, reference: Features = CAULDRON_FEATURES) -> Subset:
    files = resolve_files(spec.source)
    rows = []
    for url in files:
        features, n = file_features(url)
        diffs = feature_differences(reference, features, "the Cauldron")
        if diffs:
            raise MixtureError(f"subset {spec.name!r} ({spec.source}) does not have the Cauldron features: "
                               f"{url}: " + "; ".join(diffs))
        rows.append(n)
    pairs = [p for url in files for p in pairs_per_row(url)]
    return Subset(spec.name, spec.source, spec.weight, files, rows, pairs)


# -- selection ----------------------------------------------------------------------------------
def mixture_size(subsets: list[Subset], by: str) -> float:
    """The largest total with no row repeated: the subset that runs out first sets it."""
    total_w = sum(s.weight for s in subsets)
    return min(sum(s.units(by)) / (s.weight / total_w) for s in subsets if s.weight > 0)


def select_rows(subset: Subset, target: float, by: str, seed: int) -> list[int]:
    """Row indices (repeats allowed) whose units add up to `target`, from a seeded permutation."""
    units = subset.units(by)
    order = [i for i in range(len(units)) if units[i] > 0]
    if not order or target <= 0:
        return []
    random.Random(f"{seed}:{subset.name}").shuffle(order)
    chosen, have, k = [], 0, 0
    while True:
        i = order[k % len(order)]
        if abs(have + units[i] - target) >= abs(have - target):  # one more row would move away from the target
            return chosen
        chosen.append(i)
        have += units[i]
        k += 1


@dataclass
class Mixture:
    by: str
    seed: int
    total_target: float
    subsets: list[Subset]
    selected: dict[str, list[int]]

    def summary(self) -> list[dict]:
        weights = sum(s.weight for s in self.subsets)
        units_total = sum(self.units_selected(s) for s in self.subsets) or 1
        return [{
            "name": s.name, "source": s.source, "weight": s.weight, "asked_share": s.weight / weights,
            "rows_available": s.rows, "pairs_available": sum(s.pairs_per_row),
            "rows_selected": len(self.selected[s.name]),
            "pairs_selected": sum(s.pairs_per_row[i] for i in self.selected[s.name]),
            "share": self.units_selected(s) / units_total,
        } for s in self.subsets]

    def units_selected(self, subset: Subset) -> int:
        units = subset.units(self.by)
        return sum(units[i] for i in self.selected[subset.name])


def build_mixture(specs: list[SubsetSpec], by: str = "rows", total: float | None = None, seed: int = 0) -> Mixture:
    if by not in ("rows", "pairs"):
        raise MixtureError(f"--by must be rows or pairs, not {by}")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise MixtureError(f"subset names must be unique: {names}")
    if any(s.weight < 0 for s in specs) or not any(s.weight > 0 for s in specs):
        raise MixtureError("weights must be >= 0 and at least one > 0")
    subsets = [read_subset(spec) for spec in specs]
    empty = [s.name for s in subsets if s.weight > 0 and not any(s.units(by))]
    if empty:
        raise MixtureError(f"subset(s) with no {by} to take: {empty}")
    target = total if total is not None else mixture_size(subsets, by)
    weights = sum(s.weight for s in subsets)
    selected = {s.name: select_rows(s, target * s.weight / weights, by, seed) for s in subsets}
    return Mixture(by, seed, target, subsets, selected)


# -- manifest, loading, writing ---------------------------------------------------------------
def manifest_dict(mixture: Mixture) -> dict:
    return {
        "by": mixture.by, "seed": mixture.seed, "total_target": mixture.total_target,
        "features": CAULDRON_FEATURES.to_dict(),
        "subsets": [{**asdict(s), "selected": mixture.selected[s.name]} for s in mixture.subsets],
        "summary": mixture.summary(),
    }


def write_manifest(mixture: Mixture, out: str) -> str:
    fs, root = fsspec.core.url_to_fs(out)
    fs.makedirs(root, exist_ok=True)
    path = posixpath.join(root, MANIFEST)
    fs.pipe_file(path, json.dumps(manifest_dict(mixture), indent=1).encode())
    return path


def load_mixture(manifest: str | dict, cache_dir: str | None = None) -> Dataset:
    """The mixture as one `datasets.Dataset` (Cauldron features), rows shuffled with the manifest's seed."""
    if isinstance(manifest, str):
        with fsspec.open(manifest) as f:
            manifest = json.load(f)
    parts = []
    for s in manifest["subsets"]:
        if not s["selected"]:
            continue
        ds = load_dataset("parquet", data_files=s["files"], split="train", features=CAULDRON_FEATURES,
                          cache_dir=cache_dir)
        parts.append(ds.select(s["selected"]))
    return concatenate_datasets(parts).shuffle(seed=manifest["seed"]).flatten_indices()


def mixture_card(manifest: dict, num_rows: int, num_bytes: int, download_size: int, license: str) -> str:
    from docmatix.publish.dataset_card import CardContent, render_card

    rows = ["| subset | source | weight | asked share | share | rows | pairs |", "|---|---|---|---|---|---|---|"]
    rows += [f"| {s['name']} | `{s['source']}` | {s['weight']:g} | {s['asked_share']:.3f} | {s['share']:.3f} | "
             f"{s['rows_selected']:,} | {s['pairs_selected']:,} |" for s in manifest["summary"]]
    content = CardContent(
        pretty_name="Docmatix training mixture", license=license, num_rows=num_rows, num_bytes=num_bytes,
        download_size=download_size, stats_key="docmatix_mixture",
        stats={"by": manifest["by"], "seed": manifest["seed"], "subsets": manifest["summary"]},
        description="A training mixture of Docmatix-builder output and Cauldron-format subsets.",
        body_sections=[f"## Composition (shares by {manifest['by']})\n\n" + "\n".join(rows)],
    )
    return render_card(content)


def write_mixture_parquet(manifest_path: str, out: str, rows_per_shard: int = 2000, license: str = "other",
                          cache_dir: str | None = None) -> list[str]:
    """Re-shard the mixture into `data/train-XXXXX-of-NNNNN.parquet` plus a card: a folder that
    `datasets.load_dataset(out)` (or the Hub, once published) loads as one dataset."""
    from docmatix.publish.repo_layout import CARD_PATH, hub_shard_name, uncompressed_bytes

    with fsspec.open(manifest_path) as f:
        manifest = json.load(f)
    ds = load_mixture(manifest, cache_dir=cache_dir)
    fs, root = fsspec.core.url_to_fs(out)
    n = max(1, -(-len(ds) // rows_per_shard))
    paths = []
    for i in range(n):
        path = posixpath.join(root, hub_shard_name(i, n))
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        with fs.open(path, "wb") as f:
            ds.shard(n, i, contiguous=True).to_parquet(f, batch_size=64)  # small row groups, as run output
        paths.append(path)
    card = mixture_card(manifest, len(ds), uncompressed_bytes(fs, paths), sum(fs.size(p) for p in paths), license)
    fs.pipe_file(posixpath.join(root, CARD_PATH), card.encode())
    return paths
