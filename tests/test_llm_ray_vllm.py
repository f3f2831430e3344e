"""The in-cluster mode (`--llm-mode ray-vllm`) as far as it runs without GPUs: the ray.data.llm config,
the prompt rows, and the regrouping of the engine's answers into documents. The engine itself needs
vLLM on GPUs and is not run here."""

from __future__ import annotations

import pytest

from filters.presets import build_filters
from pipeline import llm_ray_vllm as rv
from pipeline.config import RunConfig
from pipeline.profiles import apply_profile
from pipeline.prompt_templates import load_templates
from pipeline.record_rows import UnitEnd, from_row, to_row
from schemas.records import ExtractedDocument, FinishedDocument, PageText, RejectedDocument

TEMPLATES = load_templates()


def config(**kw) -> RunConfig:
    base = dict(inputs=["x"], output="out", llm_mode="ray-vllm", model="org/some-model", vllm_tensor_parallel=4,
                vllm_replicas=2, vllm_batch_size=32, max_chunk_pages=1, max_tokens=128)
    return RunConfig(**{**base, **kw})


def doc(key: str, pages: list[str]) -> ExtractedDocument:
    return ExtractedDocument(key, "u", "o", "l", [PageText(i, t, "text_layer") for i, t in enumerate(pages)],
                             [b"img"] * len(pages))


def test_processor_config_from_settings():
    c = rv.processor_config(config())
    assert c.model_source == "org/some-model"
    assert c.engine_kwargs["tensor_parallel_size"] == 4
    assert c.engine_kwargs["enable_prefix_caching"] is True
    assert c.concurrency == 2 and c.batch_size == 32
    assert c.should_continue_on_error is True
    with pytest.raises(ValueError, match="--model"):
        rv.processor_config(config(model=None))


def test_json_format_asks_vllm_for_structured_output():
    assert "structured_outputs" not in rv.sampling_params(config())
    params = rv.sampling_params(config(answer_format="json"))
    assert params["structured_outputs"]["json"]["required"] == ["pairs"]
    assert params["max_tokens"] == 128 and params["seed"] == 0


def stream(records) -> list[dict]:
    cfg = config()
    rows = []
    for seq, record in enumerate(records):
        rows.extend(rv.prompt_rows(to_row("u", seq, record), cfg, TEMPLATES))
    return rows


def test_each_record_leaves_on_exactly_one_row_and_documents_on_their_last_chunk():
    rejected = RejectedDocument("r", "u", "o", "read", "encrypted")
    records = [doc("a", ["Wind turbines convert wind into power.", "Blades turn a rotor."]), rejected,
               doc("empty", ["", ""]), UnitEnd("u", 3)]
    rows = stream(records)
    assert [bool(r["chunk"]) for r in rows] == [True, True, False, False, False]
    assert [bool(r["record"]) for r in rows] == [False, True, True, True, True]
    assert rows[0]["messages"][0]["role"] == "system"
    assert "Wind turbines" in rows[0]["messages"][-1]["content"]
    assert rows[2]["messages"] == rv.PASS_THROUGH_MESSAGES and rows[2]["sampling_params"]["max_tokens"] == 1


def test_regrouper_rebuilds_finished_documents_in_order():
    records = [doc("a", ["Wind turbines convert wind into electric power.", "Blades turn a rotor shaft."]),
               RejectedDocument("r", "u", "o", "read", "encrypted"), UnitEnd("u", 2)]
    rows = stream(records)
    answers = ["Q1: What do wind turbines convert wind into?\nA1: Wind turbines convert wind into electric power.",
               None, "", ""]
    processed = []
    for row, answer in zip(rows, answers, strict=True):
        if answer is None:  # the engine failed on this row: ray.data.llm keeps it with the error set
            processed.append({**row, rv.ERROR_COLUMN: "EngineDeadError: boom"})
        else:
            processed.append(rv.postprocess({**row, "generated_text": answer}))
    regroup = rv.Regrouper("qa", build_filters([]))
    out = [r for r in (regroup.feed(row) for row in processed) if r is not None]
    assert [type(r).__name__ for r in out] == ["FinishedDocument", "RejectedDocument", "UnitEnd"]
    finished: FinishedDocument = out[0]
    assert finished.key == "a" and len(finished.chunks) == 2
    assert [p.question for p in finished.kept] == ["What do wind turbines convert wind into?"]
    assert finished.chunks[1].error == "inference_error" and "boom" in finished.chunks[1].error_detail
    assert from_row(processed[-1]) == records[-1]


def test_docmatix_profile_skips_a_document_with_an_over_long_page_and_sends_no_temperature():
    cfg = apply_profile(config(profile="docmatix"))
    long_page = " ".join(["word"] * 4 * (cfg.max_chunk_tokens + 10))  # ~4 characters per approximate token
    rows = list(rv.prompt_rows(to_row("u", 0, doc("long", ["A short page of text.", long_page])), cfg, TEMPLATES))
    assert len(rows) == 1 and not rows[0]["chunk"]
    rejected = from_row(rows[0])
    assert isinstance(rejected, RejectedDocument) and rejected.reason == "page_too_long"
    rows = list(rv.prompt_rows(to_row("u", 1, doc("short", ["A short page of text."])), cfg, TEMPLATES))
    assert rows[0]["chunk"] and rows[0]["sampling_params"] == {"max_tokens": 2000}
