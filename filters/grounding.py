"""Drop answers the chunk text does not support (`ungrounded`), without asking an LLM.

Every number in the answer must appear in the chunk text (numbers are where small models invent
most), and at least `grounding_threshold` of the answer's content words must too. A word counts as
found when the text has it or a word within a small edit distance (OCR slips, "invoice"/"invoices",
"issue"/"issued").

An answer cannot pass by saying nothing. One with no content word and no number ("Answer each from
the document.") is `no_content`, except a bare yes/no, which is judged by its question's words
instead ("Is the total 110 EUR?" / "Yes."). Maths keeps its short symbols: when an answer has no
content word of three letters, its one- and two-letter non-stopwords ("x", "f") count.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from filters.base import PairContext
from filters.settings import FilterSettings
from filters.text import content_words, numbers, words

# rapidfuzz ratio (0-100) at which an answer word counts as the same word as one in the text.
SAME_WORD_SCORE = 85.0


def word_found(word: str, context: PairContext) -> bool:
    if word in context.source_words:
        return True
    if len(word) < 5:  # short words are one edit from many others: exact only
        return False
    return process.extractOne(word, context.source_words, scorer=fuzz.ratio, score_cutoff=SAME_WORD_SCORE) is not None


_YES_NO = frozenset({"yes", "no", "true", "false", "correct", "incorrect"})


def grounding_score(answer: str, context: PairContext) -> float | None:
    """Share of the answer's content words found in the chunk text; 0.0 if any number is not; None
    when the answer has nothing to check (no content word, no number)."""
    nums = numbers(answer)
    if any(n not in context.source_numbers for n in nums):
        return 0.0
    wanted = set(content_words(answer)) or set(content_words(answer, min_chars=1))
    if not wanted:
        return 1.0 if nums else None
    return sum(word_found(w, context) for w in wanted) / len(wanted)


def is_yes_no(answer: str) -> bool:
    found = words(answer)
    return bool(found) and found[0] in _YES_NO and not content_words(answer) and not numbers(answer)


class GroundingFilter:
    name = "grounding"

    def __init__(self, settings: FilterSettings):
        self.threshold = settings.grounding_threshold

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if context.source_text is None:  # nothing to check against (filter-check without a context)
            return True, None
        score = grounding_score(answer, context)
        if score is None and is_yes_no(answer):
            score = grounding_score(question, context)
        if score is None:
            return False, "no_content"
        if score < self.threshold:
            return False, "ungrounded"
        return True, None
