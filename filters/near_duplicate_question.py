"""Drop a pair that asks again what a kept pair of the same document asked, in other words.

"What is the invoice total?" from one template and "How much is the total amount payable on the
invoice?" from another teach the same thing twice. A question repeats a kept one when either
- their gists match: the same interrogatives and numbers ("when"/"why", "page 2"/"page 3" are different
  questions) and content words that, as sorted lists, score at least `near_duplicate_threshold`
  (rapidfuzz token_sort_ratio, 0-100), so word order, tense and filler do not count; or
- they share a content stem or number and their answers give the same value: a figure or identifier
  in common that neither question states, or the same short answer once folded ("EUR 804.08" / "The
  customer owes EUR 804.08, including VAT."); or
- most of their content stems are shared (`REWORDED_OVERLAP`) and so are the answers' (rewordings of
  an explanation).
Every kept pair of the document is compared, whichever template asked it.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from rapidfuzz import fuzz

from docmatix.filters.base import PairContext
from docmatix.filters.settings import FilterSettings
from docmatix.filters.text import STOPWORDS, content_stems, normalise_question, numbers

_INTERROGATIVES = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])
REWORDED_OVERLAP = 0.6  # share of the content stems both questions have, of the larger set
SAME_ANSWER_OVERLAP = 0.5
SHORT_ANSWER_STEMS = 4
VALUE_ANSWER_STEMS = 12


@lru_cache(maxsize=4096)  # each kept question is compared with every later one of its document
def question_gist(normalised: str) -> tuple[str, frozenset[str]]:
    """(sorted content words, interrogatives and numbers) of a normalised question."""
    tokens = normalised.split()
    content = {t for t in tokens if len(t) >= 3 and t not in STOPWORDS and not t.isdigit()}
    exact = frozenset(t for t in tokens if t in _INTERROGATIVES or t.isdigit())
    return " ".join(sorted(content)), exact


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    return frozenset(content_stems(text))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared share of the larger set: a short question is not a rewording of every longer one."""
    return len(a & b) / max(len(a), len(b)) if a and b else 0.0


# Identifiers an answer may give as its value: "--enable-lto", "mime-info", "read.table".
_IDENTIFIER = regex.compile(r"(?<!\w)-{0,2}[A-Za-z][\w]*(?:[-_.][\w]+)+")


def answer_values(answer: str, question: str) -> frozenset[str]:
    """The figures and identifiers an answer gives that its question did not."""
    asked = set(numbers(question)) | {m.casefold() for m in _IDENTIFIER.findall(question)}
    values = set(numbers(answer)) | {m.casefold() for m in _IDENTIFIER.findall(answer)}
    return frozenset(values - asked)


def same_value(question: str, answer: str, kept_question: str, kept_answer: str) -> bool:
    """Both answers, short, give a figure or identifier in common, or are the same short answer. (Long
    explanations share figures without answering the same question.)"""
    if max(len(content_stems(answer)), len(content_stems(kept_answer))) > VALUE_ANSWER_STEMS:
        return False
    ours, theirs = answer_values(answer, question), answer_values(kept_answer, kept_question)
    if ours & theirs:
        return True
    a, b = _stems(answer), _stems(kept_answer)
    return not ours and not theirs and bool(a) and len(a) <= SHORT_ANSWER_STEMS and a == b


def rewords(question: str, answer: str, kept_question: str, kept_answer: str) -> bool:
    q = _stems(question) | set(numbers(question))
    kq = _stems(kept_question) | set(numbers(kept_question))
    if not q or not kq:
        return False
    if q & kq and same_value(question, answer, kept_question, kept_answer):
        return True
    return _overlap(q, kq) >= REWORDED_OVERLAP and _overlap(_stems(answer), _stems(kept_answer)) >= SAME_ANSWER_OVERLAP


class NearDuplicateQuestionFilter:
    name = "near_duplicate"

    def __init__(self, settings: FilterSettings):
        self.threshold = settings.near_duplicate_threshold

    def repeated(self, question: str, answer: str, context: PairContext) -> str | None:
        """The kept question this one repeats (normalised when its gist matched), or None."""
        words, exact = question_gist(normalise_question(question))
        for seen in context.seen_questions:
            seen_words, seen_exact = question_gist(seen)
            if seen_exact == exact and fuzz.token_sort_ratio(words, seen_words) >= self.threshold:
                return seen
        for kept_question, kept_answer in context.kept_pairs:
            if rewords(question, answer, kept_question, kept_answer):
                return kept_question
        return None

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        repeated = self.repeated(question, answer, context)
        return f"repeats: {repeated}" if repeated is not None else None

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if self.repeated(question, answer, context) is not None:
            return False, "near_duplicate_question"
        return True, None
