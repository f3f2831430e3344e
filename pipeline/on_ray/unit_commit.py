"""Stage 6, commit: a unit is complete when all its documents are in parts; then one committer writes it.

The driver's `UnitTracker` adds up the write stage's part rows (pipeline/on_ray/unit_parts.py). A unit is
complete when the documents seen equal the count its end marker carries, whatever order they came in,
so a slow document delays only its own unit. The commit is a Ray task (on any node, not the driver):
it reads the unit's parts in document order, writes the final shards, meta and rejects through
`UnitWriter`, moves them into place, writes the done marker and removes the parts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import fsspec

from docmatix.pipeline.generate.request_cache import compact_unit_segments
from docmatix.pipeline.on_ray.rows import UnitEnd, from_row
from docmatix.pipeline.on_ray.unit_parts import rows_in_order
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.schemas.output_layout import OutputLayout
from docmatix.schemas.records import FinishedDocument, RejectedDocument

log = logging.getLogger("docmatix")


@dataclass(frozen=True)
class ShardLimits:
    rows_per_shard: int = 2000
    bytes_per_shard: int | None = None


def commit_unit(output: str, unit_id: str, run_id: str, parts: list[str], limits: ShardLimits,
                shared_cache: str | None = None) -> dict:
    """Write a complete unit's final files from its parts; returns its done marker. With `shared_cache`,
    the unit's request-cache segments are compacted into one file too."""
    fs, root = fsspec.core.url_to_fs(output)
    writer = UnitWriter(output, unit_id, limits.rows_per_shard, limits.bytes_per_shard)
    try:
        for row in rows_in_order(fs, parts):
            record = from_row(row)
            if isinstance(record, FinishedDocument):
                writer.add_finished(record)
            elif isinstance(record, RejectedDocument):
                writer.add_rejected(record)
            elif not isinstance(record, UnitEnd):
                raise TypeError(f"unexpected record at the end of the pipeline: {type(record).__name__}")
        marker = writer.commit()
    except BaseException:
        writer.abort()
        raise
    with contextlib.suppress(FileNotFoundError):  # on an object store the folder is gone with its files
        fs.rm(OutputLayout(root).unit_tmp(unit_id, run_id), recursive=True)
    if shared_cache is not None:
        compact_unit_segments(shared_cache, unit_id)
    return marker


@dataclass
class _Unit:
    parts: list[str] = field(default_factory=list)
    documents: int = 0
    expected: int = -1


class UnitTracker:
    """Driver side: counts each unit's documents from part rows and commits a unit once it is complete.

    `commit` is called with (unit_id, parts) and returns a handle (a Ray ObjectRef in a run); `wait`
    blocks on handles. At most `max_pending` commits are outstanding, so a fast stream cannot pile up
    unbounded work behind slow storage."""

    def __init__(self, commit: Callable[[str, list[str]], object], wait: Callable[[list, float | None], tuple],
                 max_pending: int = 4):
        self._commit, self._wait, self.max_pending = commit, wait, max_pending
        self.units: dict[str, _Unit] = {}
        self.pending: dict[object, str] = {}
        self.markers: dict[str, dict] = {}
        self.documents_seen = 0

    def add(self, unit_id: str, part: str, documents: int, unit_documents: int) -> None:
        unit = self.units.setdefault(unit_id, _Unit())
        unit.parts.append(part)
        unit.documents += documents
        self.documents_seen += documents
        if unit_documents >= 0:
            unit.expected = unit_documents
        if unit.documents == unit.expected:
            del self.units[unit_id]
            while len(self.pending) >= self.max_pending:
                self.collect(timeout=None)
            self.pending[self._commit(unit_id, unit.parts)] = unit_id

    def collect(self, timeout: float | None = 0) -> None:
        """Take in the commits that have finished (with `timeout=None`, wait for at least one)."""
        if not self.pending:
            return
        ready, _ = self._wait(list(self.pending), timeout)
        for handle, marker in ready:
            unit_id = self.pending.pop(handle)
            self.markers[unit_id] = marker

    def finish(self) -> list[str]:
        """Wait for every commit; returns the units whose documents never all arrived (left to be redone)."""
        while self.pending:
            self.collect(timeout=None)
        incomplete = sorted(self.units)
        for unit_id in incomplete:
            unit = self.units[unit_id]
            log.warning("unit %s incomplete: %d of %s documents arrived; it is redone next run",
                        unit_id, unit.documents, unit.expected if unit.expected >= 0 else "?")
        return incomplete
