"""What `docmatix run` asks the LLM, counted by the server: finished units and cached answers are never
sent again, a changed model, sampling or response format misses the cache, a request over
`--request-timeout` ends as a chunk in `rejects/chunks/`, and `--token-count approx` never calls
`/tokenize`. Real runs (local Ray) against the fake OpenAI-compatible server of tests/fake_llm_server.py."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient
from docmatix.pipeline.generate.qa_parse import response_format
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.sample.pdfa_shards import write_shard
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow

# One small born-digital PDF per shard: three units of work, a few requests each.
UNIT_PDFS = ["001-trivial/minimal-document.pdf", "011-google-doc-document/google-doc-document.pdf",
             "021-pdfa/crazyones-pdfa.pdf"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("count-shards")
    paths = []
    for i, rel in enumerate(UNIT_PDFS):
        path = folder / f"pdfa-eng-train-{i:04d}.tar"
        write_shard(path, [(f"{i}000000", corpus_pdf(rel).read_bytes())])
        paths.append(path)
    return paths


def run(shards: list[Path], out: Path, url: str, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", *map(str, shards), "--output", str(out), "--endpoint", url,
           "--max-chunk-pages", "1", "--max-tokens", "64", "--no-progress", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def test_finished_units_and_cached_answers_are_not_sent_again(shards, tmp_path):
    out = tmp_path / "out"
    with FakeServer() as server:
        first = run(shards, out, server.base_url)
        sent_first = server.stats()
        assert first["requests_cached"] == 0 and first["units_done"] == 3
        assert sent_first["chat_requests"] == first["requests"] == first["chunks"] >= 3
        assert sent_first["tokenize_requests"] >= 1  # the default token count asks the server

        # The same command again: every unit is done, nothing is sent.
        again = run(shards, out, server.base_url)
        assert server.stats()["chat_requests"] == sent_first["chat_requests"]
        assert again["requests"] == first["requests"] and again["pairs_kept"] == first["pairs_kept"]

        saved = tmp_path / "saved-cache"
        shutil.copytree(out / "_cache", saved)

        # A crash that lost one unit's done marker and the whole request cache: only that unit's
        # requests are sent; the finished units' markers are not rewritten.
        lost = out / "_done" / "pdfa-eng-train-0001.json"
        lost_requests = json.loads(lost.read_text())["counts"]["requests"]
        kept = {p.name: p.read_bytes() for p in (out / "_done").glob("*.json") if p != lost}
        lost.unlink()
        shutil.rmtree(out / "_cache")
        resumed = run(shards, out, server.base_url)
        assert server.stats()["chat_requests"] - sent_first["chat_requests"] == lost_requests >= 1
        assert {p.name: p.read_bytes() for p in (out / "_done").glob("*.json") if p.name in kept} == kept
        assert resumed["pairs_kept"] == first["pairs_kept"] and resumed["units_done"] == 3

        # A new output with the first run's cache: every chunk is answered from it, nothing is sent.
        copy = tmp_path / "copy"
        (copy / "_cache").mkdir(parents=True)
        for path in saved.glob("requests.sqlite*"):
            shutil.copy(path, copy / "_cache" / path.name)
        from_cache = run(shards, copy, server.base_url)
        assert server.stats()["chat_requests"] - sent_first["chat_requests"] == lost_requests
    assert from_cache["requests"] == 0 and from_cache["requests_cached"] == from_cache["chunks"] == first["chunks"]
    assert from_cache["pairs_kept"] == first["pairs_kept"]


async def ask_all(url: str, cache: Path, sampling: dict, response_format: dict | None) -> tuple[list, LLMClient]:
    """The same three prompts, each once, through a client with the request cache at `cache`."""
    client = LLMClient([url], None, ClientSettings(backoff_base_s=0.02, ready_timeout_s=20), RequestCache(cache))
    async with client:
        results = [await client.chat([{"role": "user", "content": f"Page {i}: wind turbines make power."}],
                                     sampling, response_format) for i in range(3)]
    return results, client


SAMPLING = {"temperature": 0.0, "max_tokens": 64}


@pytest.mark.parametrize("change", [{"model": "other-model"}, {"sampling": {"temperature": 0.7}},
                                    {"sampling": {"max_tokens": 65}}, {"response_format": "json"}],
                         ids=["model", "temperature", "max_tokens", "response_format"])
def test_a_changed_model_sampling_or_response_format_misses_the_cache(tmp_path, change):
    cache = tmp_path / "requests.sqlite"
    with FakeServer() as server:
        asyncio.run(ask_all(server.base_url, cache, SAMPLING, None))
        same, _ = asyncio.run(ask_all(server.base_url, cache, SAMPLING, None))
        assert server.stats()["chat_requests"] == 3 and all(r.cached for r in same)  # unchanged: from the cache
    sampling = {**SAMPLING, **change.get("sampling", {})}
    fmt = response_format(change["response_format"]) if "response_format" in change else None
    with FakeServer("--model", change.get("model", "fake-model")) as server:
        other, client = asyncio.run(ask_all(server.base_url, cache, sampling, fmt))
        assert server.stats()["chat_requests"] == 3, f"{change}: answered from the cache of other settings"
    assert client.stats.cache_hits == 0 and not any(r.cached for r in other)


def test_request_timeout_rejects_the_chunk_into_rejects_chunks(shards, tmp_path):
    out = tmp_path / "out"
    with FakeServer("--delay", "5") as server:  # slower than the 0.5 s timeout: no request succeeds
        s = run(shards[:1], out, server.base_url, "--request-timeout", "0.5", "--max-attempts", "2",
                "--token-count", "approx")
        stats = server.stats()
    assert stats["tokenize_requests"] == 0  # --token-count approx never asks the server
    assert s["chunks"] >= 1 and s["chunks_rejected"] == s["chunks"] and s["pairs_generated"] == 0
    assert stats["chat_requests"] == s["requests"] == 2 * s["chunks"]  # each attempt timed out
    rows = pq.read_table(out / "rejects" / "chunks" / "pdfa-eng-train-0000.parquet").to_pylist()
    assert len(rows) == s["chunks"]
    assert {r["reason"] for r in rows} == set(s["chunks_rejected_by_reason"])
    assert all(r["key"] == "0000000" and "Timeout" in r["error"] and not r["completion"] for r in rows)
    # The document had no pair to write, so it is rejected, not lost.
    assert s["documents_read"] == s["documents_rejected"] == 1
