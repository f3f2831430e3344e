"""The issue's done-when as a run: `docmatix run` (Ray, isolated extraction, a fake LLM endpoint) on a
PDFA shard holding every corpus PDF and the generated hostile files finishes, and every input is
written or rejected with a reason."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile

import pyarrow.parquet as pq
import pytest

from docmatix.sample.pdfa_shards import write_shard
from tests import adversarial_pdfs as adv
from tests.conftest import CORPUS
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow

TIMEOUT_S = 30  # per document; the hung page needs minutes


def _append_sample(shard, key: str, pdf: bytes, pdfa_json: dict) -> None:
    with tarfile.open(shard, "a") as tar:
        for name, data in ((f"{key}.pdf", pdf), (f"{key}.json", json.dumps(pdfa_json).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_run_on_corpus_and_hostile_files_accounts_for_every_input(corpus_files, tmp_path):
    corpus = [(CORPUS / e["path"]).read_bytes() for e in corpus_files if (CORPUS / e["path"]).exists()]
    if not corpus:
        pytest.skip(f"shared corpus not found at {CORPUS}")
    hostile = {
        "garbage": adv.garbage(), "zero_pages": adv.zero_pages(), "giant_page": adv.giant_page(),
        "decompression_bomb": adv.decompression_bomb(), "truncated": adv.truncated(adv.born_digital(pages=2)),
        "scanned": adv.scanned(), "hung": adv.slow_page(),
    }
    docs = [(f"{i:07d}", data) for i, data in enumerate([*corpus, *hostile.values()])]
    shard = tmp_path / "pdfa-eng-train-0000.tar"
    write_shard(shard, docs)
    # A PDFA sample whose JSON lines are empty although the PDF has a good text layer.
    _append_sample(shard, "9999999", adv.born_digital(), {"pages": [{"lines": {"text": []}}]})
    n_inputs = len(docs) + 1

    out = tmp_path / "out"
    with FakeServer() as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out),
               "--endpoint", server.base_url, "--no-progress", "--max-tokens", "256",
               "--extract-timeout", str(TIMEOUT_S)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["documents_read"] == n_inputs == s["documents_written"] + s["documents_rejected"]
    rejects = pq.read_table(out / "rejects" / "documents" / "pdfa-eng-train-0000.parquet").to_pylist()
    assert len(rejects) == s["documents_rejected"]
    assert all(r["reason"] and r["error"] and r["stage"] and r["origin"] and r["key"] for r in rejects)
    # later stages may reject a document too (e.g. no pair kept); extraction's verdicts are what we check
    reason = {r["key"]: r["reason"] for r in rejects if r["stage"] == "extract"}
    first_hostile = len(corpus)
    expected = {"garbage": "unreadable_pdf", "zero_pages": "no_pages", "giant_page": "page_too_large",
                "decompression_bomb": "image_too_large", "hung": "timeout"}
    for offset, name in enumerate(hostile):
        key = f"{first_hostile + offset:07d}"
        if name in expected:
            assert reason.get(key) == expected[name], (name, reason.get(key))
        else:  # the truncated and the scanned file are readable: extracted
            assert key not in reason, (name, reason.get(key))
    assert s["pages_ocr"] >= 1  # the scan
    assert s["pages_source_disagreement"] >= 1  # the sample with empty JSON lines
