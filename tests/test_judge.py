"""The LLM judge (`--judge`): its JSON parsed from the embedded llama.cpp server and from the stand-in
server, malformed answers recorded (never a crash), `--min-judge-score` drops with `judge_low`, judge
requests cached and counted; and a real run's meta, summary and `docmatix stats --json`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from docmatix.filters.presets import build_filters
from docmatix.pipeline.generate.judge import JUDGE_LOW, judge_document, judge_sampling, parse_verdict
from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient
from docmatix.pipeline.generate.llm_embedded import EmbeddedServer
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.s5_filter import filter_document
from docmatix.sample.pdfa_shards import write_shard
from docmatix.schemas.records import (
    Chunk,
    ChunkResult,
    ExtractedDocument,
    FinishedDocument,
    GeneratedDocument,
    PageText,
    QAPair,
)
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer, judge_text

TEXT = ("Invoice 2231 from Harbor Tools Ltd, dated 3 March 2021. Items: 4 hammers at 12 EUR, 2 saws at 30 EUR. "
        "Total 108 EUR, due within 30 days.")
PAIRS = [("Which company issued invoice 2231?", "Harbor Tools Ltd."),
         ("What is the invoice total?", "108 EUR."),
         ("How many hammers were bought?", "4 hammers.")]


def invoice() -> FinishedDocument:
    doc = ExtractedDocument("inv", "unit-0", "mem", "", [PageText(0, TEXT, "text_layer")], [b""])
    chunk = Chunk(0, [0], TEXT, 40, "whole_document")
    pairs = [QAPair(q, a, "whole_document", 0) for q, a in PAIRS]
    return filter_document(GeneratedDocument(doc, [ChunkResult(chunk, "...", pairs)]), build_filters(["empty"]))


def judge_with(url: str, done: FinishedDocument, min_score: int | None = None,
               cache: RequestCache | None = None) -> FinishedDocument:
    async def go() -> FinishedDocument:
        async with LLMClient([url], None, ClientSettings(max_in_flight=4, max_attempts=2), cache) as client:
            return await judge_document(client, done, judge_sampling(0), min_score)
    return asyncio.run(go())


def test_parse_verdict_accepts_the_json_and_records_anything_else():
    v = parse_verdict('```json\n{"answerable": 5, "correct": 4.0, "needs_page": "3", "reason": "ok\\nfine"}\n```')
    assert (v.answerable, v.correct, v.needs_page, v.reason, v.score) == (5, 4, 3, "ok fine", 3)
    for text, why in [("no json here", "no JSON object"), ('{"answerable": 5,', "invalid JSON"),
                      ('{"answerable": 6, "correct": 1, "needs_page": 1}', "not 1-5"),
                      ('{"answerable": 2.5, "correct": 1, "needs_page": 1}', "not 1-5"), ("[1, 2, 3]", "no JSON")]:
        bad = parse_verdict(text)
        assert bad.score is None and bad.answerable is None and why in bad.reason, (text, bad.reason)


def test_stand_in_scores_are_parsed_low_ones_dropped_and_requests_cached(tmp_path):
    cache = RequestCache(tmp_path / "requests.sqlite")
    with FakeServer() as server:
        done = judge_with(server.base_url, invoice(), min_score=3, cache=cache)
        sent = server.stats()["chat_requests"]
        again = judge_with(server.base_url, invoice(), min_score=3, cache=cache)
        assert server.stats()["chat_requests"] == sent  # the second time from the request cache
    expected = {q: json.loads(judge_text({"messages": [{"content": f"Question: {q}"}]}, False)) for q, _ in PAIRS}
    low = {q for q, e in expected.items() if min(e["answerable"], e["correct"], e["needs_page"]) < 3}
    assert low and low != set(expected)  # the hash gives both kinds for these questions
    assert sent == len(PAIRS) and done.judge_usage.requests == len(PAIRS) and done.judge_usage.prompt_tokens > 0
    assert again.judge_usage.cached == len(PAIRS) and again.judge_usage.requests == 0
    assert again.judge_usage.prompt_tokens == done.judge_usage.prompt_tokens  # cached at their original cost
    assert {d.pair.question for d in done.dropped} == low
    assert all(d.reasons == [JUDGE_LOW] and d.detail.startswith("judge ") for d in done.dropped)
    assert [p.question for p in done.kept] == [q for q, _ in PAIRS if q not in low]
    for pair, verdict in zip(done.kept, done.judge, strict=True):
        e = expected[pair.question]
        assert (verdict.answerable, verdict.correct, verdict.needs_page) == (e["answerable"], e["correct"],
                                                                             e["needs_page"])


def test_malformed_judge_json_is_recorded_not_fatal():
    with FakeServer("--judge-malformed") as server:
        done = judge_with(server.base_url, invoice(), min_score=5)
    assert len(done.kept) == len(PAIRS) and not done.dropped and done.rejected is None  # unscored: not "low"
    assert len(done.judge) == len(PAIRS)
    for verdict in done.judge:
        assert verdict.score is None and "malformed judge answer" in verdict.reason and "five" in verdict.reason


@pytest.mark.slow
def test_judge_json_from_the_embedded_llama_cpp_server():
    with EmbeddedServer(parallel=1, ctx_per_slot=2048) as server:
        done = judge_with(server.base_url, invoice())
    assert len(done.judge) == len(PAIRS)
    for verdict in done.judge:  # JSON mode (a grammar from the schema): always parseable scores
        assert verdict.score is not None, verdict.reason
        assert all(1 <= s <= 5 for s in (verdict.answerable, verdict.correct, verdict.needs_page))
    assert done.judge_usage.requests == len(PAIRS) and done.judge_usage.completion_tokens > 0


@pytest.mark.slow
def test_run_with_judge_and_evidence_meta_summary_and_stats(tmp_path):
    shard = tmp_path / "pdfa-eng-train-0000.tar"
    pdfs = ["011-google-doc-document/google-doc-document.pdf", "021-pdfa/crazyones-pdfa.pdf"]
    write_shard(shard, [(f"{i:07d}", corpus_pdf(p).read_bytes()) for i, p in enumerate(pdfs)])
    out = tmp_path / "out"
    with FakeServer() as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint",
               server.base_url, "--no-progress", "--filter-preset", "docmatix", "--min-judge-score", "3"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
        assert proc.returncode == 0, proc.stderr[-3000:]
        sent = server.stats()["chat_requests"]
    summary = json.loads((out / "summary.json").read_text())
    meta = [r for p in sorted((out / "meta").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    dropped = pq.read_table(out / "rejects" / "pairs").to_pylist()
    judged_low = [d for d in dropped if d["reasons"] == [JUDGE_LOW]]
    kept = sum(len(m["pair_templates"]) for m in meta)
    assert meta and judged_low and kept
    assert summary["judge_requests"] == kept + len(judged_low) == sent - summary["requests"]
    assert summary["pairs_judged"] == kept and summary["pairs_dropped_by_reason"][JUDGE_LOW] == len(judged_low)
    for m in meta:
        assert len(m["pair_judge"]) == len(m["pair_evidence"]) == len(m["pair_templates"])
        assert all(min(j["answerable"], j["correct"], j["needs_page"]) >= 3 for j in m["pair_judge"])
    # The stand-in quotes a word of the page in each answer: short quotes are found on the page.
    located = sum(e is not None for m in meta for e in m["pair_evidence"])
    assert located == summary["pairs_with_evidence"]

    stats = json.loads(subprocess.run([sys.executable, "-m", "docmatix.cli", "stats", str(out), "--json", "-"],
                                      capture_output=True, text=True, cwd=REPO, check=True).stdout)
    assert stats["evidence"]["pairs"] == kept and stats["evidence"]["located"] == located
    assert sum(t["located"] for t in stats["evidence"]["by_template"].values()) == located
    assert sum(stats["judge"]["histogram"]["min"].values()) == kept
    assert set(stats["judge"]["histogram"]["min"]) <= {"3", "4", "5"}
    assert "documents" in stats["language"]
    printed = subprocess.run([sys.executable, "-m", "docmatix.cli", "stats", str(out)], capture_output=True,
                             text=True, cwd=REPO, check=True, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "answer evidence" in printed and "judge scores" in printed
    assert "differs from summary" not in printed
