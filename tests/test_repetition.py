"""Loop control: a completion that repeats itself is cut where the loop starts (the pairs before
it kept), recorded as `repetition`, and with streaming the request is cancelled there instead of being
paid for up to max_tokens."""

from __future__ import annotations

import asyncio

import pyarrow.parquet as pq
import pytest

from docmatix.filters.presets import build_preset
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.qa_parse import parse_qa_text
from docmatix.pipeline.generate.repetition import LoopDetector, LoopSettings, find_loop
from docmatix.pipeline.run_summary import build_summary
from docmatix.pipeline.s4_generate import generate_documents
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from tests.fake_llm_server import FakeServer
from tests.test_llm_client import FAST_RETRY, TEMPLATES, make_work

SETTINGS = LoopSettings()
GOOD = ("Q1: Which company issued invoice 2231?\nA1: Harbor Tools Ltd issued it.\n"
        "Q2: What is the invoice total?\nA2: The total is 110 EUR.\n")

# The three shapes seen on the shared corpus, numbering as the model wrote it.
RENUMBERED = GOOD + "".join(
    f"Q{i}: What is the age of the person who wrote the document?\nA{i}: The document is written by a female.\n"
    f"Q{i + 1}: What is the gender of the author of the document?\nA{i + 1}: The document is written by a female.\n"
    f"Q{i + 2}: Who is the author of this document?\nA{i + 2}: The document is written by a female.\n"
    for i in range(3, 66, 3))
PHRASE = GOOD + 'Q3: What is asked?\nA3: What is the answer to the question: "' + \
    'What is the answer to the question: "' * 40
NEAR_IDENTICAL = GOOD + "".join(
    f"Q{i}: What is the total amount of invoice number {2231 + i % 2} in EUR?\nA{i}: {100 + i} EUR.\n"
    for i in range(3, 40))
ECHO_LOOP = "Q1: What is the total?\nA1: 110 EUR.\n" + "".join(
    f"Q{i}: The invoice total is 108 EUR.\n" for i in range(2, 52))  # the demo's, as small models write it


@pytest.mark.parametrize("completion", [RENUMBERED, PHRASE, NEAR_IDENTICAL, ECHO_LOOP])
def test_each_loop_shape_is_cut_and_the_pairs_before_it_survive(completion):
    loop = find_loop(completion, SETTINGS)
    assert loop is not None
    before = parse_qa_text(completion[:loop.cut])
    expected_first = parse_qa_text(GOOD) if completion.startswith(GOOD) else [("What is the total?", "110 EUR.")]
    assert before[:len(expected_first)] == expected_first
    assert len(before) <= len(expected_first) + 2 * SETTINGS.loop_repeats  # at most a few repeats before the cut
    # Streamed in pieces, the detector reports the same cut, before the end of the text.
    detector, fed = LoopDetector(SETTINGS), 0
    while detector.feed(completion[:fed]) is None:
        fed += 7
        assert fed < len(completion) + 7
    assert detector.loop.cut == loop.cut and fed <= len(completion)


@pytest.mark.parametrize("completion", [
    GOOD,
    "Q1: Is the invoice paid?\nA1: Yes.\nQ2: Is it signed?\nA2: Yes.\nQ3: Is it stamped?\nA3: Yes.\n"
    "Q4: Is it dated?\nA4: Yes.\n",  # short answers repeat legitimately
    "Q1: What does figure 1 show?\nA1: Wind speed.\nQ2: What does figure 2 show?\nA2: Power output.\n"
    "Q3: What does figure 3 show?\nA3: Cost per kWh.\n",  # an enumeration, not a loop
    "Q1: What is the repeated chorus?\nA1: It goes la la la.\n",
])
def test_normal_completions_are_not_cut(completion):
    assert find_loop(completion, SETTINGS) is None


def test_the_templates_own_examples_are_not_loops():
    for template in load_templates():
        for _, completion in template.examples:
            assert find_loop(completion, SETTINGS) is None


def test_pair_cap_follows_the_chunk_pages():
    many = "".join(f"Q{i}: What is item {i} on the list of parts?\nA{i}: Part number {1000 + i}.\n"
                   for i in range(1, 31))
    capped = find_loop(many, LoopSettings(max_pairs_per_page=12), n_pages=1)
    assert capped is not None and len(parse_qa_text(many[:capped.cut])) == 12
    assert find_loop(many, LoopSettings(max_pairs_per_page=12), n_pages=3) is None
    assert find_loop(many, LoopSettings(max_pairs_per_page=0), n_pages=1) is None


def run(url: str, work, cancel: bool, max_tokens: int = 600):
    from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient

    async def go():
        async with LLMClient([url], None, ClientSettings(**FAST_RETRY)) as client:
            return await generate_documents(client, work, TEMPLATES, {"temperature": 0.0, "max_tokens": max_tokens},
                                            "qa", SETTINGS, cancel)
    return asyncio.run(go())


def test_streaming_cancels_a_looping_answer_and_keeps_the_pairs_before_it(tmp_path):
    work = make_work(2, 2)
    with FakeServer("--loop-rate", "1", "--token-delay", "0.002") as server:
        cancelled = run(server.base_url, work, cancel=True)
        paid_cancelled = server.stats()
    with FakeServer("--loop-rate", "1") as server:
        full = run(server.base_url, work, cancel=False)
        paid_full = server.stats()
    assert paid_full["completion_tokens"] == 4 * 600 and paid_full["cancelled"] == 0
    assert paid_cancelled["cancelled"] == 4
    assert paid_cancelled["completion_tokens"] < paid_full["completion_tokens"] / 3
    for streamed, whole in zip([c for g in cancelled for c in g.chunks], [c for g in full for c in g.chunks],
                               strict=True):
        assert streamed.error == whole.error == "repetition"
        assert [(p.question, p.answer) for p in streamed.pairs] == [(p.question, p.answer) for p in whole.pairs]
        assert len(streamed.pairs) >= 3  # the stand-in's three real pairs come before its loop
        assert streamed.completion_tokens < whole.completion_tokens

    # Written out: the chunk is in rejects/chunks as `repetition`, its earlier pairs filtered as usual.
    writer = UnitWriter(str(tmp_path), "unit-0")
    for g in full:
        writer.add_finished(filter_document(g, build_preset("docmatix")))
    writer.commit()
    summary, _ = build_summary(str(tmp_path), ["unit-0"], {})
    rejects = pq.read_table(tmp_path / "rejects" / "chunks" / "unit-0.parquet").to_pylist()
    assert [r["reason"] for r in rejects] == ["repetition"] * 4
    assert summary["chunks_rejected_by_reason"] == {"repetition": 4}
    assert summary["pairs_kept"] + summary["pairs_dropped"] == summary["pairs_generated"] >= 12
    assert summary["tokens_completion_loops"] > summary["tokens_completion_kept"] > 0


def test_answers_that_do_not_loop_are_untouched_by_streaming():
    work = make_work(2, 2)
    with FakeServer() as server:
        streamed = run(server.base_url, work, cancel=True)
        plain = run(server.base_url, work, cancel=False)
        stats = server.stats()
    assert stats["cancelled"] == 0
    for a, b in zip([c for g in streamed for c in g.chunks], [c for g in plain for c in g.chunks], strict=True):
        assert a.completion == b.completion and a.error is None and len(a.pairs) == 3
        assert (a.prompt_tokens, a.completion_tokens) == (b.prompt_tokens, b.completion_tokens)
