"""Drop questions about the page rather than its content (`about_page_form`): how many pages it has,
its fonts, colours, bold or italic type, header and footer, page numbers, margins, columns, layout, logo.

A pair is written from the page's text, which has none of these, so the answer is a guess ("The
document uses a standard serif font."). When the page's text itself talks about the thing asked (a
LaTeX manual on fonts, a style guide on margins), the question is about content and stays.
"""

from __future__ import annotations

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import fold

# Each pattern names a property of the page's form; any of its cues found in the page's text makes the
# question one about content.
_FORM_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    (r"\bhow many (?:pages|sheets)\b|\bnumber of pages\b|\bpage count\b|\bhow long is the (?:document|text)\b",
     ("how many pages", "number of pages")),
    (r"\b(?:which|what|on which) page\b|\bpage numbers?\b|\bpaginat", ("page number",)),
    (r"\b(?:font|fonts|typeface|typefaces|font size|point size|typography)\b", ("font", "typeface")),
    (r"\b(?:colou?r|colou?rs|colou?red)\b", ("colour", "color")),
    (r"\b(?:bold|bolded|italic|italics|italicized|underlined|highlighted|capitali[sz]ed|all caps)\b",
     ("bold", "italic", "underline")),
    (r"\b(?:footer|footers|header|headers|running head|letterhead)\b(?! row)(?! of the table)",
     ("footer", "header")),
    (r"\bmargins?\b", ("margin",)),
    (r"\b(?:layout|laid out|formatted|formatting|format of the (?:document|page)|visual(?:ly)? (?:design|"
     r"structure|appearance)|look like|appearance of)\b", ("layout", "format")),
    (r"\b(?:how many|number of) columns (?:does|is|are)\b.*\b(?:page|document)\b|\b(?:two|single|one)-column\b",
     ("column",)),
    (r"\b(?:logo|logos|watermark|stamp|signature image|photograph|picture|illustration)s?\b",
     ("logo", "watermark", "stamp", "photo", "picture", "illustration")),
    # French, German, Spanish, Chinese, Japanese.
    (r"\bcombien de pages\b|\bpolice (?:de caractères|utilisée)\b|\bcouleurs?\b|\bpied de page\b|\ben-tête\b|"
     r"\bmise en page\b|\bnuméro de (?:la )?page\b|\bgras\b|\bitalique\b", ("combien de pages", "police", "couleur", "pied de page", "en-tête", "mise en page", "gras", "italique")),
    (r"\bwie viele seiten\b|\bschriftart\b|\bfarbe\b|\bkopfzeile\b|\bfußzeile\b|\bseitenzahl\b",
     ("wie viele seiten", "schrift", "farbe", "kopfzeile", "fußzeile")),
    (r"\bcuántas páginas\b|\btipo de letra\b|\bfuente\b|\bcolor(?:es)?\b|\bpie de página\b|\bencabezado\b",
     ("cuántas páginas", "letra", "fuente", "color", "encabezado")),
    (r"几页|多少页|页码|字体|颜色|页眉|页脚|排版|版式|加粗|斜体|ページ数|フォント|色は|ヘッダー|フッター|レイアウト",
     ("页码", "字体", "颜色", "页眉", "页脚", "フォント", "レイアウト")),
]
_COMPILED = [(regex.compile(p, regex.I), cues) for p, cues in _FORM_PATTERNS]


def form_property(question: str, context: PairContext) -> str | None:
    """The form property the question asks about, unless the page's text speaks of it; else None."""
    text = fold(question)
    for pattern, cues in _COMPILED:
        match = pattern.search(text)
        if match is None:
            continue
        if context.source_text is not None and _page_speaks_of(cues, context):
            continue
        return match.group()
    return None


def _page_speaks_of(cues: tuple[str, ...], context: PairContext) -> bool:
    source = fold(context.source_text or "")
    return any(cue in source for cue in cues)


class PageFormFilter:
    name = "page_form"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return form_property(question, context)

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if form_property(question, context) is not None:
            return False, "about_page_form"
        return True, None
