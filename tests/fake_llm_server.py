"""A local OpenAI-compatible test server that misbehaves on demand, and counts what it was asked.

    python tests/fake_llm_server.py --port 8123 [--delay 0.2] [--fail-rate 0.1] [--rate-limit-rate 0.1]
        [--drop-rate 0.05] [--die-after 20] [--no-tokenize] [--log requests.jsonl]

Serves `/v1/models`, `/v1/chat/completions` (a deterministic "Q1:/A1:" or JSON answer built from the
prompt's document text), `/tokenize` (llama.cpp style: one token per whitespace-separated word) and
`/stats`. Where the client depends on it, it answers as vLLM's OpenAI server does: `usage` filled (one
token per word), `max_tokens` honoured with `finish_reason: "length"`, streaming as server-sent events
(`stream: true`; usage in a final event with `stream_options.include_usage`), 400 for a prompt over
`--max-context` tokens, 404 for an unknown model, 401 without the key when `--api-key` is set, and
`Retry-After` in seconds on 429. A judge request (pipeline/generate/judge.py's `pair_judgement` JSON schema) gets
1-5 scores drawn from a hash of the question, or with `--judge-malformed` an answer that is not JSON. `--loop-rate` makes that share of answers (chosen by a hash of the
request, so the same ones on every run) loop like a small model: the pairs, then one pair renumbered
until `max_tokens`. With `--token-delay` each token takes that long, and a streamed answer stops
being generated when the client goes away; `completion_tokens` in /stats counts what was generated. Failures are drawn from a seeded RNG.
With `--log`, every answered request's key (a hash of its body) and the body (so tests see what was
sent) are appended to a file, flushed before the answer is sent, so counts survive a killed client and a
dead server. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repo root
from docmatix.pipeline.generate.request_cache import request_key  # noqa: E402


@dataclass
class Behaviour:
    model: str = "fake-model"
    delay_s: float = 0.0
    fail_rate: float = 0.0  # HTTP 500
    rate_limit_rate: float = 0.0  # HTTP 429 with Retry-After
    drop_rate: float = 0.0  # connection closed without an answer
    die_after: int = 0  # exit the process when this many chat requests have arrived (0: never)
    tokenize: bool = True
    seed: int = 0
    log_path: str | None = None
    loop_rate: float = 0.0  # share of answers that loop until max_tokens
    token_delay_s: float = 0.0  # time per generated token
    max_context: int = 0  # prompt + max_tokens over this: 400, as vLLM (0: no limit)
    api_key: str | None = None  # when set, 401 without "Authorization: Bearer <key>"
    retry_after_s: int = 0  # Retry-After of a 429, in seconds
    judge_malformed: bool = False  # answer judge requests with broken JSON


@dataclass
class Counters:
    chat_requests: int = 0
    answered: int = 0
    failed_500: int = 0
    rate_limited: int = 0
    dropped: int = 0
    tokenize_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0  # the usage of every answer sent, summed
    completion_tokens: int = 0  # tokens generated, including those of streams the client cancelled
    looped: int = 0  # answers that looped
    cancelled: int = 0  # streams the client closed before the end
    rejected_400: int = 0
    answered_keys: list[str] = field(default_factory=list)


def body_key(body: dict) -> str:
    """The pipeline's request-cache key of this request, so tests can compare server logs and the cache."""
    # Streaming is how the answer travels, not what is asked: the pipeline's key leaves it out too.
    sampling = {k: v for k, v in body.items()
                if k not in ("model", "messages", "response_format", "stream", "stream_options")}
    return request_key(body.get("model") or "", body.get("messages", []), sampling, body.get("response_format"))


def document_text(messages: list[dict]) -> str:
    return messages[-1]["content"] if messages else ""


def fake_pairs(text: str) -> list[tuple[str, str]]:
    """Questions about words that are in the text, so answers are grounded in it."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text)][:40]
    if not words:
        return [("What does this page say?", "It has no readable words.")]
    return [
        (f"Which word appears near the start of the document text ({i + 1})?",
         f"The document text contains the word \"{w}\" in this passage.")
        for i, w in enumerate(words[:3])
    ]


def count_tokens(text: str) -> int:
    """The stand-in tokenizer (as `/tokenize`): one token per whitespace-separated word."""
    return len(text.split())


def usage_of(body: dict, completion: str) -> dict:
    prompt = sum(count_tokens(m.get("content") or "") for m in body.get("messages", []))
    done = count_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def judge_text(body: dict, malformed: bool) -> str:
    """A judge's answer: scores from a hash of the prompt's question line (the same on every run)."""
    if malformed:
        return 'Sure! {"answerable": five, "correct": 4'
    question = next((line for line in document_text(body.get("messages", [])).splitlines()
                     if line.startswith("Question:")), "")
    h = int(hashlib.sha256(question.encode()).hexdigest()[:6], 16)
    scores = [2 + (h >> (4 * i)) % 4 for i in range(3)]  # 2-5: a min of three is seldom 1
    return json.dumps({"answerable": scores[0], "correct": scores[1], "needs_page": scores[2],
                       "reason": "fake judge: scores from a hash of the question"})


def is_judge_request(body: dict) -> bool:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name") == "pair_judgement"


def completion_text(body: dict) -> str:
    pairs = fake_pairs(document_text(body.get("messages", [])))
    if body.get("response_format"):
        return json.dumps({"pairs": [{"question": q, "answer": a} for q, a in pairs]})
    return "\n".join(f"Q{i}: {q}\nA{i}: {a}" for i, (q, a) in enumerate(pairs, 1))


def loops(body: dict, rate: float) -> bool:
    """Whether this request's answer loops: a fixed share of requests, the same ones on every run."""
    return rate > 0 and int(body_key(body)[:8], 16) / 16**8 < rate


def looping_text(text: str, max_tokens: int) -> str:
    """The answer, then the same pair renumbered until max_tokens (the loop small models fall into)."""
    lines, i = [text], text.count("\nA") + 2
    while count_tokens("\n".join(lines)) < max_tokens:
        lines.append(f"Q{i}: What is the age of the person who wrote the document?\n"
                     f"A{i}: The document is written by a female.")
        i += 1
    return "\n".join(lines)


def generated_tokens(text: str, max_tokens: int | None) -> tuple[list[str], str]:
    """The answer as tokens (a word with the whitespace before it), cut at max_tokens; finish_reason."""
    tokens = re.findall(r"\s*\S+", text)
    if max_tokens is not None and len(tokens) > max_tokens:
        return tokens[:max_tokens], "length"
    return tokens, "stop"


def build_app(behaviour: Behaviour) -> web.Application:
    counters = Counters()
    rng = random.Random(behaviour.seed)
    log_file = open(behaviour.log_path, "a", encoding="utf-8") if behaviour.log_path else None  # noqa: SIM115

    def error(status: int, message: str, kind: str, headers: dict | None = None) -> web.Response:
        # vLLM's error body: {"error": {"message", "type", "code"}} (older versions: the fields at top level)
        return web.json_response({"error": {"message": message, "type": kind, "code": status}}, status=status,
                                 headers=headers)

    def authorised(request: web.Request) -> bool:
        return not behaviour.api_key or request.headers.get("Authorization") == f"Bearer {behaviour.api_key}"

    def check_request(request: web.Request, body: dict) -> web.Response | None:
        """vLLM's refusals, in its order: key, model, context length."""
        if not authorised(request):
            return error(401, "Unauthorized", "Unauthorized")
        if body.get("model") != behaviour.model:
            return error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
        prompt = usage_of(body, "")["prompt_tokens"]
        wanted = prompt + (body.get("max_tokens") or 0)
        if behaviour.max_context and wanted > behaviour.max_context:
            counters.rejected_400 += 1
            return error(400, f"This model's maximum context length is {behaviour.max_context} tokens. However, "
                              f"you requested {wanted} tokens ({prompt} in the messages, "
                              f"{body.get('max_tokens') or 0} in the completion).", "BadRequestError")
        return None

    def answered(key: str, body: dict) -> None:
        counters.answered += 1
        counters.answered_keys.append(key)
        if log_file is not None:
            log_file.write(json.dumps({"answered": key, "at": time.time(), "body": body}) + "\n")
            log_file.flush()

    async def stream(request: web.Request, body: dict, key: str, tokens: list[str], finish: str,
                     prompt_tokens: int) -> web.StreamResponse:
        """Server-sent events as vLLM sends them: a role delta, one event per token, the finish reason,
        a usage event when asked (choices empty), then [DONE]."""
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        base = {"id": f"chatcmpl-{counters.answered}", "object": "chat.completion.chunk", "model": behaviour.model}

        async def send(event: dict | str) -> None:
            await resp.write(f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode())

        sent = 0
        try:
            await send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                             "finish_reason": None}]})
            for token in tokens:
                if behaviour.token_delay_s:
                    await asyncio.sleep(behaviour.token_delay_s)
                if request.transport is None or request.transport.is_closing():
                    raise ConnectionResetError("client went away")
                sent += 1
                await send({**base, "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]})
            answered(key, body)  # logged before the client can have the whole answer (and cache it)
            await send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                await send({**base, "choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": sent,
                                                             "total_tokens": prompt_tokens + sent}})
            await send("[DONE]")
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError) as exc:
            if sent < len(tokens):
                counters.cancelled += 1  # like vLLM: a client gone away aborts the request
                answered(key, body)  # what it got may be cached: it counts as answered
            counters.completion_tokens += sent
            if isinstance(exc, asyncio.CancelledError):
                raise
            return resp  # nobody to answer: end quietly
        counters.completion_tokens += sent
        return resp

    async def models(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Unauthorized", "Unauthorized")
        return web.json_response({"object": "list", "data": [{"id": behaviour.model, "object": "model"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        counters.chat_requests += 1
        if behaviour.die_after and counters.chat_requests >= behaviour.die_after:
            os._exit(3)  # a crashed server: every open connection is cut
        counters.in_flight += 1
        counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
        try:
            if behaviour.delay_s:
                await asyncio.sleep(behaviour.delay_s)
            draw = rng.random()
            if draw < behaviour.drop_rate:
                counters.dropped += 1
                request.transport.abort()  # reset: the client sees a dropped connection
                return web.Response(status=500)
            draw -= behaviour.drop_rate
            if draw < behaviour.fail_rate:
                counters.failed_500 += 1
                return web.json_response({"error": {"message": "injected failure"}}, status=500)
            draw -= behaviour.fail_rate
            if draw < behaviour.rate_limit_rate:
                counters.rate_limited += 1
                return error(429, "slow down", "RateLimitError", {"Retry-After": str(behaviour.retry_after_s)})
            refusal = check_request(request, body)
            if refusal is not None:
                return refusal
            text = judge_text(body, behaviour.judge_malformed) if is_judge_request(body) else completion_text(body)
            max_tokens = body.get("max_tokens")
            if loops(body, behaviour.loop_rate):
                counters.looped += 1
                text = looping_text(text, max_tokens or 2000)
            tokens, finish = generated_tokens(text, max_tokens)
            key = body_key(body)
            prompt_tokens = usage_of(body, "")["prompt_tokens"]
            counters.prompt_tokens += prompt_tokens
            if body.get("stream"):
                return await stream(request, body, key, tokens, finish, prompt_tokens)
            if behaviour.token_delay_s:
                await asyncio.sleep(behaviour.token_delay_s * len(tokens))
            counters.completion_tokens += len(tokens)
            answered(key, body)
            return web.json_response({
                "id": f"chatcmpl-{counters.answered}", "object": "chat.completion", "model": behaviour.model,
                "choices": [{"index": 0, "finish_reason": finish,
                             "message": {"role": "assistant", "content": "".join(tokens)}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                          "total_tokens": prompt_tokens + len(tokens)},
            })
        finally:
            counters.in_flight -= 1

    async def tokenize(request: web.Request) -> web.Response:
        if not behaviour.tokenize:
            return web.json_response({"error": "not found"}, status=404)
        body = await request.json()
        counters.tokenize_requests += 1
        return web.json_response({"tokens": list(range(count_tokens(body.get("content", ""))))})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counters.__dict__)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.get("/v1/models", models), web.post("/v1/chat/completions", chat),
                    web.post("/tokenize", tokenize), web.get("/stats", stats)])
    return app


class FakeServer:
    """The server in a subprocess (so it can really die); a context manager for tests and benchmarks."""

    def __init__(self, *flags: str, port: int | None = None):
        from docmatix.pipeline.generate.llm_embedded import free_port

        self.port = port or free_port()
        self.flags = flags
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 30) -> FakeServer:
        self.process = subprocess.Popen([sys.executable, __file__, "--port", str(self.port), *self.flags])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1).status_code in (200, 401):  # 401: keyed
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("fake LLM server did not start")

    def stats(self) -> dict:
        return httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--rate-limit-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--no-tokenize", dest="tokenize", action="store_false")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", default=None)
    parser.add_argument("--loop-rate", type=float, default=0.0)
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--max-context", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--retry-after", type=int, default=0)
    parser.add_argument("--judge-malformed", action="store_true")
    a = parser.parse_args()
    behaviour = Behaviour(a.model, a.delay, a.fail_rate, a.rate_limit_rate, a.drop_rate, a.die_after, a.tokenize,
                          a.seed, a.log, a.loop_rate, a.token_delay, a.max_context, a.api_key, a.retry_after,
                          a.judge_malformed)
    web.run_app(build_app(behaviour), host="127.0.0.1", port=a.port, print=None, access_log=None,
                backlog=4096)


if __name__ == "__main__":
    main()
