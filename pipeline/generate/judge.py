"""An LLM judge (`--judge`): each kept pair rated 1-5 for answerable-from-the-text, correct and
needs-the-page, with a one-line reason, asked in JSON mode.

Judge requests go through the same LLMClient as generation (request cache, retries, token usage), to
the same endpoints and model unless `--judge-endpoint` / `--judge-model` name others, and run in the
generate stage, so the endpoints stay busy. An answer that is not the JSON asked for, or a request that
failed, is recorded as a verdict with no scores and the reason; it never stops the run, and such a pair
is not dropped by `--min-judge-score` (it was not judged low, it was not judged).
"""

from __future__ import annotations

import asyncio
import json

from docmatix.pipeline.generate.llm_client import ChatFailure, ClientSettings, LLMClient
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.s5_filter import drop_kept
from docmatix.schemas.records import DroppedPair, FinishedDocument, JudgeVerdict, RequestUsage

JUDGE_LOW = "judge_low"
DIMENSIONS = ("answerable", "correct", "needs_page")
MAX_REASON_CHARS = 300
# The schema caps the reason: under a grammar a small model otherwise rambles inside the string until
# max_tokens and the JSON is never closed.
REASON_SCHEMA_CHARS = 160
JUDGE_MAX_TOKENS = 256  # three numbers and one line

SYSTEM = ("You grade question/answer pairs written about a document, strictly and briefly. "
          "You reply with JSON only.")
USER = """Document text:
{text}

Question: {question}
Answer: {answer}

Rate this pair with integers from 1 (worst) to 5 (best):
- answerable: can the question be answered from the document text above?
- correct: is the answer correct and complete according to the document text?
- needs_page: does answering need this document (5: only the document tells; 1: general knowledge answers it)?
Give a one-line reason. Reply as JSON: {{"answerable": n, "correct": n, "needs_page": n, "reason": "..."}}"""

_SCORE = {"type": "integer", "minimum": 1, "maximum": 5}
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {**{d: _SCORE for d in DIMENSIONS}, "reason": {"type": "string", "maxLength": REASON_SCHEMA_CHARS}},
    "required": [*DIMENSIONS, "reason"],
}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "pair_judgement", "schema": JUDGE_SCHEMA}}


def judge_messages(text: str, question: str, answer: str) -> list[dict]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER.format(text=text, question=question, answer=answer)}]


def judge_sampling(seed: int) -> dict:
    return {"temperature": 0.0, "max_tokens": JUDGE_MAX_TOKENS, "seed": seed}


def _unusable(why: str, text: str) -> JudgeVerdict:
    snippet = " ".join(text.split())[:120]
    return JudgeVerdict(None, None, None, f"{why}: {snippet!r}"[:MAX_REASON_CHARS])


def _score(value: object) -> int | None:
    """A 1-5 integer score (4, 4.0 or "4"), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and 1 <= number <= 5 else None


def parse_verdict(text: str) -> JudgeVerdict:
    """The judge's JSON (code fences and text around it tolerated); never raises."""
    body = text.strip()
    start = body.find("{")
    if start < 0:
        return _unusable("malformed judge answer (no JSON object)", text)
    try:
        data, _ = json.JSONDecoder().raw_decode(body[start:])
    except ValueError:
        return _unusable("malformed judge answer (invalid JSON)", text)
    if not isinstance(data, dict):
        return _unusable("malformed judge answer (not an object)", text)
    scores = [_score(data.get(d)) for d in DIMENSIONS]
    if None in scores:
        return _unusable("malformed judge answer (scores not 1-5 integers)", text)
    reason = " ".join(str(data.get("reason") or "").split())[:MAX_REASON_CHARS]
    return JudgeVerdict(*scores, reason)


async def judge_pair(client: LLMClient, text: str, question: str, answer: str, sampling: dict, usage: RequestUsage,
                     affinity: str | None = None, cache_unit: str | None = None) -> JudgeVerdict:
    try:
        result = await client.chat(judge_messages(text, question, answer), sampling, RESPONSE_FORMAT,
                                   affinity=affinity, cache_unit=cache_unit)
    except ChatFailure as exc:
        usage.requests += exc.attempts
        return JudgeVerdict(None, None, None, f"judge request failed: {exc}"[:MAX_REASON_CHARS])
    usage.requests += result.attempts
    usage.cached += int(result.cached)
    usage.prompt_tokens += result.prompt_tokens
    usage.completion_tokens += result.completion_tokens
    return parse_verdict(result.text)


async def judge_document(client: LLMClient, done: FinishedDocument, sampling: dict,
                         min_score: int | None = None) -> FinishedDocument:
    """Judge every kept pair (concurrently), then drop those under `min_score` as judge_low."""
    if done.rejected is not None or not done.kept:
        return done
    texts = {r.chunk.index: r.chunk.text for r in done.chunks}
    usage = RequestUsage()
    done.judge = list(await asyncio.gather(*(
        judge_pair(client, texts.get(p.chunk_index, ""), p.question, p.answer, sampling, usage, done.key,
                   done.unit_id)
        for p in done.kept)))
    done.judge_usage = usage
    if min_score is None:
        return done
    drops = {i: DroppedPair(p, [JUDGE_LOW], f"judge {v.answerable}/{v.correct}/{v.needs_page}: {v.reason}")
             for i, (p, v) in enumerate(zip(done.kept, done.judge, strict=True))
             if v.score is not None and v.score < min_score}
    return drop_kept(done, drops)


async def judge_documents(client: LLMClient, finished: list[FinishedDocument], sampling: dict,
                          min_score: int | None = None) -> list[FinishedDocument]:
    return list(await asyncio.gather(*(judge_document(client, d, sampling, min_score) for d in finished)))


def judge_client(config, endpoints: list[str], model: str | None, client: LLMClient, settings: ClientSettings,
                 cache: RequestCache | None) -> LLMClient | None:
    """The client judge requests go through: None without --judge, the generation client when the judge is
    the same endpoints and model, else one of its own (same settings and request cache; enter it first)."""
    if not config.judge_enabled:
        return None
    if not config.judge_endpoints and config.judge_model in (None, model):
        return client
    return LLMClient(config.judge_endpoints or endpoints, config.judge_model or model, settings, cache)
