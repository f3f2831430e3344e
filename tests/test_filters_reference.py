"""The `docmatix-exact` preset gives the reference verdict (huggingface/docmatix clean_and_create/load_data.py):
each of the nine patterns, in the question and in the answer, and their near misses."""

from __future__ import annotations

import pytest

from docmatix.filters.base import PairContext
from docmatix.filters.presets import apply_filters, build_preset

DOCMATIX = build_preset("docmatix-exact")
GOOD_Q, GOOD_A = "What is the invoice total?", "The total is 108 EUR"


def verdict(question: str, answer: str) -> list[str]:
    return apply_filters(DOCMATIX, question, answer, PairContext())


# (text, reason the reference drops it for, or None when the reference keeps it)
CASES = [
    # 1. { ... } on one line; `.` does not cross a newline (no DOTALL)
    ("Use the {name} field", "curly_braces"),
    ("{}", "curly_braces"),
    ("a } then {", None),
    ("a {\n} b", None),
    # 2. [ ... ]; a citation is dropped too
    ("as shown in [1]", "square_brackets"),
    ("[Company Name]", "square_brackets"),
    ("a ] then [", None),
    ("a [\n] b", None),
    # 3. < ... >, comparisons included
    ("<b>bold</b>", "angle_brackets"),
    ("x < 5 and y > 3", "angle_brackets"),
    ("x > 5 and y < 3", None),
    # 4. IP address (listed before word.word, so it names the reason)
    ("Server 192.168.0.1 answers", "ip_address"),
    ("192 168 0 1", None),
    # 5. word.word: decimals, abbreviations, URLs, file names all match
    ("It weighs 3.5 kg", "word_dot_word"),
    ("Fruit, e.g. apples", "word_dot_word"),
    ("The U.S. office", "word_dot_word"),
    ("See example.com", "word_dot_word"),
    ("It ends here. Then more", None),
    ("Tools, etc.", None),
    ("version 3. 5", None),
    # 6. a blank line, whitespace-only lines included
    ("first\n\nsecond", "blank_line"),
    ("first\n \t\nsecond", "blank_line"),
    ("first\nsecond", None),
    # 7. "unanswerable", any case, anywhere in a word
    ("This is unanswerable", "unanswerable"),
    ("UNANSWERABLE", "unanswerable"),
    ("Unanswerable.", "unanswerable"),
    ("un-answerable", None),
    ("answerable", None),
    # 8. a stray "Q<n>: " (case-insensitive, needs the space)
    ("Yes. Q2: What next?", "stray_question_marker"),
    ("see q3: below", "stray_question_marker"),
    ("Q2:no space", None),
    ("Q 2: spaced", None),
    # 9. a stray "A<n>: "
    ("Printed on A4: glossy", "stray_answer_marker"),
    ("see a12: below", "stray_answer_marker"),
    ("Printed on A4 paper", None),
]


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_each_pattern_in_the_question(text, reason):
    assert verdict(text, GOOD_A) == ([reason] if reason else [])


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_each_pattern_in_the_answer(text, reason):
    assert verdict(GOOD_Q, text) == ([reason] if reason else [])


def test_the_question_is_checked_before_the_answer():
    assert verdict("What is {x}?", "It is 3.5") == ["curly_braces"]
    assert verdict("What is x?", "It is 3.5 {y}") == ["curly_braces"]  # first pattern in the answer


@pytest.mark.parametrize(("question", "answer", "expected"), [
    # The question loses a leading "Q<n>: " and the answer a leading "A<n>: ", once, before the check.
    ("Q1: What is the total?", "A1: 108 EUR", []),
    ("Q12: What is the total?", "A12: 108 EUR", []),
    # ... but case-sensitively, only at the very start, only with one space after the colon:
    ("q1: What is the total?", "108 EUR", ["stray_question_marker"]),
    (" Q1: What is the total?", "108 EUR", ["stray_question_marker"]),
    ("What is the total?", "a1: 108 EUR", ["stray_answer_marker"]),
    ("Q1:  What is the total?", "108 EUR", []),  # "Q1: " stripped, a space left over
    ("Q1:What is the total?", "108 EUR", []),  # not stripped, and no marker without the space
    # ... and only the matching letter: an "A1: " opening a question is a stray marker.
    ("A1: What is the total?", "108 EUR", ["stray_answer_marker"]),
    ("What is the total?", "Q1: 108 EUR", ["stray_question_marker"]),
    # ... and only once.
    ("Q1: Q2: What is the total?", "108 EUR", ["stray_question_marker"]),
    ("What is the total?", "A1: A2: 108 EUR", ["stray_answer_marker"]),
])
def test_leading_marker_strip_matches_the_reference(question, answer, expected):
    assert verdict(question, answer) == expected


def test_empty_answer_is_dropped_as_the_reference_parser_never_emitted_it():
    assert verdict("What is the total?", "") == ["empty_answer"]
    assert verdict("   ", "108 EUR") == ["empty_question"]
