"""Command-line options for the filters, shared by `docmatix run` (via pipeline/config.py) and
`docmatix filter-check`, and the one place that turns them into a filter list."""

from __future__ import annotations

import argparse
from typing import Any

from docmatix.filters.base import PairFilter
from docmatix.filters.no_evidence import NO_EVIDENCE
from docmatix.filters.presets import build_filters, preset_names, with_filter
from docmatix.filters.settings import FilterSettings
from docmatix.pipeline.settings_cli import add_setting_arguments

# Applied by pipeline/s5_filter.py (`benchmark_from`), not by the (keep, reason) filters: a command that
# only builds the filter list does not offer them.
RUN_ONLY_SETTINGS = ("decontaminate", "decontaminate_ngram",
                     # need what only a run has: page words (answer evidence) and the judge's ratings
                     "require_evidence", "min_judge_score")


def add_filter_arguments(group: argparse._ActionsContainer, preset_flags: tuple[str, ...] = ("--filter-preset",)
                         ) -> None:
    """The filter list's flags (FilterSettings' fields but the benchmark's), for `docmatix filter-check`."""
    add_setting_arguments(group, FilterSettings, skip=RUN_ONLY_SETTINGS, flags={"filter_preset": preset_flags})


def filters_from(options: Any) -> list[PairFilter]:
    """The filters chosen by a RunConfig or parsed arguments: `filters` if given, else the preset; with
    `require_evidence` (--require-evidence), no_evidence too, before the dedup filters."""
    settings = FilterSettings.from_object(options)
    prompts_dir = getattr(options, "prompts_dir", None)  # the templates the echo filter guards against
    names = list(settings.filters) if settings.filters else preset_names(settings.filter_preset)
    if settings.require_evidence:
        names = with_filter(names, NO_EVIDENCE)
    return build_filters(names, settings, prompts_dir)
