"""`--profile`: one set of overrides (pipeline/profiles.py) applied by the run's argument parsing, and the
profile table of docs/reproducing-docmatix.md generated from it."""

from __future__ import annotations

import argparse

from docmatix.pipeline.config import RunConfig, add_run_arguments, config_from_args
from docmatix.pipeline.profiles import PROFILES, profile_table
from docmatix.schemas.doc_blocks import PROFILES_PAGE


def parse(*argv: str) -> RunConfig:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return config_from_args(parser.parse_args(["in.tar", "--output", "out", *argv]))


def test_docmatix_profile_sets_every_rule_and_overrides_flags():
    config = parse("--profile", "docmatix", "--temperature", "0.3", "--text-source", "auto")
    for rule in PROFILES["docmatix"]:
        assert getattr(config, rule.setting) == rule.value, rule.setting
    assert config.to_json()["profile"] == "docmatix"
    assert config.sampling() == {"max_tokens": 2000}  # no temperature, top_p or seed sent


def test_default_profile_changes_nothing():
    assert parse() == parse("--profile", "default")
    assert parse().sampling() == {"temperature": 0.0, "top_p": 1.0, "max_tokens": 2000, "seed": 0}


def test_why_ours_differs_is_given_exactly_where_the_values_differ():
    default = RunConfig([], "")
    for rule in PROFILES["docmatix"]:
        differs = getattr(default, rule.setting) != rule.value
        assert bool(rule.why_ours) == differs, rule.setting


def test_readme_table_is_the_generated_one():
    readme = PROFILES_PAGE.read_text()
    assert profile_table() in readme, "the profile table of docs/reproducing-docmatix.md is stale: paste `python -m docmatix.pipeline.profiles`"
