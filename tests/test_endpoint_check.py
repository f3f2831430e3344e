"""The start-up check of the LLM endpoints: each failing endpoint is named with its error at once, the run
starts when one answers, and gives up after the wait with every endpoint's error."""

from __future__ import annotations

import pytest

from docmatix.pipeline.endpoint_check import EndpointsUnavailable, probe, wait_for_endpoints
from docmatix.pipeline.generate.llm_embedded import free_port
from tests.fake_llm_server import FakeServer


def test_probe_names_a_refused_connection_and_accepts_a_server():
    error = probe(f"http://127.0.0.1:{free_port()}/v1", None)
    assert error is not None and "ConnectError" in error
    with FakeServer() as server:
        assert probe(server.base_url, None) is None


def test_probe_names_an_http_error():
    with FakeServer("--api-key", "secret") as server:
        assert probe(server.base_url, None).startswith("HTTP 401")
        assert probe(server.base_url, "secret") is None


def test_waits_for_a_late_endpoint_saying_each_change_once():
    answers = {"http://a/v1": ["refused", "refused", None], "http://b/v1": ["refused"] * 3}
    lines: list[str] = []

    def check(url: str, _key: str | None) -> str | None:
        return answers[url].pop(0)

    ready = wait_for_endpoints(list(answers), None, wait_s=60, say=lines.append, poll_s=0, check=check)
    assert ready == ["http://a/v1"]
    assert lines == ["LLM endpoint http://a/v1 is not answering: refused",
                     "LLM endpoint http://b/v1 is not answering: refused",
                     "waiting up to 60 s (--endpoint-wait) for one of the LLM endpoints to answer",
                     "LLM endpoint http://a/v1 answers now",
                     "starting with 1 of 2 LLM endpoints; the others join when they answer"]


def test_gives_up_after_the_wait_naming_every_endpoint():
    lines: list[str] = []
    with pytest.raises(EndpointsUnavailable) as gave_up:
        wait_for_endpoints(["http://a/v1"], None, wait_s=0.2, say=lines.append, poll_s=0.05,
                           check=lambda url, key: "refused")
    assert "http://a/v1: refused" in str(gave_up.value) and "--endpoint-wait" in str(gave_up.value)
    assert lines[0] == "LLM endpoint http://a/v1 is not answering: refused"
