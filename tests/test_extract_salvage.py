"""Extraction keeps what can be kept: the text layer when OCR reads less, the readable pages of a
document with a broken page, OCR for garbled layers in any script, files that qpdf can repair."""

from __future__ import annotations

from pipeline.extract_limits import ExtractLimits
from pipeline.page_route import IMAGE_PAGE_LITTLE_TEXT
from pipeline.s2_extract import ExtractSettings, extract_document
from schemas.records import ExtractedDocument, SourceDocument
from tests import adversarial_pdfs as adv

WITH_OCR = ExtractSettings(ocr=True, limits=ExtractLimits(timeout_s=60))


def _doc(key: str, data: bytes) -> SourceDocument:
    return SourceDocument(key=key, unit_id="salvage", origin=f"salvage/{key}", pdf=data)


def test_layer_is_kept_when_ocr_reads_less():
    result = extract_document(_doc("formula", adv.formula_over_image()), WITH_OCR)
    assert isinstance(result, ExtractedDocument), result
    (page,) = result.pages
    assert page.ocr_reason == IMAGE_PAGE_LITTLE_TEXT  # routed to OCR (real Tesseract) ...
    assert page.source == "text_layer"  # ... which read less than the layer: the layer stays
    assert page.text == adv.FORMULA
    assert page.ocr_confidence is None


def test_scan_with_stamp_still_goes_to_ocr():
    result = extract_document(_doc("stamp", adv.scanned_with_stamp()), WITH_OCR)
    assert isinstance(result, ExtractedDocument)
    assert result.pages[0].source == "ocr" and "water" in result.pages[0].text
