"""The dataset card (README.md) of a published dataset: YAML metadata the Hub and `datasets` read
(`configs` with data_files globs, `dataset_info` with the Cauldron features, license), then a body with
how to load it and the run's statistics (or a mixture's composition).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from docmatix.pipeline.generate.token_accounting import TOKEN_FIELDS, token_rows
from docmatix.schemas.output import CAULDRON_FEATURES

DATA_GLOB = "data/train-*"  # every published layout keeps its shards here (see repo_layout.py)

# The summary.json fields a card reports; endpoints and the full config stay out of a public card.
RUN_STAT_FIELDS = (
    "documents_read", "documents_written", "documents_rejected", "documents_rejected_by_reason",
    "pages", "pages_ocr", "chunks", "chunks_rejected", "chunks_rejected_by_reason",
    "pairs_generated", "pairs_kept", "pairs_dropped", "pairs_dropped_by_reason",
    "pairs_generated_by_template", "pairs_kept_by_template", "documents_by_language",
    "pairs_with_evidence", "pairs_with_evidence_by_template", "pairs_judged", "pairs_judge_unusable", "judge_scores",
    "judge_requests", "judge_tokens_prompt", "judge_tokens_completion",
    "model", "templates", "profile", "sampling", "answer_format", "filter_preset", "units_done", "units_total",
    *TOKEN_FIELDS,
)


def run_statistics(summary: dict) -> dict:
    return {k: summary[k] for k in RUN_STAT_FIELDS if k in summary}


@dataclass
class CardConfig:
    """A config besides the default one (docmatix/publish/configs.py): `pdf`, `zero-shot-exp`."""

    name: str
    data_files: list[dict]  # [{"split": ..., "path": glob}]
    features: Features
    splits: dict[str, tuple[int, int]]  # split -> (rows, uncompressed bytes)
    download_size: int


@dataclass
class CardContent:
    pretty_name: str
    license: str
    num_rows: int
    num_bytes: int  # uncompressed size of the split (what `datasets` calls num_bytes)
    download_size: int  # bytes of the Parquet files
    features: Features = field(default_factory=lambda: CAULDRON_FEATURES)
    stats_key: str = "docmatix_run"  # where the machine-readable statistics go in the YAML
    stats: dict = field(default_factory=dict)
    description: str = ""
    body_sections: list[str] = field(default_factory=list)
    extra_configs: list[CardConfig] = field(default_factory=list)


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def _info(features: Features, split_sizes: dict[str, tuple[int, int]], download_size: int) -> DatasetInfo:
    splits = SplitDict()
    for name, (rows, num_bytes) in split_sizes.items():
        splits.add(SplitInfo(name=name, num_bytes=num_bytes, num_examples=rows))
    return DatasetInfo(features=features, splits=splits, download_size=download_size,
                       dataset_size=sum(b for _, b in split_sizes.values()))


def card_data(content: CardContent) -> DatasetCardData:
    data = DatasetCardData(
        license=content.license,
        pretty_name=content.pretty_name,
        language=["en"],
        task_categories=["visual-question-answering"],
        tags=["docmatix", "document-question-answering", "synthetic"],
        size_categories=[size_category(content.num_rows)],
    )
    configs = {"default": {"data_files": [{"split": "train", "path": DATA_GLOB}]}}
    infos = {"default": _info(content.features, {"train": (content.num_rows, content.num_bytes)},
                              content.download_size)}
    for extra in content.extra_configs:
        configs[extra.name] = {"data_files": extra.data_files}
        infos[extra.name] = _info(extra.features, extra.splits, extra.download_size)
    MetadataConfigs(configs).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    if content.stats:
        data[content.stats_key] = content.stats
    return data


def _table(rows: list[tuple[str, object]]) -> str:
    lines = ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def run_statistics_section(stats: dict) -> str:
    """Markdown for the run statistics (the same numbers as the YAML `docmatix_run` block)."""
    counts = [(k.replace("_", " "), f"{stats[k]:,}") for k in (
        "documents_read", "documents_written", "documents_rejected", "pages", "pages_ocr",
        "pairs_generated", "pairs_kept", "pairs_dropped") if k in stats]
    parts = ["## Statistics of the run", "", _table(counts)]
    for key, title in (("documents_rejected_by_reason", "Documents rejected, by reason"),
                       ("pairs_dropped_by_reason", "Pairs dropped, by filter"),
                       ("pairs_kept_by_template", "Pairs kept, by prompt template"),
                       ("documents_by_language", "Documents, by detected language")):
        if stats.get(key):
            parts += ["", f"### {title}", "", _table(sorted(stats[key].items()))]
    parts += quality_sections(stats)
    tokens = token_rows(stats)
    if tokens:
        parts += ["", "### Tokens", "", _table(tokens)]
    settings = [(k, f"`{json.dumps(stats[k])}`") for k in ("model", "templates", "profile", "sampling",
                                                          "answer_format", "filter_preset") if k in stats]
    if settings:
        parts += ["", "### Generation settings", "", _table(settings)]
    return "\n".join(parts)


def quality_sections(stats: dict) -> list[str]:
    """Markdown for the quality signals: answer evidence share per template, the judge's score histogram,
    contaminated pairs (pipeline/generate/answer_evidence.py, pipeline/generate/judge.py, filters/decontamination.py)."""
    parts: list[str] = []
    kept = stats.get("pairs_kept_by_template") or {}
    if "pairs_with_evidence" in stats and stats.get("pairs_kept"):
        located = stats.get("pairs_with_evidence_by_template") or {}
        rows = [(t, f"{located.get(t, 0):,} of {n:,} ({located.get(t, 0) / n:.0%})") for t, n in sorted(kept.items()) if n]
        rows.append(("all", f"{stats['pairs_with_evidence']:,} of {stats['pairs_kept']:,} "
                            f"({stats['pairs_with_evidence'] / stats['pairs_kept']:.0%})"))
        parts += ["", "### Answers located on the page (answer evidence), by prompt template", "", _table(rows)]
    scores = stats.get("judge_scores") or {}
    if scores or stats.get("pairs_judge_unusable"):
        dims = ("answerable", "correct", "needs_page", "min")
        lines = ["| score | " + " | ".join(dims) + " |", "|---|" + "---|" * len(dims)]
        lines += [f"| {n} | " + " | ".join(str(scores.get(f"{d}={n}", 0)) for d in dims) + " |" for n in range(1, 6)]
        parts += ["", f"### Judge scores of kept pairs ({stats.get('pairs_judged', 0):,} judged, "
                      f"{stats.get('pairs_judge_unusable', 0):,} unusable judge answers)", "", "\n".join(lines)]
    contaminated = (stats.get("pairs_dropped_by_reason") or {}).get("contaminated")
    if contaminated:
        parts += ["", f"Pairs dropped as contaminated (question shares an n-gram with a benchmark): {contaminated:,}"]
    return parts


def render_card(content: CardContent) -> str:
    body = [
        f"# {content.pretty_name}",
        "",
        content.description,
        "",
        f"{content.num_rows:,} rows, each a document's page images and its question/answer pairs, with the "
        "features of [the Cauldron](https://huggingface.co/datasets/HuggingFaceM4/the_cauldron) and "
        "[Docmatix](https://huggingface.co/datasets/HuggingFaceM4/Docmatix).",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'ds = load_dataset("<this repo or folder>", split="train")',
        *[f'{c.name.replace("-", "_")} = load_dataset("<this repo or folder>", "{c.name}")'
          for c in content.extra_configs],
        "```",
        *[s for section in content.body_sections for s in ("", section)],
    ]
    card = DatasetCard("---\n" + card_data(content).to_yaml() + "\n---\n\n" + "\n".join(body) + "\n")
    return str(card)
