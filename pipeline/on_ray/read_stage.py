"""Stage 1 on Ray: units in, one block per document out (`read_unit` runs as Ray tasks)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from docmatix.pipeline.on_ray.rows import UnitEnd, from_row, rows_to_table, to_row
from docmatix.pipeline.s1_read import iter_unit_documents
from docmatix.schemas.records import RejectedDocument, WorkUnit


def read_unit(batch: pa.Table, max_pdf_bytes: int) -> Iterator[pa.Table]:
    """Units in, one single-row table per document out (then the unit's end marker with its count).

    One table per document (and the run's small target block size) makes every document its own block,
    so the extraction pool hands documents to whichever actor is free whatever the PDFs' sizes, instead
    of one actor getting a block of many small PDFs."""
    for row in batch.to_pylist():
        unit: WorkUnit = from_row(row)
        seq = 0
        for item in iter_unit_documents(unit, max_pdf_bytes):
            if isinstance(item, tuple):
                key, reason, error = item
                item = RejectedDocument(key, unit.unit_id, unit.paths[0] if len(unit.paths) == 1 else "", "read",
                                        reason, error)
            yield rows_to_table([to_row(unit.unit_id, seq, item)])
            seq += 1
        yield rows_to_table([to_row(unit.unit_id, seq, UnitEnd(unit.unit_id, seq))])


READ_CPUS_PER_READER = 16  # one shard reader keeps ~16 extraction workers fed (reading is I/O)


def read_concurrency(configured: int | None, extract_configured: int | None, cluster_cpus: float) -> int:
    """Shard readers at once: the setting, else one per 16 extraction workers (or cluster CPUs at start)."""
    if configured is not None:
        if configured < 1:
            raise ValueError(f"--read-concurrency must be at least 1, got {configured}")
        return configured
    feeds = extract_configured if extract_configured is not None else int(cluster_cpus)
    return max(1, -(-feeds // READ_CPUS_PER_READER))
