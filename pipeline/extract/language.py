"""Document language, from the project's one language identifier (filters/text_language.py).

Detected once per extracted document on its page text; `--languages en,fr` rejects the others with
the document reason `language`. The rejection's error text starts with the detected code so that
`docmatix stats` can count the rejected documents' languages too (`rejected_language`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from docmatix.filters.text_language import identify
from docmatix.schemas.records import ExtractedDocument, RejectedDocument
from docmatix.schemas.reject_reasons import LANGUAGE

LANGUAGE_REASON = LANGUAGE  # one name in the reasons registry (schemas/reject_reasons.py)
SAMPLE_CHARS = 20_000  # enough text for a confident guess; keeps long documents cheap
UNKNOWN = "und"  # ISO 639 "undetermined": a document without letters


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or UNKNOWN
    probability: float


def detect_language(text: str) -> LanguageGuess:
    sample = text[:SAMPLE_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return LanguageGuess(UNKNOWN, 0.0)
    code, prob = identify(sample)
    return LanguageGuess(code, prob)


def parse_languages(text: str) -> list[str]:
    """`--languages en,fr` -> ['en', 'fr'] (lower-cased, blanks dropped)."""
    return [c.strip().lower() for c in text.split(",") if c.strip()]


def tag_language(doc: ExtractedDocument, allowed: list[str] | tuple[str, ...]
                 ) -> ExtractedDocument | RejectedDocument:
    """The document with its language set; rejected (`language`) when `allowed` is set and lacks it."""
    guess = detect_language("\n".join(p.text for p in doc.pages))
    if allowed and guess.code not in allowed:
        return RejectedDocument(doc.key, doc.unit_id, doc.origin, LANGUAGE_REASON, LANGUAGE_REASON,
                                f"{guess.code} (p={guess.probability:.2f}); kept languages: {','.join(allowed)}")
    return replace(doc, language=guess.code, language_probability=guess.probability)


def rejected_language(error: str) -> str:
    """The detected code at the start of a `language` rejection's error text (see `tag_language`)."""
    return error.split(" ", 1)[0] if error else UNKNOWN
