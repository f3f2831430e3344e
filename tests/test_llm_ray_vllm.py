"""The in-cluster mode (`--llm-mode ray-vllm`) without an engine: the ray.data.llm config (GPU and CPU
settings), the prompt rows, and the regrouping of the engine's answers into documents in any order.
tests/test_vllm_integration.py runs the mode for real with vLLM's CPU build (scripts/test_vllm.sh)."""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path

import pytest
import yaml

from docmatix.filters.presets import build_filters
from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.request_cache import RequestCache, request_key
from docmatix.pipeline.on_ray import vllm_engines as rv
from docmatix.pipeline.on_ray.rows import UnitEnd, from_row, to_row
from docmatix.pipeline.profiles import apply_profile
from docmatix.schemas.records import ExtractedDocument, FinishedDocument, PageText, RejectedDocument

TEMPLATES = load_templates()
REPO = Path(__file__).resolve().parent.parent


def config(**kw) -> RunConfig:
    base = dict(inputs=["x"], output="out", llm_mode="ray-vllm", model="org/some-model", vllm_tensor_parallel=4,
                vllm_replicas=2, vllm_batch_size=32, max_chunk_pages=1, max_tokens=128)
    return RunConfig(**{**base, **kw})


def doc(key: str, pages: list[str]) -> ExtractedDocument:
    return ExtractedDocument(key, "u", "o", "l", [PageText(i, t, "text_layer") for i, t in enumerate(pages)],
                             [b"img"] * len(pages))


def node_types_hosting(bundles: list[dict], cluster_yaml: Path = REPO / "ray_cluster.yaml") -> list[str]:
    """ray_cluster.yaml node types one engine replica fits on whole (its bundles are STRICT_PACK)."""
    need: dict[str, float] = {}
    for bundle in bundles:
        for name, amount in bundle.items():
            need[name] = need.get(name, 0) + amount
    need = {name: amount for name, amount in need.items() if amount}  # Ray fills GPU: 0.0 in
    types = yaml.safe_load(cluster_yaml.read_text())["available_node_types"]
    return [name for name, t in types.items()
            if all(t["resources"].get(r, 0) >= amount for r, amount in need.items())]


def test_gpu_engine_settings_and_the_cluster_node_type_they_land_on():
    cluster = yaml.safe_load((REPO / "ray_cluster.yaml").read_text())["available_node_types"]
    d = RunConfig(inputs=["x"], output="out", llm_mode="ray-vllm", model="org/some-model")
    c = rv.processor_config(d)
    assert c.model_source == "org/some-model" and c.accelerator_type is None
    assert c.engine_kwargs["tensor_parallel_size"] == 1
    assert c.engine_kwargs["max_model_len"] == 8192
    assert c.engine_kwargs["enable_prefix_caching"] is True
    assert "enforce_eager" not in c.engine_kwargs and "dtype" not in c.engine_kwargs  # CUDA graphs, model dtype
    assert c.concurrency == 1 and c.batch_size == 64
    assert c.should_continue_on_error is True
    assert c.placement_group_config["bundles"] == [{"GPU": 1, "CPU": 1}]
    assert c.placement_group_config["strategy"] == "STRICT_PACK"  # a replica's GPUs on one node
    # One replica = one GPU of the gpu_vllm node type (never the CPU-only head or extraction workers),
    # and the default replica count fits the GPUs that type can bring up.
    assert node_types_hosting(c.placement_group_config["bundles"]) == ["gpu_vllm"]
    gpu_node = cluster["gpu_vllm"]
    assert c.concurrency <= gpu_node["max_workers"] * gpu_node["resources"]["GPU"]
    # Tensor parallel 4 x 2 replicas: four GPUs on one node, which the yaml's one-GPU type cannot
    # host (the README says to pick a 4-GPU instance for it).
    c = rv.processor_config(config())
    assert c.engine_kwargs["tensor_parallel_size"] == 4 and c.concurrency == 2 and c.batch_size == 32
    assert c.placement_group_config["bundles"] == [{"GPU": 1, "CPU": 1}] * 4
    assert node_types_hosting(c.placement_group_config["bundles"]) == []
    with pytest.raises(ValueError, match="--model"):
        rv.processor_config(config(model=None))


def test_cpu_engine_settings():
    c = rv.processor_config(config(vllm_device="cpu", vllm_tensor_parallel=1, vllm_cpus=2, vllm_max_model_len=2048))
    assert [{k: v for k, v in b.items() if v} for b in c.placement_group_config["bundles"]] == [{"CPU": 2}]
    assert c.engine_kwargs["enforce_eager"] is True and c.engine_kwargs["dtype"] == "float32"
    assert c.engine_kwargs["max_model_len"] == 2048
    assert c.runtime_env["env_vars"]["VLLM_CPU_KVCACHE_SPACE"] == "1"
    assert c.chat_template_stage["num_cpus"] == 0  # the light stages fit beside the engine on 2 cores
    with pytest.raises(ValueError, match="tensor-parallel"):
        rv.processor_config(config(vllm_device="cpu"))


def test_json_format_asks_vllm_for_structured_output():
    assert "structured_outputs" not in rv.sampling_params(config())
    params = rv.sampling_params(config(answer_format="json"))
    assert json.loads(params["structured_outputs"]["json"])["required"] == ["pairs"]
    assert params["max_tokens"] == 128 and params["seed"] == 0


def stream(records, cfg: RunConfig | None = None) -> list[dict]:
    cfg = cfg or config(use_request_cache=False)
    rows = []
    for seq, record in enumerate(records):
        rows.extend(rv.prompt_rows(to_row("u", seq, record), cfg, TEMPLATES))
    return rows


def is_prompt(row: dict) -> bool:
    return row[rv.ERROR_COLUMN] != rv.NOT_A_PROMPT


def test_each_record_leaves_on_one_record_row_that_skips_the_engine_and_chunks_on_prompt_rows():
    rejected = RejectedDocument("r", "u", "o", "read", "encrypted")
    records = [doc("a", ["Wind turbines convert wind into power.", "Blades turn a rotor."]), rejected,
               doc("empty", ["", ""]), UnitEnd("u", 3)]
    rows = stream(records)
    assert [(r["seq"], is_prompt(r), r["n_chunks"]) for r in rows] == [
        (0, False, 2), (0, True, 2), (0, True, 2), (1, False, 0), (2, False, 0), (3, False, 0)]
    assert all(set(r) == set(rows[0]) for r in rows)  # one schema for Ray Data's blocks
    prompts = [r for r in rows if is_prompt(r)]
    assert all(r["messages"] and r["sampling_params"] and not r["record"] for r in prompts)
    # rows that skip the engine carry placeholder messages (no null struct for a one-row block to type)
    assert all(r["messages"] == rv.SKIPPED_MESSAGES and r["record"] for r in rows if not is_prompt(r))
    assert prompts[0]["messages"][0]["role"] == "system"
    assert "Wind turbines" in prompts[0]["messages"][-1]["content"]
    # The same messages the endpoint mode sends for that chunk
    chunk = pickle.loads(prompts[0]["chunk"])
    template = {t.name: t for t in TEMPLATES}[chunk.template]
    assert prompts[0]["messages"] == template.messages(chunk.text, "qa")


def test_ray_data_llm_stages_pass_record_rows_through_without_running():
    """The rule the record rows rely on, checked on ray.data.llm's own stage wrapper: a row with the
    error column set is returned as it came and never handed to the stage's UDF."""
    from ray.llm._internal.batch.stages.base import StatefulStageUDF

    seen = []

    class Engine(StatefulStageUDF):
        async def udf(self, rows):
            for row in rows:
                seen.append(row["chunk"])
                yield {self.IDX_IN_BATCH_COLUMN: row[self.IDX_IN_BATCH_COLUMN], "generated_text": "answer"}

    rows = stream([doc("a", ["Wind turbines convert wind into power."]), UnitEnd("u", 1)])

    async def run():
        return [out async for out in Engine("__data", ["messages"])({"__data": [dict(r) for r in rows]})]

    (out,) = asyncio.run(run())
    assert seen == [rows[1]["chunk"]]
    assert [r.get("generated_text") for r in out["__data"]] == [None, "answer", None]


def engine_output(rows: list[dict], answers: dict[int, str | None]) -> list[dict]:
    """What leaves the processor: record rows as they came (ray.data.llm's error-row rule), prompt rows
    through `postprocess`, or with the error column set when the engine failed (answer None)."""
    out, prompt = [], 0
    for row in rows:
        if not is_prompt(row):
            out.append(row)
            continue
        answer = answers.get(prompt, "")
        prompt += 1
        out.append({**row, rv.ERROR_COLUMN: "EngineDeadError: boom"} if answer is None
                   else rv.postprocess({**row, "generated_text": answer, "num_input_tokens": 50,
                                        "num_generated_tokens": 7}))
    return out


def regroup(rows: list[dict], cfg: RunConfig | None = None) -> list:
    regrouper = rv.Regrouper(build_filters([]))
    cfg = cfg or config(use_request_cache=False)
    out = []
    for row in rows:
        out.extend(regrouper.feed(rv.chunk_outcome(row, rv.request_cache(cfg), cfg)))
    assert not regrouper.pending and not regrouper.unit_ends
    return out


ANSWER = "Q1: What do wind turbines convert wind into?\nA1: Wind turbines convert wind into electric power."


def test_regrouper_rebuilds_finished_documents_whatever_the_order():
    records = [doc("a", ["Wind turbines convert wind into electric power.", "Blades turn a rotor shaft."]),
               RejectedDocument("r", "u", "o", "read", "encrypted"), UnitEnd("u", 2)]
    rows = engine_output(stream(records), {0: ANSWER, 1: None})
    in_order = regroup(rows)
    assert [(seq, type(r).__name__) for _, seq, r in in_order] == [
        (0, "FinishedDocument"), (1, "RejectedDocument"), (2, "UnitEnd")]
    finished: FinishedDocument = in_order[0][2]
    assert finished.key == "a" and [c.chunk.index for c in finished.chunks] == [0, 1]
    assert [p.question for p in finished.kept] == ["What do wind turbines convert wind into?"]
    assert finished.chunks[0].requests == 1 and finished.chunks[0].prompt_tokens == 50
    assert finished.chunks[0].completion_tokens == 7
    assert finished.chunks[1].error == "inference_error" and "boom" in finished.chunks[1].error_detail
    # Reversed (the unit end and the chunk answers before the document's record row): same records,
    # the unit end still last.
    reversed_out = regroup(rows[::-1])
    assert reversed_out[-1][2] == UnitEnd("u", 2)
    by_seq = {seq: r for _, seq, r in reversed_out}
    assert by_seq[1] == records[1]
    assert [p.question for p in by_seq[0].kept] == [p.question for p in finished.kept]
    assert [c.chunk.index for c in by_seq[0].chunks] == [0, 1]


def test_answers_go_to_the_request_cache_and_a_rerun_sends_none_of_them(tmp_path):
    cfg = config(output=str(tmp_path / "out"))
    records = [doc("a", ["Wind turbines convert wind into electric power.", "Blades turn a rotor shaft."]),
               UnitEnd("u", 1)]
    first = regroup(engine_output(stream(records, cfg), {0: ANSWER, 1: "Q1: Blades?\nA1: They turn."}), cfg)
    cache = RequestCache(tmp_path / "out" / "_cache" / "requests.sqlite")
    assert len(cache) == 2
    rerun = stream(records, cfg)
    assert not any(is_prompt(r) for r in rerun)  # every chunk answered from the cache: nothing to send
    again = regroup(engine_output(rerun, {}), cfg)
    before, after = first[0][2], again[0][2]
    assert [c.completion for c in after.chunks] == [c.completion for c in before.chunks]
    assert [p.question for p in after.kept] == [p.question for p in before.kept]
    assert all(c.cached and c.requests == 0 for c in after.chunks)
    assert [(c.prompt_tokens, c.completion_tokens) for c in after.chunks] == [(50, 7), (50, 7)]  # what they cost
    # The endpoint mode's key: same model, messages, sampling and response format
    messages = stream(records, config(use_request_cache=False))[1]["messages"]
    assert cache.get(request_key("org/some-model", messages, cfg.sampling(), None)) == ANSWER


def test_a_document_without_chunks_is_finished_from_its_record_row_alone():
    out = regroup(engine_output(stream([doc("empty", ["", ""]), UnitEnd("u", 1)]), {}))
    assert [type(r).__name__ for _, _, r in out] == ["FinishedDocument", "UnitEnd"]
    assert out[0][2].rejected is not None


def test_docmatix_profile_skips_a_document_with_an_over_long_page_and_sends_no_temperature():
    cfg = apply_profile(config(profile="docmatix"))
    long_page = " ".join(["word"] * 4 * (cfg.max_chunk_tokens + 10))  # ~4 characters per approximate token
    cfg.use_request_cache = False
    rows = list(rv.prompt_rows(to_row("u", 0, doc("long", ["A short page of text.", long_page])), cfg, TEMPLATES))
    assert len(rows) == 1 and not is_prompt(rows[0])
    rejected = from_row(rows[0])
    assert isinstance(rejected, RejectedDocument) and rejected.reason == "page_too_long"
    rows = list(rv.prompt_rows(to_row("u", 1, doc("short", ["A short page of text."])), cfg, TEMPLATES))
    assert rows[1]["chunk"] and rows[1]["sampling_params"] == {"max_tokens": 2000}
