"""Page text from the sources we have: the PDF text layer, the PDFA JSON lines, and how usable each is."""

from __future__ import annotations

import unicodedata

import pymupdf

MIN_USABLE_CHARS = 16
MAX_BAD_GLYPH_SHARE = 0.3


# Image blocks are kept in the text page so one parse gives both the text and the page layout; the plain
# text output ignores them, so the text is exactly `page.get_text("text")`.
TEXTPAGE_FLAGS = pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_PRESERVE_IMAGES
# Two sources disagree when one is usable and the other not, or their visible lengths differ this much.
MIN_LENGTH_RATIO = 0.5


def text_layer(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> str:
    return page.get_text("text", sort=False, textpage=textpage).strip()


def pdfa_json_text(pdfa_json: dict | None, index: int) -> str | None:
    """The reference pipeline's page text: the JSON lines joined by ' \\n '."""
    if not pdfa_json:
        return None
    pages = pdfa_json.get("pages") or []
    if index >= len(pages):
        return None
    lines = (pages[index].get("lines") or {}).get("text") or []
    return " \n ".join(str(line) for line in lines).strip()


def visible_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def sources_disagree(own: str, pdfa: str | None) -> bool:
    """Whether the PDFA JSON lines and our own text layer tell a different story about a page."""
    if pdfa is None:
        return False
    if (unusable_reason(own) is None) != (unusable_reason(pdfa) is None):
        return True
    a, b = visible_chars(own), visible_chars(pdfa)
    return max(a, b) > 0 and min(a, b) / max(a, b) < MIN_LENGTH_RATIO


def bad_glyph_share(text: str) -> float:
    """Share of visible characters that are replacement, private-use or control glyphs."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 1.0
    bad = sum(1 for c in visible if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cs", "Cn"))
    return bad / len(visible)


def unusable_reason(text: str | None) -> str | None:
    """Why a page text cannot be used as is (None when it can)."""
    if text is None:
        return "missing"
    if len(text.strip()) < MIN_USABLE_CHARS:
        return "too_little_text"
    if bad_glyph_share(text) > MAX_BAD_GLYPH_SHARE:
        return "garbled_glyphs"
    return None
