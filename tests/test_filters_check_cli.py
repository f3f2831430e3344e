"""`docmatix filter-check`, run as a user runs it: JSON lines in on stdin, one verdict line out per input."""

from __future__ import annotations

import json
import subprocess
import sys

CONTEXT = "Invoice 2231 from Harbor Tools Ltd. One hammer costs 12.50 EUR, e.g. for repairs. Total 110 EUR."
PAIRS = [
    {"question": "What does one hammer cost?", "answer": "One hammer costs 12.50 EUR.", "context": CONTEXT},
    {"question": "What is it used for?", "answer": "Repairs, e.g. of roofs.", "context": CONTEXT},
    {"question": "What is the total?", "answer": "The total is 250 EUR.", "context": CONTEXT},
    {"question": "What is the total?", "answer": "The total is 110 EUR.", "context": CONTEXT},
    {"question": "What is the total?", "answer": "110 EUR.", "context": CONTEXT},
    {"question": "Which company issued it?", "answer": "It is unanswerable."},
    {"question": "Q1: What is {this}?", "answer": "A1: 110 EUR"},
]


def filter_check(lines: list[str], *args: str) -> tuple[int, list[dict]]:
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "filter-check", *args],
                          input="".join(line + "\n" for line in lines), capture_output=True, text=True, timeout=120)
    assert not proc.stderr.strip() or proc.returncode != 0, proc.stderr
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def test_strict_is_the_default_and_judges_each_line():
    rc, out = filter_check([json.dumps(p) for p in PAIRS])
    assert rc == 0
    assert out == [
        {"keep": True, "reasons": []},
        {"keep": True, "reasons": []},
        {"keep": False, "reasons": ["value_not_on_page"]},
        {"keep": True, "reasons": []},
        {"keep": False, "reasons": ["duplicate_question"]},  # same (absent) key: one document
        {"keep": False, "reasons": ["unanswerable"]},
        {"keep": False, "reasons": ["curly_braces"]},
    ]


def test_docmatix_preset_gives_the_reference_verdicts():
    rc, out = filter_check([json.dumps(p) for p in PAIRS], "--preset", "docmatix-exact")
    assert rc == 0
    assert [o["reasons"] for o in out] == [["word_dot_word"], ["word_dot_word"], [], [], [], ["unanswerable"],
                                           ["curly_braces"]]


def test_keys_separate_documents_and_options_reach_the_filters():
    same = {"question": "What is the total?", "answer": "The total is 110 EUR.", "context": CONTEXT}
    lines = [json.dumps({**same, "key": "a"}), json.dumps({**same, "key": "b"}), json.dumps({**same, "key": "a"})]
    _, out = filter_check(lines)
    assert [o["keep"] for o in out] == [True, True, False]
    _, out = filter_check(lines[:1], "--filters", "length", "--max-answer-chars", "10")
    assert out == [{"keep": False, "reasons": ["answer_too_long"]}]


def test_all_reasons_and_invalid_lines():
    bad_pair = json.dumps({"question": "The total.", "answer": "It is [Name], 999 EUR.", "context": CONTEXT})
    rc, out = filter_check([bad_pair, "not json", json.dumps({"question": "What?"}), ""], "--all-reasons")
    assert rc == 1
    assert out[0] == {"keep": False, "reasons": ["not_a_question", "square_brackets", "value_not_on_page", "ungrounded"]}
    assert [o["reasons"] for o in out[1:]] == [["invalid_input"], ["invalid_input"]]  # blank line skipped
    assert "line 3" in out[2]["error"] and "answer" in out[2]["error"]


def test_unknown_filter_name_fails_at_parse_time():
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "filter-check", "--filters", "grounding,typo"],
                          input="", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown filter(s) typo" in proc.stderr
