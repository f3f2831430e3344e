"""The stages as Ray Data functions: each takes and returns rows of `record_rows`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.config import RunConfig
from pipeline.extract_isolation import extract
from pipeline.language import tag_language
from pipeline.llm_client import ClientSettings, LLMClient
from pipeline.prompt_templates import load_templates
from pipeline.record_rows import UnitEnd, from_row, replace_record, to_row
from pipeline.request_cache import RequestCache
from pipeline.s1_read import iter_unit_documents
from pipeline.s2_extract import ExtractSettings
from pipeline.s3_chunk import chunk_or_reject, page_texts
from pipeline.s4_generate import generate_documents
from pipeline.s5_filter import benchmark_from, filter_document, filters_from
from pipeline.token_count import approximate_tokens
from pipeline.token_server import ServerTokenCounter
from schemas.output_layout import LOCAL_REQUEST_INDEX, REQUEST_INDEX_FILE
from schemas.records import ExtractedDocument, RejectedDocument, SourceDocument, WorkUnit


def read_unit(row: dict[str, Any], max_pdf_bytes: int) -> Iterator[dict[str, Any]]:
    unit: WorkUnit = from_row(row)
    seq = 0
    for item in iter_unit_documents(unit, max_pdf_bytes):
        if isinstance(item, tuple):
            key, reason, error = item
            item = RejectedDocument(key, unit.unit_id, unit.paths[0] if len(unit.paths) == 1 else "", "read",
                                    reason, error)
        yield to_row(unit.unit_id, seq, item)
        seq += 1
    yield to_row(unit.unit_id, seq, UnitEnd(unit.unit_id, seq))


class ExtractPages:
    """Ray Data actor: extract each source document (pipeline/extract_isolation.py does the work).

    An actor pool, not tasks: the number of extracting processes, and of their isolated children,
    is the pool size whatever the corpus, where tasks would spread over however many workers Ray
    keeps around.
    """

    def __init__(self, settings: ExtractSettings, languages: tuple[str, ...] = ()):
        self.settings = settings
        self.languages = languages

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        record = from_row(row)
        if isinstance(record, SourceDocument):
            extracted = extract(record, self.settings)
            if isinstance(extracted, ExtractedDocument):  # language from the page text, before any LLM work
                extracted = tag_language(extracted, self.languages)
            return replace_record(row, extracted)
        return row


READ_CPUS_PER_READER = 16  # one shard reader keeps ~16 extraction workers fed (reading is I/O)


def extract_pool(configured: int | None):
    """The extraction actor pool: `configured` actors, or when unset one that grows with the cluster's
    CPUs (an autoscaling cluster adds nodes for it). Either way its size is set by settings and the
    cluster, never by the corpus."""
    from ray.data import ActorPoolStrategy

    if configured is None:
        return ActorPoolStrategy(min_size=1)
    if configured < 1:
        raise ValueError(f"--extract-concurrency must be at least 1, got {configured}")
    return ActorPoolStrategy(size=configured)


def read_concurrency(configured: int | None, extract_configured: int | None, cluster_cpus: float) -> int:
    """Shard readers at once: the setting, else one per 16 extraction workers (or cluster CPUs at start)."""
    if configured is not None:
        if configured < 1:
            raise ValueError(f"--read-concurrency must be at least 1, got {configured}")
        return configured
    feeds = extract_configured if extract_configured is not None else int(cluster_cpus)
    return max(1, -(-feeds // READ_CPUS_PER_READER))


class GenerateAndFilter:
    """Ray Data actor: chunk, generate (async, many requests in flight), parse and filter.

    One event loop in a background thread serves every batch the actor is handed, so concurrent
    batches share the client's in-flight limits and connection pools.
    """

    def __init__(self, config: RunConfig, endpoints: list[str], model: str | None):
        self.config = config
        self.templates = load_templates(config.prompts_dir)
        self.by_name = {t.name: t for t in self.templates}
        self.filters = filters_from(config)
        self.benchmark = benchmark_from(config)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True, name="llm-client").start()
        cache = RequestCache(cache_path(config)) if config.use_request_cache else None
        settings = ClientSettings(max_in_flight=config.max_in_flight, timeout_s=config.request_timeout_s,
                                  max_attempts=config.max_attempts, api_key=config.api_key)
        self.client = LLMClient(endpoints, model, settings, cache)
        asyncio.run_coroutine_threadsafe(self.client.__aenter__(), self.loop).result()
        self.token_counter = ServerTokenCounter(self.client, self.loop) if config.token_count == "server" else None

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        rows = [{"unit_id": u, "seq": s, "record": r}
                for u, s, r in zip(batch["unit_id"], batch["seq"], batch["record"], strict=True)]
        records = [from_row(r) for r in rows]
        work = []
        count_tokens = self.token_counter or approximate_tokens
        if self.token_counter is not None:  # one round of concurrent /tokenize calls for the whole batch
            self.token_counter.prime_sync([t for r in records if isinstance(r, ExtractedDocument)
                                           for t in page_texts(r)])
        skipped: dict[int, RejectedDocument] = {}  # documents this stage rejects before generating
        for i, record in enumerate(records):
            if not isinstance(record, ExtractedDocument):
                continue
            chunks = chunk_or_reject(record, self.templates, self.config.chunk, count_tokens)
            if isinstance(chunks, RejectedDocument):
                skipped[i] = chunks
                continue
            work.append((record, chunks))
        generated = asyncio.run_coroutine_threadsafe(
            generate_documents(self.client, work, self.by_name, self.config.sampling(), self.config.answer_format,
                               self.config.loop_settings(), self.config.cancel_loops),
            self.loop,
        ).result()
        finished = iter(filter_document(g, self.filters, self.benchmark) for g in generated)
        # Only records this stage changed are encoded again; the others' rows pass through as they came.
        out = [replace_record(row, skipped[i]) if i in skipped
               else replace_record(row, next(finished)) if isinstance(rec, ExtractedDocument) else row
               for i, (row, rec) in enumerate(zip(rows, records, strict=True))]
        return {name: [r[name] for r in out] for name in ("unit_id", "seq", "record")}


def generate_concurrency(config: RunConfig, n_endpoints: int, batch_size: int) -> int:
    """Batches the generate actor works on at once: enough documents in flight to fill every endpoint's
    slots (each document has at least one chunk), twice over so the next batch is chunked meanwhile."""
    slots = max(1, n_endpoints) * config.max_in_flight
    return max(4, -(-2 * slots // batch_size))


def cache_path(config: RunConfig) -> Path:
    if "://" in config.output and not config.output.startswith("file://"):
        return Path.home() / ".cache" / "docmatix" / REQUEST_INDEX_FILE
    return Path(config.output.removeprefix("file://")) / LOCAL_REQUEST_INDEX
