"""Signs of life during a run: requests and tokens/s beside the document bar; Ray's logs kept quiet."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from tqdm import tqdm

from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.run_progress import RequestProgress
from tests.conftest import E2E_PDFS, corpus_pdf
from tests.fake_llm_server import FakeServer


def test_postfix_counts_this_runs_answers_only(tmp_path):
    cache = RequestCache(tmp_path / "requests.sqlite")
    cache.put("earlier", "x" * 400)  # a previous run's answer
    bar = tqdm(total=1, disable=True)
    progress = RequestProgress(tmp_path / "requests.sqlite", bar)
    assert progress.postfix()["requests"] == "0"
    cache.put("a", "y" * 4000)
    cache.put("b", "z" * 4000)
    shown = progress.postfix()
    assert shown["requests"] == "2"
    assert float(shown["tok/s"]) > 0


def test_missing_cache_shows_zero(tmp_path):
    progress = RequestProgress(tmp_path / "none.sqlite", tqdm(total=1, disable=True))
    assert progress.postfix() == {"requests": "0", "tok/s": "0.0"}


@pytest.mark.slow
def test_terminal_shows_requests_before_documents_and_no_ray_info(tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "doc.pdf").write_bytes(corpus_pdf(E2E_PDFS[2]).read_bytes())  # four pages: several requests
    with FakeServer("--delay", "3") as server:
        proc = subprocess.run(
            [sys.executable, "-m", "docmatix.cli", "run", str(folder), "--output", str(tmp_path / "out"),
             "--endpoint", server.base_url, "--max-in-flight", "1", "--max-chunk-pages", "1", "--max-tokens", "64"],
            capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    frames = re.split(r"[\r\n]", proc.stderr)
    # While the one document is still at 0/1, the bar already counts answered requests.
    moving = [f for f in frames if "0/1" in f and re.search(r"requests=[1-9]", f)]
    assert moving, proc.stderr[-3000:]
    assert "tok/s=" in moving[-1]
    ray_lines = [f for f in frames if re.search(r"\bINFO\b|Warning|WARNING", f)]
    assert not ray_lines, ray_lines[:5]
