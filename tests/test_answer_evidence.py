"""Answer evidence: answers found at the right place on the page, from each text source (our text layer,
PDFA JSON words, Tesseract's words of a scan), through filtering (`no_evidence`) and into meta/."""

from __future__ import annotations

import pyarrow.parquet as pq
import pymupdf
import pytest

from docmatix.filters.presets import build_filters
from docmatix.pipeline.extract.page_render import RenderSettings, page_zoom
from docmatix.pipeline.generate.answer_evidence import (
    attach_evidence,
    is_extractive,
    line_boxes,
    locate_answer,
)
from docmatix.pipeline.on_ray.rows import from_row, to_row
from docmatix.pipeline.s1_read import iter_unit_documents
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.sample.pdfa_shards import pdfa_json_for, write_shard
from docmatix.schemas.records import (
    Chunk,
    ChunkResult,
    GeneratedDocument,
    PageWords,
    QAPair,
    SourceDocument,
    WorkUnit,
)

PAGE_W, PAGE_H = 612, 792  # US Letter, points
FONT = 14
# (page, baseline origin in points, text): where each phrase is written
PHRASES = [
    (0, (72, 120), "Quarterly report of the Harbor Tools company"),
    (0, (72, 300), "Revenue grew in the northern region."),
    (1, (320, 500), "Total amount due: 1,234.56 EUR"),
    (1, (72, 650), "Signed by Margaret Oduya, treasurer"),
]


def known_pdf() -> bytes:
    doc = pymupdf.open()
    for _ in range(2):
        doc.new_page(width=PAGE_W, height=PAGE_H)
    for page, origin, text in PHRASES:
        doc[page].insert_text(origin, text, fontsize=FONT)
    return doc.tobytes()


def scanned_pdf(pdf: bytes, dpi: int = 200) -> bytes:
    """The same pages as images only: no text layer, so extraction has to OCR them."""
    src, out = pymupdf.open(stream=pdf), pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, pixmap=pix)
    return out.tobytes()


def one_chunk(doc, answers: list[str]) -> GeneratedDocument:
    pages = list(range(len(doc.pages)))
    chunk = Chunk(0, pages, "\nNEW PAGE\n".join(p.text for p in doc.pages), 100, "whole_document")
    pairs = [QAPair(f"Question number {i} about the report?", a, "whole_document", 0) for i, a in enumerate(answers)]
    return GeneratedDocument(doc, [ChunkResult(chunk, "...", pairs)])


def text_left(origin: tuple[float, float], before: str) -> tuple[float, float]:
    """Where a word starts when `before` precedes it on a line written at `origin` (Helvetica, FONT)."""
    return origin[0] + pymupdf.get_text_length(before, fontname="helv", fontsize=FONT), origin[1]


def expected_px(origin: tuple[float, float], zoom: float) -> tuple[float, float]:
    return origin[0] * zoom, origin[1] * zoom  # the phrase's left edge and baseline in image pixels


def assert_box_at(box_px, origin, zoom, tolerance_px: float) -> None:
    """A box starting at the phrase's left edge, spanning its baseline, about one line high."""
    left, baseline = expected_px(origin, zoom)
    x0, y0, x1, y1 = box_px
    assert abs(x0 - left) <= tolerance_px, (box_px, left)
    assert y0 < baseline + tolerance_px / 2 and y1 > baseline - tolerance_px, (box_px, baseline)
    assert y1 - y0 < 2.5 * FONT * zoom  # one line, not the page


def test_generated_pdf_evidence_at_the_written_place_and_into_meta(tmp_path):
    settings = ExtractSettings(render=RenderSettings(dpi=150), ocr=False)
    doc = extract_document(SourceDocument("known", "unit-0", "mem", known_pdf()), settings)
    assert [p.source for p in doc.pages] == ["text_layer", "text_layer"]
    zoom = page_zoom(pymupdf.open(stream=known_pdf())[0], settings.render)
    answers = ["The total is 1,234.56 EUR.", "Margaret Oduya signed it.", "Acme Widgets Incorporated",
               "Revenue grew because the company opened shops and hired staff in several new towns of the north."]
    # As the generation stage sees it: the record without its images (they travel in their own column).
    textual = from_row(to_row("unit-0", 0, doc), with_images=False)
    assert textual.images == [] and textual.image_sizes == doc.image_sizes
    done = attach_evidence(filter_document(one_chunk(textual, answers), build_filters(["empty", "no_evidence"])))
    # The invented short answer is dropped by no_evidence; the long explanation is not extractive: kept.
    assert [d.pair.answer for d in done.dropped] == ["Acme Widgets Incorporated"]
    assert done.dropped[0].reasons == ["no_evidence"]
    assert [p.answer for p in done.kept] == [answers[0], answers[1], answers[3]]
    total, signed, explanation = done.evidence
    assert explanation is None or explanation.page == 0  # if found, on the page that says "Revenue grew"
    assert total.page == 1 and total.text == "1,234.56 EUR" and total.score == pytest.approx(0.8)
    assert signed.page == 1 and signed.text == "Margaret Oduya," and signed.score == pytest.approx(0.8)
    # The matched words start after "Total amount due: " and "Signed by " on the lines written at those points.
    assert_box_at(total.boxes_px[0], text_left((320, 500), "Total amount due: "), zoom, tolerance_px=2)
    assert_box_at(signed.boxes_px[0], text_left((72, 650), "Signed by "), zoom, tolerance_px=2)
    width, height = round(PAGE_W * zoom), round(PAGE_H * zoom)
    for ev in (total, signed):
        assert len(ev.boxes) == len(ev.boxes_px) == 1
        (x0, y0, x1, y1), px = ev.boxes[0], ev.boxes_px[0]
        assert px == pytest.approx((x0 * width, y0 * height, x1 * width, y1 * height), abs=1)

    writer = UnitWriter(str(tmp_path), "unit-0")
    writer.add_finished(done)
    writer.commit()
    meta = pq.read_table(next((tmp_path / "meta").glob("*.parquet"))).to_pylist()[0]
    assert [e["page"] if e else None for e in meta["pair_evidence"]] == [1, 1, explanation and 0]
    assert meta["pair_evidence"][0]["boxes_px"] == [list(total.boxes_px[0])]
    assert meta["pair_judge"] is None  # no --judge
    marker = writer.counts
    assert marker.pairs_with_evidence == 2 + (explanation is not None)
    assert marker.pairs_dropped_by_reason == {"no_evidence": 1}


def test_pdfa_json_input_uses_the_json_words(tmp_path):
    shard = tmp_path / "pdfa-eng-train-0000.tar"
    write_shard(shard, [("0000001", known_pdf())])
    (source,) = list(iter_unit_documents(WorkUnit("pdfa-eng-train-0000", "tar", (str(shard),)), 1 << 26))
    assert source.pdfa_json is not None
    settings = ExtractSettings(render=RenderSettings(dpi=100), text_source="pdfa_json", ocr=False)
    doc = extract_document(source, settings)
    assert [p.source for p in doc.pages] == ["pdfa_json", "pdfa_json"]
    json_words = pdfa_json_for(known_pdf())["pages"][1]["words"]
    assert doc.pages[1].words.text == json_words["text"]  # the JSON's words, with its [x, y, w, h] boxes
    x, y, w, h = json_words["bbox"][0]
    assert doc.pages[1].words.boxes[0] == pytest.approx((x, y, x + w, y + h), abs=1e-4)
    zoom = page_zoom(pymupdf.open(stream=known_pdf())[0], settings.render)
    done = attach_evidence(filter_document(one_chunk(doc, ["Total amount due: 1,234.56 EUR"]),
                                           build_filters(["empty"])))
    (ev,) = done.evidence
    assert ev.page == 1 and ev.score == 1.0
    assert_box_at(ev.boxes_px[0], (320, 500), zoom, tolerance_px=3)


def test_ocr_scan_evidence_from_tesseract_words():
    settings = ExtractSettings(render=RenderSettings(dpi=150), ocr=True)
    doc = extract_document(SourceDocument("scan", "unit-0", "mem", scanned_pdf(known_pdf())), settings)
    assert [p.source for p in doc.pages] == ["ocr", "ocr"]
    assert doc.pages[0].words is not None and "Harbor" in doc.pages[0].words.text
    zoom = page_zoom(pymupdf.open(stream=known_pdf())[0], settings.render)
    done = attach_evidence(filter_document(
        one_chunk(doc, ["Revenue grew in the northern region", "Margaret Oduya"]), build_filters(["empty"])))
    revenue, name = done.evidence
    assert revenue.page == 0 and revenue.score >= 0.9
    assert_box_at(revenue.boxes_px[0], (72, 300), zoom, tolerance_px=6)
    assert name.page == 1 and name.score >= 0.9
    assert_box_at(name.boxes_px[0], text_left((72, 650), "Signed by "), zoom, tolerance_px=6)


def test_match_scoring_and_lines():
    words = PageWords(["Invoice", "2231", "from", "Harbor", "Toools", "Ltd,", "dated", "3", "March", "2021."],
                      [(0.1 * i, 0.1, 0.1 * i + 0.08, 0.12) for i in range(10)])
    exact = locate_answer("Harbor Tools Ltd", [(0, words)])  # OCR-style misreading "Toools" still counts
    assert (exact.first, exact.last, exact.score) == (3, 5, 1.0)
    assert locate_answer("3 March 2021", [(0, words)]).score == 1.0
    assert locate_answer("Nothing like it at all", [(0, words)]) is None
    assert locate_answer("Yes.", [(0, words)]) is None  # no content token: not searched
    assert is_extractive("3 March 2021") and not is_extractive("yes")
    two_lines = [(0.1, 0.1, 0.2, 0.12), (0.25, 0.1, 0.3, 0.12), (0.1, 0.14, 0.2, 0.16)]
    assert line_boxes(two_lines) == [(0.1, 0.1, 0.3, 0.12), (0.1, 0.14, 0.2, 0.16)]


def test_require_evidence_puts_no_evidence_before_the_dedup_filters():
    from docmatix.filters.options import filters_from
    from docmatix.pipeline.config import RunConfig

    names = [f.name for f in filters_from(RunConfig(inputs=[], output="", require_evidence=True))]
    assert names[-3:] == ["no_evidence", "duplicate", "near_duplicate"]  # strict: dedup filters last
    assert "no_evidence" not in [f.name for f in filters_from(RunConfig(inputs=[], output=""))]
    docmatix = [f.name for f in filters_from(RunConfig(inputs=[], output="", filter_preset="docmatix",
                                                       require_evidence=True))]
    assert docmatix[-1] == "no_evidence"
