"""Per-page routing: keep the text we have, or send the rendered page to OCR, and why.

OCR costs ~1 s a page against ~1 ms for a text layer, so a page goes to OCR only when its text cannot
be right: there is none on a page that shows something, it is garbled (mostly replacement/private-use
glyphs, control characters, or letters of unrelated scripts),
or it covers a small part of a page that is mostly image (a scan with a stamped header, say). Pages
with a little text and no large image (a title page, a form) keep their text layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from docmatix.pipeline.extract.page_text import is_garbled, visible_chars

# A page is "mostly image" when images cover at least this share of it ...
IMAGE_DOMINANT_SHARE = 0.5
# ... and its text needs OCR when the text blocks cover less than this share. Born-digital pages in the
# sample corpus with text have 0.2-50 % text cover but images under 25 %; a scanned page with a text stamp
# has images near 100 % and text near 1 %.
SMALL_TEXT_SHARE = 0.05

# Route reasons recorded on PageText.ocr_reason.
NO_TEXT = "no_text"
GARBLED = "garbled_glyphs"
IMAGE_PAGE_LITTLE_TEXT = "image_page_little_text"


@dataclass(frozen=True)
class PageLayout:
    text_share: float  # area of text blocks / page area
    image_share: float  # area of image blocks / page area (overlaps counted twice, capped at 1)


def page_layout(page: pymupdf.Page, textpage: pymupdf.TextPage) -> PageLayout:
    area = abs(page.rect) or 1.0
    covered = {0: 0.0, 1: 0.0}
    for block in page.get_text("blocks", textpage=textpage):
        kind = block[6]
        if kind in covered:
            covered[kind] += abs(pymupdf.Rect(block[:4]) & page.rect)
    return PageLayout(min(covered[0] / area, 1.0), min(covered[1] / area, 1.0))


def ocr_reason(text: str, layout: PageLayout, blank: bool) -> str | None:
    """Why this page's text should come from OCR instead; None keeps the text as it is."""
    if blank:  # nothing drawn: nothing to read
        return None
    if visible_chars(text) == 0:
        return NO_TEXT
    if is_garbled(text):
        return GARBLED
    if layout.image_share >= IMAGE_DOMINANT_SHARE and layout.text_share < SMALL_TEXT_SHARE:
        return IMAGE_PAGE_LITTLE_TEXT
    return None


def ocr_is_better(layer: str, ocr: str, reason: str) -> bool:
    """Whether OCR's text replaces the layer's. A layer judged wrong (garbled) always gives way; a
    layer that was only suspected of missing text (a formula over an image) is kept when OCR reads
    less, so a page never ends with less text than its layer had."""
    if reason == GARBLED:
        return True
    return visible_chars(ocr) >= visible_chars(layer)
