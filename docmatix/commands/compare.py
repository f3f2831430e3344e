"""`docmatix compare A B`: two outputs side by side (a run next to a reference run, or two profiles)."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from docmatix.output.compare import compare_outputs
from docmatix.output.reader import OutputReader
from docmatix.output.stats import compute_stats


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="two outputs side by side: settings, pairs per page, template yields, "
                                       "drop reasons, question/answer lengths")
    p.add_argument("a", help="output folder, fsspec URL or Hub dataset id")
    p.add_argument("b", help="the output to put next to it")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON ('-': print only JSON)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    sides = []
    for location in (args.a, args.b):
        with OutputReader(location) as reader:
            sides += [compute_stats(reader), reader.summary]
    rows = compare_outputs(*sides)
    data = {"a": args.a, "b": args.b,
            "rows": [{"section": r.section, "name": r.name, "a": r.a, "b": r.b} for r in rows]}
    if args.json:
        text = json.dumps(data, indent=2, sort_keys=True, default=str)
        if args.json == "-":
            print(text)
            return 0
        with open(args.json, "w") as f:
            f.write(text)
    table = Table(title=f"A: {args.a}\nB: {args.b}", title_justify="left")
    for column in ("section", "", "A", "B"):
        table.add_column(column, justify="left" if column in ("section", "") else "right")
    previous = None
    for r in rows:
        style = "bold" if r.differs else None
        table.add_row(r.section if r.section != previous else "", r.name, _cell(r.a), _cell(r.b), style=style)
        previous = r.section
    Console().print(table)
    return 0


def _cell(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "-" if value is None else str(value)
