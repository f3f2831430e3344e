"""Extraction keeps what can be kept: the text layer when OCR reads less, the readable pages of a
document with a broken page, OCR for garbled layers in any script, files that qpdf can repair."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from docmatix.pipeline.extract.isolation import extract
from docmatix.pipeline.extract.limits import ExtractLimits
from docmatix.pipeline.extract.ocr_decision import GARBLED, IMAGE_PAGE_LITTLE_TEXT
from docmatix.pipeline.extract.page_text import is_garbled
from docmatix.pipeline.extract.pdf_open import EncryptedPdf, open_pdf
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.schemas.records import ExtractedDocument, FinishedDocument, RejectedDocument, SourceDocument
from tests import adversarial_pdfs as adv

WITH_OCR = ExtractSettings(ocr=True, limits=ExtractLimits(timeout_s=60))
ISOLATED = ExtractSettings(ocr=False, limits=ExtractLimits(timeout_s=60, memory_mb=2048))


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


def test_one_bad_page_costs_that_page_only(tmp_path):
    result = extract_document(_doc("cycle", adv.page_tree_cycle()), ExtractSettings(ocr=False))
    assert isinstance(result, ExtractedDocument), result
    assert [p.index for p in result.pages] == [0] and len(result.images) == 1
    assert "water treatment" in result.pages[0].text
    assert result.lost_pages == [1] and "cycle in page tree" in result.lost_page_errors[0]
    # The meta sidecar says which pages were lost; the summary counts them.
    writer = UnitWriter(str(tmp_path), "salvage")
    writer.add_finished(FinishedDocument(key="cycle", unit_id="salvage", document=result, kept=[], dropped=[],
                                         chunks=[]))
    writer.commit()
    (meta,) = pq.read_table(tmp_path / "meta").to_pylist()
    assert meta["lost_pages"] == [1] and "cycle" in meta["lost_page_errors"][0] and meta["repaired"] is False
    assert writer.counts.pages_lost == 1


@pytest.mark.parametrize("length,mupdf_reason", [(b"", "encrypted"), (b"/Length 129", "unreadable_pdf")])
def test_file_qpdf_repairs_is_kept_and_marked(length, mupdf_reason):
    data = adv.malformed_encryption(length)
    assert isinstance(_open_reason(data), str) and _open_reason(data) == mupdf_reason  # MuPDF alone refuses
    result = extract(_doc("badcrypt", data), ISOLATED)  # in the worker: under its deadline and memory cap
    assert isinstance(result, ExtractedDocument), result
    assert result.repaired and "water treatment" in result.pages[0].text


def test_file_nothing_repairs_is_still_rejected():
    result = extract(_doc("garbage", adv.garbage()), ISOLATED)
    assert isinstance(result, RejectedDocument) and result.reason == "unreadable_pdf"
    assert "qpdf repair" in result.error and " at 0x" not in result.error  # the same text in every run


def _open_reason(data: bytes) -> str | None:
    try:
        open_pdf(data).close()
    except EncryptedPdf:
        return "encrypted"
    except Exception:
        return "unreadable_pdf"
    return None


def test_script_soup_layer_goes_to_ocr():
    data = adv.scan_with_script_soup_layer()
    layer = open_pdf(data)[0].get_text()
    assert {"\u0b15", "\u0a15", "\u1000"} <= set(layer)  # the layer really is the soup
    result = extract_document(_doc("soup", data), WITH_OCR)
    assert isinstance(result, ExtractedDocument), result
    (page,) = result.pages
    assert page.ocr_reason == GARBLED and page.source == "ocr"
    assert "water treatment" in page.text  # Tesseract reads what the page shows


@pytest.mark.parametrize("text,garbled", [
    (adv.KNOWN_TEXT, False),
    ("Die Wasseraufbereitung im Norden wurde 2023 erneuert; η = 0.92, λ = 1.5 µm, Δp = 3 bar.", False),
    ("東京の浄水場は2023年に改修されました。カタカナとひらがなと漢字の文です。", False),
    ("مرحبا بكم في محطة معالجة المياه الجديدة in the northern district 2023", False),
    ("Клиент получил отчёт о работе станции водоочистки за 2023 год", False),
    ("\u062d\u064e\u0628\u064a\u0628\u064a habibi\x03\u03f2\u0392\u03f4\u0392 \u02f4\u062d\u064e\u0628\u064a\u0628\u064a",
     False),  # 015-arabic/habibi.pdf: one stray control character and Greek in a good layer
    (adv.KNOWN_TEXT[:200] + "\x03\x07\x02\x01\x04\x05", True),  # control characters
    (adv.SCRIPT_SOUP * 3 + " habibi", True),
])
def test_garbled_text_detection(text, garbled):
    assert is_garbled(text) is garbled
