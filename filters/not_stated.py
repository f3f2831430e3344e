"""Drop answers that say the page does not answer the question (`not_stated`), in the languages of the
run: "The text does not specify ...", "N/A", "Not mentioned in the document.", "Non précisé", "未提及".

Such a pair teaches a model to refuse rather than read. A correct negative about the content stays:
"No, the permit is not transferable." is a fact of the page; "The document does not say whether the
permit is transferable" is about the document. `precise_patterns`' `unanswerable` keeps the reference's
concern under its name; this filter covers the wider wording and the other languages.
"""

from __future__ import annotations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import strip_leading_marker

_DOC = r"(?:document|text|passage|context|page|article|report|manual|excerpt|source|chunk|section|table|form|invoice|letter|minutes|notice)s?"
_PATTERNS = [
    # The whole answer is a placeholder for "nothing".
    r"^\W*(?:n/?a|none|unknown|not (?:applicable|available|known|specified|stated|mentioned|given|provided|"
    r"indicated|listed|clear)|unspecified|unclear|nil|no (?:answer|data|information))\W*$",
    # English: the page (or its text) does not say.
    rf"\b(?:the |this |that )?{_DOC} (?:does not|doesn't|did not|didn't|do not|don't|fails to|makes no) "
    r"(?:explicitly |directly |clearly |specifically )?(?:say|state|specify|mention|provide|give|indicate|"
    r"include|contain|list|detail|reveal|disclose|name|identify|tell|offer|explain|define|describe|discuss|"
    r"address|cover|report|note|show|refer|clarify)",
    r"\bnot (?:explicitly |directly |clearly )?(?:mentioned|specified|stated|provided|given|indicated|"
    r"included|available|disclosed|listed|identified|described|defined|shown|reported|found|addressed) "
    rf"(?:in|on|by|within|anywhere in) (?:the |this )?{_DOC}",
    r"\b(?:there is|there's|there are) no (?:mention|information|indication|data|detail|details|reference|"
    r"record|explicit|specific)",
    r"\b(?:no|not enough|insufficient) information (?:is |was )?(?:given|provided|available|stated|included|"
    r"to (?:determine|answer|say))",
    r"\bcan(?:not|'t| not) be (?:determined|answered|inferred|found|identified|established|known|confirmed) "
    rf"(?:from|based on|with|using) (?:the |this )?(?:{_DOC}|information|given|provided)",
    r"\b(?:it is|it's) (?:not (?:clear|possible to (?:say|determine|tell))|unclear) (?:from|based on|in) ",
    r"\b(?:is|are|was|were) (?:not (?:specified|stated|mentioned|given|provided|indicated|disclosed|known)|unknown)"
    r"\W*$",
    r"\bas an ai\b|\bi (?:don't|do not|cannot|can't) (?:know|have|find|determine|access)",
    # French.
    r"\b(?:n'est|ne sont|n'a|n'ont) pas (?:été )?(?:précisée?s?|mentionnée?s?|indiquée?s?|spécifiée?s?|"
    r"communiquée?s?|fournie?s?|donnée?s?|renseignée?s?)",
    r"\bnon (?:précisée?s?|mentionnée?s?|indiquée?s?|spécifiée?s?|communiquée?s?|renseignée?s?)\b",
    r"\b(?:le|la|ce|cette|les) (?:texte|document|lettre|courrier|page|rapport|passage|tableau)s? ne "
    r"(?:précise|mentionne|indique|dit|donne|fournit|spécifie|contient|parle|fait)\b",
    r"\baucune (?:information|mention|indication|précision|donnée)\b",
    r"^\W*(?:inconnue?|sans objet|non applicable)\W*$",
    # German, Spanish, Italian, Portuguese.
    r"\bnicht (?:angegeben|erwähnt|genannt|spezifiziert|bekannt)\b|\bkeine (?:Angabe|Angaben|Information)",
    r"\bno se (?:menciona|especifica|indica|proporciona|dice|detalla)\b|\bno (?:especificad|mencionad|indicad)[oa]s?\b",
    r"\bnon (?:è|sono) (?:specificat|indicat|menzionat)[oaie]\b|\bnão (?:é|são) (?:mencionad|especificad|indicad)[oa]s?\b",
    # Chinese and Japanese.
    r"未(?:提及|提到|说明|註明|注明|指明|明确|列出|给出|规定|載)|(?:没有|沒有|并未|並未)(?:提及|提到|说明|注明|明确|给出|相关)"
    r"|不详|無法確定|无法确定|无从得知|文中(?:没有|未)|(?:記載|言及|明記)(?:されていません|がありません|なし)|不明です|わかりません",
]
NOT_STATED = regex.compile("|".join(f"(?:{p})" for p in _PATTERNS), regex.I | regex.M)


# "The minutes do not give a reason directly, but the repairs report shows ...": a hedge, then an answer.
_THEN_ANSWERS = regex.compile(r"^[^.;!?]*?(?:,|;|\.|\s)\s*(?:but|however|yet|mais|cependant|toutefois|aber|pero)\b",
                              regex.I)


def not_stated_span(answer: str) -> str | None:
    """The words that say the page does not answer, or None."""
    text = strip_leading_marker(answer).strip()
    match = NOT_STATED.search(text)
    if match is None or _THEN_ANSWERS.match(text[match.end():]):
        return None
    return match.group()


class NotStatedFilter:
    name = "not_stated"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return not_stated_span(answer)

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if not_stated_span(answer) is not None:
            return False, "not_stated"
        return True, None
