"""Stage 4: send each chunk's prompt to the LLM and parse the answer into QA pairs.

All chunks of a batch of documents go out concurrently (bounded by the client's in-flight limits).
A document's chunks are submitted next to each other (tasks are created in order and the client hands
out free slots first come, first served) and carry the document key as endpoint affinity, so they reach
the same server close together and its prefix cache can reuse what they share.
"""

from __future__ import annotations

import asyncio

from pipeline.llm_client import ChatFailure, LLMClient
from pipeline.prompt_templates import PromptTemplate
from pipeline.qa_parse import parse_completion, response_format
from schemas.records import Chunk, ChunkResult, ExtractedDocument, GeneratedDocument, QAPair


async def generate_chunk(
    client: LLMClient, chunk: Chunk, template: PromptTemplate, sampling: dict, answer_format: str,
    affinity: str | None = None,
) -> ChunkResult:
    messages = template.messages(chunk.text, answer_format)
    try:
        result = await client.chat(messages, sampling, response_format(answer_format), affinity=affinity)
    except ChatFailure as exc:
        return ChunkResult(chunk, None, error=exc.reason, error_detail=exc.detail, requests=exc.attempts)
    pairs = [QAPair(q, a, chunk.template, chunk.index) for q, a in parse_completion(result.text, answer_format)]
    error = None if pairs else "no_pairs_parsed"
    return ChunkResult(chunk, result.text, pairs, error=error, requests=result.attempts, cached=result.cached,
                       prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens)


async def generate_documents(
    client: LLMClient,
    work: list[tuple[ExtractedDocument, list[Chunk]]],
    templates: dict[str, PromptTemplate],
    sampling: dict,
    answer_format: str,
) -> list[GeneratedDocument]:
    tasks = [
        [asyncio.ensure_future(
            generate_chunk(client, c, templates[c.template], sampling, answer_format, affinity=doc.key))
         for c in chunks]
        for doc, chunks in work
    ]
    out = []
    for (doc, _), doc_tasks in zip(work, tasks, strict=True):
        out.append(GeneratedDocument(doc, list(await asyncio.gather(*doc_tasks))))
    return out
