"""The configs a published dataset has besides the page images, as Docmatix has them:

- `pdf` (`pdf/train-*`): each row's original PDF bytes and the same `texts`, row for row with `data/`;
- `zero-shot-exp` (`zero-shot-exp/test-*`, `zero-shot-exp/train-*`): the first TEST published rows as
  the test split and the next TRAIN as the train split (Docmatix used 200 and 1,700).

The PDF bytes are re-read from the run's inputs (summary.json `config.inputs`) at publish time, not kept
in the run's part files: a run that is never published with `pdf` would otherwise carry a second copy of
every PDF, and the inputs (PDFA shards on the Hub or a bucket) are normally still there. Units are found
by the same `discover_units` the run used, and each row by its unit and key from `meta/`; a publish
whose inputs are gone, or no longer hold a written key, stops and names what is missing.

The files are built in `<output>/_publish/` and then planned and sent like the shards.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from docmatix.pipeline.s1_read import discover_units, iter_unit_documents
from docmatix.publish.repo_layout import PlannedFile, uncompressed_bytes
from docmatix.schemas.output import CAULDRON_FEATURES, PDF_FEATURES, arrow_schema_of
from docmatix.schemas.output_layout import SUMMARY, OutputLayout, meta_path, publish_staging_path
from docmatix.schemas.records import SourceDocument

ROW_GROUP_ROWS = 64  # as the run's shards: a reader fetches a few PDFs, not a whole file


@dataclass
class ExtraConfig:
    """One more config for the card: its data_files, features and split sizes."""

    name: str
    features: Features
    files: dict[str, list[PlannedFile]]  # split -> files

    def data_files(self) -> list[dict]:
        return [{"split": split, "path": f"{self.name}/{split}-*"} for split in self.files]

    def split_sizes(self, fs: fsspec.AbstractFileSystem) -> dict[str, tuple[int, int]]:
        """split -> (rows, uncompressed bytes)."""
        return {split: (sum(f.rows for f in files), uncompressed_bytes(fs, [f.source for f in files]))
                for split, files in self.files.items()}

    def all_files(self) -> list[PlannedFile]:
        return [f for files in self.files.values() for f in files]


def parse_zero_shot(text: str) -> tuple[int, int]:
    """`--zero-shot-exp TEST,TRAIN` (argparse type)."""
    import argparse

    try:
        test, train = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TEST,TRAIN row counts, got {text!r}") from None
    if test < 1 or train < 1:
        raise argparse.ArgumentTypeError("TEST and TRAIN must both be at least 1")
    return test, train


def _write(fs: fsspec.AbstractFileSystem, root: str, path_in_repo: str, table: pa.Table) -> PlannedFile:
    path = OutputLayout(root).path(publish_staging_path(path_in_repo))
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    with fs.open(path, "wb") as f:
        pq.write_table(table, f, row_group_size=ROW_GROUP_ROWS)
    digest = hashlib.sha256()
    with fs.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return PlannedFile(path_in_repo, digest.hexdigest(), fs.size(path), source=path, rows=table.num_rows)


def _meta_path(shard_source: str) -> str:
    """The meta sidecar of a shard given by its path on the output's filesystem (shards are on top)."""
    return posixpath.join(posixpath.dirname(shard_source), meta_path(shard_source))


def _unit_pdfs(unit, keys: set[str], max_pdf_bytes: int) -> dict[str, bytes]:
    return {item.key: item.pdf for item in iter_unit_documents(unit, max_pdf_bytes)
            if isinstance(item, SourceDocument) and item.key in keys}


def build_pdf_config(output: str, shards: list[PlannedFile], summary: dict) -> ExtraConfig:
    """`pdf/train-*`: one file per published images shard, same rows in the same order."""
    fs, root = fsspec.core.url_to_fs(output)
    config = summary.get("config") or {}
    if not config.get("inputs"):
        raise SystemExit(f"{SUMMARY} names no inputs: the pdf config needs the run's inputs to re-read PDFs")
    units = {u.unit_id: u for u in discover_units(config["inputs"], config.get("pdfs_per_unit", 256))}
    max_pdf_bytes = int(config.get("max_pdf_bytes", 64 * 1024 * 1024))
    rows_of: list[tuple[list[str], list[str]]] = []  # per shard: unit ids, keys
    needed: dict[str, set[str]] = {}
    for shard in shards:
        with fs.open(_meta_path(shard.source), "rb") as f:
            meta = pq.read_table(f, columns=["unit_id", "key"])
        unit_ids, keys = meta["unit_id"].to_pylist(), meta["key"].to_pylist()
        rows_of.append((unit_ids, keys))
        for u, k in zip(unit_ids, keys, strict=True):
            needed.setdefault(u, set()).add(k)
    gone = sorted(u for u in needed if u not in units)
    if gone:
        raise SystemExit(f"the run's inputs no longer hold unit(s) {gone[:5]}: cannot re-read their PDFs")
    schema = arrow_schema_of(PDF_FEATURES)
    files = []
    pdfs: dict[str, bytes] = {}
    loaded_unit = None
    for i, (shard, (unit_ids, keys)) in enumerate(zip(shards, rows_of, strict=True)):
        column = []
        for u, k in zip(unit_ids, keys, strict=True):
            if u != loaded_unit:  # shards come unit by unit: one unit's PDFs in memory at a time
                pdfs, loaded_unit = _unit_pdfs(units[u], needed[u], max_pdf_bytes), u
            if k not in pdfs:
                raise SystemExit(f"input {units[u].paths[0]} no longer holds document {k!r}")
            column.append(pdfs[k])
        with fs.open(shard.source, "rb") as f:
            texts = pq.read_table(f, columns=["texts"])["texts"]
        table = pa.Table.from_arrays([pa.array(column, pa.binary()), texts.cast(schema.field("texts").type)],
                                     schema=schema)
        files.append(_write(fs, root, f"pdf/train-{i:05d}-of-{len(shards):05d}.parquet", table))
    return ExtraConfig("pdf", PDF_FEATURES, {"train": files})


def _first_rows(fs: fsspec.AbstractFileSystem, shards: list[PlannedFile], n: int) -> Iterator[pa.RecordBatch]:
    """The first n published rows, in published order, a row group at a time."""
    left = n
    for shard in shards:
        with fs.open(shard.source, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=ROW_GROUP_ROWS):
                if left <= 0:
                    return
                batch = batch.slice(0, left)
                left -= batch.num_rows
                yield batch


def build_zero_shot_config(output: str, shards: list[PlannedFile], test: int, train: int) -> ExtraConfig:
    """`zero-shot-exp`: the first `test` rows as test, the next `train` as train (fewer if the run is small)."""
    fs, root = fsspec.core.url_to_fs(output)
    schema = arrow_schema_of(CAULDRON_FEATURES)
    rows = pa.Table.from_batches(list(_first_rows(fs, shards, test + train))).cast(schema)
    if rows.num_rows <= test:
        raise SystemExit(f"--zero-shot-exp {test},{train}: the output has only {rows.num_rows} rows, "
                         "none left for the train split")
    splits = {"test": rows.slice(0, test), "train": rows.slice(test)}
    files = {split: [_write(fs, root, f"zero-shot-exp/{split}-00000-of-00001.parquet", table)]
             for split, table in splits.items()}
    return ExtraConfig("zero-shot-exp", CAULDRON_FEATURES, files)
