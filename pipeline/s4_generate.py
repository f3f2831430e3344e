"""Stage 4: send each chunk's prompt to the LLM and parse the answer into QA pairs.

All chunks of a batch of documents go out concurrently (bounded by the client's in-flight limits).
A document's chunks are submitted next to each other (tasks are created in order and the client hands
out free slots first come, first served) and carry the document key as endpoint affinity, so they reach
the same server close together and its prefix cache can reuse what they share.
"""

from __future__ import annotations

import asyncio

from docmatix.pipeline.generate.llm_client import ChatFailure, LLMClient
from docmatix.pipeline.generate.prompt_templates import PromptTemplate
from docmatix.pipeline.generate.qa_parse import parse_completion, response_format
from docmatix.pipeline.generate.repetition import LoopDetector, LoopSettings, find_loop
from docmatix.schemas.records import Chunk, ChunkResult, ExtractedDocument, GeneratedDocument, QAPair


def parse_chunk(chunk: Chunk, text: str, answer_format: str, loops: LoopSettings | None) -> ChunkResult:
    """Pairs from a completion, cut where it starts looping (then the chunk's error is `repetition`).
    Shared by the endpoint path and the in-cluster vLLM path."""
    loop = find_loop(text, loops, len(chunk.page_indices)) if loops is not None else None
    kept_text = text[:loop.cut] if loop else text
    pairs = [QAPair(q, a, chunk.template, chunk.index) for q, a in parse_completion(kept_text, answer_format)]
    if loop is not None:
        return ChunkResult(chunk, text, pairs, error="repetition", error_detail=loop.detail, loop_cut=loop.cut)
    return ChunkResult(chunk, text, pairs, error=None if pairs else "no_pairs_parsed")


def answered_chunk(chunk: Chunk, text: str, answer_format: str, loops: LoopSettings | None, *, requests: int,
                   prompt_tokens: int, completion_tokens: int, cached: bool = False) -> ChunkResult:
    """A chunk's result from its completion and what answering it cost: the one way both LLM modes
    (HTTP endpoints, in-cluster vLLM) turn an answer into a ChunkResult."""
    out = parse_chunk(chunk, text, answer_format, loops)
    out.requests, out.cached = requests, cached
    out.prompt_tokens, out.completion_tokens = prompt_tokens, completion_tokens
    return out


def failed_chunk(chunk: Chunk, reason: str, detail: str, requests: int) -> ChunkResult:
    """A chunk that got no answer (both LLM modes): the reason goes to rejects/chunks/."""
    return ChunkResult(chunk, None, error=reason, error_detail=detail, requests=requests)


async def generate_chunk(
    client: LLMClient, chunk: Chunk, template: PromptTemplate, sampling: dict, answer_format: str,
    affinity: str | None = None, loops: LoopSettings | None = None, cancel_loops: bool = False,
    cache_unit: str | None = None,
) -> ChunkResult:
    """With `cancel_loops` (and `loops`), the answer is streamed and the request cancelled once it loops."""
    messages = template.messages(chunk.text, answer_format)
    stop = None
    if loops is not None and cancel_loops:
        detector = LoopDetector(loops, len(chunk.page_indices))

        def stop(text: str) -> bool:
            return detector.feed(text) is not None
    try:
        result = await client.chat(messages, sampling, response_format(answer_format), affinity=affinity, stop=stop,
                                   cache_unit=cache_unit)
    except ChatFailure as exc:
        return failed_chunk(chunk, exc.reason, exc.detail, exc.attempts)
    return answered_chunk(chunk, result.text, answer_format, loops, requests=result.attempts, cached=result.cached,
                          prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens)


async def generate_documents(
    client: LLMClient,
    work: list[tuple[ExtractedDocument, list[Chunk]]],
    templates: dict[str, PromptTemplate],
    sampling: dict,
    answer_format: str,
    loops: LoopSettings | None = None,
    cancel_loops: bool = False,
) -> list[GeneratedDocument]:
    tasks = [
        [asyncio.ensure_future(
            generate_chunk(client, c, templates[c.template], sampling, answer_format, affinity=doc.key,
                           loops=loops, cancel_loops=cancel_loops, cache_unit=doc.unit_id))
         for c in chunks]
        for doc, chunks in work
    ]
    out = []
    for (doc, _), doc_tasks in zip(work, tasks, strict=True):
        out.append(GeneratedDocument(doc, list(await asyncio.gather(*doc_tasks))))
    return out
