"""The `strict` preset: keeps the good answers the reference wrongly drops, and drops what the
reference lets through (ungrounded answers, duplicates, non-questions, refusals, code)."""

from __future__ import annotations

import pytest

from docmatix.filters.base import PairContext
from docmatix.filters.presets import PRESETS, apply_filters, build_filters, build_preset
from docmatix.filters.settings import FilterSettings
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.qa_parse import parse_qa_text

STRICT = build_preset("strict")
DOCMATIX = build_preset("docmatix")

SOURCE = """Harbor Tools Ltd - Invoice 2231, dated 3 March 2021.
Items: 4 hammers at 12.50 EUR, 2 saws at 30 EUR. Total 110 EUR, due within 30 days.
Delivery by road, e.g. to the Rotterdam depot (see www.harbor-tools.example/terms).
Contact: sales@harbor-tools.example. Prices exclude VAT, i.e. 21% is added [1].
Note: the warranty covers 2 years [sic], unless the tool is used with x < 5 bar and y > 3 bar.
"""


def strict(question: str, answer: str, source: str | None = SOURCE, seen: set[str] | None = None) -> list[str]:
    return apply_filters(STRICT, question, answer, PairContext(source, seen if seen is not None else set()))


def docmatix(question: str, answer: str) -> list[str]:
    return apply_filters(DOCMATIX, question, answer, PairContext(SOURCE))


# Good, grounded answers the reference drops for a false positive; strict keeps every one.
REFERENCE_FALSE_POSITIVES = [
    ("What does one hammer cost?", "One hammer costs 12.50 EUR.", "word_dot_word"),
    ("How is the order delivered?", "By road, e.g. to the Rotterdam depot.", "word_dot_word"),
    ("Is VAT included in the prices?", "No, i.e. 21% VAT is added to the prices.", "word_dot_word"),
    ("Where are the terms published?", "At www.harbor-tools.example/terms.", "word_dot_word"),
    ("Who can be contacted about sales?", "Sales can be reached at sales@harbor-tools.example.",
     "word_dot_word"),
    ("What source supports the VAT note?", "The VAT note cites reference [1].", "square_brackets"),
    ("Under which pressure does the warranty apply?", "When x < 5 bar and y > 3 bar.", "angle_brackets"),
]


@pytest.mark.parametrize(("question", "answer", "reference_reason"), REFERENCE_FALSE_POSITIVES)
def test_strict_keeps_good_answers_the_reference_drops(question, answer, reference_reason):
    assert docmatix(question, answer) == [reference_reason]
    assert strict(question, answer) == []


@pytest.mark.parametrize(("answer", "reason"), [
    ("Call os.path.join(a, b) first.", "code_like"),
    ("Set self.total to 110.", "code_like"),
    ("Read config.max_tokens from the file.", "code_like"),
    ("Use document.getElementById to find it.", "code_like"),
    ("Run main() to print it.", "code_like"),
    ("It holds when total == 110.", "code_like"),
    ("def total(items):", "code_like"),
    ("import numpy", "code_like"),
    ("```python\ntotal = 110\n```", "code_like"),
    ("Send it to [Company Name].", "square_brackets"),
    ("Ask for [insert date] in writing.", "square_brackets"),
    ("Wrap it in <b>bold</b> text.", "angle_brackets"),
    ("Fill in <answer> here.", "angle_brackets"),
    ("Fill the {name} field.", "curly_braces"),
    ('It returns {"total": 110}.', "curly_braces"),
    ("The body is { total += 1; }.", "curly_braces"),
    ("It prints {} here.", "curly_braces"),
    ("See [the terms](www.harbor-tools.example/terms).", "square_brackets"),
    ('Read data["total"] first.', "square_brackets"),
    ("The server is 192.168.0.1 here.", "ip_address"),
    ("Total 110 EUR.\n\nAlso, more.", "blank_line"),
    ("This is unanswerable.", "unanswerable"),
    ("The warranty period is not mentioned in the document.", "unanswerable"),
    ("The text does not specify the delivery date.", "unanswerable"),
    ("It cannot be determined from the invoice.", "unanswerable"),
    ('The origin of the word "Huardest gefber" is not specified.', "unanswerable"),  # SmolLM2, e2e run
    ("Total 110 EUR. Q2: What is the date?", "stray_question_marker"),
    ("Total 110 EUR.\nA2: It is due in 30 days.", "stray_answer_marker"),
])
def test_strict_still_drops_what_the_reference_meant_to(answer, reason):
    assert strict("What does the invoice say?", answer, source=None) == [reason]


@pytest.mark.parametrize("answer", [
    "Invoice 2231 is dated 3.3.2021 in the U.S. style.",
    "The file invoice_2231.pdf holds it.",
    "Version 1.2.3 of the form.",
    "A4 paper: the invoice is printed on it.",  # not a marker: "A4" opens the answer, no stripping applies
    "The [sic] marks the original wording.",
    "See references [1, 3] and [4-6].",
    "As argued in [Smith 2020] and [Jones et al. 2019a].",
    "The set { 0, 1 } carries the topology { ∅, { 0 }, X }.",
    "It is { x ∈ X | f(x) = 0 } on the interval [a, b], or [−ε, ε], with class [γ].",
    "15 =====⇒ Z(y) is connected.",
])
def test_precise_patterns_near_misses_are_kept(answer):
    assert strict("What does the invoice say?", answer, source=None) == []


def test_leading_markers_are_stripped_in_any_case():
    assert strict("q1: What is the invoice total?", "a1: The total is 110 EUR.") == []


@pytest.mark.parametrize(("question", "reason"), [
    ("The invoice total.", "not_a_question"),
    ("Invoice details", "not_a_question"),
    ("What is the total? When is it due?", "multiple_questions"),
])
def test_not_a_question(question, reason):
    assert strict(question, "The total is 110 EUR.") == [reason]


@pytest.mark.parametrize("question", [
    "What is the invoice total?",
    "List the items on the invoice.",
    "Summarise the payment terms.",
    "In which month was the invoice dated?",
    "According to the invoice, how many saws were bought?",
    "how many saws were bought",  # an interrogative opener, question mark forgotten
])
def test_questions_in_many_forms_are_questions(question):
    assert strict(question, "Harbor Tools Ltd invoice, 2 saws, 110 EUR total, March 2021.") == []


def test_length_bounds_are_settings():
    filters = build_filters(PRESETS["strict"], FilterSettings(min_question_chars=10, max_answer_chars=25))
    ctx = PairContext(SOURCE)
    assert apply_filters(filters, "Total?", "110 EUR", ctx) == ["question_too_short"]
    assert apply_filters(filters, "What is the invoice total?", "The total is 110 EUR, due in 30 days.",
                         ctx) == ["answer_too_long"]
    assert apply_filters(filters, "What is the invoice total?", "The total is 110 EUR.", ctx) == []
    long_question = "What is " + "the total of the invoice and " * 12 + "the date?"
    assert strict(long_question, "110 EUR") == ["question_too_long"]


@pytest.mark.parametrize(("answer", "reason"), [
    ("The total is 250 EUR.", "value_not_on_page"),  # a number the text does not have
    ("Invoice 2231 is dated 9 March 2021.", "value_not_on_page"),
    ("The invoice was issued by Maple Hardware Corporation in Toronto, Canada.", "value_not_on_page"),  # names
    ("Payment is due within 60 days.", "value_not_on_page"),
    ("It was dated in June 2021.", "value_not_on_page"),  # a month the page does not have
    ("Carpenters trust these sturdy, affordable, reliable brands.", "ungrounded"),  # invented words
])
def test_ungrounded_answers_are_dropped(answer, reason):
    assert strict("What does the invoice say?", answer) == [reason]
    assert docmatix("What does the invoice say?", answer) == []  # the reference keeps them


@pytest.mark.parametrize("answer", [
    "The total is 110 EUR.",
    "Harbor Tools Ltd issued invoice 2231.",  # "issued" is not in the text, "invoice"/"Harbor" are
    "Four hammers and two saws were invoiced.",  # inflections: hammers/saws/invoiced
    "Invoice 2,231 is dated 03 March 2021.",  # number spellings: 2,231 = 2231, 03 = 3
    "Yes.",  # nothing to check
])
def test_grounded_answers_are_kept(answer):
    assert strict("What does the invoice say?", answer) == []


def test_grounding_threshold_is_a_setting():
    answer = "Harbor Tools Ltd wrote the invoice carefully and politely."  # 4 of 7 content words found
    lenient = build_filters(["grounding"], FilterSettings(grounding_threshold=0.5))
    exacting = build_filters(["grounding"], FilterSettings(grounding_threshold=0.9))
    ctx = PairContext(SOURCE)
    assert apply_filters(lenient, "Who wrote it?", answer, ctx) == []
    assert apply_filters(exacting, "Who wrote it?", answer, ctx) == ["ungrounded"]


def test_grounding_abstains_without_a_source_but_not_on_an_empty_one():
    assert strict("What is the total?", "The total is 250 EUR.", source=None) == []
    assert strict("What is the total?", "The total is 250 EUR.", source="") == ["value_not_on_page"]


def test_duplicates_are_dropped_only_after_a_kept_pair_is_recorded():
    seen: set[str] = set()
    ctx = PairContext(SOURCE, seen, "whole_document")
    assert apply_filters(STRICT, "What is the invoice total?", "The total is 110 EUR.", ctx) == []
    ctx.record_kept("What is the invoice total?")
    again = PairContext(SOURCE, seen, "each_section")  # another chunk and template, same document
    assert apply_filters(STRICT, "what is the Invoice total", "110 EUR.", again) == ["duplicate_question"]
    assert apply_filters(STRICT, "What is the total of the invoice?", "110 EUR.", again) == \
        ["near_duplicate_question"]
    assert apply_filters(STRICT, "When is the invoice due?", "Within 30 days.", again) == []


def test_questions_differing_in_a_number_are_not_near_duplicates():
    seen = {"how many items are on page 2"}
    ctx = PairContext(SOURCE, seen)
    assert apply_filters(STRICT, "How many items are on page 3?", "4 hammers and 2 saws.", ctx) == []


def test_near_duplicate_threshold_is_a_setting():
    seen = {"what is the invoice total"}
    question = "What is the total amount on the invoice?"
    loose = build_filters(["near_duplicate"], FilterSettings(near_duplicate_threshold=70))
    tight = build_filters(["near_duplicate"], FilterSettings(near_duplicate_threshold=95))
    assert apply_filters(loose, question, "110 EUR.", PairContext(SOURCE, seen)) == ["near_duplicate_question"]
    assert apply_filters(tight, question, "110 EUR.", PairContext(SOURCE, seen)) == []


def test_all_reasons_lists_every_failing_filter():
    reasons = apply_filters(STRICT, "The total.", "It is 999 EUR, e.g. [Company Name].", PairContext(SOURCE),
                            all_reasons=True)
    assert reasons == ["not_a_question", "square_brackets", "value_not_on_page", "ungrounded"]


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown filter preset"):
        build_preset("lenient")
    with pytest.raises(ValueError, match="unknown filter"):
        build_filters(["grounding", "typo"])


def test_the_prompt_templates_own_examples_pass_strict_but_for_being_echoes():
    """Strict's quality rules accept the examples we show the model; the echo filter alone drops them."""
    not_echo = build_filters([n for n in PRESETS["strict"] if n != "prompt_echo"])
    examples = [(user, assistant) for t in load_templates() for user, assistant in t.examples]
    assert examples
    for document, completion in examples:
        context = PairContext(document, set())
        pairs = parse_qa_text(completion)
        assert pairs
        for question, answer in pairs:
            assert apply_filters(not_echo, question, answer, context) == [], (question, answer)
            assert apply_filters(STRICT, question, answer, context) == ["prompt_echo"], (question, answer)
            context.record_kept(question)
