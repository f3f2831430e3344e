"""Drop answers the chunk text does not support (`ungrounded`), without asking an LLM.

At least `grounding_threshold` of the answer's content words must appear in the chunk text. A word
counts as found when the text has it, a word of the same stem ("employed"/"employment"), or a word
within a small edit distance (OCR slips). Numbers, names and codes are `answer_values`' to check,
exactly; this filter judges the words around them (a number the page prints counts as found words).
An answer in another language than its page is not judged word for word.

An answer cannot pass by saying nothing. One with no content word and no number ("Answer each from
the document.") is `no_content`, except a bare yes/no, which is judged by its question's words
instead ("Is the total 110 EUR?" / "Yes."). Maths keeps its short symbols: when an answer has no
content word of three letters, its one- and two-letter non-stopwords ("x", "f") count.
"""

from __future__ import annotations

import regex
from rapidfuzz import fuzz, process

from docmatix.filters.base import PairContext
from docmatix.filters.settings import FilterSettings
from docmatix.filters.text import NUMBER_WORDS, content_words, numbers, stem, words

# rapidfuzz ratio (0-100) at which an answer word counts as the same word as one in the text.
SAME_WORD_SCORE = 85.0


def word_found(word: str, context: PairContext) -> bool:
    if word in context.source_words or stem(word) in context.source_stems:
        return True
    if len(word) < 5:  # short words are one edit from many others: exact only
        return False
    return process.extractOne(word, context.source_words, scorer=fuzz.ratio, score_cutoff=SAME_WORD_SCORE) is not None


_YES_NO = frozenset({"yes", "no", "true", "false", "correct", "incorrect"})


# A number of the answer that the page prints weighs as much as this many words: "Elle a augmenté de
# 23 %." is grounded by its figure, not by "augmenté".
NUMBER_WEIGHT = 2


def checked_words(answer: str) -> tuple[set[str], set[str], set[str]]:
    """(content words to look for, numbers, acronyms) of an answer."""
    spelled = {w for w in words(answer) if w in NUMBER_WORDS}  # "Nine sections": a figure, in words
    nums = set(numbers(answer)) | {NUMBER_WORDS[w] for w in spelled}
    # Acronyms are answer_values' to check (against the initials of the page's words too).
    acronyms = {w.casefold() for w in regex.findall(r"\b[A-Z]{2,6}\b", answer)}
    wanted = (set(content_words(answer)) or set(content_words(answer, min_chars=1))) - spelled - acronyms
    return wanted, nums, acronyms


def grounding_score(answer: str, context: PairContext) -> float | None:
    """Share of the answer's content words (and, weighted, numbers) found in the chunk text; None when
    the answer has nothing to check (no content word, no number)."""
    wanted, nums, acronyms = checked_words(answer)
    if not wanted and acronyms:
        return 1.0
    if not wanted:
        return 1.0 if nums else None
    found = sum(word_found(w, context) for w in wanted) + NUMBER_WEIGHT * len(nums & context.source_numbers)
    return found / (len(wanted) + NUMBER_WEIGHT * len(nums & context.source_numbers))


def is_yes_no(answer: str) -> bool:
    found = words(answer)
    return bool(found) and found[0] in _YES_NO and not content_words(answer) and not numbers(answer)


class GroundingFilter:
    name = "grounding"

    def __init__(self, settings: FilterSettings):
        self.threshold = settings.grounding_threshold

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        if context.source_text is None:
            return None
        missing = sorted(w for w in checked_words(answer)[0] if not word_found(w, context))
        return f"words not on the page: {', '.join(missing)}" if missing else None

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if context.source_text is None:  # nothing to check against (filter-check without a context)
            return True, None
        if not context.in_page_language(answer):  # a translation shares no words with its page
            return True, None
        score = grounding_score(answer, context)
        if score is None and is_yes_no(answer):
            score = grounding_score(question, context)
        if score is None:
            return False, "no_content"
        if score < self.threshold:
            return False, "ungrounded"
        return True, None
