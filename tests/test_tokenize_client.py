"""Token counts from a server's /tokenize (the fake server, and the real llama.cpp one), for chunking."""

from __future__ import annotations

import asyncio
import threading

import pytest

from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient
from docmatix.pipeline.generate.llm_embedded import EmbeddedServer
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.token_count import approximate_tokens
from docmatix.pipeline.generate.tokenize_client import ServerTokenCounter
from docmatix.pipeline.s3_chunk import chunk_document, page_texts
from docmatix.pipeline.settings import ChunkSettings
from docmatix.schemas.records import ExtractedDocument, PageText
from tests.fake_llm_server import FakeServer


class LoopThread:
    """An entered LLMClient on an event loop in a background thread, as the generate actor has it."""

    def __init__(self, url: str):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = LLMClient([url], None, ClientSettings(ready_timeout_s=30))
        self.run(self.client.__aenter__())

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.run(self.client.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def document(pages: list[str]) -> ExtractedDocument:
    return ExtractedDocument("k", "u", "o", "l", [PageText(i, t, "text_layer") for i, t in enumerate(pages)], [])


def test_counts_come_from_the_server_once_per_text():
    with FakeServer() as server:
        lt = LoopThread(server.base_url)
        try:
            counter = ServerTokenCounter(lt.client, lt.loop)
            texts = ["one two three", "four five", "one two three", "six"]
            counter.prime_sync(texts)
            assert server.stats()["tokenize_requests"] == 3  # the repeated text is asked once
            assert [counter(t) for t in texts] == [3, 2, 3, 1]  # the fake tokenizer: one token per word
            assert counter("a b c d e f g") == 7  # not primed: one synchronous request
            assert server.stats()["tokenize_requests"] == 4
            assert counter.supported is True and counter.stats.approximated == 0
        finally:
            lt.close()


def test_chunking_uses_the_server_counts():
    pages = [" ".join(["word"] * 40), " ".join(["word"] * 40), " ".join(["word"] * 40)]
    with FakeServer() as server:
        lt = LoopThread(server.base_url)
        try:
            counter = ServerTokenCounter(lt.client, lt.loop)
            doc = document(pages)
            counter.prime_sync(page_texts(doc))
            settings = ChunkSettings(max_chunk_tokens=100, max_chunk_pages=5, chunk_overlap_pages=0)
            chunks = chunk_document(doc, load_templates(), settings, count_tokens=counter)
        finally:
            lt.close()
    # 40 words = 40 server tokens (the approximation would say 50): two pages fit in 100, three do not.
    assert [c.page_indices for c in chunks] == [[0, 1], [2]]
    assert chunks[0].n_tokens == 40 + 40 + 3


def test_a_server_without_tokenize_falls_back_to_the_approximation():
    with FakeServer("--no-tokenize") as server:
        lt = LoopThread(server.base_url)
        try:
            counter = ServerTokenCounter(lt.client, lt.loop)
            counter.prime_sync(["one two three"])
            assert counter.supported is False
            assert counter("one two three") == approximate_tokens("one two three")
            assert server.stats()["tokenize_requests"] == 0
            assert counter.stats.approximated == 2
        finally:
            lt.close()


@pytest.mark.slow
def test_llama_cpp_tokenize_gives_its_real_token_counts():
    text = "Wind turbines convert kinetic energy into electricity."
    with EmbeddedServer(parallel=1, ctx_per_slot=1024) as server:
        lt = LoopThread(server.base_url)
        try:
            counter = ServerTokenCounter(lt.client, lt.loop)
            n = counter(text)
            assert counter.supported is True and counter.stats.server == 1
        finally:
            lt.close()
    assert len(text.split()) <= n <= len(text.split()) * 3  # SmolLM2's BPE: about a token per word
