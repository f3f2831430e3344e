"""Crash safety: a run killed with SIGKILL mid-way and rerun gives exactly the uninterrupted output; a
run stopped with Ctrl-C says so cleanly and resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from docmatix.output.verify import verify_output
from docmatix.sample.pdfa_shards import write_shard
from tests.conftest import corpus_pdf

pytestmark = pytest.mark.slow

SHARD_PDFS = [
    ["001-trivial/minimal-document.pdf", "002-trivial-libre-office-writer/002-trivial-libre-office-writer.pdf"],
    ["011-google-doc-document/google-doc-document.pdf", "016-libre-office-link/libre-office-link.pdf"],
    ["021-pdfa/crazyones-pdfa.pdf", "022-pdfkit/pdfkit.pdf"],
]


def _cmd(shards: list[Path], out: Path) -> list[str]:
    return [sys.executable, "-m", "docmatix.cli", "run", *map(str, shards), "--output", str(out),
            "--max-tokens", "128", "--seed", "3", "--no-progress", "--embedded-parallel", "1", "--no-embedded-prompt-cache"]  # deterministic


def _answered(cache: Path) -> int:
    """Requests answered so far, read from the run's request cache."""
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.Error:
        return 0


def _content(out: Path) -> dict[str, list]:
    """Every output, meta and rejects file with its rows (caches, markers and summaries excluded)."""
    files = sorted(p for p in out.rglob("*.parquet") if "_cache" not in p.parts and "_tmp" not in p.parts)
    return {str(p.relative_to(out)): pq.read_table(p).to_pylist() for p in files}


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("resume-shards")
    paths = []
    for i, rels in enumerate(SHARD_PDFS):
        path = folder / f"pdfa-eng-train-{i:04d}.tar"
        write_shard(path, [(f"{i}{j:06d}", corpus_pdf(rel).read_bytes()) for j, rel in enumerate(rels)])
        paths.append(path)
    return paths


def test_sigkill_then_rerun_equals_uninterrupted_run(shards, tmp_path):
    reference = tmp_path / "reference"
    subprocess.run(_cmd(shards, reference), check=True, capture_output=True, timeout=900)

    resumed = tmp_path / "resumed"
    proc = subprocess.Popen(_cmd(shards, resumed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    # Kill once half of the 6 requests are answered: one llama.cpp slot answers them one at a time,
    # seconds apart, so the kill lands mid-generation.
    cache = resumed / "_cache" / "requests.sqlite"
    deadline = time.monotonic() + 900
    answered = 0
    while time.monotonic() < deadline and proc.poll() is None:
        answered = _answered(cache)
        if answered >= 3:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= _answered(cache) < 6
    assert not (resumed / "summary.json").exists()
    assert len(list(resumed.glob("_done/*.json"))) < len(shards)

    rerun = subprocess.run(_cmd(shards, resumed), capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    assert _content(resumed) == _content(reference)
    report = verify_output(str(resumed))
    assert report.ok, report.problems
    assert report.documents_found == report.documents_expected == 6


def test_ctrl_c_stops_cleanly_says_how_to_resume_and_the_rerun_completes(shards, tmp_path):
    """SIGINT to the whole process group, as Ctrl-C in a terminal sends it, mid-generation: no stack
    trace, exit status 130, a line with what was committed and the command that resumes; then the rerun
    completes and verify passes."""
    from tests.fake_llm_server import FakeServer

    out = tmp_path / "out"
    with FakeServer("--delay", "1.5") as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", *map(str, shards), "--output", str(out),
               "--endpoint", server.base_url, "--no-progress"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        cache = out / "_cache" / "requests.sqlite"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None and _answered(cache) < 1:
            time.sleep(0.2)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, stderr[-3000:]
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
        assert "interrupted by SIGINT:" in stderr and f"of {len(shards)} unit(s) committed" in stderr
        assert "Resume with:\n  docmatix run " in stderr and str(out) in stderr
        assert not (out / "summary.json").exists()

        rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = verify_output(str(out))
    assert report.ok, report.problems
    assert report.documents_found == report.documents_expected == 6
