"""Text helpers shared by the filters: question normalisation, content words and numbers."""

from __future__ import annotations

import regex

# A leading "Q1: " / "A1: " marker, as an LLM writes it (any case, any spacing).
_LEADING_MARKER = regex.compile(r"^\s*[QA]\d+\s*:\s*", regex.I)
_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’]*")
# Digits with optional separators: 1,000  3.5  2021  12:30 (the colon splits it into two numbers).
_NUMBER = regex.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = regex.compile(r"^\d{1,3}(?:,\d{3})+$")

# Words that carry no content of their own: an answer is not "grounded" because it says "the" or
# "because". Function words, plus the discourse words answers use to frame a fact or an inference.
_STOPWORD_TEXT = """
    a about above after again against all also although am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don down
    during each either else etc few for from further had has have having he her here hers herself him
    himself his how however i if in into is isn it its itself just let like may me might more most must
    my myself neither no nor not now of off on once one only or other ought our ours ourselves out over
    own per rather same shall she should so some such than that the their theirs them themselves then
    there therefore these they this those though through thus to too under until up upon us very via
    was wasn we were weren what when where whether which while who whom whose why will with within
    without would yes yet you your yours yourself yourselves
    answer answers question questions document documents text page pages section sections mentioned
    mentions mention states stated state says said according based indicates indicated shows shown show
    provided provides provide given gives give described describes describe refers refer referred
    listed lists include includes including included example instance likely suggests suggest implies
    imply means mean meaning specifically particular part parts information detail details used uses
    use using make makes made called named known
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def strip_leading_marker(text: str) -> str:
    return _LEADING_MARKER.sub("", text, count=1)


def normalise_question(question: str) -> str:
    """Case, punctuation and spacing folded away, so "What is X?" and "what is x" compare equal."""
    return _NON_WORD.sub(" ", strip_leading_marker(question).casefold()).strip()


def canonical_number(token: str) -> str:
    """One spelling per number: "1,000" -> "1000", "3,5" -> "3.5", "05" -> "5", "2.50" -> "2.5"."""
    token = token.replace(",", "") if _THOUSANDS.match(token) else token.replace(",", ".")
    if token.count(".") > 1:  # 1.2.3 (a version, a dotted date): keep as written
        return token
    whole, _, frac = token.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def numbers(text: str) -> list[str]:
    return [canonical_number(m.group()) for m in _NUMBER.finditer(text)]


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def content_words(text: str, min_chars: int = 3) -> list[str]:
    """The words of `text` that say something: not stopwords, at least `min_chars` letters."""
    return [w for w in words(text) if len(w) >= min_chars and w not in STOPWORDS]
