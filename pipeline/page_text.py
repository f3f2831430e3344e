"""Page text from the sources we have: the PDF text layer, the PDFA JSON lines, and how usable each is."""

from __future__ import annotations

import unicodedata

import pymupdf

MIN_USABLE_CHARS = 16
MAX_BAD_GLYPH_SHARE = 0.3


def text_layer(page: pymupdf.Page) -> str:
    return page.get_text("text", sort=False).strip()


def pdfa_json_text(pdfa_json: dict | None, index: int) -> str | None:
    """The reference pipeline's page text: the JSON lines joined by ' \\n '."""
    if not pdfa_json:
        return None
    pages = pdfa_json.get("pages") or []
    if index >= len(pages):
        return None
    lines = (pages[index].get("lines") or {}).get("text") or []
    return " \n ".join(str(line) for line in lines).strip()


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
