"""Drop answers cut off mid-sentence or empty of content (`truncated_answer`).

Generation stops at max_tokens or at a stop string, and the parser takes what it has: "The board
agreed to extend the contract by three months and". An answer is cut when it ends on a word that
cannot end a sentence (an article, a preposition, a conjunction), on a comma, colon or opening bracket,
with a bracket, quote or bold mark left open, or, when its last line is a long sentence, without
closing punctuation. Bare values ("EUR 804.08", "Toyota Yaris Hybrid"), list items and identifiers end
as they like. An answer of only punctuation or a marker ("...", "-", "A:") says nothing.
"""

from __future__ import annotations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import strip_leading_marker

# Words a sentence does not end on (English, French, German, Spanish): an ending on one is a cut.
_DANGLING = frozenset(["a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "from", "with", "into", "onto", "as", "than", "that", "which", "who", "whose", "whom", "because", "while", "although", "though", "if", "whether", "when", "where", "since", "unless", "until", "so", "such", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "do", "does", "did", "their", "its", "his", "her", "our", "your", "my", "this", "these", "those", "very", "more", "most", "also", "both", "either", "neither", "including", "like", "per", "via", "le", "la", "les", "un", "une", "des", "du", "de", "et", "ou", "à", "au", "aux", "en", "dans", "pour", "par", "sur", "avec", "que", "qui", "dont", "mais", "est", "sont", "der", "die", "das", "den", "dem", "des", "ein", "eine", "und", "oder", "mit", "von", "zu", "für", "auf", "im", "el", "los", "las", "y", "con", "por", "para", "del", "al"])
_LONG_SENTENCE_WORDS = 10
_CLOSING = regex.compile(r"[.!?…。！？)\]\"'”’»*`:;]$|\d$|[\p{So}\p{Sk}]$")
_OPEN_END = regex.compile(r"[,:;(\[{\-–—/&]\s*$|\.\.\.\s*$|…\s*$")
_IDENTIFIER_END = regex.compile(r"\S*[@/.:_]\S*[\w)]$")  # ends in an address, a path or a file name
_LIST_ITEM = regex.compile(r"^\s*(?:[-*•·]|\d+[.)])\s")
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")


def truncation(answer: str) -> str | None:
    """Why the answer looks cut or empty, or None."""
    text = strip_leading_marker(answer).strip()
    if not _WORD.search(text):
        return "no words"
    if regex.fullmatch(r"(?i)(?:a|answer|réponse)\s*\d*\s*:?", text):
        return "a marker only"
    if _OPEN_END.search(text):
        return "ends open"
    for opening, closing in (("(", ")"), ("[", "]"), ("“", "”"), ("«", "»")):
        if text.count(opening) > text.count(closing):
            return f"unclosed {opening}"
    if text.count("**") % 2 or text.count('"') % 2:
        return "unclosed quote or bold"
    last_line = text.splitlines()[-1].strip()
    if _LIST_ITEM.match(last_line):
        return None
    last_words = _WORD.findall(last_line)
    closed = bool(_CLOSING.search(last_line)) or _IDENTIFIER_END.search(last_line) is not None
    if len(last_words) >= 3 and not closed and last_words[-1].casefold() in _DANGLING:
        return f"ends on {last_words[-1]!r}"
    if len(last_words) >= _LONG_SENTENCE_WORDS and not closed and last_words[-1].islower():
        return "a long sentence without an end"
    return None


class TruncatedAnswerFilter:
    name = "truncated"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return truncation(answer)

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if truncation(answer) is not None:
            return False, "truncated_answer"
        return True, None
