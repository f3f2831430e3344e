"""Which language a piece of text is in: py3langid's model, shipped inside its wheel (no download).

One identifier for the whole project: the extraction stage tags each document's language with it
(pipeline/extract/language.py); the filters compare a question's language with its answer's
(`language_mismatch`) and skip word-for-word checks when an answer is in another language than its page
(a translation shares no words with its source).
"""

from __future__ import annotations

from functools import lru_cache

import regex

MIN_WORDS = 4  # letters-only words a text needs before its language is judged
MIN_CJK_CHARS = 4
MIN_PROBABILITY = 0.9
_LATIN_WORD = regex.compile(r"\b[\p{Latin}][\p{Latin}'’-]+\b")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
# Spans that carry no language: code, URLs, e-mail addresses, numbers with units.
# (ASCII runs only: Chinese and Japanese have no spaces, and a digit must not take a whole sentence along.)
_NEUTRAL = regex.compile(r"`[^`]*`|\bhttps?://\S+|\S+@\S+|[\x21-\x7e]*[\d_/\\.][\x21-\x7e]*")
SAMPLE_CHARS = 5_000


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of `text`."""
    code, prob = _identifier().classify(text)
    return str(code), float(prob)


def script(text: str) -> str | None:
    """"cjk", "latin", or None when the text has too little of either to tell."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk >= MIN_CJK_CHARS and cjk >= latin:
        return "cjk"
    if latin >= MIN_WORDS and cjk < MIN_CJK_CHARS:
        return "latin"
    return None


@lru_cache(maxsize=4096)
def language(text: str) -> str | None:
    """The language of `text` when it has enough words and the identifier is sure; "cjk" for Chinese,
    Japanese or Korean text it is unsure of; None when it cannot tell."""
    text = _NEUTRAL.sub(" ", text[:SAMPLE_CHARS])
    kind = script(text)
    if kind is None:
        return None
    code, prob = identify(text)
    if prob >= MIN_PROBABILITY:
        return code
    return "cjk" if kind == "cjk" else None


def neutral_stripped(text: str) -> str:
    return _NEUTRAL.sub(" ", text)
