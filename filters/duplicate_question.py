"""Drop a pair whose question, normalised, was already kept for the same document.

Overlapping chunks and several templates over one document often ask the very same question.
"""

from __future__ import annotations

from docmatix.filters.base import PairContext
from docmatix.filters.text import normalise_question


class DuplicateQuestionFilter:
    name = "duplicate"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if normalise_question(question) in context.seen_questions:
            return False, "duplicate_question"
        return True, None
