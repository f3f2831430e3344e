"""Counting lives in pipeline/unit_counts.py (and tokens in pipeline/generate/token_accounting.py): every counter
of `UnitCounts` is counted there, and the writer adds nothing of its own."""

from __future__ import annotations

import ast
from dataclasses import asdict
from pathlib import Path

from docmatix.filters.presets import build_preset
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.pipeline.unit_counts import count_finished, count_rejected
from docmatix.schemas.output import UnitCounts
from docmatix.schemas.records import RejectedDocument
from docmatix.schemas.reject_reasons import ENCRYPTED, NO_PAIRS_KEPT
from tests.test_filters_accounting import chunk_result, document, invoice_document

REPO = Path(__file__).resolve().parent.parent
COUNTING_MODULES = ("pipeline/unit_counts.py", "pipeline/generate/token_accounting.py", "pipeline/generate/quality_output.py")


def counted_fields(path: Path) -> set[str]:
    """Attributes of the `counts` argument a module changes (`counts.x += ...`, `bump(counts.x, ...)`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "counts"):
            names.add(node.attr)
    return names


def test_every_counter_is_counted_in_the_counting_modules():
    counted = set().union(*(counted_fields(REPO / m) for m in COUNTING_MODULES))
    fields = set(UnitCounts.__dataclass_fields__)
    assert not fields - counted, f"UnitCounts fields counted nowhere: {sorted(fields - counted)}"
    assert "pages_ocr" in counted and "tokens_completion_kept" in counted  # the scan sees both modules


def test_the_writer_counts_exactly_what_the_stage_functions_count(tmp_path):
    filters = build_preset("strict")
    finished = [filter_document(invoice_document(), filters),
                filter_document(document("0000002", chunk_result(0, "critical_thinking", [("", "nothing")])),
                                filters)]
    rejected = RejectedDocument("0000003", "unit-0", "shard.tar", "extract", ENCRYPTED)
    expected = UnitCounts()
    for done in finished:
        count_finished(expected, done)
    count_rejected(expected, rejected)

    writer = UnitWriter(str(tmp_path), "unit-0")
    for done in finished:
        writer.add_finished(done)
    writer.add_rejected(rejected)
    marker = writer.commit()
    assert marker["counts"] == asdict(expected) == asdict(writer.counts)
    c = expected
    assert (c.documents_read, c.documents_written, c.documents_rejected) == (3, 1, 2)
    assert c.documents_rejected_by_reason == {NO_PAIRS_KEPT: 1, ENCRYPTED: 1}
    assert c.pairs_generated == c.pairs_kept + c.pairs_dropped == 8 and c.pairs_kept >= 1
    assert (c.chunks, c.requests, c.pages) == (3, 3, 2)  # the late-rejected document's pages count too
