"""Drop "questions" that are not questions: statements, headings, or several questions run together.

A question ends with "?" (or "？") or opens with an interrogative or an instruction ("List the ...",
"Summarise ...", "Briefly explain ...", "Based on the table, compute ..."): instructions are questions
for a VLM, and how the prompts' summary questions are often phrased. Without either, a heading of a
few words or a statement (a copula among its first words: "The total is 110 EUR.") is not a question;
anything else is taken as an instruction, in any language.
"""

from __future__ import annotations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import strip_leading_marker

_OPENER_TEXT = (
    "what which who whom whose when where why how is are was were am do does did can could should "
    "would will shall may might must has have had list name describe explain summarise summarize give "
    "identify compare state outline provide find tell calculate define please briefly using based "
    "according from for in on by with to between under at if considering given assuming looking referring "
    "translate compute determine estimate rank classify count show specify indicate mention note select "
    "choose match convert interpret analyse analyze evaluate assess discuss justify suggest predict infer "
    "propose sort order extract quote cite recommend contrast distinguish illustrate elaborate clarify "
    "highlight detail break walk paraphrase rephrase restate sum tally enumerate report look read write "
    "complete fill check verify confirm"
)
_OPENER = regex.compile(r"^\W*(?:" + "|".join(_OPENER_TEXT.split()) + r")\b", regex.I)
# "In which year ...", "According to the table, what ...": an interrogative within the first clause.
_LATE_INTERROGATIVE = regex.compile(r"^[^.!?]{0,60}\b(?:what|which|who|whom|whose|when|where|why|how)\b.*\?",
                                    regex.I | regex.S)


_HEADING_WORDS = 3
# A copula after the first words: the text states something instead of asking.
_STATEMENT = regex.compile(r"^\W*\w+(?:\s+\w+){0,4}\s+(?:is|are|was|were|est|sont|était|ist|sind|war|es|son|fue)\s",
                           regex.I)


def question_form_problem(text: str) -> str | None:
    """None for a well-formed question, else the reason name."""
    text = strip_leading_marker(text).strip().strip("\"'“”*")
    if text.count("?") + text.count("？") > 1:
        return "multiple_questions"  # the answer cannot fit both, or it answers only one
    if text.endswith(("?", "？")) or _OPENER.match(text) or _LATE_INTERROGATIVE.match(text):
        return None
    if len(text.split()) <= _HEADING_WORDS and text.isascii():
        return "not_a_question"  # a heading ("Invoice details"); CJK has no spaces to count
    if _STATEMENT.search(text):
        return "not_a_question"  # a statement ("The total is 110 EUR.")
    return None  # an instruction in words we do not list, in English or another language


class QuestionFormFilter:
    name = "not_a_question"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        reason = question_form_problem(question)
        return (reason is None), reason
