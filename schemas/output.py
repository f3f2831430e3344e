"""Output schemas: the Cauldron row, its per-row metadata sidecar, the rejects tables, the run summary."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import pyarrow as pa
from datasets import Features, Image, Sequence, Value

# Exactly the features of HuggingFaceM4/the_cauldron and HuggingFaceM4/Docmatix ("images" config).
CAULDRON_FEATURES = Features(
    {
        "images": Sequence(Image()),
        "texts": [
            {
                "user": Value("string"),
                "assistant": Value("string"),
                "source": Value("string"),
            }
        ],
    }
)


# Docmatix's "pdf" config: the original PDF bytes of each row and the same `texts`.
PDF_FEATURES = Features({"pdf": Value("binary"), "texts": CAULDRON_FEATURES["texts"]})


def arrow_schema_of(features: Features) -> pa.Schema:
    """Arrow schema carrying the `datasets` features in its metadata, as `datasets` writes it."""
    meta = {"huggingface": json.dumps({"info": {"features": features.to_dict()}})}
    return features.arrow_schema.with_metadata(meta)


def cauldron_arrow_schema() -> pa.Schema:
    return arrow_schema_of(CAULDRON_FEATURES)


# Where a pair's answer is on its page: the page (index in `images`), the match score (0-1), one box per
# line of the matched words as [left, top, right, bottom] normalised to 0-1 and in pixels of that image.
EVIDENCE_TYPE = pa.struct([
    ("page", pa.int32()),
    ("score", pa.float64()),
    ("boxes", pa.list_(pa.list_(pa.float64()))),
    ("boxes_px", pa.list_(pa.list_(pa.int32()))),
    ("text", pa.string()),
])
JUDGE_TYPE = pa.struct([
    ("answerable", pa.int8()),
    ("correct", pa.int8()),
    ("needs_page", pa.int8()),
    ("reason", pa.string()),
])


# Per output row, in the same order as the shard's rows: what produced each pair and page.
ROW_META_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("unit_id", pa.string()),
        ("origin", pa.string()),
        ("page_sources", pa.list_(pa.string())),
        ("page_ocr_confidence", pa.list_(pa.float64())),
        ("pair_templates", pa.list_(pa.string())),
        ("pair_chunks", pa.list_(pa.int32())),
        ("pair_pages", pa.list_(pa.list_(pa.int32()))),  # the pages (0-based) of each pair's chunk
        ("lost_pages", pa.list_(pa.int32())),  # PDF pages (0-based) that could not be read, not in `images`
        ("lost_page_errors", pa.list_(pa.string())),
        ("repaired", pa.bool_()),  # opened only after a qpdf repair pass
        # Appended columns: readers must allow them to be absent (outputs written before them).
        ("language", pa.string()),  # ISO 639-1 of the document's text (pipeline/extract/language.py)
        ("language_probability", pa.float64()),
        # Per kept pair, in `pair_templates`' order (pipeline/generate/answer_evidence.py, pipeline/generate/judge.py): where its
        # answer is on the page (null: not found) and the judge's 1-5 ratings (the column is null without
        # --judge; an element's scores are null when the judge's answer was unusable, its reason says why).
        ("pair_evidence", pa.list_(EVIDENCE_TYPE)),
        ("pair_judge", pa.list_(JUDGE_TYPE)),
    ]
)

REJECTED_DOCUMENT_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("unit_id", pa.string()),
        ("origin", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("error", pa.string()),
    ]
)

REJECTED_PAIR_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("unit_id", pa.string()),
        ("template", pa.string()),
        ("chunk_index", pa.int32()),
        ("question", pa.string()),
        ("answer", pa.string()),
        ("reasons", pa.list_(pa.string())),
        ("pages", pa.list_(pa.int32())),  # the pages (0-based) of the pair's chunk
        ("detail", pa.string()),  # appended (older outputs lack it): e.g. the benchmark item of `contaminated`
    ]
)

REJECTED_CHUNK_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("unit_id", pa.string()),
        ("template", pa.string()),
        ("chunk_index", pa.int32()),
        ("reason", pa.string()),
        ("error", pa.string()),
        ("completion", pa.string()),
    ]
)


@dataclass
class UnitCounts:
    """Counts for one unit of work; summed into the run summary."""

    documents_read: int = 0
    documents_written: int = 0
    documents_rejected: int = 0
    pages: int = 0
    pages_ocr: int = 0
    pages_source_disagreement: int = 0
    pages_lost: int = 0  # unreadable pages left out of documents that were kept
    documents_repaired: int = 0  # extracted after a qpdf repair pass
    chunks: int = 0
    chunks_rejected: int = 0
    requests: int = 0
    requests_cached: int = 0
    pairs_generated: int = 0
    pairs_kept: int = 0
    pairs_dropped: int = 0
    pairs_dropped_by_reason: dict[str, int] = field(default_factory=dict)
    documents_rejected_by_reason: dict[str, int] = field(default_factory=dict)
    chunks_rejected_by_reason: dict[str, int] = field(default_factory=dict)
    pairs_kept_by_template: dict[str, int] = field(default_factory=dict)
    pairs_generated_by_template: dict[str, int] = field(default_factory=dict)
    # Tokens, from the servers' `usage` (pipeline/generate/token_accounting.py). Paid: answered by a server in this
    # run; cached: answered from the request cache, at the cost they had when first paid for.
    tokens_prompt: int = 0
    tokens_completion: int = 0
    tokens_prompt_cached: int = 0
    tokens_completion_cached: int = 0
    # Completion tokens (paid and cached) split over what they produced: each chunk's tokens shared
    # equally by its parsed pairs; a chunk without pairs counts them all as no_pairs.
    tokens_completion_kept: int = 0
    tokens_completion_dropped: int = 0
    tokens_completion_no_pairs: int = 0
    tokens_completion_loops: int = 0  # the looping tail of answers cut for repetition (what cancelling saves)
    tokens_completion_dropped_by_reason: dict[str, int] = field(default_factory=dict)
    tokens_prompt_by_template: dict[str, int] = field(default_factory=dict)
    tokens_completion_by_template: dict[str, int] = field(default_factory=dict)
    # Every document whose language was detected: written, rejected for it, or rejected later.
    documents_by_language: dict[str, int] = field(default_factory=dict)
    # Answer evidence (pipeline/generate/answer_evidence.py): kept pairs whose answer was found on a page.
    pairs_with_evidence: int = 0
    pairs_with_evidence_by_template: dict[str, int] = field(default_factory=dict)
    # The judge (pipeline/generate/judge.py): its requests (retries included) and tokens (cached answers at their
    # original cost), kept pairs it scored or could not, and their scores as "<dimension>=<1-5>" counts
    # (dimension: answerable, correct, needs_page, and min, the lowest of the three).
    judge_requests: int = 0
    judge_requests_cached: int = 0
    judge_tokens_prompt: int = 0
    judge_tokens_completion: int = 0
    pairs_judged: int = 0
    pairs_judge_unusable: int = 0
    judge_scores: dict[str, int] = field(default_factory=dict)

    def add(self, other: UnitCounts) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, dict):
                mine = getattr(self, name)
                for k, v in value.items():
                    mine[k] = mine.get(k, 0) + v
            else:
                setattr(self, name, getattr(self, name) + value)

    @classmethod
    def from_dict(cls, data: dict) -> UnitCounts:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


# Counts that depend on what one invocation sent (the request cache answers the rest), not on the output's
# content: they stay out of manifest.json so that two runs with the same output have the same manifest.
INVOCATION_COUNTS = frozenset({"requests", "requests_cached", "tokens_prompt", "tokens_completion",
                               "tokens_prompt_cached", "tokens_completion_cached", "judge_requests",
                               "judge_requests_cached"})


def bump(counter: dict[str, int], key: str, n: int = 1) -> None:
    counter[key] = counter.get(key, 0) + n
