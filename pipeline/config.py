"""Run settings: `RunConfig`, shared by `docmatix run` and `pipeline/run.py`, is the stage groups of
pipeline/settings.py and filters/settings.py; its flags are generated from their fields.

`config.max_chunk_tokens` reads the field from its group (`config.chunk.max_chunk_tokens`) and
`RunConfig(inputs, output, max_pages=2)` sets it there: a setting's name is unique across groups
(checked at import), so the flat names of the CLI, the profiles and `summary.json` stay one namespace.

`python -m docmatix.pipeline.config --write` rewrites the option list in docs/options.md from the parser (a test checks it).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import Field, asdict, dataclass, field, fields, replace
from typing import Any

from docmatix.filters.settings import FilterSettings
from docmatix.pipeline.generate.repetition import LoopSettings
from docmatix.pipeline.profiles import PROFILES, apply_profile
from docmatix.pipeline.settings import (
    ChunkSettings,
    ExecutionSettings,
    ExtractConfig,
    LLMSettings,
    ReadSettings,
    WriteSettings,
)
from docmatix.pipeline.settings_cli import add_setting_arguments, setting
from docmatix.schemas.doc_blocks import OPTIONS_PAGE, with_block


def stage(cls: type, title: str) -> Any:
    """A RunConfig field holding one stage's settings; `title` heads its flags in `--help` and docs/options.md."""
    return field(default_factory=cls, metadata={"stage": title})


@dataclass(init=False)
class RunConfig:
    inputs: list[str] = setting(help="tar shards, globs, folders of PDFs, or fsspec URLs", positional=True)
    output: str = setting(help="output directory (local path or fsspec URL)", flag=("--output", "-o"),
                          required=True)
    # A named set of overrides of the stage settings (pipeline/profiles.py): default | docmatix
    profile: str = setting("default", "docmatix: every reference rule that is a setting (text source, long-page "
                                      "skip, sampling, filters; see docs/reproducing-docmatix.md); it overrides "
                                      "those flags", choices=sorted(PROFILES))
    read: ReadSettings = stage(ReadSettings, "read")
    extract: ExtractConfig = stage(ExtractConfig, "extraction")
    chunk: ChunkSettings = stage(ChunkSettings, "prompts and chunking")
    llm: LLMSettings = stage(LLMSettings, "LLM")
    filter: FilterSettings = stage(FilterSettings, "filters")
    write: WriteSettings = stage(WriteSettings, "output")
    execution: ExecutionSettings = stage(ExecutionSettings, "execution")

    def __init__(self, inputs: list[str], output: str, profile: str = "default", **settings: Any):
        """`settings`: stage groups by their field name (`chunk=ChunkSettings(...)`, copied; the others
        default), and any stage setting by its flat name (`max_chunk_pages=2`), applied after them."""
        self.inputs, self.output, self.profile = inputs, output, profile
        for name, f in STAGE_FIELDS.items():
            group = settings.pop(name, None)
            object.__setattr__(self, name, f.default_factory() if group is None else replace(group))
        unknown = sorted(set(settings) - set(OWNER))
        if unknown:
            raise TypeError(f"RunConfig got unknown setting(s) {unknown}")
        for name, value in settings.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: a flat setting name is read from its stage group. The
        # group is taken from __dict__ so that a half-built instance (unpickling) raises AttributeError.
        group = OWNER.get(name)
        if group is None or group not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self.__dict__[group], name)

    def __setattr__(self, name: str, value: Any) -> None:
        group = OWNER.get(name)
        if group is None:
            object.__setattr__(self, name, value)
        else:
            setattr(getattr(self, group), name, value)

    @classmethod
    def setting_names(cls) -> list[str]:
        """Every setting's flat name: the top-level fields and each stage group's."""
        return [*TOP_LEVEL, *OWNER]

    def with_settings(self, **settings: Any) -> RunConfig:
        """A copy with these settings (flat names) changed."""
        groups = {name: getattr(self, name) for name in STAGE_FIELDS}
        top = {name: settings.pop(name) if name in settings else getattr(self, name) for name in TOP_LEVEL}
        return RunConfig(**top, **groups, **settings)

    def to_json(self) -> dict:
        """Every setting by its flat name, as `summary.json` records it (`from_json` reads it back)."""
        data = {name: getattr(self, name) for name in TOP_LEVEL}
        for name in STAGE_FIELDS:
            data.update(asdict(getattr(self, name)))
        data.pop("api_key", None)  # never written anywhere
        return data

    @classmethod
    def from_json(cls, data: dict) -> RunConfig:
        """The config a `summary.json` recorded. Names this version does not have are left out: a summary
        written by another version may carry settings since renamed or removed."""
        known = set(cls.setting_names())
        return cls(**{k: v for k, v in data.items() if k in known})

    def sampling(self) -> dict:
        """The sampling fields each request carries; unset ones are not sent (the server's defaults)."""
        return self.llm.sampling(self.chunk.seed)

    @property
    def judge_enabled(self) -> bool:
        return self.judge or self.min_judge_score is not None

    def loop_settings(self) -> LoopSettings | None:
        return self.llm.loop_settings()


STAGE_FIELDS: dict[str, Field] = {f.name: f for f in fields(RunConfig) if "stage" in f.metadata}
TOP_LEVEL: tuple[str, ...] = tuple(f.name for f in fields(RunConfig) if "stage" not in f.metadata)


def setting_owners(stages: dict[str, type]) -> dict[str, str]:
    """Flat setting name -> the stage group holding it. A name in two groups, or one that RunConfig
    itself has (a top-level field, a group, a method), would make `config.name` ambiguous: refused."""
    owner: dict[str, str] = {}
    for group, cls in stages.items():
        for setting_field in fields(cls):
            name = setting_field.name
            if name in owner or name in TOP_LEVEL or name in STAGE_FIELDS or hasattr(RunConfig, name):
                raise TypeError(f"setting {name!r} of {group} is also in {owner.get(name, 'RunConfig')}")
            owner[name] = group
    return owner


OWNER: dict[str, str] = setting_owners({name: f.default_factory for name, f in STAGE_FIELDS.items()})


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """`docmatix run`'s options: the top-level fields, then one argument group per stage."""
    add_setting_arguments(parser, RunConfig, skip=STAGE_FIELDS)
    for f in STAGE_FIELDS.values():
        add_setting_arguments(parser.add_argument_group(f.metadata["stage"]), f.default_factory)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    known = set(RunConfig.setting_names())
    config = apply_profile(RunConfig(**{k: v for k, v in vars(args).items() if k in known}))
    if config.llm_mode == "ray-vllm" and config.judge_enabled:
        raise SystemExit("--judge runs in the endpoint generate stage: it needs --llm-mode endpoint")
    return config


def dump_config(config: RunConfig) -> str:
    return json.dumps(config.to_json(), indent=2, sort_keys=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def options_list(parser: argparse.ArgumentParser | None = None) -> str:
    """The option list of docs/options.md: one table per argument group of the run parser, in `--help` order."""
    if parser is None:
        parser = argparse.ArgumentParser()
        add_run_arguments(parser)
    tables: dict[str, list[str]] = {}
    for group in parser._action_groups:
        # argparse keeps the positional argument and the top-level options apart: one table here.
        title = "inputs and output" if group.title in ("positional arguments", "options") else group.title
        for a in group._group_actions:
            if isinstance(a, argparse._HelpAction):
                continue
            name = ", ".join(f"`{s}`" for s in a.option_strings) or f"`{a.dest}` (positional)"
            if a.option_strings and a.option_strings[0].removeprefix("--").replace("-", "_") != a.dest:
                name += f" (`{a.dest}`)"  # the setting's name in summary.json where the flag's differs
            if a.choices:
                name += " " + " \\| ".join(f"`{c}`" for c in a.choices)
            plain = a.default in (None, []) or a.required or isinstance(a, argparse._StoreConstAction)
            default = "-" if plain or not a.option_strings else f"`{a.default}`"
            tables.setdefault(title, []).append(f"| {name} | {default} | {_cell(a.help or '')} |")
    lines: list[str] = []
    for title, rows in tables.items():
        lines += [f"**{title}**", "", "| option | default | what |", "|---|---|---|", *rows, ""]
    return "\n".join(lines)


def page_with_options(text: str) -> str:
    return with_block(text, "run-options", options_list())


if __name__ == "__main__":  # `python -m docmatix.pipeline.config [--write]`: docs/options.md
    if sys.argv[1:] == ["--write"]:
        OPTIONS_PAGE.write_text(page_with_options(OPTIONS_PAGE.read_text()))
    else:
        print(options_list(), end="")
