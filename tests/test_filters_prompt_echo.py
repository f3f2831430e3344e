"""No pair copied from our prompts, no answer that passes grounding by saying nothing.

The cases are the ones seen in real runs (the demo, `docmatix filter-check`); the prompts are the
real templates in prompts/, so editing a template keeps these tests honest.
"""

from __future__ import annotations

import json

import pytest

from docmatix.filters.base import PairContext
from docmatix.filters.presets import PRESETS, apply_filters, build_filters, build_preset
from docmatix.filters.prompt_echo import prompt_text
from docmatix.filters.settings import FilterSettings
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.qa_parse import parse_qa_text
from tests.test_filters_check_cli import filter_check

# What document pdfa-eng-train-0001/0000016 is about: no invoice anywhere.
NO_INVOICE = """Annual report of the Riverside Gardening Club. Members planted 240 tulip bulbs in the
community garden in April. The club meets on the first Tuesday of each month at the library."""
INVOICE = "Invoice 77 from Delta Supplies. Items: 3 chairs. The invoice total is 108 EUR, payable in 14 days."
CATS = "Two paragraphs of text about cats and their habits."
USER_PRESETS = ["docmatix", "strict"]  # what a user runs: the default and the demo's preset


def verdict(preset: str, question: str, answer: str, source: str | None) -> list[str]:
    return apply_filters(build_preset(preset), question, answer, PairContext(source, set()))


def example_pairs() -> list[tuple[str, str]]:
    return [pair for t in load_templates() for _, completion in t.examples for pair in parse_qa_text(completion)]


@pytest.mark.parametrize("preset", USER_PRESETS)
def test_the_demo_echo_is_dropped(preset):
    """The pair the demo kept, word for word from whole_document's few-shot example."""
    assert verdict(preset, "What is the invoice total?", "The total is 108 EUR.", NO_INVOICE) == ["prompt_echo"]
    assert verdict("docmatix-exact", "What is the invoice total?", "The total is 108 EUR.", NO_INVOICE) == []


@pytest.mark.parametrize("preset", USER_PRESETS)
def test_every_example_pair_is_dropped_whatever_the_chunk(preset):
    pairs = example_pairs()
    assert pairs
    for question, answer in pairs:
        for source in (NO_INVOICE, INVOICE, None):
            assert verdict(preset, question, answer, source) == ["prompt_echo"], (question, answer, source)


@pytest.mark.parametrize(("question", "answer"), [
    ("What is the invoice total?", "The gardening club planted 240 tulip bulbs."),  # example question alone
    ("How many bulbs were planted?", "The total is 108 EUR."),  # example answer alone
    ("What is this part about?", "The gardening club and its meetings."),  # quoted from 04's instructions
    ("Which company issued invoice 2231?", "The Riverside Gardening Club."),
    ("What should the answers do?", "Answer each from the document."),  # 05's instructions
    ("What does the club do?", "Document: The club plants tulips in the community garden."),  # scaffolding
    ("What does the club do?", "Q2: When does the club meet?"),
    ("Document: what does the club plant?", "Tulip bulbs."),
])
def test_copies_of_instructions_examples_and_scaffolding_are_dropped(question, answer):
    for preset in USER_PRESETS:
        assert verdict(preset, question, answer, NO_INVOICE) == ["prompt_echo"], preset


@pytest.mark.parametrize(("question", "answer"), [
    ("What is the invoice total?", "The invoice total is 108 EUR."),  # the chunk is an invoice of 108 EUR
    ("What is the invoice total?", "108 EUR."),
    ("When does the club meet?", "On the first Tuesday of each month, at the library."),
    ("What document is this?", "The annual report of the Riverside Gardening Club."),  # "document" in a question
])
def test_what_the_chunk_itself_carries_is_not_an_echo(question, answer):
    source = INVOICE if "invoice" in question else NO_INVOICE
    assert apply_filters(build_filters(["prompt_echo"]), question, answer, PairContext(source)) == []
    assert verdict("strict", question, answer, source) == []


def test_echo_follows_the_prompts_dir(tmp_path):
    (tmp_path / "t.toml").write_text('name = "t"\nuser = """Page:\n{text}\n\nAsk about the weather today."""\n'
                                     'system = "You ask."\n', encoding="utf-8")
    own = build_filters(["prompt_echo"], FilterSettings(), prompts_dir=str(tmp_path))
    ctx = PairContext(NO_INVOICE)
    assert prompt_text(str(tmp_path)).labels == ("page",)
    assert apply_filters(own, "What is the invoice total?", "The total is 108 EUR.", ctx) == []
    assert apply_filters(own, "What is asked?", "Ask about the weather today.", ctx) == ["prompt_echo"]
    assert apply_filters(own, "What is planted?", "Page: tulip bulbs.", ctx) == ["prompt_echo"]


def test_exact_reference_preset_is_the_old_docmatix_list():
    assert PRESETS["docmatix-exact"] == ["empty", "reference_patterns"]
    assert "prompt_echo" in PRESETS["docmatix"] and "prompt_echo" in PRESETS["strict"]


# Grounding that cannot be passed by saying nothing.
GROUNDING = build_filters(["grounding"])


def grounding(question: str, answer: str, source: str | None) -> list[str]:
    return apply_filters(GROUNDING, question, answer, PairContext(source))


def test_the_filter_check_case_is_no_content():
    """The pair `filter-check --preset strict` kept: every word a stopword or an instruction word."""
    pair = {"question": "What should be done with each question?", "answer": "Answer each from the document.",
            "context": CATS}
    assert grounding(pair["question"], pair["answer"], CATS) == ["no_content"]
    rc, out = filter_check([json.dumps(pair)], "--preset", "strict", "--filters", "grounding")
    assert rc == 0 and out == [{"keep": False, "reasons": ["no_content"]}]
    rc, out = filter_check([json.dumps(pair)], "--preset", "strict")
    assert rc == 0 and out[0]["keep"] is False


@pytest.mark.parametrize("answer", [
    "It is mentioned in the text.", "As stated above.", "This is described in the document.", "It does.",
])
def test_answers_without_content_are_no_content(answer):
    assert grounding("What are the cats' habits?", answer, CATS) == ["no_content"]


@pytest.mark.parametrize(("question", "answer", "reasons"), [
    ("Do cats have habits?", "Yes.", []),  # a yes/no is judged by its question's words
    ("Are the paragraphs about cats?", "No, they are.", []),
    ("Do dogs bark at night?", "Yes.", ["ungrounded"]),
    ("Is it so?", "Yes.", ["no_content"]),  # neither answer nor question says anything
])
def test_yes_no_answers_are_judged_by_their_question(question, answer, reasons):
    assert grounding(question, answer, CATS) == reasons


@pytest.mark.parametrize(("source", "answer"), [
    ("Let x = 3 and y < 5, so f(x) is defined.", "x = 3"),  # maths: a symbol and a number
    ("Let x = 3 and y < 5, so f(x) is defined.", "f and x"),  # short symbols count when nothing longer does
    ("The VAT note cites reference [1].", "Reference [1]."),  # a citation
    ("Total 110 EUR.", "110"),
])
def test_maths_and_citations_still_pass(source, answer):
    assert grounding("What does it say?", answer, source) == []
