"""Crash safety: a run killed with SIGKILL mid-way and rerun gives exactly the uninterrupted output."""

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


def test_verify_detects_tampering(shards, tmp_path):
    out = tmp_path / "out"
    subprocess.run(_cmd(shards[:1], out), check=True, capture_output=True, timeout=900)
    assert verify_output(str(out)).ok
    victim = next(iter(sorted((out / "rejects" / "documents").glob("*.parquet")) + sorted(out.glob("*.parquet"))))
    table = pq.read_table(victim)
    pq.write_table(table.slice(0, max(0, table.num_rows - 1)), victim)
    problems = verify_output(str(out)).problems
    assert any("sha256" in p for p in problems)
    assert any("neither written nor rejected" in p or "rows" in p for p in problems)
