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

And one rule for all the structural patterns (braces, brackets, tags, IP addresses, code): a match that
the chunk itself prints is no artefact of the model. A manual's `\\begin{question}`, a network guide's
192.168.0.1 or a form's `<name>` field are answers about the page.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import strip_leading_marker

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
    # LaTeX markup: a command with an argument, a known maths command, or a $...$ formula with commands.
    (("\\",), r"\\[A-Za-z]+\s*[{\[_^]|\\(?:frac|sqrt|sum|int|alpha|beta|gamma|delta|mathbb|mathrm|textbf|"
              r"begin|end|left|right|cdot|times|leq|geq|infty|partial)\b|\$[^$\n]*\\[^$\n]*\$"),
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


# The patterns that a match printed in the chunk excuses (see the module docstring).
_PAGE_MAY_PRINT = frozenset({"curly_braces", "square_brackets", "angle_brackets", "ip_address", "code_like"})
_SPACES = regex.compile(r"\s+")


@lru_cache(maxsize=64)  # one chunk text, many pairs
def _spaced(source: str) -> str:
    return _SPACES.sub(" ", source)


def _printed(span: str, source: str | None) -> bool:
    return source is not None and _SPACES.sub(" ", span.strip()) in source


def _unprinted_match(pattern: regex.Pattern, text: str, source: str | None) -> str | None:
    """The first match of `pattern` in `text` that the chunk (`source`) does not print, or None."""
    return next((m.group() for m in pattern.finditer(text) if not _printed(m.group(), source)), None)


def code_span(text: str, source: str | None = None) -> str | None:
    """The first sign of code in `text` (URLs and e-mail addresses aside), or None."""
    text = _URL_OR_EMAIL.sub(" ", text)
    for guards, pattern in _CODE_SIGNS:
        span = _unprinted_match(pattern, text, source) if any(g in text for g in guards) else None
        if span is not None:
            return span
    return None


def looks_like_code(text: str, source: str | None = None) -> bool:
    return code_span(text, source) is not None


def precise_match(text: str, source: str | None = None) -> tuple[str, str] | None:
    """(reason, matched span) of the first precise pattern `text` matches; with the chunk text
    (`source`), structural matches that the chunk prints do not count."""
    for reason, pattern in PRECISE_PATTERNS.items():
        printed = source if reason in _PAGE_MAY_PRINT else None
        span = code_span(text, printed) if pattern is None else _unprinted_match(pattern, text, printed)
        if span is not None:
            return reason, span
    return None


def precise_reason(text: str, source: str | None = None) -> str | None:
    found = precise_match(text, source)
    return found[0] if found else None


# An answer that is markup and nothing else ("\\correctchoice{René Coty}", "<b>Zone C</b>") where the
# question asks for no command, tag or syntax: the page may print it, but the reader wanted its content.
_MARKUP_ONLY = regex.compile(r"^\s*(?:\\[A-Za-z]+\*?\s*(?:\[[^\]\n]*\])?\s*\{[^\n]*\}|<(\w+)[^>\n]*>[^<\n]*</\1>)\s*\.?\s*$")
_ASKS_FOR_SYNTAX = regex.compile(r"\b(?:command|macro|environment|syntax|code|tag|markup|option|argument|write|"
                                 r"typed?|latex|html|declar\w*|keyword|function|call)\b", regex.I)


def markup_only(question: str, answer: str) -> bool:
    return bool(_MARKUP_ONLY.match(answer)) and not _ASKS_FOR_SYNTAX.search(question)


class PrecisePatternFilter:
    name = "precise_patterns"

    def found(self, question: str, answer: str, context: PairContext) -> tuple[str, str] | None:
        """(reason, span) that drops the pair, or None."""
        source = _spaced(context.source_text) if context.source_text is not None else None
        question, answer = strip_leading_marker(question), strip_leading_marker(answer)
        if markup_only(question, answer):
            return "code_like", answer.strip()
        match = precise_match(question, source) or precise_match(answer, source)
        if match is not None and match[0] == "code_like" and _ASKS_FOR_SYNTAX.search(question):
            return None  # "Which function reads a table?" / "read.table()": code is the answer
        return match

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        match = self.found(question, answer, context)
        return match[1] if match else None

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        match = self.found(question, answer, context)
        return (match is None), (match[0] if match else None)
