"""Drop answers with a value the page does not have (`value_not_on_page`): a number, date, month,
proper name, acronym or code that appears nowhere in the chunk text, once both are normalised.

These are where generators invent most, and a reader spots them at once: "804.80" for "804.08", "Robert
Lindquist" for "David Lindqvist", "June" for "May". So names and codes must match exactly (after
ligatures, accents and case are folded), not within an edit distance. What the page does not print
but still supports passes:
- a number one step of arithmetic away from the numbers the answer and question state that the page
  supports (a sum, difference, product, ratio, percentage or percentage change; "about" allows 1 %), in
  the answer's rounding and scale ("15.8 million" for 15,777,556);
- a small count, for a question that asks to count; a number the page spells in words;
- a month next to one the page names (a due date computed from a term: "by early April");
- an acronym of words the page has ("DRAC": Direction régionale des affaires culturelles).
Capitalised words are names only in an answer in the page's language that capitalises names alone
(German capitalises every noun; a translation renames things). Values taken from the question are the
question's, not the answer's claim.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from itertools import combinations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import (
    NUMBER_WORDS,
    STOPWORDS,
    canonical_number,
    fold,
    number_spans,
    numbers,
    strip_leading_marker,
    words,
)
from docmatix.filters.text_language import language

_MONTHS = {name: i for i, names in enumerate([
    "january janvier januar enero", "february fevrier februar febrero", "march mars marz marzo",
    "april avril abril", "may mai mayo", "june juin juni junio", "july juillet juli julio",
    "august aout agosto", "september septembre septiembre", "october octobre oktober octubre",
    "november novembre noviembre", "december decembre dezember diciembre"], 1) for name in names.split()}
_NUMERIC_DATE = regex.compile(r"\b(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\b")
# A capitalised word not at the start of a sentence, an acronym, or a code with letters and digits.
_NAME = regex.compile(r"(?<![.!?:;]\s)(?<!^)(?<!\n)(?<![\"“(]\s?)\b\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}[\p{Ll}]+)?\b")
_ACRONYM = regex.compile(r"\b\p{Lu}{2,6}s?\b")
_CODE = regex.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{2,}\b")
_COUNT_QUESTION = regex.compile(r"\bhow many\b|\bnumber of\b|\bcombien\b|\bwie viele\b|\bcuántos\b|多少|几", regex.I)
# A number with its scale word: "15.8 million", "2,3 milliards", "3 万".
_SCALED = regex.compile(r"(\d+(?:[.,]\d+)?)\s*(thousand|million|billion|milliards?|millions?|mille|k|m|bn|万|亿)\b",
                        regex.I)
_SCALES = {"thousand": 1e3, "mille": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "m": 1e6, "billion": 1e9,
           "bn": 1e9, "milliard": 1e9, "milliards": 1e9, "万": 1e4, "亿": 1e8}
_APPROX = regex.compile(r"(?:about|approximately|approx\.?|roughly|around|nearly|almost|some|~|≈|environ|"
                        r"près de|etwa|rund|aproximadamente|约|大约|約)\s*(?:[A-Z]{3}|[€$£])?\s*$", regex.I)
# Languages whose capitals mark names alone (German capitalises every noun).
_NAME_CAPITALS = frozenset({"en", "fr", "es", "it", "pt", "nl"})
_PERCENT = regex.compile(r"\s*(?:%|％|percent|per cent|pour cent|prozent|por ciento|percentage point)", regex.I)
_NUMBER_HEAD = regex.compile(r"^[\d.,\s]+")
_TIME = regex.compile(r"(?<![\d:])\d{1,2}[:h]\d{2}(?![\d:])")  # a clock time is one value, "21:10"
SMALL_COUNT = 12
APPROX_SHARE = 0.01


def _value(token: str) -> float | None:
    try:
        return float(token) if token.count(".") <= 1 else None
    except ValueError:
        return None


def _one_step(values: list[float], target: float, tolerance: float, percent: bool) -> bool:
    """`target` is a sum, difference, product or ratio of two `values`, or with `percent` (the answer
    writes it as a percentage) a share or a change in percent."""
    for a, b in combinations(values, 2):
        candidates = [a + b, a - b, a * b, a * b / 100]
        if b:
            candidates += [a / b] + ([a / b * 100, (a - b) / b * 100] if percent else [])
        if a:
            candidates += [b / a] + ([b / a * 100, (b - a) / a * 100] if percent else [])
        if any(abs(abs(c) - target) <= tolerance for c in candidates):
            return True
    return len(values) > 2 and abs(sum(values) - target) <= tolerance


def _scaled(answer: str) -> dict[str, tuple[float, float]]:
    """Numbers written with a scale word: their token -> (value, tolerance)."""
    out = {}
    for m in _SCALED.finditer(answer):
        token = canonical_number(m.group(1))
        value = _value(token)
        if value is not None:
            scale = _SCALES.get(m.group(2).casefold(), 1.0)
            out[token] = (value * scale, 0.5 * 10 ** -len(token.partition(".")[2]) * scale)
    return out


_CJK_MONTH = regex.compile(r"(\d{1,2})\s*月")


def _page_months(context: PairContext) -> set[int]:
    found = {_MONTHS[w] for w in context.source_words if w in _MONTHS}
    found |= {int(m.group(1)) for m in _CJK_MONTH.finditer(context.source_text or "")}
    for m in _NUMERIC_DATE.finditer(context.source_text or ""):
        for part in (m.group(2), m.group(1), m.group(3)):
            if 1 <= int(part) <= 12:
                found.add(int(part))
    return found


def _compact(text: str) -> str:
    return regex.sub(r"[\W_]+", "", fold(text))


@lru_cache(maxsize=64)
def _compact_page(source: str) -> str:
    return _compact(source)


@lru_cache(maxsize=64)
def _initials(source: str) -> str:
    """First letters of the page's words but stopwords, in order: acronyms of its names are substrings."""
    return "".join(w[0] for w in words(source) if w not in STOPWORDS or len(w) > 3)


def unsupported_numbers(question: str, answer: str, context: PairContext) -> list[str]:
    asked = set(numbers(question))
    page_words = {NUMBER_WORDS.get(w, w) for w in context.source_words}
    counting = bool(_COUNT_QUESTION.search(question))
    scaled = _scaled(answer)
    # Operands are the numbers the answer and the question state: an answer that computes says from what
    # ("from 5.9% to 5.0%, a drop of 0.9 points"); any page's numbers combine into almost any figure.
    checked = [v for v in map(_value, asked) if v is not None]
    missing = []
    text = unicodedata.normalize("NFKC", answer)
    pending: list[tuple[str, float, float, float, bool]] = []
    for token, start in number_spans(text, spaced=True):
        value = _value(token)
        if token in context.source_numbers or token in asked or token in page_words:
            if value is not None:
                checked.append(value)
            continue
        if counting and value is not None and value.is_integer() and value <= SMALL_COUNT:
            continue
        if len(token) >= 6 and _compact(token) in _compact_page(context.source_text or ""):
            continue  # a long digit run the page spaces out (an IBAN, a phone number)
        if value is None:
            missing.append(token)
            continue
        target, tolerance = scaled.get(token, (value, 0.5 * 10 ** -len(token.partition(".")[2]) + 1e-9))
        if _APPROX.search(text[:start]):
            tolerance = max(tolerance, APPROX_SHARE * target)
        percent = bool(_PERCENT.match(_NUMBER_HEAD.sub("", text[start:], count=1)))
        pending.append((token, value, target, tolerance, percent))
    for token, value, target, tolerance, percent in pending:  # the answer's later figures may be operands
        if _one_step(checked, target, tolerance, percent):
            checked.append(value)
        else:
            missing.append(token)
    times = [t for t in _TIME.findall(text) if _compact(t) not in _compact_page(context.source_text or "")]
    return missing + [t for t in times if _compact(t) not in _compact(question)]


def unsupported_names(question: str, answer: str, context: PairContext) -> list[str]:
    asked = set(words(question))
    page = context.source_text or ""
    missing = []
    capitals_are_names = language(answer) in _NAME_CAPITALS and context.in_page_language(answer) \
        and context.source_language in _NAME_CAPITALS | {None}
    names = [m.group() for m in _NAME.finditer(answer)] if capitals_are_names else []
    if context.in_page_language(answer):  # a translation makes its own acronyms ("PE" for 体育)
        names += [m.group() for m in _ACRONYM.finditer(answer)]
    for name in names:
        folded = fold(name).strip("'’")
        if folded.endswith(("'s", "’s")):
            folded = folded[:-2]
        if folded in STOPWORDS or folded in _MONTHS or folded in asked or folded in context.source_words:
            continue
        if folded.rstrip("s") in context.source_words or _compact(folded) in _compact_page(page):
            continue
        if name.isupper() and len(name) >= 2 and fold(name).rstrip("s") in _initials(page):
            continue
        missing.append(name)
    for code in (m.group() for m in _CODE.finditer(answer)):
        if _compact(code) not in _compact_page(page) and _compact(code) not in _compact(question):
            missing.append(code)
    return missing


def unsupported_months(question: str, answer: str, context: PairContext) -> list[str]:
    asked = set(words(question))
    missing, page_months = [], None
    for word in words(answer):
        month = _MONTHS.get(word)
        if month is not None and word not in context.source_words and word not in asked:
            page_months = _page_months(context) if page_months is None else page_months
            if not {month - 1, month, month + 1, (month % 12) + 1, ((month - 2) % 12) + 1} & page_months:
                missing.append(word)
    return missing


def missing_values(question: str, answer: str, context: PairContext) -> list[str]:
    """The answer's numbers, months, names and codes that neither the page nor the question supports."""
    answer = strip_leading_marker(answer)
    return (unsupported_numbers(question, answer, context) + unsupported_months(question, answer, context)
            + unsupported_names(question, answer, context))


class AnswerValuesFilter:
    name = "answer_values"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return ", ".join(missing_values(question, answer, context)) or None

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if context.source_text is None:  # nothing to check against
            return True, None
        if missing_values(question, answer, context):
            return False, "value_not_on_page"
        return True, None
