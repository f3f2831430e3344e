"""Drop a pair whose question is nearly the same as one already kept for the same document.

"What is the invoice total?" from one template and "What was the total of the invoice?" from another
teach the same thing twice. Questions are compared by their gist: the interrogatives and numbers
must be the same ("when"/"why", "page 2"/"page 3" are different questions), and the content words,
as a sorted list, must score at least `near_duplicate_threshold` (rapidfuzz token_sort_ratio,
0-100), so word order, tense and filler ("the", "this", "document") do not count. Every kept
question of the document is compared, whichever template asked it.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz

from filters.base import PairContext
from filters.settings import FilterSettings
from filters.text import STOPWORDS, normalise_question

_INTERROGATIVES = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])


@lru_cache(maxsize=4096)  # each kept question is compared with every later one of its document
def question_gist(normalised: str) -> tuple[str, frozenset[str]]:
    """(sorted content words, interrogatives and numbers) of a normalised question."""
    tokens = normalised.split()
    content = {t for t in tokens if len(t) >= 3 and t not in STOPWORDS and not t.isdigit()}
    exact = frozenset(t for t in tokens if t in _INTERROGATIVES or t.isdigit())
    return " ".join(sorted(content)), exact


class NearDuplicateQuestionFilter:
    name = "near_duplicate"

    def __init__(self, settings: FilterSettings):
        self.threshold = settings.near_duplicate_threshold

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        words, exact = question_gist(normalise_question(question))
        for seen in context.seen_questions:
            seen_words, seen_exact = question_gist(seen)
            if seen_exact == exact and fuzz.token_sort_ratio(words, seen_words) >= self.threshold:
                return False, "near_duplicate_question"
        return True, None
