"""A unit's counters (`UnitCounts`), one function per stage that decides what is counted.

Each function reads what its stage left on the record (pages on the extracted document, chunk results,
dropped pairs, the rejection) and adds it to the unit's counts; `count_finished` and `count_rejected`
are what the end of the pipeline calls for each record. The writer only writes: a new counter is a field
of `UnitCounts` (schemas/output.py) and a line in its stage's function here; the done marker, the summary
(`summary.json` sums the units) and the manifest follow.
"""

from __future__ import annotations

from docmatix.pipeline.extract.language import LANGUAGE_REASON, rejected_language
from docmatix.pipeline.generate.quality_output import count_quality
from docmatix.pipeline.generate.token_accounting import count_tokens
from docmatix.schemas.output import UnitCounts, bump
from docmatix.schemas.records import (
    ChunkResult,
    DroppedPair,
    ExtractedDocument,
    FinishedDocument,
    RejectedDocument,
)


def count_extracted(counts: UnitCounts, doc: ExtractedDocument) -> None:
    """Stage 2: pages and where their text came from, pages lost, repairs, the detected language."""
    counts.pages += len(doc.pages)
    counts.pages_ocr += sum(1 for p in doc.pages if p.source == "ocr")
    counts.pages_source_disagreement += sum(1 for p in doc.pages if p.sources_disagree)
    counts.pages_lost += len(doc.lost_pages)
    counts.documents_repaired += int(doc.repaired)
    if doc.language is not None:
        bump(counts.documents_by_language, doc.language)


def count_generated(counts: UnitCounts, chunks: list[ChunkResult]) -> None:
    """Stage 4: chunks, requests (and how many the cache answered), pairs parsed, chunks without an answer."""
    for result in chunks:
        counts.chunks += 1
        counts.requests += result.requests
        counts.requests_cached += int(result.cached)
        for pair in result.pairs:
            counts.pairs_generated += 1
            bump(counts.pairs_generated_by_template, pair.template)
        if result.error:
            counts.chunks_rejected += 1
            bump(counts.chunks_rejected_by_reason, result.error)


def count_dropped(counts: UnitCounts, dropped: list[DroppedPair]) -> None:
    """Stage 5: pairs the filters dropped, once per pair and once per reason."""
    for d in dropped:
        counts.pairs_dropped += 1
        for reason in d.reasons:
            bump(counts.pairs_dropped_by_reason, reason)


def count_rejected(counts: UnitCounts, rejected: RejectedDocument) -> None:
    """A document that ends in rejects/documents, whichever stage rejected it."""
    counts.documents_read += 1
    counts.documents_rejected += 1
    bump(counts.documents_rejected_by_reason, rejected.reason)
    if rejected.reason == LANGUAGE_REASON:  # its language was detected, then refused: counted with the rest
        bump(counts.documents_by_language, rejected_language(rejected.error))


def count_written(counts: UnitCounts, done: FinishedDocument) -> None:
    """A document that becomes a Cauldron row, with its kept pairs."""
    counts.documents_read += 1
    counts.documents_written += 1
    counts.pairs_kept += len(done.kept)
    for pair in done.kept:
        bump(counts.pairs_kept_by_template, pair.template)


def count_finished(counts: UnitCounts, done: FinishedDocument) -> None:
    """Everything a document that went through generation adds: what each stage did to it (a document
    rejected late, e.g. with no pair kept, still counts its pages, chunks and drops), then its fate."""
    if done.document is not None:
        count_extracted(counts, done.document)
    count_tokens(counts, done)
    count_quality(counts, done)  # judge requests, evidence located and judge scores (pipeline/generate/quality_output.py)
    count_generated(counts, done.chunks)
    count_dropped(counts, done.dropped)
    if done.rejected is not None:
        count_rejected(counts, done.rejected)
    else:
        count_written(counts, done)
