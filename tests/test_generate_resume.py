"""Kill a real `docmatix run` (SIGKILL) after about half its LLM requests, rerun it: the server is asked
only the requests the first run did not get answered (the request cache, `<output>/_cache/requests.sqlite`)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow

KILL_AFTER = 3  # answered requests; the run below makes 6 or more (one per page with text)


def run_args(shard: Path, out: Path, url: str) -> list[str]:
    # One page per chunk and one request at a time, so the kill lands between requests of one unit.
    return [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint", url,
            "--max-in-flight", "1", "--max-chunk-pages", "1", "--max-tokens", "64", "--no-progress"]


def answered(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [json.loads(line)["answered"] for line in log.read_text().splitlines() if line.strip()]


def cache_keys(out: Path) -> set[str]:
    with sqlite3.connect(out / "_cache" / "requests.sqlite") as db:
        return {k for (k,) in db.execute("SELECT key FROM answers")}


def test_killed_run_resends_only_missing_requests(e2e_shard, tmp_path):
    out = tmp_path / "out"
    log1, log2 = tmp_path / "server1.jsonl", tmp_path / "server2.jsonl"

    with FakeServer("--delay", "0.5", "--log", str(log1)) as server:
        proc = subprocess.Popen(run_args(e2e_shard, out, server.base_url), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 600
        while len(answered(log1)) < KILL_AFTER and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-2000:]}"
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and the Ray processes it started
        proc.wait()
        proc.stderr.close()
    first_answered = set(answered(log1))
    cached_after_kill = cache_keys(out)
    assert not (out / "summary.json").exists()
    assert 1 <= len(cached_after_kill) <= len(first_answered)
    assert cached_after_kill <= first_answered

    with FakeServer("--log", str(log2)) as server:
        proc = subprocess.run(run_args(e2e_shard, out, server.base_url), capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        stats = server.stats()
    second = answered(log2)
    all_keys = cache_keys(out)
    summary = json.loads((out / "summary.json").read_text())

    # The rerun sent exactly the requests that had no cached answer, each once.
    assert stats["chat_requests"] == len(second) == len(set(second))
    assert not set(second) & cached_after_kill
    assert set(second) | cached_after_kill == all_keys
    assert len(all_keys) >= 2 * KILL_AFTER  # the kill came at about half the run or earlier
    assert summary["requests"] >= len(second)
    assert summary["documents_read"] == summary["documents_written"] + summary["documents_rejected"] == 5
