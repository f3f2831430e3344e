"""Runs that cannot do what was asked say so and exit non-zero: non-portable paths, unreadable inputs, an
endpoint that is not there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docmatix.pipeline.cluster_paths import NonPortablePath, check_portable_paths
from tests.conftest import corpus_pdf
from tests.fake_llm_server import FakeServer

REPO = Path(__file__).resolve().parent.parent


def test_relative_paths_are_named_and_refused():
    with pytest.raises(NonPortablePath) as refused:
        check_portable_paths(["data/sample/a.tar", "/abs/b.tar", "s3://bucket/c.tar"], "out/run", "a Ray job")
    message = str(refused.value)
    assert "data/sample/a.tar" in message and "out/run" in message
    assert "/abs/b.tar" not in message and "s3://" in message  # only the URL advice mentions s3://


def test_absolute_paths_and_urls_are_portable():
    check_portable_paths(["/data/a.tar", "hf://datasets/x/y/a.tar"], "s3://bucket/out", "a Ray job")


def test_relative_paths_refused_when_running_as_a_ray_job(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "RAY_JOB_CONFIG_JSON_ENV_VAR": "{}"}
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "run", "data/none.tar", "--output", "out/rel",
                           "--no-progress"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "relative paths cannot be used in a Ray job" in proc.stderr and "out/rel" in proc.stderr
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_run_where_no_input_can_be_read_exits_nonzero(tmp_path):
    garbage = tmp_path / "pdfa-eng-train-9999.tar"
    garbage.write_bytes(b"this is not a tar archive" * 100)
    out = tmp_path / "out"
    with FakeServer() as server:
        proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "run", str(garbage), "--output", str(out),
                               "--endpoint", server.base_url, "--no-progress"],
                              capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "no input could be read" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents_written"] == 0 and summary["documents_rejected_by_reason"] == {"unreadable_shard": 1}
    assert list((out / "rejects" / "documents").glob("*.parquet"))  # the reason is on disk, not only printed


def test_an_endpoint_that_is_not_there_is_named_and_the_run_stops_after_the_wait(tmp_path):
    """Named with its error before the wait ends, exit status 3, and nothing written: the rerun does it all."""
    from docmatix.pipeline.generate.llm_embedded import free_port

    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    (pdfs / "a.pdf").write_bytes(corpus_pdf("001-trivial/minimal-document.pdf").read_bytes())
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: a mistyped port
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "run", str(pdfs), "--output", str(out),
                           "--endpoint", url, "--model", "m", "--endpoint-wait", "3", "--no-progress"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 3, proc.stderr[-2000:]
    named = proc.stderr.index(f"LLM endpoint {url} is not answering: ConnectError")
    assert named < proc.stderr.index("waiting up to 3 s") < proc.stderr.index("no LLM endpoint answered")
    assert "the same command resumes" in proc.stderr and "Traceback" not in proc.stderr
    assert not (out / "_done").exists() and not (out / "summary.json").exists()


def test_in_cluster_engines_without_the_gpus_are_refused_with_the_numbers(tmp_path):
    """This machine has no GPU: a local Ray instance cannot grow one, so the run stops at once (it used to
    wait forever with no line saying why)."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    (pdfs / "a.pdf").write_bytes(corpus_pdf("001-trivial/minimal-document.pdf").read_bytes())
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "run", str(pdfs), "--output", str(out),
                           "--llm-mode", "ray-vllm", "--model", "m", "--no-progress"],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, "RAY_ADDRESS": ""})
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "needs 1 GPUs (1 replica(s) x 1 tensor-parallel GPU(s)); the Ray cluster has 0" in proc.stderr
    assert "--vllm-device cpu" in proc.stderr and "Traceback" not in proc.stderr
    assert not (out / "_done").exists() and not (out / "summary.json").exists()
