"""What a published dataset holds: the output's Cauldron shards renamed to the Hub convention
`data/train-XXXXX-of-NNNNN.parquet` (in a fixed order: sorted output names, i.e. unit then part), plus
the dataset card. Both publish destinations (Hub repo, fsspec folder) send the same planned files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import fsspec
import pyarrow.parquet as pq

from docmatix.pipeline.s6_write import file_sha256, read_done_markers
from docmatix.schemas.output_layout import SUMMARY, OutputLayout, is_shard

# Every published data file (images, pdf and zero-shot-exp configs): one not in the new plan is stale.
HUB_SHARD_RE = re.compile(r"(data/train|pdf/train|zero-shot-exp/(train|test))-\d{5}-of-\d{5}\.parquet")
CARD_PATH = "README.md"


def hub_shard_name(index: int, total: int) -> str:
    return f"data/train-{index:05d}-of-{total:05d}.parquet"


@dataclass
class PlannedFile:
    path_in_repo: str
    sha256: str
    size: int
    source: str | None = None  # path on the output's filesystem (shards)
    content: bytes | None = None  # in-memory content (the card)
    rows: int = 0

    def read(self, fs: fsspec.AbstractFileSystem) -> bytes:
        if self.content is not None:
            return self.content
        with fs.open(self.source, "rb") as f:
            return f.read()


def planned_content(path_in_repo: str, content: bytes) -> PlannedFile:
    return PlannedFile(path_in_repo, hashlib.sha256(content).hexdigest(), len(content), content=content)


def output_shards(output: str) -> list[tuple[str, dict]]:
    """(relative name, {sha256, rows}) of the finished Cauldron shards, from the units' done markers.

    Only units with a marker count: a unit still running or interrupted has no marker and is not published.
    """
    shards = {}
    for marker in read_done_markers(output).values():
        for name, info in marker["files"].items():
            if is_shard(name):
                shards[name] = info
    return sorted(shards.items())


def plan_shards(output: str) -> list[PlannedFile]:
    fs, root = fsspec.core.url_to_fs(output)
    layout = OutputLayout(root)
    shards = output_shards(output)
    planned = []
    for i, (name, info) in enumerate(shards):
        source = layout.path(name)
        sha = info.get("sha256") or file_sha256(fs, source)
        planned.append(PlannedFile(hub_shard_name(i, len(shards)), sha, fs.size(source), source=source,
                                   rows=int(info.get("rows", 0))))
    return planned


def uncompressed_bytes(fs: fsspec.AbstractFileSystem, paths: list[str]) -> int:
    """Sum of the Parquet row groups' uncompressed sizes (read from the footers only)."""
    total = 0
    for path in paths:
        with fs.open(path, "rb") as f:
            meta = pq.ParquetFile(f).metadata
            total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total


def read_summary(output: str) -> dict:
    fs, root = fsspec.core.url_to_fs(output)
    path = OutputLayout(root).summary
    if not fs.exists(path):
        raise SystemExit(f"{output} has no {SUMMARY}: is it the output of a finished `docmatix run`?")
    with fs.open(path) as f:
        return json.load(f)
