"""Page text from the sources we have: the PDF text layer, the PDFA JSON lines, and how usable each is."""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

import pymupdf

MIN_USABLE_CHARS = 16
MAX_BAD_GLYPH_SHARE = 0.3
# Control characters other than whitespace never belong in page text; several are a broken ToUnicode map
# (one stray one is common in born-digital files: 015-arabic/habibi.pdf has a \x03 in a good layer).
MAX_CONTROL_SHARE = 0.02
MIN_CONTROL_CHARS = 3
# Script soup: letters outside the page's main script (and Latin, which any script mixes in) above this
# share, as a broken font map gives (Oriya, Gurmukhi and Myanmar letters on a page that shows Arabic).
# habibi.pdf's good layer has 20 % (four Greek letters in twenty).
MAX_STRAY_SCRIPT_SHARE = 0.3
MIN_LETTERS_FOR_SCRIPT_CHECK = 20
# Scripts that one language writes together (Japanese, Korean) count as one.
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "CJK": "CJK"}


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


@lru_cache(maxsize=4096)
def letter_script(c: str) -> str:
    """The script of a letter, from its Unicode name ("ORIYA LETTER KA" -> ORIYA)."""
    first = unicodedata.name(c, "UNKNOWN").split(" ", 1)[0].split("-", 1)[0]
    return _SCRIPT_GROUPS.get(first, first)


def stray_script_share(text: str) -> float:
    """Share of letters in neither the main script nor Latin; 0 for texts too short to judge."""
    scripts = Counter(letter_script(c) for c in text if c.isalpha())
    letters = sum(scripts.values())
    if letters < MIN_LETTERS_FOR_SCRIPT_CHECK:
        return 0.0
    main, main_count = scripts.most_common(1)[0]
    stray = letters - main_count - (scripts["LATIN"] if main != "LATIN" else 0)
    return stray / letters


def control_share(text: str) -> float:
    """Share of visible characters that are control characters; 0 below MIN_CONTROL_CHARS of them."""
    visible = [c for c in text if not c.isspace()]
    controls = sum(1 for c in visible if unicodedata.category(c) == "Cc")
    return controls / len(visible) if controls >= MIN_CONTROL_CHARS else 0.0


def is_garbled(text: str) -> bool:
    """A text layer that cannot be what the page shows: mostly bad glyphs, control characters, or
    letters of several unrelated scripts."""
    return (bad_glyph_share(text) > MAX_BAD_GLYPH_SHARE or control_share(text) > MAX_CONTROL_SHARE
            or stray_script_share(text) > MAX_STRAY_SCRIPT_SHARE)


def unusable_reason(text: str | None) -> str | None:
    """Why a page text cannot be used as is (None when it can)."""
    if text is None:
        return "missing"
    if len(text.strip()) < MIN_USABLE_CHARS:
        return "too_little_text"
    if is_garbled(text):
        return "garbled_glyphs"
    return None
