"""`docmatix stats`: counts and distributions of an output, optionally as PNG charts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from docmatix.output.reader import OutputReader
from docmatix.output.stats import Distribution, OutputStats, compare_with_summary, compute_stats
from docmatix.pipeline.generate.token_accounting import token_rows
from docmatix.schemas.output_layout import SUMMARY


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="statistics of an output: pairs per doc/page, lengths, drops, templates")
    p.add_argument("path", help="output folder, fsspec URL (s3://..., hf://...) or Hub dataset id")
    p.add_argument("--plot", metavar="DIR", help="write PNG charts of the distributions to DIR")
    p.add_argument("--json", metavar="FILE", help="also write the statistics as JSON ('-': print only JSON)")
    p.set_defaults(func=main)


def _distribution_table(stats: OutputStats) -> Table:
    table = Table(title="distributions", title_justify="left")
    table.add_column("")
    for column in ("mean", "median", "p10", "p90", "min", "max"):
        table.add_column(column, justify="right")
    rows = [("pairs per doc", stats.pairs_per_doc), ("pages per doc", stats.pages_per_doc),
            ("pairs per page", stats.pairs_per_page), ("question chars", stats.question_chars),
            ("answer chars", stats.answer_chars)]
    for name, values in rows:
        d = Distribution.of(values)
        table.add_row(name, *(f"{v:.2f}" if isinstance(v, float) and not v.is_integer() else f"{v:g}"
                              for v in (d.mean, d.median, d.p10, d.p90, d.min, d.max)))
    return table


def _counts_table(title: str, counts: dict, total_label: str, name_label: str = "reason") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(name_label)
    table.add_column(total_label, justify="right")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(name, str(n))
    return table


def _evidence_table(evidence: dict) -> Table:
    table = Table(title="answer evidence (kept pairs whose answer was located on the page)", title_justify="left")
    for column in ("template", "pairs", "located", "share"):
        table.add_column(column, justify="right" if column != "template" else "left")
    for name, row in [*evidence["by_template"].items(), ("all", evidence)]:
        table.add_row(name, str(row["pairs"]), str(row["located"]), f"{row['share']:.0%}")
    return table


def _judge_table(stats: OutputStats) -> Table:
    judge = stats.judge_summary()
    table = Table(title=f"judge scores of kept pairs ({judge['pairs_judged']} judged, {judge['unusable']} "
                        "unusable judge answers)", title_justify="left")
    dims = list(judge["histogram"])
    table.add_column("score")
    for dim in dims:
        table.add_column(dim, justify="right")
    for score in map(str, range(1, 6)):
        table.add_row(score, *(str(judge["histogram"][d].get(score, 0)) for d in dims))
    return table


def render(console: Console, stats: OutputStats, summary: dict | None) -> None:
    overview = Table(title="overview", title_justify="left", show_header=False)
    overview.add_column()
    overview.add_column(justify="right")
    pages_known = sum(stats.page_sources.values())
    for name, value in [
        ("documents (rows)", stats.documents), ("pages", stats.pages), ("pairs kept", stats.pairs),
        ("pairs dropped", stats.pairs_dropped),
        ("pairs per page", f"{stats.pairs / stats.pages:.2f}" if stats.pages else "-"),
        ("OCR share of pages", f"{stats.ocr_share:.1%}" if pages_known else "unknown (no meta)"),
        ("documents rejected", sum(stats.documents_rejected_by_reason.values())),
    ]:
        overview.add_row(name, str(value))
    console.print(overview)
    console.print(_distribution_table(stats))
    yields = Table(title="per-template yield", title_justify="left")
    for column in ("template", "generated", "kept", "yield"):
        yields.add_column(column, justify="right" if column != "template" else "left")
    for name, y in stats.template_yield().items():
        yields.add_row(name, str(y["generated"]), str(y["kept"]), f"{y['yield']:.0%}")
    console.print(yields)
    if stats.page_sources:
        console.print(_counts_table("page text sources", dict(stats.page_sources), "pages", "source"))
    console.print(_counts_table("dropped pairs by reason", dict(stats.dropped_by_reason), "pairs"))
    if stats.documents_rejected_by_reason:
        console.print(_counts_table("rejected documents by reason", dict(stats.documents_rejected_by_reason),
                                    "documents"))
    if stats.languages or stats.languages_rejected:
        table = Table(title="document languages", title_justify="left")
        for column in ("language", "written", "rejected (--languages)"):
            table.add_column(column, justify="right" if column != "language" else "left")
        for code in sorted(set(stats.languages) | set(stats.languages_rejected),
                           key=lambda c: -(stats.languages[c] + stats.languages_rejected[c])):
            table.add_row(code, str(stats.languages[code]), str(stats.languages_rejected[code]))
        console.print(table)
    evidence = stats.evidence_summary()
    if evidence["pairs"]:
        console.print(_evidence_table(evidence))
    if stats.judge_histogram or stats.judge_unusable:
        console.print(_judge_table(stats))
    if stats.chunks_failed_by_reason:
        console.print(_counts_table("failed chunks by reason", dict(stats.chunks_failed_by_reason), "chunks"))
    rows = token_rows(summary or {})  # tokens are only in summary.json: the rows do not carry them
    if rows:
        tokens = Table(title=f"tokens (from {SUMMARY})", title_justify="left", show_header=False)
        tokens.add_column()
        tokens.add_column(justify="right")
        for name, value in rows:
            tokens.add_row(name, value)
        console.print(tokens)
    for line in compare_with_summary(stats, summary):
        console.print(f"[yellow]differs from {SUMMARY}: {line}[/yellow]")


def main(args: argparse.Namespace) -> int:
    with OutputReader(args.path) as reader:
        return report(reader, args)


def report(reader: OutputReader, args: argparse.Namespace) -> int:
    stats = compute_stats(reader)
    data = stats.to_dict()
    if args.json == "-":
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        console = Console()
        render(console, stats, reader.summary)
        if args.json:
            Path(args.json).write_text(json.dumps(data, indent=2, sort_keys=True))
    if args.plot:
        from docmatix.output.stats_plots import write_plots  # matplotlib only when charts are asked for

        for path in write_plots(stats, Path(args.plot)):
            if args.json != "-":
                Console().print(f"wrote {path}")
    return 0
