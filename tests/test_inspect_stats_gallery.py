"""`docmatix inspect`, `stats` and `gallery` on outputs: a real run's (embedded LLM) and a synthetic one
written by the pipeline's own writer (many 64-row groups, to check that only what is shown is read).
The gallery is opened in headless Chromium and checked through its DOM.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem
from PIL import Image, ImageStat

from docmatix.cli import main as cli_main
from docmatix.output.reader import OutputReader, resolve_location, source_name
from docmatix.pipeline.s6_write import ROW_GROUP_ROWS
from tests.chromium_cdp import Chromium, chromium_binary
from tests.fake_hub_server import FakeHub
from tests.fake_hub_server import _Handler as _HubHandler

REPO = Path(__file__).resolve().parent.parent


class CountingFileSystem(LocalFileSystem):
    """The local filesystem, counting the bytes read through it (to see what a command reads)."""

    protocol = "countingfile"
    bytes_read = 0

    def _open(self, path, mode="rb", **kwargs):
        f = super()._open(path, mode, **kwargs)
        if "r" in mode:
            read = f.read

            def counting_read(*args):
                data = read(*args)
                CountingFileSystem.bytes_read += len(data)
                return data

            f.read = counting_read
        return f


def test_one_sample_reads_one_row_group_of_the_columns_shown(synthetic_output, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich's width: questions fit on one line
    fsspec.register_implementation("countingfile", CountingFileSystem, clobber=True)
    shard = synthetic_output / "pdfa-eng-train-0000-00000.parquet"
    assert pq.ParquetFile(shard).metadata.num_row_groups == 5
    CountingFileSystem.bytes_read = 0
    assert cli_main(["inspect", f"countingfile://{synthetic_output}", "--n", "1", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert CountingFileSystem.bytes_read < shard.stat().st_size / 20  # no image bytes, one group of text

    reader = OutputReader(str(synthetic_output))
    ref = reader.sample_refs(1, seed=3)[0]
    row = pq.read_table(shard).slice(ref.row, 1).to_pylist()[0]  # the naive read, for reference
    key = pq.read_table(synthetic_output / "meta" / ref.shard).slice(ref.row, 1).column("key")[0].as_py()
    assert f"pdfa-eng-train-0000/{key}" in printed
    assert all(t["user"] in printed for t in row["texts"])
    sample = reader.load([ref], images=True)[0]
    assert [p.image for p in sample.pages] == [img["bytes"] for img in row["images"]]
    assert [(p.question, p.answer) for p in sample.pairs] == [(t["user"], t["assistant"]) for t in row["texts"]]
    assert [p.reasons for p in sample.dropped] == [["too_short"]]


def test_same_seed_same_rows_and_key_lookup(synthetic_output):
    reader = OutputReader(str(synthetic_output))
    first = reader.sample_refs(7, seed=11)
    assert first == OutputReader(str(synthetic_output)).sample_refs(7, seed=11)
    assert len(set(first)) == 7
    assert first != reader.sample_refs(7, seed=12)
    assert reader.find("0000130") == reader.find("pdfa-eng-train-0000/0000130")
    assert [r.row for r in reader.find("0000130")] == [130]
    assert reader.find("other-unit/0000130") == []


def test_inspect_and_stats_over_an_fsspec_url(synthetic_output, capsys):
    fs = fsspec.filesystem("memory")
    fs.put(str(synthetic_output), "/copy", recursive=True)
    try:
        assert cli_main(["inspect", "memory://copy", "--n", "2", "--rejects"]) == 0
        printed = capsys.readouterr().out
        assert printed.count("pdfa-eng-train-0000/") >= 2 and "too_short" in printed
        assert cli_main(["stats", "memory://copy", "--json", "-"]) == 0
        stats = json.loads(capsys.readouterr().out)
        assert stats["documents"] == 5 * ROW_GROUP_ROWS
        assert stats["dropped_by_reason"] == {"too_short": 5 * ROW_GROUP_ROWS}
    finally:
        fs.rm("/copy", recursive=True)


class _RangeHandler(_HubHandler):
    """The fake Hub's downloads with HTTP Range support, as the real Hub's: HfFileSystem reads a Parquet
    footer and row groups by range. Counts the bytes it serves."""

    def _send(self, status: int, payload=None, headers: dict | None = None, raw: bytes | None = None) -> None:
        wanted = self.headers.get("Range", "")
        if status == 200 and raw is not None and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            size = len(raw)
            start = size - int(last) if first == "" else int(first)
            end = size - 1 if first == "" or last == "" else min(int(last), size - 1)
            headers = (headers or {}) | {"Content-Range": f"bytes {start}-{end}/{size}"}
            status, raw = 206, raw[start:end + 1]
        if raw is not None:
            self.hub.bytes_served += len(raw)
        super()._send(status, payload, headers, raw)


class RangeFakeHub(FakeHub):
    bytes_served = 0

    def start(self) -> str:
        class Handler(_RangeHandler):
            hub = self

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.endpoint


def test_inspect_and_stats_of_a_hub_dataset_by_id(synthetic_output, tmp_path):
    """Published to a local Hub server, then read back by repo id, as `owner/name` on the real Hub."""
    hub = RangeFakeHub()
    hub.start()
    try:
        env = {**os.environ, **hub.client_env(str(tmp_path / "hf_home")), "COLUMNS": "200"}
        run = partial(subprocess.run, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        proc = run([sys.executable, "-m", "docmatix.cli", "publish", str(synthetic_output), "me/docs"])
        assert proc.returncode == 0, proc.stderr[-2000:]
        hub.bytes_served = 0
        proc = run([sys.executable, "-m", "docmatix.cli", "inspect", "me/docs", "--n", "1", "--json"])
        assert proc.returncode == 0, proc.stderr[-2000:]
        sample = json.loads(proc.stdout)
        shard_size = (synthetic_output / "pdfa-eng-train-0000-00000.parquet").stat().st_size
        assert hub.bytes_served < shard_size / 4  # a footer and one row group's pages, not the shard
        assert sample["ref"]["shard"] == "data/train-00000-of-00001.parquet"
        row = pq.read_table(synthetic_output / "pdfa-eng-train-0000-00000.parquet",
                            columns=["texts"]).slice(sample["ref"]["row"], 1).to_pylist()[0]
        assert [p["question"] for p in sample["pairs"]] == [t["user"] for t in row["texts"]]
        proc = run([sys.executable, "-m", "docmatix.cli", "stats", "me/docs", "--json", "-"])
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout)["documents"] == 5 * ROW_GROUP_ROWS
    finally:
        hub.stop()


def test_stats_plots_are_png_charts_of_the_output(synthetic_output, tmp_path):
    assert cli_main(["stats", str(synthetic_output), "--plot", str(tmp_path / "plots")]) == 0
    charts = sorted((tmp_path / "plots").glob("*.png"))
    assert {"pairs_per_doc.png", "drops_by_reason.png", "template_yield.png"} <= {c.name for c in charts}
    for chart in charts:
        with Image.open(chart) as img:
            assert img.format == "PNG" and img.width >= 300
            assert ImageStat.Stat(img.convert("L")).stddev[0] > 5  # something drawn, not a blank canvas


def test_compare_puts_an_output_beside_a_changed_copy(synthetic_output, tmp_path, capsys):
    """Settings come from each output's summary, totals from its data: the copy names another model."""
    copy = tmp_path / "copy"
    shutil.copytree(synthetic_output, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["model"] = "other-model"
    (copy / "summary.json").write_text(json.dumps(summary))
    assert cli_main(["compare", str(synthetic_output), str(copy), "--json", "-"]) == 0
    rows = {(r["section"], r["name"]): (r["a"], r["b"]) for r in json.loads(capsys.readouterr().out)["rows"]}
    assert rows[("settings", "model")][1] == "other-model" != rows[("settings", "model")][0]
    assert rows[("totals", "documents")] == (320, 320)


def test_an_output_with_every_document_rejected(tmp_path, capsys):
    from docmatix.pipeline.s6_write import UnitWriter
    from docmatix.schemas.records import RejectedDocument

    writer = UnitWriter(str(tmp_path), "unit-0")
    writer.add_rejected(RejectedDocument("0000001", "unit-0", "unit-0.tar", "extract", "encrypted", "no password"))
    writer.commit()
    assert not list(tmp_path.glob("*.parquet"))
    assert cli_main(["inspect", str(tmp_path), "--rejects"]) == 0
    printed = capsys.readouterr().out
    assert "no rows" in printed and "unit-0/0000001" in printed and "(encrypted): no password" in printed
    assert cli_main(["stats", str(tmp_path), "--json", "-"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 0 and stats["documents_rejected_by_reason"] == {"encrypted": 1}


def test_hub_ids_resolve_to_the_hub_filesystem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fs, root = resolve_location("HuggingFaceM4/Docmatix")
    assert type(fs).__name__ == "HfFileSystem" and root == "datasets/HuggingFaceM4/Docmatix"
    (tmp_path / "owner" / "name").mkdir(parents=True)  # a local folder of that name wins
    fs, root = resolve_location("owner/name")
    assert fs.protocol in ("file", ("file", "local")) and root.endswith("owner/name")
    with pytest.raises(FileNotFoundError):
        resolve_location("no such folder")


def test_stats_on_a_published_copy_without_meta(synthetic_output, tmp_path, capsys):
    """A published dataset has only data/train-*.parquet: pages come from the image list lengths."""
    dest = tmp_path / "published"
    assert cli_main(["publish", str(synthetic_output), str(dest)]) == 0
    assert not (dest / "meta").exists() and list((dest / "data").glob("train-*.parquet"))
    capsys.readouterr()
    assert cli_main(["stats", str(dest), "--json", "-"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert cli_main(["stats", str(synthetic_output), "--json", "-"]) == 0
    original = json.loads(capsys.readouterr().out)
    for field in ("documents", "pages", "pairs", "pairs_per_doc", "question_chars", "answer_chars"):
        assert published[field] == original[field], field
    assert published["page_sources"] == {} and original["page_sources"]
    assert cli_main(["inspect", str(dest), "--n", "1", "--json"]) == 0
    sample = json.loads(capsys.readouterr().out)
    assert sample["ref"]["shard"].startswith("data/train-") and sample["unit_id"] is None
    assert sample["source_label"] == f"PDFA key: {sample['key']}"  # the key, from the `source` text
    assert len(sample["pages"]) >= 1 and sample["pairs"][0]["template"] is None


# -- a real run's output ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_output(embedded_run) -> tuple[Path, dict]:
    """The session's shared run (tests/conftest.py): the reference filters leave rows to look at."""
    return embedded_run


def _cli(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _meta_rows(out: Path) -> list[dict]:
    return [row for p in sorted((out / "meta").glob("*.parquet")) for row in pq.read_table(p).to_pylist()]


@pytest.mark.slow
def test_inspect_shows_rows_templates_sources_and_rejects(run_output):
    out, summary = run_output
    meta = _meta_rows(out)
    n = max(len(meta), summary["documents_rejected"])  # every row and every rejected document
    printed = _cli("inspect", str(out), "--n", str(n), "--rejects")
    for m in meta:
        assert f"{m['unit_id']}/{m['key']}" in printed
        for template in m["pair_templates"]:
            assert template in printed
        for source in m["page_sources"]:
            assert source_name(source) in printed  # "text layer", "PDFA JSON", "OCR"
    assert f"rejected documents: {summary['documents_rejected']} of {summary['documents_rejected']}" in printed
    for reason in summary["documents_rejected_by_reason"]:
        assert f"({reason})" in printed
    for reason in summary["pairs_dropped_by_reason"]:
        assert reason in printed  # dropped pairs of kept and of rejected documents


@pytest.mark.slow
def test_inspect_by_key_shows_every_pair_or_the_rejection(run_output):
    out, _ = run_output
    m = _meta_rows(out)[0]
    shard = sorted(out.glob("*.parquet"))[0]
    first = pq.read_table(shard, columns=["texts"]).to_pylist()[0]["texts"]
    shown = json.loads(_cli("inspect", str(out), "--key", f"{m['unit_id']}/{m['key']}", "--json"))
    assert [(p["question"], p["answer"]) for p in shown["pairs"]] == [(t["user"], t["assistant"]) for t in first]
    assert [p["template"] for p in shown["pairs"]] == m["pair_templates"]
    assert [p["pages"] for p in shown["pairs"]] == m["pair_pages"] and all(m["pair_pages"])
    assert [p["source"] for p in shown["pages"]] == m["page_sources"]
    dropped = pq.read_table(out / "rejects" / "pairs").to_pylist() if (out / "rejects" / "pairs").exists() else []
    assert [p["question"] for p in shown["dropped"]] == [d["question"] for d in dropped if d["key"] == m["key"]]
    rejected = pq.read_table(out / "rejects" / "documents" / "pdfa-eng-train-0000.parquet").to_pylist()
    encrypted = next(r for r in rejected if r["reason"] == "encrypted")
    printed = _cli("inspect", str(out), "--key", encrypted["key"])
    assert "REJECTED" in printed and "encrypted" in printed


@pytest.mark.slow
def test_stats_agree_with_the_run_summary_and_plot(run_output, tmp_path):
    out, s = run_output
    plots = tmp_path / "plots"
    stats = json.loads(_cli("stats", str(out), "--json", "-", "--plot", str(plots)))
    assert stats["documents"] == s["documents_written"]
    assert stats["pairs"] == s["pairs_kept"]
    assert stats["pairs_dropped"] == s["pairs_dropped"]
    assert stats["dropped_by_reason"] == s["pairs_dropped_by_reason"]
    assert stats["documents_rejected_by_reason"] == s["documents_rejected_by_reason"]
    assert {t: y["generated"] for t, y in stats["template_yield"].items()} == s["pairs_generated_by_template"]
    meta = _meta_rows(out)
    assert stats["pages"] == sum(len(m["page_sources"]) for m in meta)
    ocr = sum(m["page_sources"].count("ocr") for m in meta)
    assert stats["ocr_share"] == pytest.approx(ocr / stats["pages"])
    assert stats["pairs_per_doc"]["count"] == s["documents_written"]
    names = sorted(p.name for p in plots.glob("*.png"))
    assert names == sorted(["pairs_per_doc.png", "pages_per_doc.png", "pairs_per_page.png", "question_length.png",
                            "answer_length.png", "drops_by_reason.png", "page_sources.png", "template_yield.png"])
    for path in plots.glob("*.png"):
        with Image.open(path) as img:
            assert img.size[0] >= 400
            assert max(ImageStat.Stat(img.convert("L")).stddev) > 10, f"{path.name} is blank"
    printed = _cli("stats", str(out))
    assert "per-template yield" in printed and "differs from summary" not in printed


def _rejects(out: Path, kind: str) -> list[dict]:
    folder = out / "rejects" / kind
    return pq.read_table(folder).to_pylist() if folder.exists() else []


def check_gallery_in_chromium(out: Path, tmp_path: Path) -> None:
    """Write the gallery of every row and rejected document, open it in headless Chromium and check,
    through the DOM, that the page images rendered, that every pair is there with its verdict, that the
    template and reason filters show exactly the matching pairs, and that a thumbnail enlarges."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    meta = _meta_rows(out)
    rejected_docs, rejected_pairs = _rejects(out, "documents"), _rejects(out, "pairs")
    gallery = tmp_path / "gallery"
    _cli("gallery", str(out), "--out", str(gallery), "--n", str(len(meta)), "--rejected", str(len(rejected_docs)))
    rows = [r for p in sorted(out.glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    kept_questions = [t["user"] for r in rows for t in r["texts"]]
    drops_by_reason: dict[str, int] = {}
    for pair in rejected_pairs:
        for reason in pair["reasons"]:
            drops_by_reason[reason] = drops_by_reason.get(reason, 0) + 1

    browser = Chromium(binary)
    try:
        browser.open((gallery / "index.html").as_uri())
        page = browser.evaluate("""({
          thumbs: [...document.querySelectorAll('.pages img')].map(i => [i.complete, i.naturalWidth]),
          docs: document.querySelectorAll('.doc:not([data-rejected])').length,
          kept: [...document.querySelectorAll('.pair.kept .q')].map(q => q.textContent),
          dropped: document.querySelectorAll('.pair.dropped').length,
          templates: [...document.querySelectorAll('#filter-template option')].map(o => o.value).filter(Boolean),
          reasons: [...document.querySelectorAll('#filter-reason option')].map(o => o.value),
          rejected: document.querySelectorAll('.doc[data-rejected]').length,
          boxes: [...document.querySelectorAll('.pages figure .box')].map(b => +b.closest('figure').dataset.page),
          shown: document.getElementById('shown').textContent,
        })""")
        shot = browser.screenshot(tmp_path / "gallery.png")
        assert page["docs"] == len(meta)
        assert len(page["thumbs"]) == sum(len(m["page_sources"]) for m in meta)
        assert all(complete and width > 0 for complete, width in page["thumbs"]), page["thumbs"]
        assert sorted(page["kept"]) == sorted(f"Q: {q}" for q in kept_questions)
        assert page["dropped"] == len(rejected_pairs)
        assert page["rejected"] == len(rejected_docs)
        # One evidence box per located answer's line, on the figure of the page its evidence names.
        located = [e for m in meta for e in (m.get("pair_evidence") or []) if e]
        assert sorted(page["boxes"]) == sorted(e["page"] for e in located for _ in e["boxes"])
        assert set(page["templates"]) == {t for m in meta for t in m["pair_templates"]} | {
            p["template"] for p in rejected_pairs}
        assert {f"reason:{r}" for r in drops_by_reason} <= set(page["reasons"])
        assert page["shown"] == f"{len(kept_questions) + len(rejected_pairs)} pairs in " \
                                f"{len(meta) + len(rejected_docs)} documents shown"

        # Filter by template: only that template's pairs remain visible.
        template = page["templates"][0]
        visible = browser.evaluate(f"""(() => {{
          const s = document.getElementById('filter-template'); s.value = {json.dumps(template)};
          s.dispatchEvent(new Event('change'));
          return [...document.querySelectorAll('.pair')].filter(p => p.offsetParent !== null)
                 .map(p => p.dataset.template);
        }})()""")
        assert visible and set(visible) == {template}
        expected = sum(m["pair_templates"].count(template) for m in meta) + sum(
            p["template"] == template for p in rejected_pairs)
        assert len(visible) == expected

        # Filter by verdict: kept only, then each drop reason.
        browser.evaluate("document.getElementById('filter-template').value = ''")
        for value, count in [("kept", len(kept_questions)), *((f"reason:{r}", n) for r, n in drops_by_reason.items())]:
            visible = browser.evaluate(f"""(() => {{
              const s = document.getElementById('filter-reason'); s.value = {json.dumps(value)};
              s.dispatchEvent(new Event('change'));
              return [...document.querySelectorAll('.pair')].filter(p => p.offsetParent !== null)
                     .map(p => [p.dataset.verdict, p.dataset.reasons]);
            }})()""")
            assert len(visible) == count, value
            if value == "kept":
                assert {v for v, _ in visible} == {"kept"}  # a written row has at least one kept pair
            else:
                assert all(value[len("reason:"):] in reasons.split("|") for _, reasons in visible)

        # Clicking a thumbnail shows the full page image in the overlay.
        full = browser.evaluate("""new Promise(resolve => {
          const s = document.getElementById('filter-reason'); s.value = ''; s.dispatchEvent(new Event('change'));
          const big = document.querySelector('#lightbox img');
          big.addEventListener('load', () => resolve({
            width: big.naturalWidth, shown: !document.getElementById('lightbox').hidden,
            src: big.getAttribute('src')}), {once: true});
          document.querySelector('a.thumb img').click();
        })""")
        browser.screenshot(tmp_path / "lightbox.png")
    finally:
        browser.close()
    assert full["shown"]
    with Image.open(gallery / full["src"]) as original:
        assert full["width"] == original.size[0] > 300  # the stored page, not the 160 px thumbnail
    with Image.open(shot) as img:
        assert img.size == (1280, 1000)
        assert max(ImageStat.Stat(img.convert("L")).stddev) > 20  # not a blank page
    keep = os.environ.get("DOCMATIX_KEEP_SCREENSHOTS")
    if keep:  # to look at what the browser showed
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in ("gallery.png", "lightbox.png"):
            shutil.copy(tmp_path / name, Path(keep) / f"{out.name}-{name}")


def test_gallery_of_the_synthetic_output_in_chromium(synthetic_output, tmp_path):
    """Fast: real page renders, drops with a reason, many row groups."""
    check_gallery_in_chromium(synthetic_output, tmp_path)


@pytest.mark.slow
def test_gallery_of_a_real_run_in_chromium(run_output, tmp_path):
    check_gallery_in_chromium(run_output[0], tmp_path)
