"""Drop a pair whose answer is in another language than its question (`language_mismatch`).

Models drift into the document's language, or into English, mid-pair: "Quel est le budget ?" /
"The operating budget was 412,000 euros." Only text long enough to tell is judged: a bare value, a
name or a code has no language. Scripts are compared first (a Chinese question, a Latin-script
answer); within one script the identifier must be sure of both sides.
"""

from __future__ import annotations

from docmatix.filters.base import PairContext
from docmatix.filters.text import strip_leading_marker
from docmatix.filters.text_language import language, neutral_stripped, script


def languages_differ(question: str, answer: str) -> bool:
    question, answer = strip_leading_marker(question), strip_leading_marker(answer)
    q_script, a_script = script(neutral_stripped(question)), script(neutral_stripped(answer))
    if q_script and a_script and q_script != a_script:
        return True
    q_lang, a_lang = language(question), language(answer)
    return bool(q_lang and a_lang and q_lang != a_lang and "cjk" not in (q_lang, a_lang))


class LanguageMismatchFilter:
    name = "language_mismatch"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return f"question {language(question) or '?'}, answer {language(answer) or '?'}"

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if languages_differ(question, answer):
            return False, "language_mismatch"
        return True, None
