"""Stage 6: write one unit of work's results.

Kept rows go to Cauldron-schema Parquet shards at the top of the output directory, a per-row metadata
sidecar goes to meta/, and everything that did not make it (documents, chunks, pairs) goes to
rejects/ with its reason. Files are written under temporary names and renamed into place; the unit's
done marker (with its counts and file hashes) is written last, so a unit without a marker is redone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import uuid
from dataclasses import asdict

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from docmatix.pipeline.generate.quality_output import quality_meta
from docmatix.pipeline.unit_counts import count_finished, count_rejected
from docmatix.schemas.output import (
    REJECTED_CHUNK_SCHEMA,
    REJECTED_DOCUMENT_SCHEMA,
    REJECTED_PAIR_SCHEMA,
    ROW_META_SCHEMA,
    UnitCounts,
    cauldron_arrow_schema,
)
from docmatix.schemas.output_layout import OutputLayout, meta_path, rejects_path, shard_name
from docmatix.schemas.records import FinishedDocument, RejectedDocument

ROW_GROUP_ROWS = 64  # small row groups: a reader can fetch one row without the whole shard
REJECT_SCHEMAS = {"documents": REJECTED_DOCUMENT_SCHEMA, "pairs": REJECTED_PAIR_SCHEMA,
                  "chunks": REJECTED_CHUNK_SCHEMA}


def file_sha256(fs: fsspec.AbstractFileSystem, path: str) -> str:
    h = hashlib.sha256()
    with fs.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _TableFile:
    """Streams rows of one schema into a Parquet file, row group by row group."""

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, schema: pa.Schema):
        self.fs, self.path, self.schema = fs, path, schema
        self.rows: list[dict] = []
        self.count = 0
        self._handle = None
        self._writer: pq.ParquetWriter | None = None
        self._closed = False

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self._writer is None:
            self._handle = self.fs.open(self.path, "wb")
            self._writer = pq.ParquetWriter(self._handle, self.schema, compression="zstd", compression_level=1)
        self._writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self) -> bool:
        """Finish the file (again: a no-op); False when it received no rows (no file is written)."""
        self.flush()
        if self._writer is None:
            return False
        if not self._closed:
            self._writer.close()
            self._handle.close()
            self._closed = True
        return True


class UnitWriter:
    """Writes one unit's rows, meta and rejects, and keeps its counts (pipeline/unit_counts.py counts)."""

    def __init__(self, output: str, unit_id: str, rows_per_shard: int = 2000, bytes_per_shard: int | None = None):
        self.fs, self.root = fsspec.core.url_to_fs(output)
        self.layout = OutputLayout(self.root)
        self.unit_id = unit_id
        self.rows_per_shard = rows_per_shard
        self.bytes_per_shard = bytes_per_shard
        self._shard_bytes = 0  # image bytes in the current shard (images are nearly all of a row)
        self.counts = UnitCounts()
        self.tmp = self.layout.unit_tmp(unit_id, uuid.uuid4().hex[:8])
        self.fs.makedirs(self.tmp, exist_ok=True)
        # Every file opened, rolled-over shards included, with its final path relative to the root:
        # all of them are moved into place at commit.
        self._tables: list[tuple[_TableFile, str]] = []
        self._part = 0
        self._rows: _TableFile | None = None
        self._meta: _TableFile | None = None
        self._rejects = {kind: self._open(rejects_path(kind, unit_id), schema)
                         for kind, schema in REJECT_SCHEMAS.items()}

    def _open(self, relative: str, schema: pa.Schema) -> _TableFile:
        table = _TableFile(self.fs, posixpath.join(self.tmp, relative.replace("/", "__")), schema)
        self._tables.append((table, relative))
        return table

    def _next_shard(self) -> None:
        for table in (self._rows, self._meta):
            if table is not None:
                table.close()
        name = shard_name(self.unit_id, self._part)
        self._rows = self._open(name, cauldron_arrow_schema())
        self._meta = self._open(meta_path(name), ROW_META_SCHEMA)
        self._part += 1

    # -- what comes in -------------------------------------------------------------------------
    def add_rejected(self, rejected: RejectedDocument) -> None:
        count_rejected(self.counts, rejected)
        self._rejects["documents"].add(asdict(rejected))

    def add_finished(self, done: FinishedDocument) -> None:
        count_finished(self.counts, done)
        chunk_pages = {r.chunk.index: r.chunk.page_indices for r in done.chunks}  # where each pair came from
        for result in done.chunks:
            if result.error:
                self._rejects["chunks"].add({
                    "key": done.key, "unit_id": done.unit_id, "template": result.chunk.template,
                    "chunk_index": result.chunk.index, "reason": result.error, "error": result.error_detail,
                    "completion": result.completion,
                })
        for dropped in done.dropped:
            p = dropped.pair
            self._rejects["pairs"].add({
                "key": done.key, "unit_id": done.unit_id, "template": p.template, "chunk_index": p.chunk_index,
                "question": p.question, "answer": p.answer, "reasons": dropped.reasons,
                "pages": chunk_pages.get(p.chunk_index, []), "detail": dropped.detail,
            })
        if done.rejected is not None:
            self._rejects["documents"].add(asdict(done.rejected))
        else:
            self._add_row(done, chunk_pages)

    def _add_row(self, done: FinishedDocument, chunk_pages: dict[int, list[int]]) -> None:
        doc = done.document
        row_bytes = sum(len(img) for img in doc.images)
        full = self._rows is not None and (
            self._rows.count >= self.rows_per_shard
            or (self.bytes_per_shard is not None and self._shard_bytes + row_bytes > self.bytes_per_shard)
        )
        if self._rows is None or full:
            self._next_shard()
            self._shard_bytes = 0
        self._shard_bytes += row_bytes
        self._rows.add({
            "images": [{"bytes": img, "path": None} for img in doc.images],
            "texts": [{"user": p.question, "assistant": p.answer, "source": doc.source_label} for p in done.kept],
        })
        self._meta.add({
            "key": doc.key, "unit_id": doc.unit_id, "origin": doc.origin,
            "page_sources": [p.source for p in doc.pages],
            "page_ocr_confidence": [p.ocr_confidence for p in doc.pages],
            "pair_templates": [p.template for p in done.kept],
            "pair_chunks": [p.chunk_index for p in done.kept],
            "pair_pages": [chunk_pages.get(p.chunk_index, []) for p in done.kept],
            "lost_pages": doc.lost_pages, "lost_page_errors": doc.lost_page_errors, "repaired": doc.repaired,
            "language": doc.language, "language_probability": doc.language_probability, **quality_meta(done),
        })

    # -- commit --------------------------------------------------------------------------------
    def commit(self) -> dict:
        """Move every file into place, then write the done marker; returns the marker."""
        files = {}
        for table, final in self._tables:
            if table.close():
                dest = self.layout.path(final)
                self.fs.makedirs(posixpath.dirname(dest), exist_ok=True)
                self.fs.mv(table.path, dest)
                files[final] = {"sha256": file_sha256(self.fs, dest), "rows": table.count}
        # On an object store (S3) a "folder" exists only while it holds files: once they are all moved,
        # `_tmp/<unit>` is gone already.
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.tmp, recursive=True)
        marker = {"unit_id": self.unit_id, "counts": asdict(self.counts), "files": files}
        marker_path = self.layout.done_marker(self.unit_id)
        self.fs.makedirs(posixpath.dirname(marker_path), exist_ok=True)
        tmp_marker = marker_path + ".tmp"
        with self.fs.open(tmp_marker, "w") as f:
            json.dump(marker, f, indent=1, sort_keys=True)
        self.fs.mv(tmp_marker, marker_path)
        return marker

    def abort(self) -> None:
        if self.fs.exists(self.tmp):
            self.fs.rm(self.tmp, recursive=True)


def read_done_markers(output: str) -> dict[str, dict]:
    fs, root = fsspec.core.url_to_fs(output)
    layout = OutputLayout(root)
    fs.invalidate_cache(layout.done_dir)  # s3fs caches listings per process: resume and the summary need now's
    if not fs.exists(layout.done_dir):
        return {}
    markers = {}
    for path in sorted(fs.glob(layout.done_marker_glob)):
        with fs.open(path) as f:
            marker = json.load(f)
        markers[marker["unit_id"]] = marker
    return markers


def remove_partial_unit(output: str, unit_id: str) -> None:
    """Delete whatever an interrupted attempt at a unit left (its temporary folders)."""
    fs, root = fsspec.core.url_to_fs(output)
    for path in fs.glob(OutputLayout(root).unit_tmp_glob(unit_id)):
        fs.rm(path, recursive=True)
