"""What a run's tokens paid for. The stand-in server reports `usage` (one token per word) and
counts what it sent; the real client, filters, writer and summary must account for every token."""

from __future__ import annotations

import asyncio

from rich.console import Console

from docmatix.commands.stats import render
from docmatix.filters.presets import build_filters
from docmatix.filters.settings import FilterSettings
from docmatix.output.stats import OutputStats
from docmatix.pipeline.generate.request_cache import RequestCache
from docmatix.pipeline.generate.token_accounting import token_rows, tokens_per_kept_pair
from docmatix.pipeline.run_summary import build_summary
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.publish.dataset_card import run_statistics, run_statistics_section
from tests.fake_llm_server import FakeServer
from tests.test_llm_client import generate, make_work


def write_run(tmp_path, name: str, generated) -> dict:
    # The stand-in's answers name a word of the chunk; only the shortest ("page") fits under this bound,
    # so one pair in three per chunk is kept and two are dropped as answer_too_long.
    limit = len('The document text contains the word "page" in this passage.')
    filters = build_filters(["empty", "length"], FilterSettings(max_answer_chars=limit))
    writer = UnitWriter(str(tmp_path / name), "unit-0")
    for g in generated:
        writer.add_finished(filter_document(g, filters))
    writer.commit()
    summary, _ = build_summary(str(tmp_path / name), ["unit-0"], {})
    return summary


def test_tokens_paid_cached_kept_and_dropped_add_up(tmp_path):
    work = make_work(4, 3)
    cache = tmp_path / "cache.sqlite"
    with FakeServer() as server:
        first, _ = asyncio.run(generate([server.base_url], work, cache=RequestCache(cache)))
        served = server.stats()
        second, client = asyncio.run(generate([server.base_url], work, cache=RequestCache(cache)))
        assert client.stats.requests_sent == 0
    paid, rerun = write_run(tmp_path, "paid", first), write_run(tmp_path, "rerun", second)

    assert served["completion_tokens"] > 0
    assert paid["tokens_prompt"] == served["prompt_tokens"]
    assert paid["tokens_completion"] == served["completion_tokens"]
    assert paid["tokens_prompt_cached"] == paid["tokens_completion_cached"] == 0
    # Every completion token is behind a kept pair, a dropped pair or a chunk without pairs.
    assert paid["pairs_kept"] == 12 and paid["pairs_dropped"] == 24
    split = (paid["tokens_completion_kept"] + paid["tokens_completion_dropped"] + paid["tokens_completion_no_pairs"]
             + paid["tokens_completion_loops"])
    assert split == paid["tokens_completion"]
    assert paid["tokens_completion_dropped_by_reason"] == {"answer_too_long": paid["tokens_completion_dropped"]}
    assert abs(paid["tokens_completion_kept"] * 3 - paid["tokens_completion"]) <= 12  # a third, per chunk rounding
    assert sum(paid["tokens_completion_by_template"].values()) == paid["tokens_completion"]
    assert sum(paid["tokens_prompt_by_template"].values()) == paid["tokens_prompt"]
    # The rerun pays nothing and shows what its cached answers originally cost.
    assert rerun["tokens_prompt"] == rerun["tokens_completion"] == 0
    assert rerun["tokens_prompt_cached"] == paid["tokens_prompt"]
    assert rerun["tokens_completion_cached"] == paid["tokens_completion"]
    assert tokens_per_kept_pair(rerun) == tokens_per_kept_pair(paid) == round(paid["tokens_completion"] / 12, 1)


def test_stats_and_card_show_tokens(tmp_path):
    with FakeServer() as server:
        generated, _ = asyncio.run(generate([server.base_url], make_work(2, 2)))
    summary = write_run(tmp_path, "run", generated)
    console = Console(record=True, width=120)
    render(console, OutputStats(), summary)
    shown = console.export_text()
    for row, value in token_rows(summary):
        assert row in shown and value in shown
    assert "completion tokens per kept pair" in shown and "lost to answer_too_long" in shown
    card = run_statistics_section(run_statistics(summary))
    assert "### Tokens" in card and f"| completion tokens paid | {summary['tokens_completion']:,} |" in card
    assert run_statistics(summary)["tokens_completion"] == summary["tokens_completion"]
    assert token_rows({"pairs_kept": 3}) == []  # a summary from before token accounting: no table
