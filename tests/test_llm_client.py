"""The async LLM client and stage 4 against a real local HTTP server that delays, fails and dies."""

from __future__ import annotations

import asyncio
import threading
import time
import zlib

import pytest

from docmatix.pipeline.generate.llm_client import ChatFailure, ClientSettings, LLMClient
from docmatix.pipeline.generate.llm_embedded import free_port
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.s4_generate import generate_documents
from docmatix.schemas.records import Chunk, ExtractedDocument, PageText
from tests.fake_llm_server import FakeServer, body_key

TEMPLATES = {t.name: t for t in load_templates()}
FAST_RETRY = {"backoff_base_s": 0.02, "backoff_max_s": 0.2, "ready_timeout_s": 20}


def make_work(n_docs: int, chunks_per_doc: int) -> list[tuple[ExtractedDocument, list[Chunk]]]:
    names = sorted(TEMPLATES)
    work = []
    for d in range(n_docs):
        pages = [PageText(i, f"Document {d} page {i}: turbines generate electricity from wind", "text_layer")
                 for i in range(chunks_per_doc)]
        doc = ExtractedDocument(f"doc{d:03d}", "unit", "origin", "label", pages, [])
        chunks = [Chunk(i, [i], pages[i].text, 10, names[(d + i) % len(names)]) for i in range(chunks_per_doc)]
        work.append((doc, chunks))
    return work


async def generate(urls: list[str], work, answer_format: str = "qa", cache: RequestCache | None = None,
                   **settings) -> tuple[list, LLMClient]:
    client = LLMClient(urls, None, ClientSettings(**{**FAST_RETRY, **settings}), cache)
    async with client:
        out = await generate_documents(client, work, TEMPLATES, {"temperature": 0.0, "max_tokens": 256},
                                       answer_format)
    return out, client


def chunk_results(generated) -> list:
    return [c for g in generated for c in g.chunks]


def test_every_chunk_answered_or_rejected_with_reason_under_failures():
    work = make_work(20, 3)
    flags = ("--delay", "0.01", "--fail-rate", "0.25", "--rate-limit-rate", "0.15", "--drop-rate", "0.15",
             "--seed", "3")
    with FakeServer(*flags) as server:
        generated, client = asyncio.run(generate([server.base_url], work, max_attempts=3, max_in_flight=8))
        stats = server.stats()
    results = chunk_results(generated)
    assert [g.document.key for g in generated] == [d.key for d, _ in work]
    assert len(results) == 60
    answered = [r for r in results if r.pairs]
    rejected = [r for r in results if not r.pairs]
    assert all(r.error is None for r in answered)
    assert all(r.error == "max_attempts" and r.error_detail for r in rejected)
    # Failures really happened and were retried; each answer the server gave reached a chunk once.
    assert stats["failed_500"] and stats["rate_limited"] and stats["dropped"]
    assert client.stats.retries > 0
    assert stats["answered"] == len(answered) > 40
    assert stats["chat_requests"] == client.stats.requests_sent == sum(r.requests for r in results)


def test_server_dying_mid_run_leaves_the_other_endpoint_to_finish():
    work = make_work(15, 2)
    with FakeServer("--delay", "0.02", "--die-after", "6") as dying, FakeServer("--delay", "0.02") as healthy:
        generated, client = asyncio.run(generate([dying.base_url, healthy.base_url], work, max_in_flight=4))
        assert dying.process.wait(timeout=10) == 3  # it really died
        stats = healthy.stats()
    results = chunk_results(generated)
    assert len(results) == 30
    assert all(r.pairs and r.error is None for r in results)
    assert client.endpoints[0].failures >= 1
    assert stats["answered"] >= 30 - 5  # the dead one answered at most 5 before dying


def test_in_flight_limit_is_reached_and_never_exceeded():
    work = make_work(10, 4)
    with FakeServer("--delay", "0.3") as server:
        generated, client = asyncio.run(generate([server.base_url], work, max_in_flight=8))
        stats = server.stats()
    assert all(r.pairs for r in chunk_results(generated))
    assert client.endpoints[0].peak_in_flight == 8
    assert 1 <= stats["max_in_flight"] <= 8


def test_waits_for_a_late_server_and_ignores_one_that_never_comes():
    port = free_port()
    late = FakeServer(port=port)
    starter = threading.Timer(1.5, late.start)
    starter.start()
    never = f"http://127.0.0.1:{free_port()}/v1"
    try:
        generated, client = asyncio.run(generate([never, late.base_url], make_work(3, 2), ready_timeout_s=120))
        assert all(r.pairs for r in chunk_results(generated))
        assert client.stats.requests_sent == 6 and client.stats.retries == 0  # nothing sent too early
        assert client.endpoints[0].sent == 0 and not client.endpoints[0].ready
        assert late.stats()["answered"] == 6
    finally:
        starter.join()
        late.stop()


def test_no_ready_endpoint_is_an_error_with_a_reason():
    async def enter():
        async with LLMClient([f"http://127.0.0.1:{free_port()}/v1"], None, ClientSettings(ready_timeout_s=0.5)):
            pass

    with pytest.raises(ChatFailure) as info:
        asyncio.run(enter())
    assert info.value.reason == "endpoint_not_ready"


def test_request_cache_answers_a_rerun_without_sending(tmp_path):
    work = make_work(5, 2)
    with FakeServer() as server:
        first, _ = asyncio.run(generate([server.base_url], work, cache=RequestCache(tmp_path / "c.sqlite")))
        second, client = asyncio.run(generate([server.base_url], work, cache=RequestCache(tmp_path / "c.sqlite")))
        stats = server.stats()
    assert stats["chat_requests"] == 10 and client.stats.requests_sent == 0
    assert all(r.cached for r in chunk_results(second))
    assert [r.completion for r in chunk_results(first)] == [r.completion for r in chunk_results(second)]


@pytest.mark.parametrize("answer_format", ["qa", "json"])
def test_both_answer_formats_give_parsed_pairs(answer_format):
    with FakeServer() as server:
        generated, _ = asyncio.run(generate([server.base_url], make_work(2, 2), answer_format))
    for result in chunk_results(generated):
        assert len(result.pairs) == 3
        assert "turbines" in result.pairs[0].answer or "Document" in result.pairs[0].answer
        assert result.completion.lstrip().startswith("{" if answer_format == "json" else "Q1:")


async def generate_once_all_ready(urls: list[str], work, **settings) -> tuple[list, LLMClient]:
    """As `generate`, but dispatching starts only when every endpoint is ready (not just the first)."""
    client = LLMClient(urls, None, ClientSettings(**{**FAST_RETRY, **settings}))
    async with client:
        for _ in range(400):  # 20 s
            if len(client.ready_endpoints()) == len(urls):
                break
            await asyncio.sleep(0.05)
        assert len(client.ready_endpoints()) == len(urls), "an endpoint never became ready"
        out = await generate_documents(client, work, TEMPLATES, {"temperature": 0.0, "max_tokens": 256}, "qa")
    return out, client


def test_each_document_sticks_to_its_preferred_endpoint_and_both_get_load():
    # doc000..doc003 prefer the second endpoint, doc004..doc007 the first (crc32 of the key, mod 2):
    # 16 requests each, which fits both endpoints' slack, so nothing spills over.
    work = make_work(8, 4)
    with FakeServer("--delay", "0.05") as a, FakeServer("--delay", "0.05") as b:
        urls = [a.base_url, b.base_url]
        generated, client = asyncio.run(generate_once_all_ready(urls, work, max_in_flight=64))
        answered = {a.base_url: a.stats()["answered_keys"], b.base_url: b.stats()["answered_keys"]}
    assert [len(answered[u]) for u in urls] == [16, 16], [len(answered[u]) for u in urls]
    assert [e.sent for e in client.endpoints] == [16, 16]
    for g in generated:
        keys = set()
        for r in g.chunks:
            messages = TEMPLATES[r.chunk.template].messages(r.chunk.text, "qa")
            keys.add(body_key({"model": "fake-model", "messages": messages, "temperature": 0.0, "max_tokens": 256}))
        homes = [url for url, got in answered.items() if keys & set(got)]
        expected = urls[zlib.crc32(g.document.key.encode()) % 2]
        assert homes == [expected], (g.document.key, homes)


def test_an_endpoint_that_comes_up_late_joins_and_takes_requests():
    # The first server has 2 slots and answers in 0.3 s, so 40 requests take ~6 s on it alone; the
    # second starts 0.5 s in (plus its start-up) and must take part of the rest.
    late = FakeServer("--delay", "0.05", port=free_port())
    starter = threading.Timer(0.5, late.start)
    with FakeServer("--delay", "0.3") as early:
        starter.start()
        try:
            generated, client = asyncio.run(generate([early.base_url, late.base_url], make_work(10, 4),
                                                     max_in_flight=2))
            starter.join()
            late_answered = late.stats()["answered"]
        finally:
            starter.join()
            late.stop()
        early_answered = early.stats()["answered"]
    assert all(r.pairs for r in chunk_results(generated))
    assert client.endpoints[1].ready and client.endpoints[1].sent == late_answered >= 5
    assert early_answered + late_answered == 40 and early_answered >= 1


# The stand-in answers as vLLM's OpenAI server does where the client depends on it.
def one_chat(url: str, *, stop=None, api_key: str | None = None, model: str | None = None, max_tokens: int = 256,
             **settings):
    messages = TEMPLATES["whole_document"].messages("Wind turbines generate electricity from wind.")

    async def go():
        client = LLMClient([url], model, ClientSettings(**{**FAST_RETRY, "api_key": api_key, **settings}))
        async with client:
            return await client.chat(messages, {"temperature": 0.0, "max_tokens": max_tokens}, stop=stop), client
    return asyncio.run(go())


def test_prompt_over_the_context_is_a_400_failure_without_retries():
    with FakeServer("--max-context", "100") as server:
        with pytest.raises(ChatFailure) as info:
            one_chat(server.base_url)
        assert server.stats()["chat_requests"] == 1  # a 400 is not retried
    assert info.value.reason == "http_400" and "maximum context length" in info.value.detail


def test_unknown_model_is_a_404_failure():
    with FakeServer() as server, pytest.raises(ChatFailure) as info:
        one_chat(server.base_url, model="no-such-model")
    assert info.value.reason == "http_404" and "does not exist" in info.value.detail


def test_api_key_is_sent_and_required_when_configured():
    with FakeServer("--api-key", "sekrit") as server:
        result, _ = one_chat(server.base_url, api_key="sekrit")
        assert result.text.startswith("Q1:")
        with pytest.raises(ChatFailure) as info:  # without the key even /models is refused: never ready
            one_chat(server.base_url, ready_timeout_s=1)
    assert info.value.reason == "endpoint_not_ready"


@pytest.mark.parametrize("streamed", [False, True])
def test_max_tokens_usage_and_finish_reason(streamed):
    stop = (lambda text: False) if streamed else None
    with FakeServer() as server:
        short, _ = one_chat(server.base_url, max_tokens=5, stop=stop)
        full, _ = one_chat(server.base_url, stop=stop)
        stats = server.stats()
    assert short.finish_reason == "length" and short.completion_tokens == 5 and len(short.text.split()) == 5
    assert full.finish_reason == "stop" and full.completion_tokens == len(full.text.split()) > 5
    assert full.text.startswith(short.text)
    assert short.prompt_tokens == full.prompt_tokens > 0
    assert stats["completion_tokens"] == short.completion_tokens + full.completion_tokens
    assert stats["prompt_tokens"] == 2 * full.prompt_tokens


def test_stream_cancelled_by_the_caller_stops_the_server():
    with FakeServer("--token-delay", "0.01") as server:
        result, _ = one_chat(server.base_url, max_tokens=2000, stop=lambda text: len(text.split()) >= 10)
        time.sleep(0.3)
        stats = server.stats()
    assert result.cancelled and result.finish_reason == "cancelled" and result.completion_tokens == 10
    assert stats["cancelled"] == 1 and stats["completion_tokens"] < 30  # the answer has about 60 words


def test_retry_after_is_honoured_in_seconds():
    with FakeServer("--rate-limit-rate", "0.5", "--retry-after", "1", "--seed", "1") as server:
        started = time.monotonic()
        # backoff_max_s also caps Retry-After: raised here so the server's 1 s is what is waited
        results = [one_chat(server.base_url, max_attempts=6, backoff_max_s=5)[0] for _ in range(4)]
        took = time.monotonic() - started
        limited = server.stats()["rate_limited"]
    assert limited >= 1 and all(r.text for r in results)
    assert took >= limited * 1.0  # each 429 waited its Retry-After second (backoff alone: well under)
