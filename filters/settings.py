"""Filter settings: which filters run and their thresholds; each field carries its command-line flag
(pipeline/settings_cli.py), shared by `docmatix run` and `docmatix filter-check` (filters/options.py)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from typing import Any

from docmatix.filters.decontamination import DEFAULT_NGRAM
from docmatix.pipeline.settings_cli import setting

DEFAULT_PRESET = "strict"


# The preset and filter names live in filters/presets.py, which imports every filter, and the filters
# take these settings: so the names are looked up when the parser is built, not at import.
def _preset_names() -> list[str]:
    from docmatix.filters.presets import PRESETS

    return sorted(PRESETS)


def _preset_help() -> str:
    from docmatix.filters.presets import PRESETS

    return (f"named filter list (default {DEFAULT_PRESET}): "
            + "; ".join(f"{k}: {','.join(v)}" for k, v in PRESETS.items()))


def _filters_help() -> str:
    from docmatix.filters.presets import FILTERS

    return f"run these filters, in this order, instead of the preset ({', '.join(FILTERS)})"


def filter_names(text: str) -> list[str]:
    """argparse type for `--filters a,b`: unknown names fail at parse time, not in a Ray worker."""
    from docmatix.filters.presets import FILTERS

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTERS)}")
    return names


@dataclass
class FilterSettings:
    filter_preset: str = setting(DEFAULT_PRESET, _preset_help, choices=_preset_names)
    filters: list[str] = setting(help=_filters_help, default_factory=list, type=filter_names, metavar="NAME,NAME")
    # Share of the answer's content words (and all of its numbers) that must appear in the chunk text.
    # Invented answers score near 0; inference answers reword (the prompts' own example "Within 30 days
    # of 3 March 2021, so by early April 2021" scores 0.5), hence the margin below it.
    grounding_threshold: float = setting(0.4, "share of an answer's content words that must be in the chunk "
                                              "text (0-1)")
    # rapidfuzz token_sort_ratio (0-100) at or above which two questions of a document are one question.
    near_duplicate_threshold: float = setting(90.0, "question similarity (0-100) at which a question repeats "
                                                    "a kept one")
    min_question_chars: int = setting(8, "drop pairs whose question is shorter (length filter)")
    max_question_chars: int = setting(300, "drop pairs whose question is longer (length filter)")
    min_answer_chars: int = setting(1, "drop pairs whose answer is shorter (length filter)")
    max_answer_chars: int = setting(1000, "drop pairs whose answer is longer (length filter)")
    decontaminate: str | None = setting(
        None, "drop pairs whose question shares a word n-gram with a benchmark question (contaminated): a "
              ".parquet/.jsonl file or Hub dataset id with a question/query column", metavar="SOURCE")
    decontaminate_ngram: int = setting(DEFAULT_NGRAM, "n-gram length in words (questions shorter than this "
                                                      "match only whole)")
    require_evidence: bool = setting(
        False, "drop extractive pairs (short answers) whose answer is not found among the chunk's page words "
               "(no_evidence); every kept pair's evidence is recorded either way")
    min_judge_score: int | None = setting(
        None, "drop pairs whose lowest judge score is below N (judge_low); implies --judge", choices=range(1, 6),
        metavar="N")

    @classmethod
    def from_object(cls, obj: Any) -> FilterSettings:
        """The settings carried by anything with same-named attributes (RunConfig, argparse args)."""
        return cls(**{f.name: getattr(obj, f.name) for f in fields(cls) if hasattr(obj, f.name)})


FILTER_DEFAULTS = FilterSettings()
