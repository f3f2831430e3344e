"""A page's words with their boxes, normalised to 0-1 of the page, from each text source we use.

Captured at extraction from the same source as the page's text (the LLM reads that text, so its
answers quote those words): PyMuPDF's words for our text layer, the PDFA JSON `words` for the
reference's text, Tesseract's `image_to_data` words for OCR'd pages. A box is (left, top, right,
bottom); pipeline/generate/answer_evidence.py finds answers among these words.
"""

from __future__ import annotations

import pymupdf

from docmatix.schemas.records import PageWords

Box = tuple[float, float, float, float]


def _clamp(box: Box) -> Box:
    return tuple(min(1.0, max(0.0, round(v, 5))) for v in box)  # 5 decimals: ~0.1 px on a 2940 px page


def text_layer_words(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> PageWords:
    """PyMuPDF's words, in the page's displayed orientation (the text layer's coordinates are those of the
    unrotated page; the rendered image is rotated, so the boxes are too)."""
    words = PageWords()
    rect, rotate = page.rect, page.rotation_matrix
    if rect.width <= 0 or rect.height <= 0:
        return words
    for x0, y0, x1, y1, text, *_ in page.get_text("words", textpage=textpage, sort=False):
        box = pymupdf.Rect(x0, y0, x1, y1) * rotate if page.rotation else pymupdf.Rect(x0, y0, x1, y1)
        words.text.append(text)
        words.boxes.append(_clamp((box.x0 / rect.width, box.y0 / rect.height, box.x1 / rect.width,
                                   box.y1 / rect.height)))
    return words


def pdfa_json_words(pdfa_json: dict | None, index: int) -> PageWords | None:
    """The PDFA JSON `words` of a page: text and [x, y, w, h] boxes already normalised to 0-1."""
    pages = (pdfa_json or {}).get("pages") or []
    if index >= len(pages):
        return None
    data = pages[index].get("words") or {}
    texts, boxes = data.get("text") or [], data.get("bbox") or []
    words = PageWords()
    for text, box in zip(texts, boxes, strict=False):
        if not isinstance(box, list | tuple) or len(box) != 4:
            continue  # a malformed entry costs that word only
        x, y, w, h = (float(v) for v in box)
        words.text.append(str(text))
        words.boxes.append(_clamp((x, y, x + w, y + h)))
    return words


def ocr_words(data: dict, width: int, height: int) -> PageWords:
    """Tesseract's words (`image_to_data` as a dict) with pixel boxes of a width x height image."""
    words = PageWords()
    if width <= 0 or height <= 0:
        return words
    for text, left, top, w, h in zip(data["text"], data["left"], data["top"], data["width"], data["height"],
                                     strict=False):
        if not str(text).strip():
            continue
        words.text.append(str(text))
        words.boxes.append(_clamp((left / width, top / height, (left + w) / width, (top + h) / height)))
    return words
