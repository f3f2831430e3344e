"""Stage 2 on Ray: the extraction actor pool (pipeline/extract/isolation.py does the work)."""

from __future__ import annotations

import pyarrow as pa

from docmatix.pipeline.extract.isolation import SPARE_CHILDREN, extract
from docmatix.pipeline.extract.language import tag_language
from docmatix.pipeline.on_ray.rows import from_row, replace_record, rows_to_table
from docmatix.pipeline.s2_extract import ExtractSettings
from docmatix.schemas.records import ExtractedDocument, SourceDocument


class ExtractPages:
    """Ray Data actor: extract each source document (pipeline/extract/isolation.py does the work).

    An actor pool, not tasks: the number of extracting processes, and of their isolated children,
    is the pool size whatever the corpus, where tasks would spread over however many workers Ray
    keeps around.
    """

    def __init__(self, settings: ExtractSettings, languages: tuple[str, ...] = ()):
        self.settings = settings
        self.languages = languages

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        for i, row in enumerate(rows):
            record = from_row(row)
            if isinstance(record, SourceDocument):
                extracted = extract(record, self.settings)
                if isinstance(extracted, ExtractedDocument):  # language from the page text, before any LLM work
                    extracted = tag_language(extracted, self.languages)
                rows[i] = replace_record(row, extracted)
        return rows_to_table(rows)


def extract_pool(configured: int | None, settings: ExtractSettings):
    """The extraction actor pool: `configured` actors, or when unset one that grows with the cluster's
    CPUs (an autoscaling cluster adds nodes for it). Either way its size is set by settings and the
    cluster, never by the corpus.

    With isolated children that can be set aside, each actor takes 1 + SPARE_CHILDREN documents at once
    (pipeline/extract/isolation.py runs one at full priority): a document on its deadline does not stop
    its actor, and the next document is already in the actor when one finishes."""
    from ray.data import ActorPoolStrategy

    if configured is not None and configured < 1:
        raise ValueError(f"--extract-concurrency must be at least 1, got {configured}")
    size = {"min_size": 1} if configured is None else {"size": configured}
    if settings.limits.sets_aside:
        return ActorPoolStrategy(**size, max_concurrent_calls_per_actor=1 + SPARE_CHILDREN,
                                 enable_true_multi_threading=True)
    return ActorPoolStrategy(**size)
