"""`docmatix mix`: a real run's output with two Cauldron-format subsets the test writes itself (real
PNG images, the Cauldron schema, the Cauldron's `<config>/train-*.parquet` layout), loaded back with
`datasets.load_dataset` as one dataset; a subset with another schema is refused, naming the difference."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from datasets import Dataset, Features, Image, Value, load_dataset
from PIL import Image as PILImage
from PIL import ImageDraw

from docmatix.cli import main as cli_main
from docmatix.mix.mixture import SubsetSpec, build_mixture, load_mixture
from docmatix.schemas.output import CAULDRON_FEATURES

SLOW = pytest.mark.slow  # the tests that mix the session's real pipeline run (embedded LLM) in


@pytest.fixture(scope="module")
def run_output(embedded_run) -> Path:
    return embedded_run[0]


def png(text: str) -> bytes:
    img = PILImage.new("RGB", (96, 64), "white")
    ImageDraw.Draw(img).text((4, 24), text, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def subset_rows(name: str, n: int) -> dict:
    """n rows of 1..3 pairs each (so shares by rows and by pairs differ), source = the subset's name."""
    return {
        "images": [[{"bytes": png(f"{name} {i}"), "path": None}] for i in range(n)],
        "texts": [[{"user": f"Q{j} about {name} {i}?", "assistant": f"A{j}.", "source": name}
                   for j in range(1 + i % 3)] for i in range(n)],
    }


@pytest.fixture(scope="module")
def cauldron(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cauldron")
    for name, n in (("synth_a", 12), ("synth_b", 20)):
        (root / name).mkdir()
        Dataset.from_dict(subset_rows(name, n), features=CAULDRON_FEATURES).to_parquet(
            str(root / name / "train-00000-of-00001.parquet"))
    # Same data, one image per row and a large_string answer: not the Cauldron's features.
    other = Features({"images": Image(), "texts": [{"user": Value("string"), "assistant": Value("large_string"),
                                                    "source": Value("string")}]})
    rows = subset_rows("odd", 4)
    rows["images"] = [imgs[0] for imgs in rows["images"]]
    (root / "odd").mkdir()
    Dataset.from_dict(rows, features=other).to_parquet(str(root / "odd" / "train-00000-of-00001.parquet"))
    return root


def origin(row: dict) -> str:
    source = row["texts"][0]["source"]
    return "docmatix" if source.startswith("PDFA key: ") else source


@SLOW
def test_mixture_by_rows_loads_as_one_dataset_with_asked_proportions(run_output, cauldron, tmp_path):
    ours = json.loads((run_output / "summary.json").read_text())["documents_written"]
    assert ours >= 1
    out = tmp_path / "mix"
    cli_main(["mix", str(out), "--subset", f"docmatix={run_output}", "--subset", f"a={cauldron}#synth_a",
              "--subset", f"b={cauldron}#synth_b", "--weight", "docmatix=1", "--weight", "a=1", "--weight", "b=2",
              "--by", "rows", "--total", str(4 * ours), "--write-parquet", "--rows-per-shard", "3"])
    ds = load_dataset(str(out), split="train")
    assert ds.features == CAULDRON_FEATURES
    counts = Counter(origin(row) for row in ds)
    assert counts == {"docmatix": ours, "synth_a": ours, "synth_b": 2 * ours}
    assert ds[0]["images"][0].size[0] > 10  # decoded as images
    assert len(list((out / "data").glob("train-*.parquet"))) == -(-4 * ours // 3)
    manifest = json.loads((out / "mixture.json").read_text())
    assert [s["asked_share"] for s in manifest["summary"]] == [0.25, 0.25, 0.5]
    assert [s["share"] for s in manifest["summary"]] == [0.25, 0.25, 0.5]
    # the manifest alone gives the same dataset
    again = load_mixture(str(out / "mixture.json"))
    assert again.features == CAULDRON_FEATURES and Counter(origin(r) for r in again) == counts


@SLOW
def test_mixture_by_pairs_without_repeats(run_output, cauldron):
    specs = [SubsetSpec("docmatix", str(run_output), 1), SubsetSpec("a", f"{cauldron}#synth_a", 1),
             SubsetSpec("b", f"{cauldron}#synth_b", 1)]
    mix = build_mixture(specs, by="pairs", seed=3)
    summary = {s["name"]: s for s in mix.summary()}
    widest = max(max(s.pairs_per_row) for s in mix.subsets)
    for s in summary.values():  # each subset stops within half a row of its third of the pairs
        assert abs(s["pairs_selected"] - mix.total_target / 3) <= widest / 2, s
    for name, rows in mix.selected.items():
        assert len(rows) == len(set(rows)), f"{name}: a row repeated although no total was asked"
    # the subset that runs out first sets the size, and is used entirely
    limiting = min(summary.values(), key=lambda s: s["pairs_available"])
    assert limiting["pairs_selected"] == limiting["pairs_available"]


@SLOW
def test_subset_with_another_schema_is_refused_naming_the_difference(run_output, cauldron, tmp_path):
    with pytest.raises(SystemExit) as err:
        cli_main(["mix", str(tmp_path / "mix"), "--subset", f"docmatix={run_output}",
                  "--subset", f"odd={cauldron}#odd"])
    message = str(err.value)
    assert "'odd'" in message and "odd/train-00000-of-00001.parquet" in message
    assert "'images' is Image(mode=None, decode=True) where the Cauldron has List" in message
    assert "'texts[].assistant' is Value('large_string') where the Cauldron has Value('string')" in message
    assert not (tmp_path / "mix" / "mixture.json").exists()


@SLOW
def test_mixture_with_a_subset_on_the_hub(run_output, cauldron, tmp_path, monkeypatch):
    """A Cauldron-layout repo (`<config>/train-*.parquet`) on a local Hub server, named by its hub id."""
    from huggingface_hub import HfApi, constants

    from tests.fake_hub_server import FakeHub

    hub = FakeHub(token="hf_mix_test_token")
    hub.start()
    try:
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # the fake Hub has no Xet storage
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        api.create_repo("org/cauldron-like", repo_type="dataset")
        api.upload_folder(repo_id="org/cauldron-like", repo_type="dataset", folder_path=str(cauldron / "synth_b"),
                          path_in_repo="synth_b")
        out = tmp_path / "mix"
        cmd = [sys.executable, "-m", "docmatix.cli", "mix", str(out), "--subset", f"docmatix={run_output}",
               "--subset", "b=hf://datasets/org/cauldron-like#synth_b", "--write-parquet"]
        env = {**os.environ, **hub.client_env(str(tmp_path / "hf_home"))}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        hub.stop()
    assert any(path.startswith("/datasets/org/cauldron-like/resolve/") for _, path in hub.requests)
    # the manifest pins the repo's commit: it names the files it was built from, not whatever main is later
    head = hub.repo("org/cauldron-like").heads["main"]
    files = json.loads((out / "mixture.json").read_text())["subsets"][1]["files"]
    assert files == [f"hf://datasets/org/cauldron-like@{head}/synth_b/train-00000-of-00001.parquet"]
    ds = load_dataset(str(out), split="train")
    assert ds.features == CAULDRON_FEATURES
    ours = json.loads((run_output / "summary.json").read_text())["documents_written"]
    assert Counter(origin(row) for row in ds) == {"docmatix": ours, "synth_b": ours}  # equal shares


def test_total_upsamples_by_cycling_every_row_evenly(cauldron, tmp_path):
    # synth_a has 12 rows, synth_b 20; 64 rows at equal weights asks 32 of each: a repeat of every row.
    out = tmp_path / "mix"
    cli_main(["mix", str(out), "--subset", f"a={cauldron}#synth_a", "--subset", f"b={cauldron}#synth_b",
              "--by", "rows", "--total", "64"])
    summary = {s["name"]: s for s in json.loads((out / "mixture.json").read_text())["summary"]}
    mix = build_mixture([SubsetSpec("a", f"{cauldron}#synth_a", 1), SubsetSpec("b", f"{cauldron}#synth_b", 1)],
                        by="rows", total=64)
    for name, available in (("a", 12), ("b", 20)):
        assert summary[name]["rows_available"] == available and summary[name]["rows_selected"] == 32
        uses = Counter(mix.selected[name])
        assert set(uses) == set(range(available))  # every row, none left out
        assert max(uses.values()) - min(uses.values()) <= 1  # repeated evenly: a cycled permutation
        assert max(uses.values()) == -(-32 // available)
