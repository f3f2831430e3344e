"""Run settings are stage dataclasses whose fields carry their flags: every setting has a flag that sets
it, the flags are the ones the hand-written parser had (tests/data/cli_flags_before_i16.json, captured
from it before the change) plus those of the settings that had none, and docs/options.md lists them."""

from __future__ import annotations

import argparse
import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest

from docmatix.commands.estimate import add_parser as add_estimate_parser
from docmatix.commands.filter_check import add_parser as add_filter_check_parser
from docmatix.pipeline.config import (
    OWNER,
    RunConfig,
    add_run_arguments,
    config_from_args,
    page_with_options,
    setting_owners,
)
from docmatix.pipeline.settings import ChunkSettings, ExtractConfig, LLMSettings
from docmatix.schemas.doc_blocks import OPTIONS_PAGE

BEFORE = json.loads((Path(__file__).parent / "data" / "cli_flags_before_i16.json").read_text())
# Settings the hand-written parser had no flag for, and settings added since.
ADDED = {"send_seed": ["--no-send-seed"], "embedded_ctx": ["--embedded-ctx"],
         "chunk_overlap_pages": ["--chunk-overlap-pages"], "generate_actors": ["--generate-actors"],
         "require_evidence": ["--require-evidence"], "min_judge_score": ["--min-judge-score"], "judge": ["--judge"],
         "judge_endpoints": ["--judge-endpoint"], "judge_model": ["--judge-model"],
         "vllm_device": ["--vllm-device"], "vllm_cpus": ["--vllm-cpus"],
         "extract_slow_after_s": ["--extract-slow-after"], "endpoint_wait_s": ["--endpoint-wait"]}


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return parser


def describe(parser: argparse.ArgumentParser) -> list[dict]:
    """Each option as the capture recorded it (help text is not compared: fields without it got some)."""
    return [{"flags": list(a.option_strings), "dest": a.dest, "default": a.default,
             "type": getattr(a.type, "__name__", None) if a.type else None,
             "choices": sorted(a.choices) if a.choices else None, "action": type(a).__name__, "nargs": a.nargs,
             "required": a.required, "metavar": a.metavar}
            for a in parser._actions if not isinstance(a, argparse._HelpAction)]


def by_dest(options: list[dict]) -> dict[str, dict]:
    return {o["dest"]: o for o in options}


def test_run_flags_are_the_hand_written_ones_plus_the_missing_ones():
    now, before = by_dest(describe(run_parser())), by_dest(BEFORE["run"])
    assert {d: now[d] for d in before} == before
    assert {d: now[d]["flags"] for d in set(now) - set(before)} == ADDED


# filter-check's flags added since: --explain (which filter dropped a pair, on what).
FILTER_CHECK_ADDED = {"explain"}


def test_filter_check_flags_are_unchanged():
    sub = argparse.ArgumentParser().add_subparsers()
    add_filter_check_parser(sub)
    now = by_dest(describe(sub.choices["filter-check"]))
    assert set(now) - set(by_dest(BEFORE["filter-check"])) == FILTER_CHECK_ADDED
    assert {k: v for k, v in now.items() if k not in FILTER_CHECK_ADDED} == by_dest(BEFORE["filter-check"])


# estimate's flags added since: the in-cluster engines it projects GPU-hours for (generated from LLMSettings,
# so they are run's own flags) and a measured replica rate.
ESTIMATE_ADDED = {"llm_mode", "vllm_tensor_parallel", "vllm_replicas", "tokens_per_second_per_replica"}


def test_estimate_flags_are_unchanged():
    sub = argparse.ArgumentParser().add_subparsers()
    add_estimate_parser(sub)
    now = by_dest(describe(sub.choices["estimate"]))
    assert set(now) - set(by_dest(BEFORE["estimate"])) == ESTIMATE_ADDED
    assert {k: v for k, v in now.items() if k not in ESTIMATE_ADDED} == by_dest(BEFORE["estimate"])
    run = by_dest(describe(run_parser()))
    assert all(now[k] == run[k] for k in ESTIMATE_ADDED - {"tokens_per_second_per_replica"})


def test_every_setting_has_a_flag():
    dests = {a.dest for a in run_parser()._actions} - {"help"}
    assert dests == set(RunConfig.setting_names())


# Values for the settings whose flag takes a list (the others are derived from the option itself).
LIST_VALUES = {"endpoints": ("http://a:8000/v1", ["http://a:8000/v1"]), "languages": ("EN, fr", ["en", "fr"]),
               "judge_endpoints": ("http://j:8000/v1", ["http://j:8000/v1"]),
               "filters": ("grounding,duplicate", ["grounding", "duplicate"])}


def other_value(action: argparse.Action) -> tuple[list[str], object]:
    """Arguments that set `action`'s setting to something other than its default, and that value."""
    if isinstance(action, argparse._StoreConstAction):  # store_true / store_false
        return [action.option_strings[0]], action.const
    if action.dest in LIST_VALUES:
        text, value = LIST_VALUES[action.dest]
        return [action.option_strings[0], text], value
    if action.choices:
        value = next(c for c in action.choices if c != action.default)
    elif action.type in (int, float):
        value = action.type((action.default or 0) + 3)
    else:
        assert action.type is None, f"{action.dest}: add an example value to LIST_VALUES"
        value = "some/path"
    return [action.option_strings[0], str(value)], value


def test_every_flag_sets_its_setting():
    parser = run_parser()
    base = ["in.tar", "--output", "out"]
    default = config_from_args(parser.parse_args(base))
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings or action.required:
            continue
        argv, value = other_value(action)
        config = config_from_args(parser.parse_args([*base, *argv]))
        assert getattr(config, action.dest) == value != getattr(default, action.dest), argv
        if action.dest in OWNER:  # the value is in its stage's group
            assert getattr(getattr(config, OWNER[action.dest]), action.dest) == value


def test_option_list_page_is_current():
    text = OPTIONS_PAGE.read_text()
    assert page_with_options(text) == text, "run `python -m docmatix.pipeline.config --write`"
    for flag in ADDED.values():
        assert f"`{flag[0]}`" in text


def test_flat_names_read_and_write_their_stage_group():
    config = RunConfig(["in.tar"], "out", max_chunk_pages=2, temperature=None, grounding_threshold=0.7)
    assert config.chunk == ChunkSettings(max_chunk_pages=2)
    assert config.llm.temperature is None and config.filter.grounding_threshold == 0.7
    config.api_key = "secret"  # as the driver sets it from OPENAI_API_KEY
    assert config.llm.api_key == "secret" and "api_key" not in config.__dict__
    assert "api_key" not in config.to_json()
    with pytest.raises(TypeError, match="max_chunk_page"):
        RunConfig([], "", max_chunk_page=2)
    with pytest.raises(AttributeError):
        _ = config.no_such_setting


def test_json_and_pickle_round_trips_keep_every_setting():
    config = RunConfig(["a.tar", "b.tar"], "out", profile="docmatix", llm=LLMSettings(max_tokens=99),
                       extract=ExtractConfig(dpi=72), filters=["empty"], seed=5)
    data = config.to_json()
    assert set(data) == set(RunConfig.setting_names()) - {"api_key"}
    assert RunConfig.from_json({**data, "renamed_since": 1}) == config
    assert pickle.loads(pickle.dumps(config)) == config  # Ray ships the config to its actors
    assert config.sampling() == {"temperature": 0.0, "top_p": 1.0, "max_tokens": 99, "seed": 5}


def test_a_name_in_two_places_is_refused():
    with pytest.raises(TypeError, match="seed"):
        setting_owners({"chunk": ChunkSettings, "other": ChunkSettings})

    @dataclass
    class Shadowing:
        sampling: int = 0  # RunConfig.sampling() would hide it

    with pytest.raises(TypeError, match="sampling"):
        setting_owners({"llm": Shadowing})


def test_copies_do_not_share_groups():
    config = RunConfig([], "")
    changed = config.with_settings(dpi=300, output="elsewhere")
    assert (changed.dpi, changed.output, config.dpi, config.output) == (300, "elsewhere", 150, "")
    group = ChunkSettings()
    RunConfig([], "", chunk=group, seed=9)
    assert group.seed == 0
