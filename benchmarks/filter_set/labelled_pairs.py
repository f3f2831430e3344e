"""The labelled filter set: documents.jsonl (chunk texts) and pairs/*.jsonl (pairs labelled by hand).

Each pair has `key` (its document), `template`, `question`, `answer`, `label` (keep|drop) and `kind`
(what is right or wrong with it: KINDS). Pairs of a document are in generation order, so the dedup
filters see them as a run would. ASIDE documents form the held-aside part, scored only to confirm a
change made on the development part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

BAD_KINDS = {
    "wrong_value": "answer is a real value of the page, from the wrong row, cell or passage",
    "reworded_duplicate": "the same question again, reworded",
    "truncated": "answer cut off mid-sentence, or empty",
    "page_form": "question about the page rather than its content",
    "generic": "generic question with a generic answer",
    "invented_value": "a value, name or date that appears nowhere on the page",
    "not_stated": '"the text does not say" / "N/A" answers',
    "outside_knowledge": "facts from outside the page, even true ones",
    "language_mismatch": "answer in another language than its question",
    "code_markup": "code, JSON, LaTeX or markup answers",
    "prompt_copy": "pairs copied from our prompts or carrying Q1:/Answer: markers",
}
# What no deterministic check can decide: the judge's (docs/filters.md).
JUDGE_KINDS = frozenset({"outside_knowledge"})
GOOD_KINDS = ("good_number", "good_date", "good_name", "good_word", "good_long", "good_arithmetic",
              "good_yes_no", "good_paraphrase", "good_negative", "good_imperative", "good_identifier",
              "good_other")
ASIDE = frozenset({"r-data", "r-faq", "amc-fr", "refman", "form", "courrier-fr", "crazyones"})


@dataclass(frozen=True)
class LabelledPair:
    key: str
    template: str
    question: str
    answer: str
    keep: bool
    kind: str
    context: str

    def filter_check_line(self) -> dict:
        """The pair as `docmatix filter-check` reads it."""
        return {"key": self.key, "template": self.template, "question": self.question, "answer": self.answer,
                "context": self.context}


def documents() -> dict[str, str]:
    with open(HERE / "documents.jsonl", encoding="utf-8") as f:
        return {row["key"]: row["text"] for row in map(json.loads, f)}


def load_pairs(part: str = "dev") -> list[LabelledPair]:
    """`dev`, `aside` or `all`: the pairs of the development documents, of the held-aside ones, or both."""
    texts = documents()
    pairs = []
    for path in sorted((HERE / "pairs").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if row["kind"] not in BAD_KINDS and row["kind"] not in GOOD_KINDS:
                    raise ValueError(f"{path.name}:{number}: unknown kind {row['kind']!r}")
                if (row["label"] == "drop") != (row["kind"] in BAD_KINDS):
                    raise ValueError(f"{path.name}:{number}: label {row['label']} with kind {row['kind']}")
                in_aside = row["key"] in ASIDE
                if part == "all" or (part == "aside") == in_aside:
                    pairs.append(LabelledPair(row["key"], row["template"], row["question"], row["answer"],
                                              row["label"] == "keep", row["kind"], texts[row["key"]]))
    return pairs
