"""Stage 2: per document, each page's text (text layer, PDFA JSON, or OCR) and its rendered image.

Never raises on a bad PDF: every problem becomes a RejectedDocument with a named reason. This runs
in-process with no deadline; `pipeline.extract.isolation` runs it in a worker process with a timeout and a
memory cap, which is what the pipeline uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from docmatix.pipeline.extract.limits import (
    ExtractLimits,
    LimitExceeded,
    check_page_area,
    check_page_count,
    check_page_images,
)
from docmatix.pipeline.extract.ocr_decision import ocr_is_better, ocr_reason, page_layout
from docmatix.pipeline.extract.page_ocr import ocr_image
from docmatix.pipeline.extract.page_render import (
    RenderSettings,
    encode_pixmap,
    is_blank,
    pixmap_to_pil,
    render_pixmap,
)
from docmatix.pipeline.extract.page_text import (
    TEXTPAGE_FLAGS,
    pdfa_json_text,
    sources_disagree,
    text_layer,
    unusable_reason,
    visible_chars,
)
from docmatix.pipeline.extract.page_words import pdfa_json_words, text_layer_words
from docmatix.pipeline.extract.pdf_open import EncryptedPdf, open_pdf, repair_with_qpdf
from docmatix.pipeline.generate.answer_evidence import image_size
from docmatix.schemas import reject_reasons as reasons
from docmatix.schemas.records import ExtractedDocument, PageText, RejectedDocument, SourceDocument
from docmatix.schemas.reject_reasons import OUT_OF_MEMORY

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF warnings go to our rejects, not to stderr


@dataclass(frozen=True)
class ExtractSettings:
    render: RenderSettings = RenderSettings()
    max_pages: int = 4
    text_source: str = "auto"  # auto | text_layer | pdfa_json
    ocr: bool = True
    limits: ExtractLimits = ExtractLimits()


def _reject(doc: SourceDocument, reason: str, error: str = "") -> RejectedDocument:
    return RejectedDocument(doc.key, doc.unit_id, doc.origin, "extract", reason, error)


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


def extract_page(page: pymupdf.Page, pdfa_json: dict | None, settings: ExtractSettings) -> tuple[PageText, bytes]:
    """One page's text (routed to OCR only when needed) and its encoded image."""
    check_page_area(page, settings.render.dpi, settings.limits)
    check_page_images(page, settings.limits)
    textpage = page.get_textpage(flags=TEXTPAGE_FLAGS)
    own = text_layer(page, textpage)
    pdfa = pdfa_json_text(pdfa_json, page.number)
    text, source, alt = choose_page_text(own, pdfa, settings.text_source)
    pix = render_pixmap(page, settings.render)
    image = encode_pixmap(pix, settings.render)
    reason, confidence = None, None
    words = pdfa_json_words(pdfa_json, page.number) if source == "pdfa_json" else None
    if settings.ocr:
        blank = visible_chars(text) == 0 and is_blank(pix)  # the pixel scan only for pages without text
        reason = ocr_reason(text, page_layout(page, textpage), blank)
    if reason is not None:
        result = ocr_image(pixmap_to_pil(pix), timeout_s=settings.limits.timeout_s or 0)
        if ocr_is_better(text, result.text, reason):
            text, source, confidence, words = result.text, "ocr", result.confidence, result.words
    if not text.strip():
        source = "none"
    elif source == "text_layer":  # only for the text kept: a page's words cost a second pass over its text
        words = text_layer_words(page, textpage)
    return PageText(page.number, text, source, confidence, alt, reason, sources_disagree(own, pdfa), words), image


def _is_out_of_memory(exc: Exception) -> bool:
    return isinstance(exc, MemoryError) or "malloc" in str(exc).lower() or "out of memory" in str(exc).lower()


def _open(doc: SourceDocument) -> tuple[pymupdf.Document, bool] | RejectedDocument:
    """The opened PDF and whether qpdf had to repair it first, or the rejection."""
    try:
        return open_pdf(doc.pdf), False
    except EncryptedPdf as exc:
        reason, error = reasons.ENCRYPTED, str(exc)
    except Exception as exc:  # MuPDF raises many types for broken files
        reason, error = reasons.UNREADABLE_PDF, f"{type(exc).__name__}: {exc}"
    # One repair pass through qpdf, in this same process: the same deadline and memory cap apply.
    repaired, repair_error = repair_with_qpdf(doc.pdf)
    if repaired is not None:
        try:
            return open_pdf(repaired), True
        except Exception as exc:
            repair_error = f"{type(exc).__name__}: {exc}"
    return _reject(doc, reason, f"{error}; qpdf repair: {repair_error}")


def extract_document(doc: SourceDocument, settings: ExtractSettings) -> ExtractedDocument | RejectedDocument:
    opened = _open(doc)
    if isinstance(opened, RejectedDocument):
        return opened
    pdf, repaired = opened
    pages: list[PageText] = []
    images: list[bytes] = []
    lost: dict[int, str] = {}  # page index -> why it could not be read
    with pdf:
        if pdf.page_count == 0:
            return _reject(doc, reasons.NO_PAGES, "the PDF has zero pages")
        try:
            check_page_count(pdf.page_count, settings.max_pages)
        except LimitExceeded as exc:
            return _reject(doc, exc.reason, str(exc))
        for index in range(pdf.page_count):
            try:
                page_text, image = extract_page(pdf[index], doc.pdfa_json, settings)
            except LimitExceeded as exc:
                return _reject(doc, exc.reason, str(exc))
            except Exception as exc:
                if _is_out_of_memory(exc):
                    return _reject(doc, OUT_OF_MEMORY, f"page {index}: {type(exc).__name__}: {exc}")
                # One damaged page (a cycle in the page tree, a broken content stream) costs that page only.
                lost[index] = f"{type(exc).__name__}: {exc}"
                continue
            pages.append(page_text)
            images.append(image)
    if not pages:
        return _reject(doc, reasons.PAGE_ERROR, "; ".join(f"page {i}: {e}" for i, e in lost.items()))
    if not any(p.text.strip() for p in pages):
        return _reject(doc, reasons.NO_TEXT, "no page has text, even after OCR")
    return ExtractedDocument(
        key=doc.key, unit_id=doc.unit_id, origin=doc.origin, source_label=doc.source_label,
        pages=pages, images=images, image_format=settings.render.image_format,
        image_sizes=[image_size(img) for img in images],
        lost_pages=sorted(lost), lost_page_errors=[lost[i] for i in sorted(lost)], repaired=repaired,
    )
