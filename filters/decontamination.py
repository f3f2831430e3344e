"""Decontamination: drop pairs whose question shares a long word n-gram with a benchmark question.

As datatrove does, n = 13 words by default: long enough that only copied text matches. The benchmark
(`--decontaminate SOURCE`) is a local Parquet or JSONL file, or a Hub dataset id read with `datasets`
(e.g. DocVQA, InfoVQA, ChartQA test questions); its question column is `question` or `query`. The
matching benchmark item is recorded with the dropped pair (`detail` in rejects/pairs/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import regex

CONTAMINATED = "contaminated"
DEFAULT_NGRAM = 13
QUESTION_COLUMNS = ("question", "query")
# Letters and digits alike (filters.text.words skips numbers, but "(1)" vs "(2)" is a different question).
_TOKEN = regex.compile(r"[\p{L}\p{N}]+")


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    """Word n-grams of lower-cased text. A text shorter than n words is one gram of all its words: most
    DocVQA questions are under 13 words, and one copied whole must still match (only whole: a short
    benchmark question inside a longer one is too generic to call contamination)."""
    tokens = _TOKEN.findall(text.casefold())
    if not tokens:
        return set()
    if len(tokens) < n:
        return {tuple(tokens)}
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _question_column(names: list[str], source: str) -> str:
    for name in QUESTION_COLUMNS:
        if name in names:
            return name
    raise ValueError(f"--decontaminate {source}: no question column ({' or '.join(QUESTION_COLUMNS)}) in {names}")


def load_benchmark_questions(source: str) -> list[str]:
    path = Path(source)
    if path.suffix == ".jsonl" and path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        column = _question_column(sorted({k for r in rows for k in r}), source)
        return [str(r.get(column) or "") for r in rows]
    if path.suffix == ".parquet" and path.exists():
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        column = _question_column(pf.schema_arrow.names, source)
        return [str(q or "") for q in pf.read(columns=[column]).column(column).to_pylist()]
    if path.exists():
        raise ValueError(f"--decontaminate {source}: expected a .parquet or .jsonl file")
    import datasets  # a Hub dataset id: every split of it

    splits = datasets.load_dataset(source)
    out: list[str] = []
    for split in splits.values():
        column = _question_column(split.column_names, source)
        out += [str(q or "") for q in split[column]]
    return out


@dataclass
class BenchmarkIndex:
    source: str
    n: int
    questions: list[str]
    index: dict[tuple[str, ...], int]  # n-gram -> first benchmark question holding it

    @classmethod
    def load(cls, source: str, n: int = DEFAULT_NGRAM) -> BenchmarkIndex:
        if n < 1:
            raise ValueError(f"--decontaminate-ngram must be at least 1, got {n}")
        questions = load_benchmark_questions(source)
        index: dict[tuple[str, ...], int] = {}
        for i, question in enumerate(questions):
            for gram in ngrams(question, n):
                index.setdefault(gram, i)
        return cls(source, n, questions, index)

    def match(self, question: str) -> str | None:
        """The benchmark item (source, row, question) sharing an n-gram with `question`, else None."""
        for gram in ngrams(question, self.n):
            row = self.index.get(gram)
            if row is not None:
                return f"{self.source}#{row}: {self.questions[row][:300]}"
        return None
