"""`docmatix` command line. Each subcommand lives in its own module with an `add_parser` function."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "docmatix.cmd_run",
    "docmatix.cmd_make_sample",
    "docmatix.cmd_publish",
    "docmatix.cmd_mix",
    "docmatix.cmd_filter_check",
    "docmatix.cmd_inspect",
    "docmatix.cmd_stats",
    "docmatix.cmd_gallery",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docmatix", description="Build Docmatix-style document QA datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
