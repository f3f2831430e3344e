"""The Docmatix reference rules: drop a pair when its question or answer matches any of nine patterns.

Case-insensitive; a leading "Q1: "/"A1: " is stripped first. Kept verbatim (including their known false
positives such as "3.5" or "e.g." matching `word.word`) so the `docmatix` preset reproduces the
reference verdicts exactly.
"""

from __future__ import annotations

import regex

from filters.base import PairContext, strip_leading_marker

REFERENCE_PATTERNS: dict[str, str] = {
    "curly_braces": r"\{.*?\}",
    "square_brackets": r"\[.*?\]",
    "angle_brackets": r"<.*?>",
    "ip_address": r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
    "word_dot_word": r"\w+\.\w+",
    "blank_line": r"\n\s*\n",
    "unanswerable": r"unanswerable",
    "stray_question_marker": r"Q\d+: ",
    "stray_answer_marker": r"A\d+: ",
}

_COMPILED = {name: regex.compile(p, regex.I | regex.S) for name, p in REFERENCE_PATTERNS.items()}


class ReferencePatternFilter:
    name = "reference_patterns"

    def __init__(self, patterns: dict[str, regex.Pattern] | None = None):
        self.patterns = patterns or _COMPILED

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        for text in (strip_leading_marker(question), strip_leading_marker(answer)):
            for reason, pattern in self.patterns.items():
                if pattern.search(text):
                    return False, reason
        return True, None
