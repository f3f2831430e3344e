"""Decontamination (filters/decontamination.py, --decontaminate): questions sharing a 13-word n-gram
with a benchmark question (or copying a short one whole) are dropped as `contaminated`, with the
benchmark item recorded in rejects/pairs/."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from docmatix.filters.decontamination import BenchmarkIndex
from docmatix.pipeline.s5_filter import filter_document
from docmatix.sample.pdfa_shards import write_shard
from docmatix.schemas.records import Chunk, ChunkResult, ExtractedDocument, GeneratedDocument, QAPair
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

LONG = ("According to the annual report of the company, what was the total revenue reported for the "
        "fiscal year ending in December 2019?")  # 22 words
SHORT = "What is the date mentioned in this letter?"  # DocVQA-style: under 13 words


@pytest.fixture
def benchmark_jsonl(tmp_path):
    path = tmp_path / "docvqa.jsonl"
    rows = [{"question": LONG, "answers": ["$1.2 billion"]}, {"question": SHORT, "answers": ["May 3"]},
            {"question": "Who signed the memo?", "answers": ["J. Smith"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_long_overlap_and_whole_short_copies_match(benchmark_jsonl):
    index = BenchmarkIndex.load(str(benchmark_jsonl))
    # 13 consecutive words of LONG inside another question, with different case and punctuation
    copied = "Per the table: REPORT of the company, what was the total revenue reported for the fiscal year?"
    assert index.match(copied) == f"{benchmark_jsonl}#0: {LONG}"
    # 12 of them: below the n-gram, no match
    assert index.match("The report of the company, what was the total revenue reported for the year") is None
    assert index.match("what is the DATE mentioned in this letter") == f"{benchmark_jsonl}#1: {SHORT}"
    # a short benchmark question inside a longer one is too generic to count
    assert index.match("Who signed the memo and when was it sent to the board?") is None
    assert BenchmarkIndex.load(str(benchmark_jsonl), n=4).match("so who signed the memo then") is not None


def test_parquet_with_a_query_column_and_no_question_column(tmp_path):
    path = tmp_path / "chartqa.parquet"
    pq.write_table(pa.table({"query": [LONG], "label": ["1.2"]}), path)
    assert BenchmarkIndex.load(str(path)).match(LONG + " Answer briefly.") is not None
    pq.write_table(pa.table({"text": [LONG]}), path)
    with pytest.raises(ValueError, match="no question column"):
        BenchmarkIndex.load(str(path))


def test_filter_document_drops_contaminated_with_the_item(benchmark_jsonl):
    doc = ExtractedDocument("k", "u", "o", "src", [], [])
    chunk = Chunk(0, [0], "page text", 3, "t")
    pairs = [QAPair(SHORT, "May 3", "t", 0), QAPair("What is the title of the report?", "Annual report", "t", 0)]
    done = filter_document(GeneratedDocument(doc, [ChunkResult(chunk, "", pairs)]), [],
                           BenchmarkIndex.load(str(benchmark_jsonl)))
    assert [p.question for p in done.kept] == [pairs[1].question]
    assert [(d.pair.question, d.reasons, d.detail) for d in done.dropped] == [
        (SHORT, ["contaminated"], f"{benchmark_jsonl}#1: {SHORT}")]


@pytest.mark.slow
def test_run_records_contaminated_pairs(tmp_path):
    shard = tmp_path / "pdfa-eng-train-0000.tar"
    write_shard(shard, [("0000000", corpus_pdf("011-google-doc-document/google-doc-document.pdf").read_bytes())])
    # The fake server asks "Which word appears near the start of the document text (N)?" for N = 1..3.
    bench = tmp_path / "bench.parquet"
    copied = "Which word appears near the start of the document text (2)?"
    pq.write_table(pa.table({"question": ["How many pages does the report have?", copied]}), bench)
    out = tmp_path / "out"
    with FakeServer() as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint",
               server.base_url, "--no-progress", "--max-tokens", "256", "--filters", "empty",
               "--decontaminate", str(bench)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    n_contaminated = s["pairs_dropped_by_reason"].get("contaminated", 0)
    assert n_contaminated >= 1 and s["pairs_kept"] >= 1, s["pairs_dropped_by_reason"]
    rejects = [r for r in pq.read_table(out / "rejects" / "pairs").to_pylist() if r["reasons"] == ["contaminated"]]
    assert len(rejects) == n_contaminated
    assert all(r["question"] == copied and r["detail"] == f"{bench}#1: {copied}" for r in rejects)
    kept = [t["user"] for shard in out.glob("*.parquet")
            for row in pq.read_table(shard, columns=["texts"]).column("texts").to_pylist() for t in row]
    assert len(kept) == s["pairs_kept"]
    assert copied not in kept
