"""The gallery draws each located answer's box over the right page image, in headless Chromium: on the
thumbnail of the page the evidence names, where the words are (dark text pixels under it), and again
over the enlarged page. Also `docmatix inspect` and `stats` on the same output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image, ImageStat

from docmatix.filters.presets import build_filters
from docmatix.pipeline.extract.page_render import RenderSettings
from docmatix.pipeline.generate.answer_evidence import attach_evidence
from docmatix.pipeline.run_summary import build_summary, write_json
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.schemas.records import JudgeVerdict, SourceDocument
from tests.chromium_cdp import Chromium, chromium_binary
from tests.conftest import REPO
from tests.test_answer_evidence import known_pdf, one_chunk

ANSWERS = ["1,234.56 EUR", "Harbor Tools", "Margaret Oduya", "Seventeen purple elephants danced at noon"]


@pytest.fixture(scope="module")
def evidence_output(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evidence-output")
    doc = extract_document(SourceDocument("0000001", "pdfa-eng-train-0000", "mem", known_pdf()),
                           ExtractSettings(render=RenderSettings(dpi=100), ocr=False))
    done = attach_evidence(filter_document(one_chunk(doc, ANSWERS), build_filters(["empty"])))
    done.judge = [JudgeVerdict(5, 4, 3, "stated on the page"), None, JudgeVerdict(None, None, None, "malformed"),
                  None]
    writer = UnitWriter(str(out), "pdfa-eng-train-0000")
    writer.add_finished(done)
    writer.commit()
    summary, manifest = build_summary(str(out), ["pdfa-eng-train-0000"], {})
    write_json(str(out), "summary.json", summary)
    write_json(str(out), "manifest.json", manifest)
    return out


def _cli(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "250"}, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _meta(out: Path) -> dict:
    return pq.read_table(next((out / "meta").glob("*.parquet"))).to_pylist()[0]


def test_inspect_and_stats_show_evidence_and_judge(evidence_output):
    meta = _meta(evidence_output)
    located = [e for e in meta["pair_evidence"] if e]
    assert [e["page"] if e else None for e in meta["pair_evidence"]] == [1, 0, 1, None]
    printed = _cli("inspect", str(evidence_output), "--n", "1")
    assert "evidence p2 · 1.00" in printed and "evidence p1 · 1.00" in printed and "not found" in printed
    assert "judge 5/4/3" in printed and "judge: no scores" in printed
    shown = json.loads(_cli("inspect", str(evidence_output), "--n", "1", "--json"))
    assert [p["evidence"] for p in shown["pairs"]] == meta["pair_evidence"]
    stats = json.loads(_cli("stats", str(evidence_output), "--json", "-"))
    assert stats["evidence"] == {"pairs": 4, "located": len(located), "share": len(located) / 4,
                                 "by_template": {"whole_document": {"pairs": 4, "located": 3, "share": 0.75}}}
    assert stats["judge"] == {"pairs_judged": 1, "unusable": 1, "histogram": {
        "answerable": {"5": 1}, "correct": {"4": 1}, "needs_page": {"3": 1}, "min": {"3": 1}}}
    assert "language" in stats
    summary = json.loads((evidence_output / "summary.json").read_text())
    assert summary["pairs_with_evidence"] == 3 and summary["judge_scores"]["min=3"] == 1


def _box_geometry(browser: Chromium, scope: str) -> list[dict]:
    """Every evidence box under `scope` with its rectangle relative to the image it is drawn over."""
    return browser.evaluate(f"""[...document.querySelectorAll({json.dumps(scope)} + ' .box')].map(box => {{
      const frame = box.closest('.frame'), img = frame.querySelector('img');
      const b = box.getBoundingClientRect(), i = img.getBoundingClientRect();
      return {{pair: +box.dataset.pair, page: box.closest('figure') ? +box.closest('figure').dataset.page : null,
               src: img.getAttribute('src'), x: b.left - i.left, y: b.top - i.top, w: b.width, h: b.height,
               iw: i.width, ih: i.height, visible: b.width > 0 && b.height > 0}};
    }})""")


def test_gallery_boxes_over_the_right_page_image_in_chromium(evidence_output, tmp_path):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    gallery = tmp_path / "gallery"
    _cli("gallery", str(evidence_output), "--out", str(gallery), "--n", "1")
    evidence = _meta(evidence_output)["pair_evidence"]
    expected = {(i, tuple(box)): e["page"] for i, e in enumerate(evidence) if e for box in e["boxes"]}
    browser = Chromium(binary)
    try:
        browser.open((gallery / "index.html").as_uri())
        boxes = _box_geometry(browser, ".pages")
        tags = browser.evaluate("[...document.querySelectorAll('.pair .evidence, .pair .judge')].map(t => t.textContent)")
        # Enlarge the second page (where the amount and the name are): its boxes are copied over the big image.
        big = browser.evaluate("""new Promise(resolve => {
          const img = document.querySelector('#lightbox img');
          img.addEventListener('load', () => resolve(img.getAttribute('src')), {once: true});
          document.querySelector('figure[data-page="1"] a.thumb img').click();
        })""")
        enlarged = _box_geometry(browser, "#lightbox")
    finally:
        browser.close()
    assert len(boxes) == len(expected) == 3 and all(b["visible"] for b in boxes)
    assert "evidence p2 · 1.00" in tags and "judge 5/4/3" in tags
    for b in boxes:
        (norm,) = [box for (pair, box), _ in expected.items() if pair == b["pair"]]
        assert b["page"] == evidence[b["pair"]]["page"]  # on the figure of the page the evidence names
        assert b["src"].endswith(f"-p{b['page'] + 1}.thumb.jpg")
        x0, y0, x1, y1 = norm
        for got, want in ((b["x"], x0 * b["iw"]), (b["y"], y0 * b["ih"]), (b["w"], (x1 - x0) * b["iw"]),
                          (b["h"], (y1 - y0) * b["ih"])):
            assert got == pytest.approx(want, abs=1.5), b
        # The thumbnail under the box shows the words: darker than the page around them.
        with Image.open(gallery / b["src"]) as thumb:
            w, h = thumb.size
            under = thumb.convert("L").crop((round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h)))
            assert ImageStat.Stat(under).mean[0] < 235 < ImageStat.Stat(thumb.convert("L")).mean[0]
    assert big.endswith("-p2.png")
    assert sorted(b["pair"] for b in enlarged) == sorted(b["pair"] for b in boxes if b["page"] == 1) == [0, 2]
    for b in enlarged:
        (norm,) = [box for (pair, box), _ in expected.items() if pair == b["pair"]]
        assert b["iw"] > 300 and b["src"] == big  # the full page, not the thumbnail
        assert b["x"] == pytest.approx(norm[0] * b["iw"], abs=1.5)
        assert b["y"] == pytest.approx(norm[1] * b["ih"], abs=1.5)


def test_dataset_card_carries_evidence_share_and_judge_histogram(evidence_output, tmp_path):
    dest = tmp_path / "published"
    _cli("publish", str(evidence_output), str(dest))
    card = (dest / "README.md").read_text()
    stats = yaml.safe_load(card.split("---\n", 2)[1])["docmatix_run"]
    assert stats["pairs_with_evidence"] == 3 and stats["pairs_with_evidence_by_template"] == {"whole_document": 3}
    assert stats["judge_scores"] == {"answerable=5": 1, "correct=4": 1, "needs_page=3": 1, "min=3": 1}
    assert stats["pairs_judged"] == 1 and stats["pairs_judge_unusable"] == 1
    body = card.split("---\n", 2)[2]
    assert "| whole_document | 3 of 4 (75%) |" in body
    assert "### Judge scores of kept pairs (1 judged, 1 unusable judge answers)" in body
    assert "| 3 | 0 | 0 | 1 | 1 |" in body  # score 3: needs_page and min
