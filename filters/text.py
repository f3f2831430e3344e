"""Text helpers shared by the filters: normalisation, content words, stems, numbers and scripts.

Page text comes from PDF text layers: ligatures ("ﬁ", "ﬃ"), compatibility forms and accents differ
between a page and an answer that quotes it, so every comparison goes through `fold` first. Chinese and
Japanese have no spaces: their runs are compared as character bigrams.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

# A leading "Q1: " / "A1: " marker, as an LLM writes it (any case, any spacing).
_LEADING_MARKER = regex.compile(r"^\s*[QA]\d+\s*:\s*", regex.I)
_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_CJK_RUN = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ー]+")
_WORD = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ー]+|\p{L}[\p{L}\p{M}'’]*")
# Digits with optional separators: 1,000  3.5  2021  12:30 (the colon splits it into two numbers).
# Digits glued to Latin letters are part of a name or code ("x1", "A4", "KX19"), not a number of their own.
_NUMBER = regex.compile(r"(?<![A-Za-z_\d.,])\d+(?:[.,]\d+)*(?![A-Za-z_\d])")
# On a page, text layers glue figures to words ("8.11auto-multiple-choice", "Table3"): looking a number
# up there, every digit run counts.
_ANY_NUMBER = regex.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")
# Digit groups split by spaces may be one number ("48 250", French style) or two table cells ("684 671"):
# both readings are kept.
_SPACED_NUMBER = regex.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?![\d.,]?\d)")
_NUMBER_SPACE = regex.compile(r"[ \u00a0\u202f]")
_THOUSANDS = regex.compile(r"^\d{1,3}(?:,\d{3})+$")
_LATIN_MARKS = regex.compile(r"(?<=[A-Za-z])\p{Mn}+")

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
    le la les un une des du de et ou est sont dans pour par sur avec au aux ce cette ces qui que quoi
    quel quelle quels quelles il elle ils elles en ne pas plus se sa son ses leur leurs été être a
    der die das den dem des ein eine einer eines und oder ist sind im in zu mit von auf für nicht
    el los las unos unas y o es son en por para con del al se su sus
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Number words an answer may use for a figure the page writes in digits, or the other way round.
NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}


def fold(text: str) -> str:
    """Compatibility forms and ligatures unfolded (NFKC), accents of Latin letters dropped, case folded.
    Accents go only on Latin letters: Japanese voicing marks are letters' identity, not decoration."""
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    return text.casefold()


def strip_leading_marker(text: str) -> str:
    return _LEADING_MARKER.sub("", text, count=1)


def normalise_question(question: str) -> str:
    """Case, punctuation and spacing folded away, so "What is X?" and "what is x" compare equal."""
    return _NON_WORD.sub(" ", fold(strip_leading_marker(question))).strip()


def canonical_number(token: str) -> str:
    """One spelling per number: "1,000" -> "1000", "3,5" -> "3.5", "05" -> "5", "2.50" -> "2.5",
    "48 250" -> "48250"."""
    token = _NUMBER_SPACE.sub("", token)
    token = token.replace(",", "") if _THOUSANDS.match(token) else token.replace(",", ".")
    if token.count(".") > 1:  # 1.2.3 (a version, a dotted date): keep as written
        return token
    whole, _, frac = token.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def numbers(text: str, glued: bool = False) -> list[str]:
    """The numbers of `text`, canonical; with `glued`, digit runs glued to letters too (page text)."""
    text = unicodedata.normalize("NFKC", text)
    found = [canonical_number(m.group()) for m in (_ANY_NUMBER if glued else _NUMBER).finditer(text)]
    return found + [canonical_number(m.group()) for m in _SPACED_NUMBER.finditer(text)]


def number_spans(text: str, spaced: bool = False, glued: bool = False) -> list[tuple[str, int]]:
    """(canonical number, offset) of each number of `text` (NFKC-normalised first, as `numbers` reads it).
    With `spaced`, digit groups split by spaces are one number ("4 220"), as a sentence writes them; with
    `glued`, digit runs glued to letters count too (page text)."""
    text = unicodedata.normalize("NFKC", text)
    joined = [(m.start(), m.end()) for m in _SPACED_NUMBER.finditer(text)] if spaced else []
    spans = [(canonical_number(text[a:b]), a) for a, b in joined]
    spans += [(canonical_number(m.group()), m.start()) for m in (_ANY_NUMBER if glued else _NUMBER).finditer(text)
              if not any(a <= m.start() < b for a, b in joined)]
    return sorted(spans, key=lambda span: span[1])


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.fullmatch(token))


def words(text: str) -> list[str]:
    """Folded words; a run of Chinese or Japanese characters gives its character bigrams."""
    out = []
    for w in _WORD.findall(fold(text)):
        if is_cjk(w):
            out += [w[i:i + 2] for i in range(len(w) - 1)] or [w]
        else:
            out.append(w.strip("'’"))
    return [w for w in out if w]


_KANA_GRAMMAR = regex.compile(r"[\p{Hiragana}]")


def content_words(text: str, min_chars: int = 3) -> list[str]:
    """The words of `text` that say something: not stopwords, at least `min_chars` letters. CJK bigrams
    count but those with a hiragana character: Japanese writes particles and inflections in it."""
    return [w for w in words(text)
            if (is_cjk(w) and not _KANA_GRAMMAR.search(w)) or (len(w) >= min_chars and not is_cjk(w)
                                                                and w not in STOPWORDS)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stem that puts inflections and derivations together: "employment"/"employed" -> "emplo".
    Enough to compare the wording of two questions or an answer with its page; never shown."""
    if is_cjk(word) or len(word) <= 4:
        return word
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:5]


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}
