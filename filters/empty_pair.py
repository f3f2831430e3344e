"""Drop pairs whose question or answer is empty (e.g. a question the model never answered)."""

from __future__ import annotations

from docmatix.filters.base import PairContext


class EmptyPairFilter:
    name = "empty"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if not question.strip():
            return False, "empty_question"
        if not answer.strip():
            return False, "empty_answer"
        return True, None
