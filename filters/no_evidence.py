"""Drop extractive pairs whose answer cannot be found on the chunk's pages (`no_evidence`); off by default.

An extractive answer (a short one: a name, number, date or phrase, pipeline/generate/answer_evidence.py) that no
page span matches is not where the page is: the model misread or invented it. Longer answers explain
or infer, so they are kept whatever the match. It abstains when the pages' words are not known
(`docmatix filter-check`, records without word boxes).
"""

from __future__ import annotations

from docmatix.filters.base import PairContext
from docmatix.pipeline.generate.answer_evidence import is_extractive, locate_answer

NO_EVIDENCE = "no_evidence"


class NoEvidenceFilter:
    name = NO_EVIDENCE

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if context.page_words is None or not is_extractive(answer):
            return True, None
        if locate_answer(answer, context.page_words) is None:
            return False, NO_EVIDENCE
        return True, None
