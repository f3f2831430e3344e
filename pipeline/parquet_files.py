"""Whole Parquet files on any fsspec filesystem: written under a temporary name and moved into place, so
a reader (another node, a rerun) sees a file whole or not at all."""

from __future__ import annotations

import posixpath
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq


def write_whole(fs: fsspec.AbstractFileSystem, path: str, table: pa.Table, **options: Any) -> str:
    """Write `table` to `path` (its folder made if needed); `options` go to `pq.write_table`."""
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    with fs.open(path + ".tmp", "wb") as f:
        pq.write_table(table, f, **options)
    fs.mv(path + ".tmp", path)
    return path


def read_whole(fs: fsspec.AbstractFileSystem, path: str) -> pa.Table:
    with fs.open(path, "rb") as f:
        return pq.read_table(f)
