"""In-cluster generation (`--llm-mode ray-vllm`): vLLM engines run as Ray Data actors through
`ray.data.llm`, instead of HTTP endpoints. The generate stage is the endpoint mode's: chunks from
`chunk_or_reject`, messages from the template, answers through `answered_chunk` (parse, loop cut, token
counts) and documents through `filter_document`; only "send these prompts" differs.

Stream shape (no step depends on row order):

    extracted rows -> prompt_rows (typed by prompt_schema): each record leaves on one "record row" (a document carries
        how many chunks it has); each chunk of a document adds one "prompt row" with its messages
    -> vLLM engine processor (chat template, tokenize, generate, detokenize), `replicas` engines.
       Record rows carry ray.data.llm's error column set to NOT_A_PROMPT: every stage passes rows with
       that column set through untouched (stages/base.py StatefulStageUDF), so they never reach the
       tokenizer or the engine and cost no request.
    -> map(chunk_outcome), in workers: a prompt row becomes its ChunkResult (parsed answer, or the
       engine's error as an `inference_error` chunk)
    -> map_batches(RegroupDocuments), one actor: gathers a document's chunk results by (unit_id, seq),
       filters the complete document and emits it; a unit's end waits for the unit's records.
    -> rows of `pipeline.on_ray.rows`, as the endpoint mode's generate stage emits.

The request cache is the endpoint mode's (`<output>/_cache/requests.sqlite`, keyed by model, messages,
sampling and response format): a chunk answered before leaves prompt_rows already answered, on a row the
engine skips; chunk_outcome stores each new answer with vLLM's token counts.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from docmatix.filters.base import PairFilter
from docmatix.filters.decontamination import BenchmarkIndex
from docmatix.filters.options import filters_from
from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.generate.answer_evidence import attach_evidence
from docmatix.pipeline.generate.llm_client import usage_tokens
from docmatix.pipeline.generate.prompt_templates import PromptTemplate, load_templates
from docmatix.pipeline.generate.qa_parse import QA_JSON_SCHEMA, response_format
from docmatix.pipeline.generate.repetition import LoopSettings
from docmatix.pipeline.generate.request_cache import RequestCache, request_key
from docmatix.pipeline.generate.token_count import approximate_tokens
from docmatix.pipeline.on_ray.engine_resources import placement
from docmatix.pipeline.on_ray.generate_stage import cache_path, shared_cache
from docmatix.pipeline.on_ray.rows import DOCUMENTS_PER_BATCH, UnitEnd, from_row, rows_to_table, to_row
from docmatix.pipeline.s3_chunk import chunk_or_reject
from docmatix.pipeline.s4_generate import answered_chunk, failed_chunk
from docmatix.pipeline.s5_filter import benchmark_from, filter_document
from docmatix.schemas.records import Chunk, ChunkResult, ExtractedDocument, GeneratedDocument

ERROR_COLUMN = "__inference_error__"  # set by ray.data.llm on rows whose generation failed
NOT_A_PROMPT = "docmatix: not a prompt"  # ERROR_COLUMN of record rows: every processor stage skips them
SKIPPED_MESSAGES = [{"role": "user", "content": ""}]  # the messages column of a row that skips the engine
# vLLM's CPU backend, as scripts/test_vllm.sh serves it: KV cache size in GiB, and no pinning of its
# OpenMP threads to cores (other processes share them).
CPU_ENGINE_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "nobind"}
# Chat template / tokenize / detokenize actors reserve no core on the CPU device (their work is light):
# at one core each they would outnumber a small host's cores, which the engine and extraction need.
CPU_STAGE_CPUS = 0.0
LIGHT_TASK_CPUS = 0.25  # prompt building, postprocess and parsing tasks


def engine_kwargs(config: RunConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "tensor_parallel_size": config.vllm_tensor_parallel,
        "max_model_len": config.vllm_max_model_len,
        "enable_prefix_caching": True,  # every prompt starts with its template's system part and examples
        "enable_chunked_prefill": True,
    }
    if config.vllm_device == "cpu":  # the CPU build: no CUDA graphs, and the tiny test model is float32
        kwargs.update(enforce_eager=True, dtype="float32")
    return kwargs


def processor_config(config: RunConfig):
    """The vLLMEngineProcessorConfig for this run (model from --model: a HF id or a local path)."""
    from ray.data.llm import vLLMEngineProcessorConfig

    if not config.model:
        raise ValueError("--llm-mode ray-vllm needs --model (a Hugging Face model id or a local path)")
    cpu = config.vllm_device == "cpu"
    light_stage = {"num_cpus": CPU_STAGE_CPUS} if cpu else {}
    return vLLMEngineProcessorConfig(
        model_source=config.model,
        accelerator_type=None,  # any GPU; placement() asks for the GPUs themselves
        placement_group_config=placement(config),
        engine_kwargs=engine_kwargs(config),
        runtime_env={"env_vars": CPU_ENGINE_ENV} if cpu else None,
        concurrency=config.vllm_replicas,
        batch_size=config.vllm_batch_size,
        chat_template_stage=light_stage, tokenize_stage=light_stage, detokenize_stage=light_stage,
        should_continue_on_error=True,  # a failed row becomes a rejected chunk with its reason
        log_engine_metrics=False,  # needs Ray started with a metrics export port
    )


def sampling_params(config: RunConfig) -> dict[str, Any]:
    params = dict(config.sampling())
    if config.answer_format == "json":
        # vLLM StructuredOutputsParams; the schema as JSON text, which rides through Arrow as it is
        # (as a nested struct, Arrow would fill keys missing on one side with nulls)
        params["structured_outputs"] = {"json": json.dumps(QA_JSON_SCHEMA)}
    return params


def _row(unit_id: str, seq: int, **values: Any) -> dict[str, Any]:
    """Every row has the same columns (Ray Data builds blocks of one schema)."""
    return {"unit_id": unit_id, "seq": seq, "record": b"", "images": [], "chunk": b"", "n_chunks": 0,
            "result": b"", "cache_key": "", "messages": None, "sampling_params": None, ERROR_COLUMN: "", **values}


@cache
def _request_cache(path: str, shared: str) -> RequestCache:
    """One connection per worker process (SQLite in WAL mode: the processes share the file)."""
    return RequestCache(Path(path), shared)


def request_cache(config: RunConfig) -> RequestCache | None:
    """The endpoint mode's cache: this node's index, and the answers shared per unit in the output."""
    return _request_cache(str(cache_path(config)), shared_cache(config)) if config.use_request_cache else None


def cache_key(config: RunConfig, messages: list[dict]) -> str:
    """The endpoint mode's key, with the model as --model names it and the sampling fields it sends."""
    return request_key(config.model or "", messages, config.sampling(), response_format(config.answer_format))


def cached_result(chunk: Chunk, hit: tuple[str, dict], answer_format: str, loops: LoopSettings | None
                  ) -> ChunkResult:
    prompt_tokens, completion_tokens = usage_tokens(hit[1])
    return answered_chunk(chunk, hit[0], answer_format, loops, requests=0, cached=True,
                          prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def prompt_rows(row: dict[str, Any], config: RunConfig, templates: list[PromptTemplate]) -> Iterator[dict]:
    """flat_map: each record on one record row (never sent to the engine), plus a prompt row per chunk."""
    unit_id, seq = row["unit_id"], int(row["seq"])
    record, encoded, images = from_row(row, with_images=False), row["record"], row.get("images") or []
    chunks: list[Chunk] = []
    if isinstance(record, ExtractedDocument):
        planned = chunk_or_reject(record, templates, config.chunk, approximate_tokens)
        if isinstance(planned, list):
            chunks = planned
        else:  # rejected before generating (page_too_long): the only record this step re-encodes
            encoded = to_row(unit_id, seq, planned)["record"]
            images = []
    # The record row carries the images on (it never reaches the engine); prompt rows carry only text.
    by_name = {t.name: t for t in templates}
    params = sampling_params(config)
    # Rows that skip the engine still fill `messages` and `sampling_params` (never used): no null struct,
    # whose type a one-row block could not tell.
    skip = {"messages": SKIPPED_MESSAGES, "sampling_params": params, ERROR_COLUMN: NOT_A_PROMPT}
    yield _row(unit_id, seq, record=encoded, images=images, n_chunks=len(chunks), **skip)
    cached = request_cache(config) if chunks else None
    if cached is not None:
        cached.import_unit(unit_id)  # answers paid for by earlier runs or other nodes
    for chunk in chunks:
        messages = by_name[chunk.template].messages(chunk.text, config.answer_format)
        key = cache_key(config, messages)
        hit = cached.get_with_usage(key) if cached is not None else None
        if hit is not None:  # answered before: the result rides past the engine
            result = cached_result(chunk, hit, config.answer_format, config.loop_settings())
            yield _row(unit_id, seq, n_chunks=len(chunks), result=pickle.dumps(result), **skip)
            continue
        yield _row(unit_id, seq, chunk=pickle.dumps(chunk), n_chunks=len(chunks), sampling_params=params,
                   messages=messages, cache_key=key)


def prompt_schema(config: RunConfig) -> pa.Schema:
    """The rows prompt_rows makes, typed once for the run: every document is its own block, so each
    block's types must not be inferred from its one row (a record row's empty `messages` against a prompt
    row's list of structs would not concatenate)."""
    sample = pa.Table.from_pylist([{"messages": SKIPPED_MESSAGES,
                                    "sampling_params": sampling_params(config)}])
    return pa.schema([
        ("unit_id", pa.string()), ("seq", pa.int64()), ("record", pa.binary()), ("images", pa.list_(pa.binary())),
        ("chunk", pa.binary()), ("n_chunks", pa.int64()), ("result", pa.binary()), ("cache_key", pa.string()),
        ("messages", sample.schema.field("messages").type),
        ("sampling_params", sample.schema.field("sampling_params").type), (ERROR_COLUMN, pa.string()),
    ])


def prompt_batches(batch: pa.Table, config: RunConfig, templates: list[PromptTemplate], schema: pa.Schema
                   ) -> Iterator[pa.Table]:
    """map_batches: `prompt_rows` of each input row, as one table of `schema` (`prompt_schema`) per input row."""
    for row in batch.to_pylist():
        yield pa.Table.from_pylist(list(prompt_rows(row, config, templates)), schema=schema)


def postprocess(row: dict[str, Any]) -> dict[str, Any]:
    """ray.data.llm's postprocess (successful prompt rows only; error rows skip it): the answer and
    vLLM's token counts for the request."""
    # no `images`: prompt rows carry none (an all-empty list would be typed list<null> in its block)
    return {**{k: row[k] for k in ("unit_id", "seq", "record", "chunk", "n_chunks", "result", "cache_key")},
            "generated_text": row.get("generated_text") or "", ERROR_COLUMN: "",
            "num_input_tokens": int(row.get("num_input_tokens") or 0),
            "num_generated_tokens": int(row.get("num_generated_tokens") or 0)}


def chunk_result(row: dict[str, Any], answer_format: str, loops: LoopSettings | None = None) -> ChunkResult:
    """A prompt row after the engine -> its ChunkResult. Batch inference cannot cancel a request, so
    loops are only cut from the parsed text."""
    chunk: Chunk = pickle.loads(row["chunk"])
    error = row.get(ERROR_COLUMN) or ""
    if error:
        return failed_chunk(chunk, "inference_error", str(error)[:500], requests=1)
    return answered_chunk(chunk, row.get("generated_text") or "", answer_format, loops, requests=1,
                          prompt_tokens=int(row.get("num_input_tokens") or 0),
                          completion_tokens=int(row.get("num_generated_tokens") or 0))


def chunk_outcome(row: dict[str, Any], cached: RequestCache | None, config: RunConfig) -> dict[str, Any]:
    """A row after the processor: rows that skipped the engine as they were, prompt rows with their
    pickled ChunkResult (a new answer also goes to the request cache)."""
    base = {"unit_id": row["unit_id"], "seq": int(row["seq"]), "record": row.get("record") or b"",
            "images": row.get("images") or [], "n_chunks": int(row.get("n_chunks") or 0),
            "result": row.get("result") or b""}
    if row.get(ERROR_COLUMN) == NOT_A_PROMPT:
        return base
    result = chunk_result(row, config.answer_format, config.loop_settings())
    if cached is not None and result.completion is not None and row.get("cache_key"):
        cached.put(row["cache_key"], result.completion,
                   {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens},
                   row["unit_id"])
    return {**base, "result": pickle.dumps(result)}


def chunk_outcomes(batch: pa.Table, config: RunConfig) -> pa.Table:
    """map_batches after the processor, in workers: `chunk_outcome` per row; the batch's new answers are
    shared (request-cache segments) before its rows go on."""
    cached = request_cache(config)
    rows = [chunk_outcome(row, cached, config) for row in batch.to_pylist()]
    if cached is not None:
        cached.flush_segments()
    return pa.Table.from_pylist(rows, schema=OUTCOME_SCHEMA)


OUTCOME_SCHEMA = pa.schema([("unit_id", pa.string()), ("seq", pa.int64()), ("record", pa.binary()),
                           ("images", pa.list_(pa.binary())), ("n_chunks", pa.int64()), ("result", pa.binary())])


@dataclass
class _Pending:
    document: ExtractedDocument | None = None
    n_chunks: int = -1  # known once the document's record row arrives
    results: list[ChunkResult] = field(default_factory=list)


class Regrouper:
    """Rebuilds one record per input record from record rows and chunk results arriving in any order:
    a document is complete when its record row and its `n_chunks` results are in; a unit's end is
    released once the unit's `documents` records have been."""

    def __init__(self, filters: list[PairFilter], benchmark: BenchmarkIndex | None = None):
        self.filters = filters
        self.benchmark = benchmark
        self.pending: dict[tuple[str, int], _Pending] = {}
        self.released: dict[str, int] = {}  # records emitted per unit
        self.unit_ends: dict[str, UnitEnd] = {}

    def feed(self, row: dict[str, Any]) -> list[tuple[str, int, Any]]:
        """(unit_id, seq, record) of every record `row` completes."""
        unit_id, seq = row["unit_id"], int(row["seq"])
        if row.get("result"):
            return self._document_part(unit_id, seq, result=pickle.loads(row["result"]))
        record = from_row(row)
        if isinstance(record, ExtractedDocument):
            return self._document_part(unit_id, seq, document=record, n_chunks=int(row["n_chunks"]))
        if isinstance(record, UnitEnd):
            self.unit_ends[unit_id] = record
            return self._release_unit_end(unit_id)
        return self._release(unit_id, seq, record)

    def _document_part(self, unit_id: str, seq: int, document: ExtractedDocument | None = None,
                       n_chunks: int = -1, result: ChunkResult | None = None) -> list[tuple[str, int, Any]]:
        part = self.pending.setdefault((unit_id, seq), _Pending())
        if document is not None:
            part.document, part.n_chunks = document, n_chunks
        if result is not None:
            part.results.append(result)
        if part.document is None or len(part.results) < part.n_chunks:
            return []
        del self.pending[(unit_id, seq)]
        results = sorted(part.results, key=lambda r: r.chunk.index)
        finished = attach_evidence(filter_document(GeneratedDocument(part.document, results), self.filters,
                                                   self.benchmark))
        return self._release(unit_id, seq, finished)

    def _release(self, unit_id: str, seq: int, record: Any) -> list[tuple[str, int, Any]]:
        self.released[unit_id] = self.released.get(unit_id, 0) + 1
        return [(unit_id, seq, record), *self._release_unit_end(unit_id)]

    def _release_unit_end(self, unit_id: str) -> list[tuple[str, int, Any]]:
        end = self.unit_ends.get(unit_id)
        if end is None or self.released.get(unit_id, 0) < end.documents:
            return []
        del self.unit_ends[unit_id]
        self.released.pop(unit_id, None)
        return [(unit_id, end.documents, end)]  # its seq: it follows the unit's records


class RegroupDocuments:
    """Ray Data actor (a pool of one: it must see every row of a document) around `Regrouper`; parses
    nothing itself (chunk_outcome did, in parallel) and filters each complete document."""

    def __init__(self, config: RunConfig):
        self.regrouper = Regrouper(filters_from(config), benchmark_from(config))

    def __call__(self, batch: pa.Table) -> pa.Table:
        out: list[tuple[str, int, Any]] = []
        for row in batch.to_pylist():
            out.extend(self.regrouper.feed(row))
        return rows_to_table([to_row(u, s, r) for u, s, r in out])


def build(config: RunConfig):
    """The ray.data.llm processor (needs vLLM + transformers where the engine runs)."""
    from ray.data.llm import build_processor

    return build_processor(processor_config(config), postprocess=postprocess,
                           postprocess_map_kwargs={"num_cpus": LIGHT_TASK_CPUS})


def apply(ds, config: RunConfig):
    """extracted rows -> generated and filtered rows of `pipeline.on_ray.rows` (as the endpoint mode's stage)."""
    from ray.data import ActorPoolStrategy

    templates = load_templates(config.prompts_dir)
    # The schema is built once here, not for every document (each is its own batch).
    ds = ds.map_batches(prompt_batches, fn_kwargs={"config": config, "templates": templates,
                                                   "schema": prompt_schema(config)}, batch_size=1,
                        batch_format="pyarrow", num_cpus=LIGHT_TASK_CPUS)
    ds = build(config)(ds)
    ds = ds.map_batches(chunk_outcomes, fn_kwargs={"config": config}, batch_size=DOCUMENTS_PER_BATCH, batch_format="pyarrow",
                        num_cpus=LIGHT_TASK_CPUS)
    # No core reserved: filtering is light, and an idle actor holding one would starve the others.
    return ds.map_batches(RegroupDocuments, fn_constructor_args=(config,), batch_size=DOCUMENTS_PER_BATCH, num_cpus=0,
                          batch_format="pyarrow", compute=ActorPoolStrategy(size=1))
