"""The Docmatix reference rules: drop a pair when its question or answer matches any of nine patterns.

Reproduces `is_valid_question_or_answer` and its caller in huggingface/docmatix
(clean_and_create/load_data.py) exactly, quirks included, so the `docmatix` preset gives the reference
verdicts:
- the question loses a leading "Q<n>: " and the answer a leading "A<n>: " first: case-sensitive, at
  the very start (no leading space), exactly one space after the colon, once;
- each pattern is searched with re.IGNORECASE only: `.` does not cross a newline, so "{\\n}" passes;
- known false positives are kept: "3.5", "e.g." and any URL match `word.word`, "x < 5 and y > 3"
  matches `<...>`, a citation "[1]" matches `[...]`.
The reason is the first pattern that matches, in this order, in the question and then in the answer.
"""

from __future__ import annotations

import re

from docmatix.filters.base import PairContext

REFERENCE_PATTERNS: dict[str, str] = {
    "curly_braces": r"\{.*?\}",
    "square_brackets": r"\[.*?\]",
    "angle_brackets": r"<.*?>",
    "ip_address": r"\b\d{1,3}(\.\d{1,3}){3}\b",
    "word_dot_word": r"\w+\.\w+",
    "blank_line": r"\n\s*\n",
    "unanswerable": r"unanswerable",
    "stray_question_marker": r"Q\d+: ",
    "stray_answer_marker": r"A\d+: ",
}

# Stdlib `re`, as the reference used: same Unicode \w and \b semantics.
_COMPILED = {name: re.compile(p, re.IGNORECASE) for name, p in REFERENCE_PATTERNS.items()}
_LEADING_Q = re.compile(r"^Q\d+: ")
_LEADING_A = re.compile(r"^A\d+: ")


def reference_reason(text: str) -> str | None:
    """The first reference pattern `text` matches, or None when the reference calls it valid."""
    for reason, pattern in _COMPILED.items():
        if pattern.search(text):
            return reason
    return None


class ReferencePatternFilter:
    name = "reference_patterns"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        reason = reference_reason(_LEADING_Q.sub("", question)) or reference_reason(_LEADING_A.sub("", answer))
        return (reason is None), reason
