"""Token counts from the served model's own tokenizer, through the server's `/tokenize` endpoint.

One request body works for both servers we know: llama.cpp reads `content` and answers
{"tokens": [...]}, vLLM reads `prompt` (+ `model`) and answers {"count": n, "tokens": [...]}; each
ignores the other's field. Counts are cached by text, and `prime` asks for many texts concurrently,
so chunking a batch of documents costs one round of parallel requests, not one request per call.
When the server has no `/tokenize` (hosted APIs) or a request fails, the documented approximation
(`token_count.approximate_tokens`) is used and counted in `stats`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import aiohttp

from docmatix.pipeline.generate.llm_client import LLMClient
from docmatix.pipeline.generate.token_count import approximate_tokens

log = logging.getLogger(__name__)


@dataclass
class TokenCountStats:
    server: int = 0  # texts counted by the server's tokenizer
    cache_hits: int = 0
    approximated: int = 0  # texts counted by the approximation (no /tokenize, or it failed)


class ServerTokenCounter:
    """Callable `count(text) -> int` for `chunk_document`, backed by an `LLMClient`'s endpoints.

    `client` must be entered (`async with`) on `loop`, which runs in another thread than the callers
    of `__call__`; async code calls `acount`/`prime` directly.
    """

    def __init__(self, client: LLMClient, loop: asyncio.AbstractEventLoop | None = None,
                 max_concurrent: int = 32, cache_size: int = 200_000):
        self.client = client
        self.loop = loop
        self.stats = TokenCountStats()
        self.supported: bool | None = None  # unknown until the first answer
        self._cache: OrderedDict[bytes, int] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the cache is read from caller threads and the loop thread
        self._max_concurrent = max_concurrent
        self._semaphore: asyncio.Semaphore | None = None

    # -- cache -------------------------------------------------------------------------------------

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def cached(self, text: str) -> int | None:
        key = self._key(text)
        with self._lock:
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
                self.stats.cache_hits += 1
        return value

    def _store(self, text: str, count: int) -> None:
        with self._lock:
            self._cache[self._key(text)] = count
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    # -- async API -------------------------------------------------------------------------------

    async def acount(self, text: str) -> int:
        hit = self.cached(text)
        if hit is not None:
            return hit
        if not text:
            return 0
        count = await self._tokenize(text) if self.supported is not False else None
        if count is None:
            self.stats.approximated += 1
            return approximate_tokens(text)  # not cached: a later server answer may still come
        self.stats.server += 1
        self._store(text, count)
        return count

    async def prime(self, texts: list[str]) -> None:
        """Count many texts concurrently so later `__call__`s are cache hits."""
        unique = list(dict.fromkeys(t for t in texts if t))
        await asyncio.gather(*(self.acount(t) for t in unique))

    async def _tokenize(self, text: str) -> int | None:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_concurrent)
        endpoints = self.client.ready_endpoints() or self.client.endpoints
        ep = min(endpoints, key=lambda e: e.load())
        body = {"content": text, "prompt": text, "model": self.client.model, "add_special_tokens": False}
        async with self._semaphore:
            try:
                resp = await self.client.request("POST", f"{ep.root_url}/tokenize", body, timeout_s=60)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.debug("tokenize on %s failed: %s", ep.root_url, exc)
                return None
        if resp.status in (404, 405, 501):
            if self.supported is None:
                log.warning("%s has no /tokenize (HTTP %s): token counts are approximated",
                            ep.root_url, resp.status)
            self.supported = False
            return None
        if resp.status != 200:
            return None
        try:
            data = resp.json()
            count = int(data["count"]) if "count" in data else len(data["tokens"])
        except (ValueError, KeyError, TypeError):
            self.supported = False
            return None
        self.supported = True
        return count

    # -- sync API (chunking runs outside the event loop) ---------------------------------------

    def __call__(self, text: str) -> int:
        hit = self.cached(text)
        if hit is not None:
            return hit
        if self.supported is False or not text:
            self.stats.approximated += bool(text)
            return approximate_tokens(text)
        if self.loop is None:
            raise RuntimeError("ServerTokenCounter needs the client's event loop for synchronous calls")
        return asyncio.run_coroutine_threadsafe(self.acount(text), self.loop).result()

    def prime_sync(self, texts: list[str]) -> None:
        asyncio.run_coroutine_threadsafe(self.prime(texts), self.loop).result()
