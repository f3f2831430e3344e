"""Drop pairs whose question or answer is shorter or longer than the configured bounds (in characters)."""

from __future__ import annotations

from docmatix.filters.base import PairContext
from docmatix.filters.settings import FilterSettings


class LengthBoundsFilter:
    name = "length"

    def __init__(self, settings: FilterSettings):
        self.settings = settings

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        s = self.settings
        for kind, text, low, high in (("question", question, s.min_question_chars, s.max_question_chars),
                                      ("answer", answer, s.min_answer_chars, s.max_answer_chars)):
            n = len(text.strip())
            if n < low:
                return False, f"{kind}_too_short"
            if n > high:
                return False, f"{kind}_too_long"
        return True, None
