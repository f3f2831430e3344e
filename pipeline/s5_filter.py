"""Stage 5: run every generated pair through the filter preset; keep or drop each with its reasons."""

from __future__ import annotations

from filters.base import PairContext, PairFilter
from filters.presets import apply_filters
from schemas.records import DroppedPair, FinishedDocument, GeneratedDocument, RejectedDocument


def filter_document(generated: GeneratedDocument, filters: list[PairFilter]) -> FinishedDocument:
    doc = generated.document
    kept, dropped = [], []
    seen: set[str] = set()
    for chunk_result in generated.chunks:
        context = PairContext(source_text=chunk_result.chunk.text, seen_questions=seen,
                              template=chunk_result.chunk.template)
        for pair in chunk_result.pairs:
            reasons = apply_filters(filters, pair.question, pair.answer, context)
            if reasons:
                dropped.append(DroppedPair(pair, reasons))
            else:
                kept.append(pair)
    rejected = None
    if not kept:
        if all(c.error and not c.pairs for c in generated.chunks):
            reason = "generation_failed"
            detail = "; ".join(sorted({f"{c.error}: {c.error_detail}"[:300] for c in generated.chunks}))
        else:
            reason, detail = "no_pairs_kept", f"{len(dropped)} pairs generated, all dropped by filters"
        rejected = RejectedDocument(doc.key, doc.unit_id, doc.origin, "filter", reason, detail)
    return FinishedDocument(doc.key, doc.unit_id, doc, kept, dropped, generated.chunks, rejected)
