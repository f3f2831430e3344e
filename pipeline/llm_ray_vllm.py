"""In-cluster generation for GPU clusters (`--llm-mode ray-vllm`): vLLM engines run as Ray Data actors
through `ray.data.llm`, instead of HTTP endpoints.

Stream shape (the run keeps `preserve_order`, so rows leave the processor in the order they entered):

    extracted rows -> flat_map(prompt_rows): one row per chunk of each document; the document itself
        rides on its last chunk row, and records without chunks (rejections, unit ends, text-less
        documents) ride on a pass-through row with a 1-token dummy prompt
    -> vLLM engine processor (chat template, tokenize, generate, detokenize), `replicas` engines of
       `tensor_parallel` GPUs each
    -> driver: `Regrouper.feed` gathers a document's chunk answers, parses and filters them, and hands
       the FinishedDocument to the writer.

Written against the documented `ray.data.llm` API (vLLMEngineProcessorConfig + build_processor, called
build_llm_processor before Ray 2.5x). Not run here: it needs GPUs and vLLM on the cluster. The HTTP
request cache does not apply in this mode (there is no request to replay; unit-level resume still does).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

from filters.base import PairFilter
from filters.decontamination import BenchmarkIndex
from pipeline.answer_evidence import attach_evidence
from pipeline.config import RunConfig
from pipeline.prompt_templates import PromptTemplate
from pipeline.qa_parse import QA_JSON_SCHEMA
from pipeline.record_rows import from_row, to_row
from pipeline.repetition import LoopSettings
from pipeline.s3_chunk import chunk_or_reject
from pipeline.s4_generate import parse_chunk
from pipeline.s5_filter import filter_document
from pipeline.token_count import approximate_tokens
from schemas.records import Chunk, ChunkResult, ExtractedDocument, GeneratedDocument, RejectedDocument

PASS_THROUGH_MESSAGES = [{"role": "user", "content": "."}]  # a record with no prompt still needs a row
ERROR_COLUMN = "__inference_error__"  # set by ray.data.llm on rows whose generation failed


def engine_kwargs(config: RunConfig) -> dict[str, Any]:
    return {
        "tensor_parallel_size": config.vllm_tensor_parallel,
        "max_model_len": config.vllm_max_model_len,
        "enable_prefix_caching": True,  # every prompt starts with its template's system part and examples
        "enable_chunked_prefill": True,
    }


def processor_config(config: RunConfig):
    """The vLLMEngineProcessorConfig for this run (model from --model: a HF id or a local path)."""
    from ray.data.llm import vLLMEngineProcessorConfig

    if not config.model:
        raise ValueError("--llm-mode ray-vllm needs --model (a Hugging Face model id or a local path)")
    return vLLMEngineProcessorConfig(
        model_source=config.model,
        engine_kwargs=engine_kwargs(config),
        concurrency=config.vllm_replicas,
        batch_size=config.vllm_batch_size,
        should_continue_on_error=True,  # a failed row becomes a rejected chunk with its reason
    )


def sampling_params(config: RunConfig) -> dict[str, Any]:
    params = dict(config.sampling())
    if config.answer_format == "json":
        params["structured_outputs"] = {"json": QA_JSON_SCHEMA}  # vLLM StructuredOutputsParams
    return params


def prompt_rows(row: dict[str, Any], config: RunConfig, templates: list[PromptTemplate]) -> Iterator[dict]:
    """flat_map: one row per chunk to generate; every input record leaves on exactly one row."""
    record = from_row(row)
    chunks = []
    if isinstance(record, ExtractedDocument):
        chunks = chunk_or_reject(record, templates, config.chunk, approximate_tokens)
        if isinstance(chunks, RejectedDocument):
            record, chunks = chunks, []
    base = to_row(row["unit_id"], int(row["seq"]), record)
    by_name = {t.name: t for t in templates}
    params = sampling_params(config)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        yield {**base, "record": base["record"] if last else b"", "chunk": pickle.dumps(chunk),
               "messages": by_name[chunk.template].messages(chunk.text, config.answer_format),
               "sampling_params": params}
    if not chunks:
        yield {**base, "chunk": b"", "messages": PASS_THROUGH_MESSAGES,
               "sampling_params": {"max_tokens": 1, "temperature": 0.0}}


def postprocess(row: dict[str, Any]) -> dict[str, Any]:
    return {"unit_id": row["unit_id"], "seq": row["seq"], "record": row["record"], "chunk": row["chunk"],
            "generated_text": row.get("generated_text") or "", ERROR_COLUMN: "",
            # vLLM's token counts for the request (ray.data.llm's engine stage columns); 0 if absent.
            "num_input_tokens": int(row.get("num_input_tokens") or 0),
            "num_generated_tokens": int(row.get("num_generated_tokens") or 0)}


def build(config: RunConfig):
    """The ray.data.llm processor (needs vLLM + transformers where it runs)."""
    try:
        from ray.data.llm import build_processor
    except ImportError:  # Ray before the rename
        from ray.data.llm import build_llm_processor as build_processor
    return build_processor(processor_config(config), postprocess=postprocess)


def apply(ds, config: RunConfig, templates: list[PromptTemplate]):
    """extracted rows -> rows of `postprocess`, in order; feed them to a `Regrouper`."""
    ds = ds.flat_map(prompt_rows, fn_kwargs={"config": config, "templates": templates}, num_cpus=0.25)
    return build(config)(ds)


def chunk_result(row: dict[str, Any], answer_format: str, loops: LoopSettings | None = None) -> ChunkResult:
    chunk: Chunk = pickle.loads(row["chunk"])
    error = row.get(ERROR_COLUMN) or ""
    if error:
        return ChunkResult(chunk, None, error="inference_error", error_detail=str(error)[:500], requests=1)
    out = parse_chunk(chunk, row.get("generated_text") or "", answer_format, loops)
    out.requests = 1
    out.prompt_tokens = int(row.get("num_input_tokens") or 0)
    out.completion_tokens = int(row.get("num_generated_tokens") or 0)
    return out


class Regrouper:
    """On the driver: turns the processor's ordered chunk rows back into one record per input record."""

    def __init__(self, answer_format: str, filters: list[PairFilter], loops: LoopSettings | None = None,
                 benchmark: BenchmarkIndex | None = None):
        self.answer_format = answer_format
        self.filters = filters
        self.loops = loops  # batch inference cannot cancel: loops are only cut from the parsed text
        self.benchmark = benchmark
        self.pending: list[ChunkResult] = []

    def feed(self, row: dict[str, Any]) -> Any | None:
        """The finished record when `row` completes one, else None."""
        if row.get("chunk"):
            self.pending.append(chunk_result(row, self.answer_format, self.loops))
        if not row.get("record"):
            return None
        record = from_row(row)
        if isinstance(record, ExtractedDocument):
            results, self.pending = self.pending, []
            return attach_evidence(filter_document(GeneratedDocument(record, results), self.filters, self.benchmark))
        return record
