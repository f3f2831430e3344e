"""Shared fixtures: real PDFs from the shared corpus, PDFA-format shards built from them."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docmatix.sample.corpus import sample_corpus_dir
from docmatix.sample.pdfa_shards import write_shard

CORPUS = sample_corpus_dir()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# -- no silent skips in CI: a missing corpus, browser or model must fail the run, not turn it green.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which allows no skip: {reason}"


def pytest_terminal_summary(terminalreporter):
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"skipped tests: {skipped}" + (" (CI=true fails any skip)" if IN_CI else ""))


def corpus_pdf(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return path


@pytest.fixture(scope="session")
def corpus_files() -> list[dict]:
    index = CORPUS / "files.json"
    if not index.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return json.loads(index.read_text())["data"]


# A small, varied set used by the end-to-end tests: one page, an encrypted file, four pages, 6 pages
# (over the 4-page limit), a Google Doc.
E2E_PDFS = [
    "001-trivial/minimal-document.pdf",
    "005-libreoffice-writer-password/libreoffice-writer-password.pdf",
    "004-pdflatex-4-pages/pdflatex-4-pages.pdf",
    "007-imagemagick-images/imagemagick-images.pdf",
    "011-google-doc-document/google-doc-document.pdf",
]


@pytest.fixture(scope="session")
def e2e_shard(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shards") / "pdfa-eng-train-0000.tar"
    docs = [(f"{i:07d}", corpus_pdf(rel).read_bytes()) for i, rel in enumerate(E2E_PDFS)]
    write_shard(out, docs)
    return out


# -- one real run of the pipeline (embedded llama.cpp) shared by the end-to-end, publish, mix and
# inspect tests: each used to pay for its own. The reference filters, because the default (strict)
# preset drops nearly every answer of the 135M model, leaving no row to look at. One llama.cpp slot
# and no prompt-prefix reuse: with them, temperature 0 is reproducible (a test compares two runs).
EMBEDDED_RUN_ARGS = ["--max-tokens", "256", "--seed", "7", "--no-progress", "--filter-preset", "docmatix",
                     "--embedded-parallel", "1", "--no-embedded-prompt-cache"]
REPO = Path(__file__).resolve().parent.parent


def docmatix_run(shard: Path, out: Path, *extra: str) -> dict:
    """`docmatix run` with the shared settings (later flags win), returning its summary."""
    cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), *EMBEDDED_RUN_ARGS,
           *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def rerun_with_cache_of(first: Path, shard: Path, out: Path, *extra: str) -> dict:
    """Run again into `out` with the first run's request cache: same LLM answers, no LLM cost."""
    (out / "_cache").mkdir(parents=True)
    for path in (first / "_cache").glob("requests.sqlite*"):
        shutil.copy(path, out / "_cache" / path.name)
    return docmatix_run(shard, out, *extra)


@pytest.fixture(scope="session")
def embedded_run(e2e_shard, tmp_path_factory) -> tuple[Path, dict]:
    """Output folder and summary of the shared run. Tests read it and never change it."""
    existing = os.environ.get("DOCMATIX_TEST_RUN_OUTPUT")  # iterate on tests without a new run
    if existing:
        return Path(existing), json.loads((Path(existing) / "summary.json").read_text())
    out = tmp_path_factory.mktemp("embedded_run")
    summary = docmatix_run(e2e_shard, out)
    assert summary["documents_written"] >= 1, "the shared run wrote no row: nothing to test on"
    return out, summary


def _bench_module():
    """The benchmark's synthetic documents (real page PNGs, the writer's schema), reused here."""
    spec = importlib.util.spec_from_file_location("bench_inspect", REPO / "benchmarks" / "bench_inspect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- a synthetic output, fast: 320 rows written by the pipeline's own writer (real page PNGs, many row
# groups), no run. Tests read it and never change it (copy it first).
@pytest.fixture(scope="session")
def synthetic_output(tmp_path_factory, corpus_files) -> Path:
    bench = _bench_module()
    out = tmp_path_factory.mktemp("synthetic")
    pages = bench.render_pages(limit=12, dpi=72)
    from docmatix.pipeline.run_summary import build_summary, write_json
    from docmatix.pipeline.s6_write import ROW_GROUP_ROWS, UnitWriter

    writer = UnitWriter(str(out), "pdfa-eng-train-0000")
    for i in range(5 * ROW_GROUP_ROWS):
        writer.add_finished(bench.synthetic_document(i, "pdfa-eng-train-0000", pages))
    writer.commit()
    summary, manifest = build_summary(str(out), ["pdfa-eng-train-0000"], {})
    write_json(str(out), "summary.json", summary)
    write_json(str(out), "manifest.json", manifest)
    return out
