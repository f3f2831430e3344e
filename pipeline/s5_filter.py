"""Stage 5: run every generated pair through the chosen filters; keep or drop each with its reason.

Every generated pair ends up in exactly one of `kept` or `dropped`, so kept + dropped = generated.
"""

from __future__ import annotations

from docmatix.filters.base import PairContext, PairFilter
from docmatix.filters.decontamination import CONTAMINATED, BenchmarkIndex
from docmatix.filters.presets import apply_filters
from docmatix.pipeline.generate.answer_evidence import chunk_page_words
from docmatix.schemas.records import DroppedPair, FinishedDocument, GeneratedDocument, RejectedDocument
from docmatix.schemas.reject_reasons import GENERATION_FAILED, NO_PAIRS_KEPT


def benchmark_from(config) -> BenchmarkIndex | None:
    """The run's benchmark n-gram index (`--decontaminate`), or None."""
    if not config.decontaminate:
        return None
    return BenchmarkIndex.load(config.decontaminate, config.decontaminate_ngram)


def filter_document(generated: GeneratedDocument, filters: list[PairFilter],
                    benchmark: BenchmarkIndex | None = None) -> FinishedDocument:
    """`benchmark` (--decontaminate) is checked first: a dict lookup per n-gram, and its drop records the
    benchmark item, which the (keep, reason) filters cannot carry."""
    doc = generated.document
    kept, dropped = [], []
    seen: set[str] = set()  # shared by the document's chunks: dedup spans chunks and templates
    kept_pairs: list[tuple[str, str]] = []
    for chunk_result in generated.chunks:
        context = PairContext(source_text=chunk_result.chunk.text, seen_questions=seen, kept_pairs=kept_pairs,
                              template=chunk_result.chunk.template,
                              page_words=chunk_page_words(doc.pages, chunk_result.chunk.page_indices))
        for pair in chunk_result.pairs:
            item = benchmark.match(pair.question) if benchmark is not None else None
            if item is not None:
                dropped.append(DroppedPair(pair, [CONTAMINATED], item))
                continue
            reasons = apply_filters(filters, pair.question, pair.answer, context)
            if reasons:
                dropped.append(DroppedPair(pair, reasons))
            else:
                context.record_kept(pair.question, pair.answer)  # only kept questions make later ones duplicates
                kept.append(pair)
    return FinishedDocument(doc.key, doc.unit_id, doc, kept, dropped, generated.chunks,
                            _rejection(doc, kept, dropped, generated.chunks))


def _rejection(doc, kept: list, dropped: list, chunks: list) -> RejectedDocument | None:
    """The document's rejection when it has no kept pair left, else None."""
    if kept:
        return None
    if all(c.error and not c.pairs for c in chunks):
        reason = GENERATION_FAILED
        detail = "; ".join(sorted({f"{c.error}: {c.error_detail}"[:300] for c in chunks}))
    else:
        reason, detail = NO_PAIRS_KEPT, f"{len(dropped)} pairs generated, all dropped by filters"
    return RejectedDocument(doc.key, doc.unit_id, doc.origin, "filter", reason, detail)


def drop_kept(done: FinishedDocument, drops: dict[int, DroppedPair]) -> FinishedDocument:
    """Move kept pairs (by index in `kept`) to `dropped` after filtering (the judge's `judge_low`), keeping
    the per-pair lists (evidence, judge) in step, and reject the document if nothing is left."""
    if not drops:
        return done
    stay = [i for i in range(len(done.kept)) if i not in drops]
    for name in ("evidence", "judge"):
        values = getattr(done, name)
        if values:
            setattr(done, name, [values[i] for i in stay])
    done.kept = [done.kept[i] for i in stay]
    done.dropped = done.dropped + [drops[i] for i in sorted(drops)]
    if done.document is not None and done.rejected is None:
        done.rejected = _rejection(done.document, done.kept, done.dropped, done.chunks)
    return done
