"""Stage 2: per document, each page's text (text layer, PDFA JSON, or OCR) and its rendered image.

Never raises on a bad PDF: every problem becomes a RejectedDocument with a named reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from pipeline.page_ocr import ocr_image
from pipeline.page_render import RenderSettings, encode_pixmap, pixmap_to_pil, render_pixmap
from pipeline.page_text import pdfa_json_text, text_layer, unusable_reason
from schemas.records import ExtractedDocument, PageText, RejectedDocument, SourceDocument

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF warnings go to our rejects, not to stderr


@dataclass(frozen=True)
class ExtractSettings:
    render: RenderSettings = RenderSettings()
    max_pages: int = 4
    text_source: str = "auto"  # auto | text_layer | pdfa_json
    ocr: bool = True


def _reject(doc: SourceDocument, reason: str, error: str = "") -> RejectedDocument:
    return RejectedDocument(doc.key, doc.unit_id, doc.origin, "extract", reason, error)


def open_pdf(data: bytes) -> pymupdf.Document:
    """Open PDF bytes; encrypted files are tried with the empty password."""
    pdf = pymupdf.open(stream=data, filetype="pdf")
    if pdf.needs_pass and not pdf.authenticate(""):
        pdf.close()
        raise PermissionError("encrypted: the empty password does not open it")
    return pdf


def choose_page_text(
    own: str, pdfa: str | None, text_source: str
) -> tuple[str, str, int | None]:
    """Pick (text, source, alternative_chars) among our text layer and the PDFA JSON lines."""
    if text_source == "text_layer" or pdfa is None:
        return own, "text_layer", (len(pdfa) if pdfa is not None else None)
    if text_source == "pdfa_json":
        return pdfa, "pdfa_json", len(own)
    # auto: the reference's JSON lines when usable, else our own layer.
    if unusable_reason(pdfa) is None:
        return pdfa, "pdfa_json", len(own)
    return own, "text_layer", len(pdfa)


def extract_document(doc: SourceDocument, settings: ExtractSettings) -> ExtractedDocument | RejectedDocument:
    try:
        pdf = open_pdf(doc.pdf)
    except PermissionError as exc:
        return _reject(doc, "encrypted", str(exc))
    except Exception as exc:  # MuPDF raises many types for broken files
        return _reject(doc, "unreadable_pdf", f"{type(exc).__name__}: {exc}")
    with pdf:
        n_pages = pdf.page_count
        if n_pages == 0:
            return _reject(doc, "no_pages", "the PDF has zero pages")
        if n_pages > settings.max_pages:
            return _reject(doc, "too_many_pages", f"{n_pages} pages > {settings.max_pages}")
        pages: list[PageText] = []
        images: list[bytes] = []
        for index in range(n_pages):
            try:
                page = pdf[index]
                pix = render_pixmap(page, settings.render)
                images.append(encode_pixmap(pix, settings.render))
                own = text_layer(page)
                text, source, alt = choose_page_text(own, pdfa_json_text(doc.pdfa_json, index), settings.text_source)
                confidence = None
                if unusable_reason(text) is not None and settings.ocr:
                    result = ocr_image(pixmap_to_pil(pix))
                    text, source, confidence = result.text, "ocr", result.confidence
                if not text.strip():
                    source = "none"
                pages.append(PageText(index, text, source, confidence, alt))
            except Exception as exc:
                return _reject(doc, "page_error", f"page {index}: {type(exc).__name__}: {exc}")
    if not any(p.text.strip() for p in pages):
        return _reject(doc, "no_text", "no page has text, even after OCR")
    return ExtractedDocument(
        key=doc.key, unit_id=doc.unit_id, origin=doc.origin, source_label=doc.source_label,
        pages=pages, images=images, image_format=settings.render.image_format,
    )
