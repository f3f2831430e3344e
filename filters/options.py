"""Command-line options for the filters, shared by `docmatix run` (via pipeline/config.py) and
`docmatix filter-check`, and the one place that turns them into a filter list."""

from __future__ import annotations

import argparse
from typing import Any

from filters.base import PairFilter
from filters.no_evidence import NO_EVIDENCE
from filters.presets import DEFAULT_PRESET, FILTERS, PRESETS, build_filters, preset_names, with_filter
from filters.settings import FILTER_DEFAULTS, FilterSettings


def filter_names(text: str) -> list[str]:
    """argparse type for `--filters a,b`: unknown names fail at parse time, not in a Ray worker."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTERS)}")
    return names


def add_filter_arguments(group: argparse._ActionsContainer, preset_flags: tuple[str, ...] = ("--filter-preset",)
                         ) -> None:
    d = FILTER_DEFAULTS
    group.add_argument(*preset_flags, dest="filter_preset", choices=sorted(PRESETS), default=DEFAULT_PRESET,
                       help=f"named filter list (default {DEFAULT_PRESET}): "
                            + "; ".join(f"{k}: {','.join(v)}" for k, v in PRESETS.items()))
    group.add_argument("--filters", type=filter_names, default=[], metavar="NAME,NAME",
                       help=f"run these filters, in this order, instead of the preset ({', '.join(FILTERS)})")
    group.add_argument("--grounding-threshold", type=float, default=d.grounding_threshold,
                       help="share of an answer's content words that must be in the chunk text (0-1)")
    group.add_argument("--near-duplicate-threshold", type=float, default=d.near_duplicate_threshold,
                       help="question similarity (0-100) at which a question repeats a kept one")
    group.add_argument("--min-question-chars", type=int, default=d.min_question_chars)
    group.add_argument("--max-question-chars", type=int, default=d.max_question_chars)
    group.add_argument("--min-answer-chars", type=int, default=d.min_answer_chars)
    group.add_argument("--max-answer-chars", type=int, default=d.max_answer_chars)


def filters_from(options: Any) -> list[PairFilter]:
    """The filters chosen by a RunConfig or parsed arguments: `filters` if given, else the preset; with
    `require_evidence` (--require-evidence), no_evidence too, before the dedup filters."""
    settings = FilterSettings.from_object(options)
    names = list(options.filters) if options.filters else preset_names(options.filter_preset)
    if getattr(options, "require_evidence", False):
        names = with_filter(names, NO_EVIDENCE)
    return build_filters(names, settings)
