"""Command-line options for the filters, shared by `docmatix run` (via pipeline/config.py) and
`docmatix filter-check`, and the one place that turns them into a filter list."""

from __future__ import annotations

import argparse
from typing import Any

from filters.base import PairFilter
from filters.presets import build_filters, build_preset
from filters.settings import FilterSettings
from pipeline.settings_cli import add_setting_arguments

# Applied by pipeline/s5_filter.py (`benchmark_from`), not by the (keep, reason) filters: a command that
# only builds the filter list does not offer them.
BENCHMARK_SETTINGS = ("decontaminate", "decontaminate_ngram")


def add_filter_arguments(group: argparse._ActionsContainer, preset_flags: tuple[str, ...] = ("--filter-preset",)
                         ) -> None:
    """The filter list's flags (FilterSettings' fields but the benchmark's), for `docmatix filter-check`."""
    add_setting_arguments(group, FilterSettings, skip=BENCHMARK_SETTINGS, flags={"filter_preset": preset_flags})


def filters_from(options: Any) -> list[PairFilter]:
    """The filters chosen by a RunConfig or parsed arguments: `filters` if given, else the preset."""
    settings = FilterSettings.from_object(options)
    prompts_dir = getattr(options, "prompts_dir", None)  # the templates the echo filter guards against
    if settings.filters:
        return build_filters(list(settings.filters), settings, prompts_dir)
    return build_preset(settings.filter_preset, settings, prompts_dir)
