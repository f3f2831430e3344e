"""Drop "questions" that are not questions: statements, headings, or several questions run together.

A question ends with "?" or opens with an interrogative or an instruction ("List the ...",
"Summarise ..."), which is how the prompts' summary questions are often phrased.
"""

from __future__ import annotations

import regex

from filters.base import PairContext
from filters.text import strip_leading_marker

_OPENER_TEXT = (
    "what which who whom whose when where why how is are was were am do does did can could should "
    "would will shall may might must has have had list name describe explain summarise summarize give "
    "identify compare state outline provide find tell calculate define"
)
_OPENER = regex.compile(r"^\W*(?:" + "|".join(_OPENER_TEXT.split()) + r")\b", regex.I)
# "In which year ...", "According to the table, what ...": an interrogative within the first clause.
_LATE_INTERROGATIVE = regex.compile(r"^[^.!?]{0,60}\b(?:what|which|who|whom|whose|when|where|why|how)\b.*\?",
                                    regex.I | regex.S)


def question_form_problem(text: str) -> str | None:
    """None for a well-formed question, else the reason name."""
    text = strip_leading_marker(text).strip().strip("\"'“”*")
    if text.count("?") > 1:
        return "multiple_questions"  # the answer cannot fit both, or it answers only one
    if text.endswith("?") or _OPENER.match(text) or _LATE_INTERROGATIVE.match(text):
        return None
    return "not_a_question"


class QuestionFormFilter:
    name = "not_a_question"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        reason = question_form_problem(question)
        return (reason is None), reason
