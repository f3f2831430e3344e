"""Stage 5 with the real writer: every generated pair is kept or written to rejects/pairs with its
document key, template, pair and reason, and the summary counts drops per reason and pairs per template
(kept + dropped = generated)."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from PIL import Image

from docmatix.filters.options import filters_from
from docmatix.filters.presets import build_preset
from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.run_summary import build_summary
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from docmatix.schemas.records import (
    Chunk,
    ChunkResult,
    ExtractedDocument,
    GeneratedDocument,
    PageText,
    QAPair,
)

PAGE = ("Harbor Tools Ltd - Invoice 2231, dated 3 March 2021. Items: 4 hammers at 12.50 EUR, "
        "2 saws at 30 EUR. Total 110 EUR, due within 30 days.")


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buf, format="PNG")
    return buf.getvalue()


def chunk_result(index: int, template: str, pairs: list[tuple[str, str]], text: str = PAGE) -> ChunkResult:
    chunk = Chunk(index, [0], text, n_tokens=40, template=template)
    return ChunkResult(chunk, "completion", [QAPair(q, a, template, index) for q, a in pairs], requests=1)


def document(key: str, *chunks: ChunkResult) -> GeneratedDocument:
    doc = ExtractedDocument(key, "unit-0", "shard.tar", f"PDFA key: {key}", [PageText(0, PAGE, "text_layer")],
                            [png()])
    return GeneratedDocument(doc, list(chunks))


def invoice_document() -> GeneratedDocument:
    return document(
        "0000001",
        chunk_result(0, "whole_document", [
            ("What is the invoice total?", "The total is 110 EUR."),           # kept
            ("How much does one hammer cost?", "One hammer costs 12.50 EUR."),  # kept by strict only
            ("Who issued the invoice?", "Maple Hardware Corporation of Toronto."),  # names not on the page
            ("What is the invoice total?", "110 EUR."),                         # duplicate, same chunk
        ]),
        # Overlapping chunk, another template: the same questions come back.
        chunk_result(1, "each_section", [
            ("what is the total of the invoice", "110 EUR."),                  # near duplicate
            ("When is payment due?", "Within 30 days."),                        # kept
            ("The invoice date.", "3 March 2021."),                             # not a question
        ]),
    )


def test_strict_keeps_or_drops_every_pair_once():
    done = filter_document(invoice_document(), build_preset("strict"))
    assert [p.question for p in done.kept] == ["What is the invoice total?", "How much does one hammer cost?",
                                               "When is payment due?"]
    assert [(d.pair.question, d.reasons) for d in done.dropped] == [
        ("Who issued the invoice?", ["value_not_on_page"]),
        ("What is the invoice total?", ["duplicate_question"]),
        ("what is the total of the invoice", ["near_duplicate_question"]),
        ("The invoice date.", ["not_a_question"]),
    ]
    assert done.rejected is None


def test_a_dropped_pair_does_not_make_its_repeat_a_duplicate():
    generated = document("0000002", chunk_result(0, "whole_document", [
        ("What is the invoice total?", "The total is 999 EUR."),  # invented: not recorded as kept
        ("What is the invoice total?", "The total is 110 EUR."),  # so this one is no duplicate
    ]))
    done = filter_document(generated, build_preset("strict"))
    assert [d.reasons for d in done.dropped] == [["value_not_on_page"]]
    assert [p.answer for p in done.kept] == ["The total is 110 EUR."]


def test_dedup_state_is_per_document():
    first = filter_document(invoice_document(), build_preset("strict"))
    second = filter_document(invoice_document(), build_preset("strict"))
    assert len(second.kept) == len(first.kept) == 3


def test_run_config_chooses_filters_by_preset_or_names():
    config = RunConfig(inputs=[], output="")
    assert config.filter_preset == "strict"
    assert [f.name for f in filters_from(config)] == [
        "empty", "prompt_echo", "length", "not_a_question", "precise_patterns", "not_stated", "truncated",
        "page_form", "language_mismatch", "generic", "answer_values", "grounding", "answer_position", "duplicate",
        "near_duplicate"]
    config.filter_preset = "docmatix"
    assert [f.name for f in filters_from(config)] == ["empty", "prompt_echo", "reference_patterns"]
    config.filter_preset = "docmatix-exact"
    assert [f.name for f in filters_from(config)] == ["empty", "reference_patterns"]
    config.filters = ["grounding", "duplicate"]
    config.grounding_threshold = 0.9
    chosen = filters_from(config)
    assert [f.name for f in chosen] == ["grounding", "duplicate"]
    assert chosen[0].threshold == 0.9


@pytest.mark.parametrize("preset", ["strict", "docmatix"])
def test_rejects_table_and_summary_account_for_every_pair(tmp_path, preset):
    filters = build_preset(preset)
    all_dropped = document("0000003", chunk_result(0, "critical_thinking", [
        ("Q1: What is {name}?", "See [Company Name]."), ("", "an answer to nothing")]))
    finished = [filter_document(invoice_document(), filters), filter_document(all_dropped, filters)]
    writer = UnitWriter(str(tmp_path), "unit-0")
    for done in finished:
        writer.add_finished(done)
    writer.commit()
    summary, _ = build_summary(str(tmp_path), ["unit-0"], {})

    rejects = pq.read_table(tmp_path / "rejects" / "pairs" / "unit-0.parquet").to_pylist()
    expected = [(done.key, d.pair.template, d.pair.question, d.pair.answer, d.reasons)
                for done in finished for d in done.dropped]
    assert [(r["key"], r["template"], r["question"], r["answer"], r["reasons"]) for r in rejects] == expected
    assert all(len(r["reasons"]) == 1 for r in rejects)

    assert summary["pairs_generated"] == 9
    assert summary["pairs_kept"] + summary["pairs_dropped"] == summary["pairs_generated"]
    assert summary["pairs_dropped"] == len(rejects) == sum(summary["pairs_dropped_by_reason"].values())
    by_reason: dict[str, int] = {}
    for r in rejects:
        by_reason[r["reasons"][0]] = by_reason.get(r["reasons"][0], 0) + 1
    assert summary["pairs_dropped_by_reason"] == by_reason
    generated = summary["pairs_generated_by_template"]
    kept = summary["pairs_kept_by_template"]
    assert generated == {"whole_document": 4, "each_section": 3, "critical_thinking": 2}
    assert sum(kept.values()) == summary["pairs_kept"]
    for template, n in generated.items():
        assert kept.get(template, 0) + sum(r["template"] == template for r in rejects) == n
    # The document whose pairs were all dropped is a rejected document, its pairs still in rejects/pairs.
    assert summary["documents_rejected_by_reason"] == {"no_pairs_kept": 1}
    assert summary["documents_written"] == 1
