"""Stages 3-5 on Ray: the generation actors (chunk, generate, parse, filter) and where their request
cache lives. Each takes and returns Arrow tables of `rows.ROW_SCHEMA`."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa

from docmatix.filters.options import filters_from
from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.generate.answer_evidence import attach_evidence
from docmatix.pipeline.generate.judge import judge_client, judge_documents, judge_sampling
from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.generate.token_count import approximate_tokens
from docmatix.pipeline.generate.tokenize_client import ServerTokenCounter
from docmatix.pipeline.on_ray.rows import decode_record, with_records
from docmatix.pipeline.s3_chunk import chunk_or_reject, page_texts
from docmatix.pipeline.s4_generate import generate_documents
from docmatix.pipeline.s5_filter import benchmark_from, filter_document
from docmatix.schemas.output_layout import LOCAL_REQUEST_INDEX, REQUEST_SEGMENTS, output_url
from docmatix.schemas.records import ExtractedDocument, RejectedDocument


class GenerateAndFilter:
    """Ray Data actor: chunk, generate (async, many requests in flight), parse and filter.

    One event loop in a background thread serves every batch the actor is handed, so concurrent
    batches share the client's in-flight limits and connection pools.
    """

    def __init__(self, config: RunConfig, endpoints: list[str], model: str | None, actors: int = 1):
        self.config = config
        self.templates = load_templates(config.prompts_dir)
        self.by_name = {t.name: t for t in self.templates}
        self.filters = filters_from(config)
        self.benchmark = benchmark_from(config)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True, name="llm-client").start()
        cache = RequestCache(cache_path(config), shared_cache(config)) if config.use_request_cache else None
        self.cache = cache
        settings = ClientSettings(max_in_flight=per_actor_in_flight(config.max_in_flight, actors),
                                  timeout_s=config.request_timeout_s,
                                  max_attempts=config.max_attempts, api_key=config.api_key,
                                  ready_timeout_s=config.endpoint_wait_s)
        self.client = LLMClient(endpoints, model, settings, cache)
        asyncio.run_coroutine_threadsafe(self.client.__aenter__(), self.loop).result()
        self.judge = judge_client(config, endpoints, model, self.client, settings, cache)
        if self.judge not in (None, self.client):
            asyncio.run_coroutine_threadsafe(self.judge.__aenter__(), self.loop).result()
        self.token_counter = ServerTokenCounter(self.client, self.loop) if config.token_count == "server" else None

    def __call__(self, batch: pa.Table) -> pa.Table:
        # Only the extracted documents' records are decoded, without their images: the images column
        # passes through this stage untouched.
        kinds = batch["kind"].to_pylist()
        todo = [i for i, kind in enumerate(kinds) if kind == "extracted"]
        column = batch["record"]
        records: dict[int, ExtractedDocument] = {i: decode_record(column[i].as_py()) for i in todo}
        count_tokens = self.token_counter or approximate_tokens
        if self.token_counter is not None:  # one round of concurrent /tokenize calls for the whole batch
            self.token_counter.prime_sync([t for r in records.values() for t in page_texts(r)])
        changed: dict[int, Any] = {}  # documents this stage rejects before generating, then the finished ones
        work, work_rows = [], []
        for i, record in records.items():
            chunks = chunk_or_reject(record, self.templates, self.config.chunk, count_tokens)
            if isinstance(chunks, RejectedDocument):
                changed[i] = chunks
                continue
            work.append((record, chunks))
            work_rows.append(i)
        if self.cache is not None:  # answers paid for by earlier runs or other nodes, for these units
            for unit_id in sorted({record.unit_id for record, _ in work}):
                self.cache.import_unit(unit_id)
        generated = asyncio.run_coroutine_threadsafe(
            generate_documents(self.client, work, self.by_name, self.config.sampling(), self.config.answer_format,
                               self.config.loop_settings(), self.config.cancel_loops),
            self.loop,
        ).result()
        finished = [attach_evidence(filter_document(g, self.filters, self.benchmark)) for g in generated]
        if self.judge is not None:  # the batch's kept pairs, all at once (pipeline/generate/judge.py)
            finished = asyncio.run_coroutine_threadsafe(judge_documents(
                self.judge, finished, judge_sampling(self.config.seed), self.config.min_judge_score),
                self.loop).result()
        changed.update(zip(work_rows, finished, strict=True))
        if self.cache is not None:  # shared before these rows are written: a written answer is a cached one
            self.cache.flush_segments()
        return with_records(batch, changed)


SLOTS_PER_GENERATE_ACTOR = 256  # one asyncio client keeps this many requests in flight without strain


def generate_actors(configured: int | None, n_endpoints: int, max_in_flight: int) -> int:
    """Generation actors: the setting, else one per SLOTS_PER_GENERATE_ACTOR endpoint slots."""
    if configured is not None:
        if configured < 1:
            raise ValueError(f"--generate-actors must be at least 1, got {configured}")
        return configured
    return max(1, -(-max(1, n_endpoints) * max_in_flight // SLOTS_PER_GENERATE_ACTOR))


def per_actor_in_flight(max_in_flight: int, actors: int) -> int:
    """Each actor's share of an endpoint's slots, so all actors together keep --max-in-flight per endpoint."""
    return max(1, -(-max_in_flight // actors))


def generate_concurrency(config: RunConfig, n_endpoints: int, batch_size: int, actors: int = 1) -> int:
    """Batches one generate actor works on at once: enough documents in flight to fill its share of every
    endpoint's slots (each document has at least one chunk), twice over so the next batch is chunked
    meanwhile."""
    slots = max(1, n_endpoints) * per_actor_in_flight(config.max_in_flight, actors)
    return max(4, -(-2 * slots // batch_size))


def cache_path(config: RunConfig) -> Path:
    """This node's index of answered requests: in the output when it is local, else under ~/.cache."""
    if "://" in config.output and not config.output.startswith("file://"):
        digest = hashlib.sha256(config.output.encode()).hexdigest()[:12]
        return Path.home() / ".cache" / "docmatix" / f"requests-{digest}.sqlite"
    return Path(config.output.removeprefix("file://")) / LOCAL_REQUEST_INDEX


def shared_cache(config: RunConfig) -> str:
    """Where the answers are shared between nodes and reruns (pipeline/generate/request_cache.py)."""
    return output_url(config.output, REQUEST_SEGMENTS)
