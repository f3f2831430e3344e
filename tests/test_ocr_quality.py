"""OCR only where needed (Tesseract is spied on, never mocked), and how good its text is on scans.

Character error rate bound: Tesseract 5's LSTM model reads clean 11 pt printed English at >= 100 dpi
with a CER well under 1 % (measured on real scans here: 1.65 % micro-averaged, median 0.05 %, see
shared/docs/formats.md). Our scans are synthetic but degraded as office scanners degrade them (skew,
JPEG artefacts, and a poor 100 dpi one), so 2 % is the bound: above it about one word in ten would be
wrong, which is where QA pairs start quoting misspelt text.
"""

from __future__ import annotations

import pymupdf
import pytest
from rapidfuzz.distance import Levenshtein

import docmatix.pipeline.s2_extract as s2
from docmatix.pipeline.extract.ocr_decision import GARBLED, IMAGE_PAGE_LITTLE_TEXT, NO_TEXT
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.schemas.records import ExtractedDocument, SourceDocument
from tests import adversarial_pdfs as adv
from tests.conftest import CORPUS, corpus_pdf

MAX_CER = 0.02


def cer(text: str, reference: str) -> float:
    """Levenshtein distance over the reference length, whitespace runs counted as one space."""
    hyp, ref = " ".join(text.split()), " ".join(reference.split())
    return Levenshtein.distance(hyp, ref) / len(ref)


@pytest.fixture
def ocr_calls(monkeypatch) -> list[int]:
    """Counts real Tesseract calls made by the extraction stage (in this process)."""
    calls: list[int] = []
    real = s2.ocr_image

    def counting(image, *args, **kwargs):
        calls.append(image.width * image.height)
        return real(image, *args, **kwargs)

    monkeypatch.setattr(s2, "ocr_image", counting)
    return calls


def _doc(key: str, data: bytes, pdfa_json: dict | None = None) -> SourceDocument:
    return SourceDocument(key=key, unit_id="ocr", origin=key, pdf=data, pdfa_json=pdfa_json)


def born_digital_corpus(corpus_files: list[dict]) -> list[str]:
    """Corpus PDFs written by authoring software (not scanners or image tools), as files.json says."""
    return [e["path"] for e in corpus_files
            if (CORPUS / e["path"]).exists() and not e["encrypted"] and e["pages"] <= 4
            and e["producer"] not in (None, "?") and "imagemagick" not in e["producer"]]


def test_tesseract_is_never_called_on_born_digital_pages(corpus_files, ocr_calls):
    paths = born_digital_corpus(corpus_files)
    assert len(paths) >= 15
    pages = 0
    for rel in paths:
        result = extract_document(_doc(rel, corpus_pdf(rel).read_bytes()), ExtractSettings())
        assert isinstance(result, ExtractedDocument), rel
        assert all(p.source == "text_layer" and p.ocr_reason is None for p in result.pages), rel
        pages += len(result.pages)
    assert pages >= 30
    assert ocr_calls == []


@pytest.mark.parametrize("scan", [
    {"dpi": 200, "skew_deg": 0.5, "jpeg_quality": 70},  # an office scanner
    {"dpi": 100, "skew_deg": 1.0, "jpeg_quality": 50},  # a poor one
])
def test_scanned_page_ocr_character_error_rate(scan, ocr_calls):
    result = extract_document(_doc("scan", adv.scanned(**scan)), ExtractSettings())
    (page,) = result.pages
    assert page.source == "ocr" and page.ocr_reason == NO_TEXT
    assert page.ocr_confidence is not None and page.ocr_confidence > 80
    assert len(ocr_calls) == 1
    assert cer(page.text, adv.KNOWN_TEXT) < MAX_CER


def test_every_scanned_page_is_ocred_once(ocr_calls):
    result = extract_document(_doc("scan", adv.scanned(pages=2)), ExtractSettings())
    assert [p.source for p in result.pages] == ["ocr", "ocr"]
    assert len(ocr_calls) == 2


def test_scan_with_a_stamped_text_line_goes_to_ocr(ocr_calls):
    page = extract_document(_doc("stamp", adv.scanned_with_stamp()), ExtractSettings()).pages[0]
    assert page.ocr_reason == IMAGE_PAGE_LITTLE_TEXT and page.source == "ocr"
    # the OCR text holds the page body and the stamp, where the text layer had only the stamp
    assert cer(page.text.replace("Scanned with ScanApp", ""), adv.KNOWN_TEXT) < MAX_CER


def test_garbled_pdfa_text_goes_to_ocr(ocr_calls):
    garbled = {"pages": [{"lines": {"text": ["\ue000\ue001\ue002\ue003 " * 40]}}]}
    page = extract_document(_doc("garbled", adv.born_digital(), garbled),
                            ExtractSettings(text_source="pdfa_json")).pages[0]
    assert page.ocr_reason == GARBLED and page.source == "ocr"
    assert page.sources_disagree  # the JSON is unusable, our own layer is not
    assert cer(page.text, adv.KNOWN_TEXT) < MAX_CER


def test_blank_page_is_not_sent_to_ocr(ocr_calls):
    pdf = pymupdf.open()
    pdf.new_page()
    pdf[0].insert_text((72, 72), "")  # nothing drawn
    blank = pdf.tobytes()
    two = pymupdf.open(stream=adv.born_digital(), filetype="pdf")
    two.insert_pdf(pymupdf.open(stream=blank, filetype="pdf"))
    result = extract_document(_doc("blank", two.tobytes()), ExtractSettings())
    assert [p.source for p in result.pages] == ["text_layer", "none"]
    assert ocr_calls == []


def test_no_ocr_setting(ocr_calls):
    result = extract_document(_doc("scan", adv.scanned()), ExtractSettings(ocr=False))
    assert result.reason == "no_text" and ocr_calls == []
