"""`docmatix` command line. Each subcommand lives in its own module with an `add_parser` function."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "docmatix.commands.run",
    "docmatix.commands.make_sample",
    "docmatix.commands.publish",
    "docmatix.commands.mix",
    "docmatix.commands.filter_check",
    "docmatix.commands.verify",
    "docmatix.commands.estimate",
    "docmatix.commands.inspect",
    "docmatix.commands.stats",
    "docmatix.commands.compare",
    "docmatix.commands.gallery",
]


def build_parser(modules: list[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docmatix", description="Build Docmatix-style document QA datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in modules:
        importlib.import_module(name).add_parser(sub)
    return parser


def command_module(argv: list[str]) -> str | None:
    """The module of the command named first (`filter-check` -> docmatix.commands.filter_check), if any."""
    name = f"docmatix.commands.{argv[0].replace('-', '_')}" if argv else None
    return name if name in COMMAND_MODULES else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Import only the named command's module: some import heavy libraries (pymupdf, datasets, ray),
    # seconds that `docmatix inspect` should not pay. `docmatix --help` still lists every command.
    try:
        module = command_module(argv)
        args = build_parser([module] if module else COMMAND_MODULES).parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # Ctrl-C before a command's own handling (while importing, say): no traceback
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
