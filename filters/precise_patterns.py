"""The reference rules made precise: the same nine concerns, without their false positives.

Like the reference, a pair is dropped when its question or answer matches, and the reason is the
first pattern that matches. What changes, and why:
- `word.word` (meant to catch code) also hit decimals ("3.5"), abbreviations ("e.g.", "U.S."),
  URLs, e-mail addresses and file names, all normal in answers about documents. It is replaced by
  `code_like`: dotted calls (`os.path.join(`), `self.`/`this.`, snake_case or camelCase attributes,
  `==`/`!=`/`&&`/`||`, code keywords (`def f(`, `import x`, `const x =`), code fences. URLs and
  e-mail addresses are masked before the check.
- `[...]` drops brackets around words: placeholders ("[Company Name]", "[insert date]"), markdown
  links, string keys (`data["key"]`), and empty ones. It keeps numeric citations ("[1]", "[2, 5]",
  "[3-7]"), author-year citations ("[Smith 2020]"), "[sic]", and maths: intervals and classes such
  as "[a, b]", "[-ε, ε]", "[γ]" (no run of three ASCII letters inside).
- `<...>` drops markup tags and placeholders ("<b>", "</p>", "<question>") but not comparisons
  ("x < 5 and y > 3").
- `{...}` drops what code and templates put in braces: empty braces, "{name}" placeholders (one
  identifier of two or more characters, no spaces), "{{", JSON members and statements (`"k": v`,
  `;`). Set notation from maths papers ("{ 0, 1 }", "{ x ∈ X | f(x) = 0 }") is kept.
- `==`/`!=` count as code only on their own: "=====⇒" is a long arrow in typeset maths.
- "unanswerable" widens to the other ways a model says the document does not answer the question
  ("not specified", "not mentioned in the text", "cannot be determined", ...).
- stray `Q<n>:`/`A<n>:` markers must start a line or a sentence and be upper case, so "form A4: ..."
  inside a sentence is not a marker; a leading marker is stripped first, in any case or spacing.
The IP-address and blank-line patterns are kept as they were.
"""

from __future__ import annotations

import regex

from filters.base import PairContext
from filters.text import strip_leading_marker

# Signs of code, each with the substrings it needs: the cheap `in` test skips most regex searches.
_CODE_SIGNS: list[tuple[tuple[str, ...], regex.Pattern]] = [(guards, regex.compile(p, regex.M)) for guards, p in [
    (("(",), r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\s*\("),  # dotted call: os.path.join(
    (("self.", "this."), r"\b(?:self|this)\.[A-Za-z_]"),
    ((".",), r"\b[A-Za-z_]\w*\.(?:[a-z][a-z0-9]*_\w*|[a-z][a-z0-9]*[A-Z]\w*)\b"),  # obj.max_value, a.getById
    (("(",), r"\b[A-Za-z_]\w*\(\s*\)"),  # main()
    (("==", "!=", "&&", "||"), r"(?<![=!<>])(?:==|!=)(?![=>⇒])|&&|\|\|"),
    (("def", "function", "var", "let", "const", "#include", "print"),
     r"\bdef\s+\w+\s*\(|\bfunction\s*\w*\s*\(|\b(?:var|let|const)\s+\w+\s*=|#include\s*<|\bprint\s*\("),
    (("import",), r"^[ \t]*(?:import\s+[\w.]+[ \t]*$|from\s+[\w.]+\s+import\s)"),
    (("```",), r"```"),
]]
_URL_OR_EMAIL = regex.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+", regex.I)

# In the reference's order, `code_like` in the place of `word_dot_word`.
PRECISE_PATTERNS: dict[str, regex.Pattern | None] = {
    "curly_braces": regex.compile(
        r"\{\s*\}|\{\{|\{[A-Za-z_][A-Za-z0-9_]+\}|\{[^{}\n]*(?:\"[^\"\n]*\"\s*:|;)[^{}\n]*\}"),
    "square_brackets": regex.compile(
        r"\[\s*\]|\[(?!\s*(?:sic|[A-Z][\w-]+(?: et al\.?)?,? \d{4}[a-z]?)\s*\])[^\[\]\n]*[A-Za-z]{3}[^\[\]\n]*\]"),
    "angle_brackets": regex.compile(r"</?[A-Za-z][\w:-]*(?:\s+[^<>\n]*)?/?>"),
    "ip_address": regex.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    "code_like": None,  # looks_like_code
    "blank_line": regex.compile(r"\n\s*\n"),
    "unanswerable": regex.compile(
        r"unanswerable|\bcan(?:not|'t| not) be (?:answered|determined)|\bnot (?:mentioned|specified|stated)\b"
        r"|\bnot (?:mentioned|specified|provided|stated|given|included|available) in the "
        r"(?:document|text|passage|context)"
        r"|\b(?:document|text|passage|context) (?:does not|doesn't) (?:mention|specify|provide|state|say|contain)"
        r"|\bno information (?:is )?(?:given|provided|available)|\bas an ai\b",
        regex.I,
    ),
    "stray_question_marker": regex.compile(r"(?:^\s*|[.!?]\s+)Q\d+\s*:", regex.M),
    "stray_answer_marker": regex.compile(r"(?:^\s*|[.!?]\s+)A\d+\s*:", regex.M),
}


def looks_like_code(text: str) -> bool:
    text = _URL_OR_EMAIL.sub(" ", text)
    return any(any(g in text for g in guards) and pattern.search(text) for guards, pattern in _CODE_SIGNS)


def precise_reason(text: str) -> str | None:
    for reason, pattern in PRECISE_PATTERNS.items():
        if looks_like_code(text) if pattern is None else pattern.search(text):
            return reason
    return None


class PrecisePatternFilter:
    name = "precise_patterns"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        reason = precise_reason(strip_leading_marker(question)) or precise_reason(strip_leading_marker(answer))
        return (reason is None), reason
