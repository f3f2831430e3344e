"""Drop answers the chunk text does not support (`ungrounded`), without asking an LLM.

Every number in the answer must appear in the chunk text (numbers are where small models invent
most), and at least `grounding_threshold` of the answer's content words must too. A word counts as
found when the text has it or a word within a small edit distance (OCR slips, "invoice"/"invoices",
"issue"/"issued"). Answers with nothing to check ("Yes.") pass: lexical overlap cannot judge them.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from filters.base import PairContext
from filters.settings import FilterSettings
from filters.text import content_words, numbers

# rapidfuzz ratio (0-100) at which an answer word counts as the same word as one in the text.
SAME_WORD_SCORE = 85.0


def word_found(word: str, context: PairContext) -> bool:
    if word in context.source_words:
        return True
    if len(word) < 5:  # short words are one edit from many others: exact only
        return False
    return process.extractOne(word, context.source_words, scorer=fuzz.ratio, score_cutoff=SAME_WORD_SCORE) is not None


def grounding_score(answer: str, context: PairContext) -> float:
    """Share of the answer's content words found in the chunk text; 0.0 if any number is not."""
    if any(n not in context.source_numbers for n in numbers(answer)):
        return 0.0
    wanted = set(content_words(answer))
    if not wanted:
        return 1.0
    return sum(word_found(w, context) for w in wanted) / len(wanted)


class GroundingFilter:
    name = "grounding"

    def __init__(self, settings: FilterSettings):
        self.threshold = settings.grounding_threshold

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if context.source_text is None:  # nothing to check against (filter-check without a context)
            return True, None
        if grounding_score(answer, context) < self.threshold:
            return False, "ungrounded"
        return True, None
