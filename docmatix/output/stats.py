"""Statistics of an output, computed from its rows, meta sidecars and rejects (never from image bytes).

Counted from the data rather than copied from summary.json, so they also describe an output that was
published, mixed or edited by hand; `compare_with_summary` says where the two disagree.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field

import pyarrow.compute as pc

from docmatix.output.reader import IMAGE_PATHS, OutputReader
from docmatix.pipeline.extract.language import LANGUAGE_REASON, rejected_language
from docmatix.pipeline.generate.judge import DIMENSIONS as JUDGE_DIMENSIONS


@dataclass
class Distribution:
    count: int
    mean: float
    median: float
    p10: float
    p90: float
    min: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        if not values:
            return cls(0, 0, 0, 0, 0, 0, 0)
        ordered = sorted(values)

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return cls(len(values), statistics.fmean(values), statistics.median(ordered), pct(0.1), pct(0.9),
                   ordered[0], ordered[-1])


@dataclass
class OutputStats:
    documents: int = 0
    pages: int = 0
    pairs: int = 0
    pairs_per_doc: list[int] = field(default_factory=list)
    pages_per_doc: list[int] = field(default_factory=list)
    question_chars: list[int] = field(default_factory=list)
    answer_chars: list[int] = field(default_factory=list)
    page_sources: Counter = field(default_factory=Counter)  # empty when the output has no meta
    kept_by_template: Counter = field(default_factory=Counter)
    dropped_by_template: Counter = field(default_factory=Counter)
    pairs_dropped: int = 0
    dropped_by_reason: Counter = field(default_factory=Counter)  # a pair with two reasons counts in both
    documents_rejected_by_reason: Counter = field(default_factory=Counter)
    chunks_failed_by_reason: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)  # written documents; empty when meta predates it
    languages_rejected: Counter = field(default_factory=Counter)  # documents rejected by --languages
    # Kept pairs of rows whose meta has the columns (outputs before them have none): per template, pairs
    # and those whose answer was located on the page; the judge's scores per dimension and their minimum.
    evidence_pairs_by_template: Counter = field(default_factory=Counter)
    evidence_located_by_template: Counter = field(default_factory=Counter)
    judge_histogram: dict[str, Counter] = field(default_factory=dict)
    judge_unusable: int = 0  # judged pairs whose judge answer gave no scores

    def evidence_summary(self) -> dict:
        """Share of kept pairs whose answer was located on the page, overall and per template."""
        def share(located: int, pairs: int) -> dict:
            return {"pairs": pairs, "located": located, "share": located / pairs if pairs else 0.0}

        pairs, located = self.evidence_pairs_by_template, self.evidence_located_by_template
        return {**share(sum(located.values()), sum(pairs.values())),
                "by_template": {t: share(located[t], pairs[t]) for t in sorted(pairs)}}

    def judge_summary(self) -> dict:
        minimum = self.judge_histogram.get("min", Counter())
        return {"pairs_judged": sum(minimum.values()), "unusable": self.judge_unusable,
                "histogram": {dim: {str(k): v for k, v in sorted(c.items())} for dim, c in self.judge_histogram.items()}}

    def add_quality(self, templates: list[str], evidence: list | None, judge: list | None) -> None:
        """One row's pair_evidence / pair_judge (None: the column is absent or null for the row)."""
        if evidence is not None:
            self.evidence_pairs_by_template.update(templates)
            self.evidence_located_by_template.update(t for t, e in zip(templates, evidence, strict=True) if e)
        for verdict in judge or []:
            if verdict is None:
                continue
            scores = {d: verdict[d] for d in JUDGE_DIMENSIONS}
            if None in scores.values():
                self.judge_unusable += 1
                continue
            for name, value in {**scores, "min": min(scores.values())}.items():
                self.judge_histogram.setdefault(name, Counter())[value] += 1

    @property
    def pairs_per_page(self) -> list[float]:
        return [p / n for p, n in zip(self.pairs_per_doc, self.pages_per_doc, strict=True) if n]

    @property
    def ocr_share(self) -> float:
        known = sum(self.page_sources.values())
        return self.page_sources.get("ocr", 0) / known if known else 0.0

    def template_yield(self) -> dict[str, dict]:
        """Per template: pairs generated (kept + dropped), kept, and the kept share."""
        out = {}
        for name in sorted(set(self.kept_by_template) | set(self.dropped_by_template)):
            kept, dropped = self.kept_by_template[name], self.dropped_by_template[name]
            out[name] = {"generated": kept + dropped, "kept": kept, "yield": kept / (kept + dropped)}
        return out

    def to_dict(self) -> dict:
        return {
            "documents": self.documents,
            "pages": self.pages,
            "pairs": self.pairs,
            "pairs_dropped": self.pairs_dropped,
            "pairs_per_doc": asdict(Distribution.of(self.pairs_per_doc)),
            "pages_per_doc": asdict(Distribution.of(self.pages_per_doc)),
            "pairs_per_page": asdict(Distribution.of(self.pairs_per_page)),
            "pairs_per_page_overall": self.pairs / self.pages if self.pages else 0.0,
            "question_chars": asdict(Distribution.of(self.question_chars)),
            "answer_chars": asdict(Distribution.of(self.answer_chars)),
            "page_sources": dict(self.page_sources),
            "ocr_share": self.ocr_share,
            "template_yield": self.template_yield(),
            "dropped_by_reason": dict(self.dropped_by_reason),
            "documents_rejected_by_reason": dict(self.documents_rejected_by_reason),
            "chunks_failed_by_reason": dict(self.chunks_failed_by_reason),
            "language": {"documents": dict(self.languages), "rejected": dict(self.languages_rejected)},
            "evidence": self.evidence_summary(),
            "judge": self.judge_summary(),
        }


def _page_counts_without_meta(reader: OutputReader, shard: str) -> list[int]:
    """Pages per row from the image paths' list lengths: the image bytes column is never read."""
    table = reader.read_columns(shard, [IMAGE_PATHS])
    return pc.list_value_length(table["images"]).to_pylist()


def compute_stats(reader: OutputReader) -> OutputStats:
    s = OutputStats()
    for shard in reader.shards:
        texts = reader.read_columns(shard, ["texts"])["texts"].to_pylist()
        if reader.has_meta:
            meta_path = reader.meta_path(shard)
            optional = [c for c in ("language", "pair_evidence", "pair_judge")
                        if c in reader.column_names(meta_path)]
            meta = reader.read_columns(meta_path, ["page_sources", "pair_templates", *optional])
            sources = meta["page_sources"].to_pylist()
            templates = meta["pair_templates"].to_pylist()
            if "language" in optional:
                s.languages.update(x for x in meta["language"].to_pylist() if x is not None)
            columns = [meta[c].to_pylist() if c in optional else [None] * len(templates)
                       for c in ("pair_evidence", "pair_judge")]
            for row_templates, evidence, judge in zip(templates, *columns, strict=True):
                s.add_quality(row_templates or [], evidence, judge)
            pages = [len(x or []) for x in sources]
        else:
            sources, templates = [[] for _ in texts], [[] for _ in texts]
            pages = _page_counts_without_meta(reader, shard)
        for row_texts, row_sources, row_templates, n_pages in zip(texts, sources, templates, pages, strict=True):
            row_texts = row_texts or []
            s.documents += 1
            s.pages += n_pages
            s.pairs += len(row_texts)
            s.pairs_per_doc.append(len(row_texts))
            s.pages_per_doc.append(n_pages)
            s.question_chars += [len(t["user"] or "") for t in row_texts]
            s.answer_chars += [len(t["assistant"] or "") for t in row_texts]
            s.page_sources.update(row_sources or [])
            s.kept_by_template.update(row_templates or [])
    pairs = reader.rejects("pairs")
    if pairs is not None:
        s.pairs_dropped = pairs.num_rows
        s.dropped_by_template.update(pairs["template"].to_pylist())
        for reasons in pairs["reasons"].to_pylist():
            s.dropped_by_reason.update(reasons or [])
    docs = reader.rejects("documents")
    if docs is not None:
        s.documents_rejected_by_reason.update(docs["reason"].to_pylist())
        s.languages_rejected.update(rejected_language(e) for r, e in zip(
            docs["reason"].to_pylist(), docs["error"].to_pylist(), strict=True) if r == LANGUAGE_REASON)
    chunks = reader.rejects("chunks")
    if chunks is not None:
        s.chunks_failed_by_reason.update(chunks["reason"].to_pylist())
    return s


# (our figure, summary.json field) pairs that must agree for an untouched run output.
SUMMARY_FIELDS = [
    ("documents", "documents_written"),
    ("pairs", "pairs_kept"),
    ("pairs_dropped", "pairs_dropped"),
    ("dropped_by_reason", "pairs_dropped_by_reason"),
    ("documents_rejected_by_reason", "documents_rejected_by_reason"),
    ("kept_by_template", "pairs_kept_by_template"),
]


def compare_with_summary(stats: OutputStats, summary: dict | None) -> list[str]:
    """Fields where the data and summary.json disagree (e.g. rows removed after the run)."""
    if not summary:
        return []
    ours = stats.to_dict() | {"kept_by_template": dict(stats.kept_by_template)}
    return [f"{mine}: data {ours[mine]} vs summary {summary[theirs]}" for mine, theirs in SUMMARY_FIELDS
            if theirs in summary and ours[mine] != summary[theirs]]
