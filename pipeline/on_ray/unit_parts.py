"""Stage 6, worker side: finished rows go to per-unit part files as they come, in any order.

A Ray worker writes each batch's rows, grouped by unit, to `_tmp/<unit>.<run>/parts/` and returns only
a small row per part (unit, documents in it, the unit's document count when its end marker is in it).
The driver adds those up; when a unit has all its documents, a committer (pipeline/on_ray/unit_commit.py)
reads the unit's parts back in document order and writes the final files. So nothing waits on global
order, and no image byte passes through the driver.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from docmatix.pipeline.on_ray.rows import DOCUMENT_KINDS, ROW_SCHEMA
from docmatix.pipeline.parquet_files import write_whole
from docmatix.schemas.output_layout import OutputLayout

PART_ROW_GROUP_ROWS = 8  # the committer reads parts a row group at a time: a few documents' images

# What the write stage returns to the driver: one row per part file written.
PART_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("part", pa.string()), ("documents", pa.int64()), ("unit_documents", pa.int64()),
])


def write_parts(batch: pa.Table, output: str, run_id: str) -> pa.Table:
    """Ray Data map_batches function: one part file per unit in the batch; returns PART_SCHEMA rows."""
    fs, root = fsspec.core.url_to_fs(output)
    layout = OutputLayout(root)
    out = []
    for unit_id in sorted(set(batch["unit_id"].to_pylist())):
        rows = batch.filter(pc.equal(batch["unit_id"], unit_id)).cast(ROW_SCHEMA)
        first = min(rows["seq"].to_pylist())
        part = write_whole(fs, layout.part_file(unit_id, run_id, f"{first:09d}-{uuid.uuid4().hex[:8]}"), rows,
                           row_group_size=PART_ROW_GROUP_ROWS, compression="zstd", compression_level=1)
        kinds = rows["kind"].to_pylist()
        ends = [n for kind, n in zip(kinds, rows["unit_documents"].to_pylist(), strict=True) if kind == "unit_end"]
        out.append({"unit_id": unit_id, "part": part, "documents": sum(k in DOCUMENT_KINDS for k in kinds),
                    "unit_documents": ends[0] if ends else -1})
    return pa.Table.from_pylist(out, schema=PART_SCHEMA)


def rows_in_order(fs: fsspec.AbstractFileSystem, parts: list[str], cached_groups: int = 4) -> Iterator[dict[str, Any]]:
    """Every row of a unit's parts, by `seq`, holding only a few row groups in memory at once.

    Parts come mostly in document order (documents flow roughly in input order), so a small cache of row
    groups is read about once each."""
    index = []  # (seq, part, row group, row in group)
    handles = [fs.open(p, "rb") for p in parts]
    files = [pq.ParquetFile(h) for h in handles]
    for p, f in enumerate(files):
        for g in range(f.num_row_groups):
            seqs = f.read_row_group(g, columns=["seq"])["seq"].to_pylist()
            index.extend((seq, p, g, r) for r, seq in enumerate(seqs))
    index.sort()
    cache: OrderedDict[tuple[int, int], list[dict[str, Any]]] = OrderedDict()
    try:
        for _seq, p, g, r in index:
            if (p, g) not in cache:
                cache[(p, g)] = files[p].read_row_group(g).to_pylist()
                if len(cache) > cached_groups:
                    cache.popitem(last=False)
            yield cache[(p, g)][r]
    finally:  # ParquetFile leaves a file object it was given open
        for h in handles:
            h.close()
