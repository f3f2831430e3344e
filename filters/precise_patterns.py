"""The reference rules made precise: the same nine concerns, without their false positives.

Like the reference, a pair is dropped when its question or answer matches, and the reason is the
first pattern that matches. What changes, and why:
- `word.word` (meant to catch code) also hit decimals ("3.5"), abbreviations ("e.g.", "U.S."),
  URLs, e-mail addresses and file names, all normal in answers about documents. It is replaced by
  `code_like`: dotted calls (`os.path.join(`), `self.`/`this.`, snake_case or camelCase attributes,
  `==`/`!=`/`&&`/`||`, code keywords (`def f(`, `import x`, `const x =`), code fences. URLs and
  e-mail addresses are masked before the check.
- `[...]` keeps numeric citations ("[1]", "[2, 5]", "[3-7]") and "[sic]"; it still drops placeholders
  ("[Company Name]"), markdown links and index expressions.
- `<...>` drops markup tags and placeholders ("<b>", "</p>", "<question>") but not comparisons
  ("x < 5 and y > 3").
- `{...}` must close on the same line (a placeholder or JSON), as in the reference.
- "unanswerable" widens to the other ways a model says the document does not answer the question.
- stray `Q<n>:`/`A<n>:` markers must start a line or a sentence and be upper case, so "form A4: ..."
  inside a sentence is not a marker; a leading marker is stripped first, in any case or spacing.
The IP-address and blank-line patterns are kept as they were.
"""

from __future__ import annotations

import regex

from filters.base import PairContext
from filters.text import strip_leading_marker

_CODE = "|".join([
    r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\s*\(",  # dotted call: os.path.join(
    r"\b(?:self|this)\.[A-Za-z_]",
    r"\b[A-Za-z_]\w*\.(?:[a-z][a-z0-9]*_\w*|[a-z][a-z0-9]*[A-Z]\w*)\b",  # obj.max_value, document.getElementById
    r"\b[A-Za-z_]\w*\(\s*\)",  # main()
    r"==|!=|&&|\|\|",
    r"\bdef\s+\w+\s*\(|\bfunction\s*\w*\s*\(|\b(?:var|let|const)\s+\w+\s*=|#include\s*<|\bprint\s*\(",
    r"^\s*(?:import\s+[\w.]+\s*$|from\s+[\w.]+\s+import\s)",
    r"```",
])
_URL_OR_EMAIL = regex.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+", regex.I)

PRECISE_PATTERNS: dict[str, regex.Pattern] = {
    "curly_braces": regex.compile(r"\{[^{}\n]*\}"),
    "square_brackets": regex.compile(r"\[(?!\s*(?:\d+(?:\s*[-–,]\s*\d+)*|sic)\s*\])[^\[\]\n]*\]", regex.I),
    "angle_brackets": regex.compile(r"</?[A-Za-z][\w:-]*(?:\s+[^<>\n]*)?/?>"),
    "ip_address": regex.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    "code_like": regex.compile(_CODE, regex.M),
    "blank_line": regex.compile(r"\n\s*\n"),
    "unanswerable": regex.compile(
        r"unanswerable|\bcan(?:not|'t| not) be (?:answered|determined)"
        r"|\bnot (?:mentioned|specified|provided|stated|given|included|available) in the "
        r"(?:document|text|passage|context)"
        r"|\b(?:document|text|passage|context) (?:does not|doesn't) (?:mention|specify|provide|state|say|contain)"
        r"|\bno information (?:is )?(?:given|provided|available)|\bas an ai\b",
        regex.I,
    ),
    "stray_question_marker": regex.compile(r"(?:^\s*|[.!?]\s+)Q\d+\s*:", regex.M),
    "stray_answer_marker": regex.compile(r"(?:^\s*|[.!?]\s+)A\d+\s*:", regex.M),
}


def precise_reason(text: str) -> str | None:
    for reason, pattern in PRECISE_PATTERNS.items():
        subject = _URL_OR_EMAIL.sub(" ", text) if reason == "code_like" else text
        if pattern.search(subject):
            return reason
    return None


class PrecisePatternFilter:
    name = "precise_patterns"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        reason = precise_reason(strip_leading_marker(question)) or precise_reason(strip_leading_marker(answer))
        return (reason is None), reason
