"""`docmatix run` with an fsspec URL as input and as output: a shard in a local S3 server (moto), the
output written back to it, then verified there. The fake LLM server answers (tests/fake_llm_server.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from docmatix.output.verify import verify_output
from docmatix.pipeline.generate.llm_embedded import free_port
from docmatix.sample.pdfa_shards import write_shard
from tests.conftest import E2E_PDFS, REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on 127.0.0.1; the environment (inherited by `docmatix run` and its Ray workers)
    points s3fs at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=env["AWS_ENDPOINT_URL"])
    fs.mkdir("docmatix-test")
    yield fs
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def test_run_reads_and_writes_s3_urls(s3, tmp_path, monkeypatch):
    # With a remote output each node's cache index is under ~/.cache/docmatix: a HOME of its own keeps
    # this run from being answered by (or filling) the user's cache.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    local = tmp_path / "pdfa-eng-train-0000.tar"
    write_shard(local, [(f"{i:07d}", corpus_pdf(rel).read_bytes()) for i, rel in enumerate(E2E_PDFS[:3])])
    s3.put(str(local), "docmatix-test/in/pdfa-eng-train-0000.tar")
    out = "s3://docmatix-test/runs/one"
    with FakeServer() as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", "s3://docmatix-test/in/*.tar", "--output", out,
               "--endpoint", server.base_url, "--max-tokens", "64", "--no-progress"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO, env=os.environ.copy())
        assert proc.returncode == 0, proc.stderr[-3000:]
        chat_requests = server.stats()["chat_requests"]
    summary = json.loads(s3.cat(f"{out}/summary.json"))
    assert summary["documents_read"] == summary["documents_written"] + summary["documents_rejected"] == 3
    assert summary["documents_rejected_by_reason"]["encrypted"] == 1 and summary["documents_written"] >= 1
    assert summary["requests"] == chat_requests >= 2, (chat_requests, summary)
    names = {p.rsplit("/", 1)[-1] for p in s3.find("docmatix-test/runs/one")}
    assert {"pdfa-eng-train-0000-00000.parquet", "summary.json", "manifest.json", "pdfa-eng-train-0000.json"} <= names
    report = verify_output(out)  # files against the manifest, and the S3 input re-read
    assert report.ok, report.problems
    assert report.documents_found == report.documents_expected == 3
    # The answers are shared through the output: a rerun on a "fresh cluster" (an empty HOME, so no
    # node-local index) of a unit that must be redone pays for none of them again.
    assert s3.find("docmatix-test/runs/one/_cache/requests/pdfa-eng-train-0000")
    s3.rm("docmatix-test/runs/one/_done", recursive=True)
    monkeypatch.setenv("HOME", str(tmp_path / "fresh-home"))
    with FakeServer() as server:
        proc = subprocess.run(cmd[:7] + ["--endpoint", server.base_url] + cmd[9:], capture_output=True, text=True,
                              timeout=900, cwd=REPO, env=os.environ.copy())
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert server.stats()["chat_requests"] == 0
    rerun = json.loads(s3.cat(f"{out}/summary.json"))
    assert rerun["pairs_kept"] == summary["pairs_kept"] and rerun["requests_cached"] == summary["requests"]
