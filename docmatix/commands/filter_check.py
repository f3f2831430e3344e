"""`docmatix filter-check`: dry-run the pair filters on JSON lines, to try a filter change before a run.

Reads `{"question": ..., "answer": ..., "context": ...}` per line from stdin and writes one line per
input, `{"keep": true|false, "reasons": [...]}`, in the same order. `context` (the chunk text the
pair came from) is optional: without it the grounding filter abstains. Lines with the same `key`
count as one document for the dedup filters (lines without a key are one document together), and
`template` may be given for the record. A line that is not such an object gets
`{"keep": false, "reasons": ["invalid_input"], "error": ...}` and the command exits with status 1.
With `--explain`, each verdict also lists the filters that dropped the pair and what each found (the
span, value or property: `{"filter": "answer_values", "reason": "value_not_on_page", "found": "804.8"}`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO

from docmatix.filters.base import PairContext, PairFilter
from docmatix.filters.options import add_filter_arguments, filters_from
from docmatix.filters.presets import apply_filters


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("filter-check", help="run the pair filters on JSON lines from stdin (dry run)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_filter_arguments(p, preset_flags=("--preset", "--filter-preset"))
    p.add_argument("--all-reasons", action="store_true",
                   help="run every filter and list every reason (default: stop at the first, as a run does)")
    p.add_argument("--explain", action="store_true",
                   help="add `explain`: for each reason, the filter that gave it and what it found (span, value)")
    p.set_defaults(func=main)


def parse_item(line: str) -> dict:
    item = json.loads(line)
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    for name in ("question", "answer"):
        if not isinstance(item.get(name), str):
            raise ValueError(f"{name!r} must be a string")
    if not isinstance(item.get("context"), str | None):
        raise ValueError("'context' must be a string when given")
    return item


def explanations(filters: list[PairFilter], question: str, answer: str, context: PairContext,
                 reasons: list[str]) -> list[dict]:
    """Which filter gave each reason, and what it found."""
    out = []
    for f in filters:
        keep, reason = f(question, answer, context)
        if not keep and (reason or f.name) in reasons:
            explain = getattr(f, "explain", None)
            out.append({"filter": f.name, "reason": reason or f.name,
                        "found": explain(question, answer, context) if explain else None})
    return out


def check_lines(lines: IO[str], out: IO[str], filters: list[PairFilter], all_reasons: bool = False,
                explain: bool = False) -> int:
    """Write one verdict per input line; returns the exit status (1 if any line was invalid)."""
    seen_by_key: dict[str | None, set[str]] = {}
    kept_by_key: dict[str | None, list[tuple[str, str]]] = {}
    status = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = parse_item(line)
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            verdict = {"keep": False, "reasons": ["invalid_input"], "error": f"line {number}: {e}"}
            status = 1
        else:
            key = None if item.get("key") is None else str(item["key"])
            context = PairContext(source_text=item.get("context"), template=str(item.get("template") or ""),
                                  seen_questions=seen_by_key.setdefault(key, set()),
                                  kept_pairs=kept_by_key.setdefault(key, []))
            reasons = apply_filters(filters, item["question"], item["answer"], context, all_reasons)
            if not reasons:
                context.record_kept(item["question"], item["answer"])
            verdict = {"keep": not reasons, "reasons": reasons}
            if explain:
                verdict["explain"] = explanations(filters, item["question"], item["answer"], context, reasons)
        out.write(json.dumps(verdict, ensure_ascii=False) + "\n")
    out.flush()
    return status


def main(args: argparse.Namespace) -> int:
    return check_lines(sys.stdin, sys.stdout, filters_from(args), args.all_reasons, args.explain)
