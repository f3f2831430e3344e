"""The default preset's filters for each kind of mistake real generators make: each drops a real case
of its kind and keeps the good pair nearest to it. Pages are documents of the filter set
(benchmarks/filter_set/documents.jsonl), as the pipeline extracts them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docmatix.filters.base import PairContext
from docmatix.filters.presets import apply_filters, build_preset

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = {row["key"]: row["text"] for row in map(json.loads, (ROOT / "benchmarks/filter_set/documents.jsonl")
                                                     .read_text(encoding="utf-8").splitlines())}
STRICT = build_preset("strict")


def verdict(key: str, question: str, answer: str, kept: list[tuple[str, str]] = ()) -> list[str]:
    context = PairContext(DOCUMENTS[key])
    for q, a in kept:
        context.record_kept(q, a)
    return apply_filters(STRICT, question, answer, context)


@pytest.mark.parametrize(("key", "question", "answer", "reason"), [
    # a value of the page, from another row or passage
    ("stats", "What was the unemployment rate in the Eastern Highlands in 2021?", "7.1%", "answer_out_of_place"),
    ("stats", "What was the unemployment rate in the Southern Plains in 2022?",
     "The unemployment rate in the Southern Plains in 2022 was 6.6%.", "answer_out_of_place"),  # 2020's column
    ("minutes", "How many of the planned kitchen replacements are complete?", "15 of them.", "answer_out_of_place"),
    # a value the page does not have
    ("invoice", "What is the total due?", "The total due is EUR 804.80.", "value_not_on_page"),
    ("minutes", "Who is the treasurer?", "David Lindquist is the treasurer.", "value_not_on_page"),
    ("invoice", "When is the invoice due?", "It is due on 14 September 2023.", "value_not_on_page"),
    ("minutes", "At what time did the meeting close?", "21:10", "value_not_on_page"),
    # cut off, not stated, about the page's form, generic, another language
    ("minutes", "What did the board agree about the contract?",
     "The board agreed to extend the contract with Hallam Builders by three months and", "truncated_answer"),
    ("invoice", "What is the customer's phone number?", "The invoice does not specify this.", "not_stated"),
    ("rapport-fr", "Qui a rédigé le rapport ?", "Non précisé dans le document.", "not_stated"),
    ("invoice", "What font is used for the title?", "The title uses a bold sans-serif font.", "about_page_form"),
    ("stats", "How many pages does the document have?", "It has one page.", "about_page_form"),
    ("minutes", "What is the main topic of the document?", "The document discusses various topics and issues.",
     "generic_pair"),
    ("invoice", "What is the best way to describe a customer's invoice?",
     "The best way to describe a customer's invoice is to describe it as the invoice of a customer.",
     "generic_pair"),  # it restates its question (the embedded model's habit)
    ("rapport-fr", "Quel était le budget de fonctionnement en 2022 ?",
     "The operating budget was 412,000 euros in 2022.", "language_mismatch"),
    ("amc-en", "Which person is the correct answer?", "\\correctchoice{René Coty}", "code_like"),
])
def test_each_kind_is_dropped(key, question, answer, reason):
    assert verdict(key, question, answer) == [reason]


@pytest.mark.parametrize(("key", "question", "answer"), [
    ("stats", "What was the unemployment rate in the Eastern Highlands in 2021?", "10.3%"),
    ("stats", "Which region had the highest unemployment rate in 2022?", "The Eastern Highlands, with 10.1%."),
    ("minutes", "When will the auditors begin the annual audit?", "On 15 January 2024."),
    ("invoice", "How much would the customer pay if it settled within 10 days?",
     "With the 2% discount on EUR 804.08 (about EUR 16.08), it would pay about EUR 788.00."),  # arithmetic
    ("rapport-fr", "Combien d'inscrits actifs ont 14 ans ou plus ?", "6 140 − 1 920 = 4 220 inscrits."),
    ("invoice", "What is the supplier's e-mail address?", "accounts@northwind-office.de"),  # ligature on the page
    ("invoice", "Summarise the payment terms.", "Payment is due in 30 days net, with a 2% discount within 10 days."),
    ("form", "Is the permit transferable?", "No, permits are not transferable."),  # a correct negative
    ("form", "Is the vehicle registration of the applicant's vehicle given?",
     "Yes, the applicant's vehicle registration is given."),  # a verdict in the question's words
    ("rapport-fr", "Quel organisme a versé la subvention de 15 000 euros ?", "La DRAC."),  # acronym of page words
    ("notice-zh", "每名学生本学期选课总学分不得超过多少？", "28学分。"),
    ("r-data", "Which function reads a file in table format?", "read.table()"),
])
def test_good_pairs_of_the_same_kinds_are_kept(key, question, answer):
    assert verdict(key, question, answer) == []


def test_a_reworded_question_with_the_same_answer_is_a_duplicate():
    kept = [("What is the total due?", "EUR 804.08")]
    assert verdict("invoice", "How much does the customer owe in total?",
                   "The customer owes a total of EUR 804.08, including shipping and VAT.", kept) == \
        ["near_duplicate_question"]
    assert verdict("invoice", "When is the invoice due?", "On 14 May 2023.", kept) == []


def test_explain_names_the_filter_and_what_it_found():
    line = json.dumps({"question": "What is the total due?", "answer": "The total due is EUR 804.80.",
                       "context": DOCUMENTS["invoice"]})
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "filter-check", "--explain"], input=line + "\n",
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["explain"] == [
        {"filter": "answer_values", "reason": "value_not_on_page", "found": "804.8"}]


def test_strict_separates_the_labelled_development_set():
    """The development part of the labelled set (benchmarks/bench_filter_quality.py prints the whole table):
    the default preset must stay well ahead of the reference rules on both sides."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_filter_quality import verdicts
    from filter_set.labelled_pairs import load_pairs

    pairs = load_pairs("dev")
    assert len(pairs) >= 200 and len({p.key for p in pairs}) >= 15
    results, _ = verdicts("strict", pairs)
    bad = [r for r, p in zip(results, pairs, strict=True) if not p.keep]
    good = [r for r, p in zip(results, pairs, strict=True) if p.keep]
    assert sum(not r["keep"] for r in bad) / len(bad) >= 0.8
    assert sum(r["keep"] for r in good) / len(good) >= 0.9
