"""Async client over one or more OpenAI-compatible endpoints (vLLM, llama.cpp, ...).

- bounded in-flight requests per endpoint, each request sent to the least-loaded endpoint;
- waits for every endpoint to answer `/models` before sending;
- retries connection errors, timeouts, 429 and 5xx with exponential backoff and jitter, up to an
  attempt limit, after which the caller gets a `ChatFailure` with a reason (never a silent loss);
- answered requests go to the request cache, and cached ones are never sent again.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import httpx

from pipeline.request_cache import RequestCache, request_key

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


@dataclass
class ChatResult:
    text: str
    attempts: int  # HTTP requests sent for this chat (0 when answered from the cache)
    cached: bool = False


@dataclass
class ChatFailure(Exception):
    reason: str  # e.g. max_attempts, http_400, empty_completion
    detail: str
    attempts: int


@dataclass
class Endpoint:
    base_url: str
    max_in_flight: int
    in_flight: int = 0
    sent: int = 0
    failures: int = 0


@dataclass
class ClientSettings:
    max_in_flight: int = 64
    timeout_s: float = 600.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    ready_timeout_s: float = 600.0
    api_key: str | None = None


@dataclass
class ClientStats:
    requests_sent: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: dict[str, int] = field(default_factory=dict)


class LLMClient:
    def __init__(self, endpoints: list[str], model: str | None = None, settings: ClientSettings | None = None,
                 cache: RequestCache | None = None):
        if not endpoints:
            raise ValueError("at least one endpoint is required")
        self.settings = settings or ClientSettings()
        self.endpoints = [Endpoint(url.rstrip("/"), self.settings.max_in_flight) for url in endpoints]
        self.model = model
        self.cache = cache
        self.stats = ClientStats()
        self._slot_freed: asyncio.Condition | None = None
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> LLMClient:
        headers = {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        total = sum(e.max_in_flight for e in self.endpoints)
        limits = httpx.Limits(max_connections=total + 8, max_keepalive_connections=total + 8)
        self._http = httpx.AsyncClient(headers=headers, limits=limits, timeout=self.settings.timeout_s)
        self._slot_freed = asyncio.Condition()
        await self.wait_ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http:
            await self._http.aclose()

    async def wait_ready(self) -> None:
        """Block until every endpoint lists its models; learn the model name if none was given."""
        deadline = asyncio.get_running_loop().time() + self.settings.ready_timeout_s
        for ep in self.endpoints:
            delay = 0.2
            while True:
                try:
                    resp = await self._http.get(f"{ep.base_url}/models", timeout=10)
                    if resp.status_code == 200:
                        if self.model is None:
                            self.model = resp.json()["data"][0]["id"]
                        break
                except (httpx.HTTPError, ValueError, KeyError, IndexError):
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise ChatFailure("endpoint_not_ready", f"{ep.base_url} did not answer /models", 0)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _acquire(self) -> Endpoint:
        async with self._slot_freed:
            while True:
                free = [e for e in self.endpoints if e.in_flight < e.max_in_flight]
                if free:
                    ep = min(free, key=lambda e: (e.in_flight / e.max_in_flight, e.sent))
                    ep.in_flight += 1
                    ep.sent += 1
                    return ep
                await self._slot_freed.wait()

    async def _release(self, ep: Endpoint) -> None:
        async with self._slot_freed:
            ep.in_flight -= 1
            self._slot_freed.notify()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # full jitter: spreads retries from many workers

    async def chat(self, messages: list[dict], sampling: dict, response_format: dict | None = None) -> ChatResult:
        key = request_key(self.model or "", messages, sampling, response_format)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.stats.cache_hits += 1
                return ChatResult(hit, 0, cached=True)
        body = {"model": self.model, "messages": messages, **sampling}
        if response_format is not None:
            body["response_format"] = response_format
        last = ""
        for attempt in range(1, self.settings.max_attempts + 1):
            if attempt > 1:
                self.stats.retries += 1
                await asyncio.sleep(self._backoff(attempt - 1))
            ep = await self._acquire()
            try:
                self.stats.requests_sent += 1
                resp = await self._http.post(f"{ep.base_url}/chat/completions", json=body)
            except httpx.HTTPError as exc:  # connection refused/reset, timeouts, protocol errors
                ep.failures += 1
                last = f"{ep.base_url}: {type(exc).__name__}: {exc}"
                continue
            finally:
                await self._release(ep)
            if resp.status_code in RETRYABLE_STATUS:
                ep.failures += 1
                last = f"{ep.base_url}: HTTP {resp.status_code}: {resp.text[:300]}"
                continue
            if resp.status_code != 200:
                raise self._fail(f"http_{resp.status_code}", resp.text[:500], attempt)
            try:
                text = resp.json()["choices"][0]["message"]["content"] or ""
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                last = f"malformed response: {exc}: {resp.text[:300]}"
                continue
            if self.cache is not None:
                self.cache.put(key, text)
            return ChatResult(text, attempt)
        raise self._fail("max_attempts", last, self.settings.max_attempts)

    def _fail(self, reason: str, detail: str, attempts: int) -> ChatFailure:
        self.stats.failures[reason] = self.stats.failures.get(reason, 0) + 1
        return ChatFailure(reason, detail, attempts)
