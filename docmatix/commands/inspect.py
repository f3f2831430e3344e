"""`docmatix inspect`: sampled rows of an output in the terminal, each pair with its template and pages."""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from docmatix.output.reader import OutputReader, Pair, Sample, evidence_label, judge_label, source_name


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="print sampled rows of an output (folder, fsspec URL or Hub id)")
    p.add_argument("path", help="output folder, fsspec URL (s3://..., hf://...) or Hub dataset id")
    p.add_argument("--n", type=int, default=3, help="rows to sample (default 3)")
    p.add_argument("--key", help="show this document instead: KEY or UNIT_ID/KEY")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--rejects", action="store_true", help="also show dropped pairs and rejected documents")
    p.add_argument("--json", action="store_true", help="one JSON object per document instead of tables")
    p.set_defaults(func=main)


def _pages_label(pages: list[int] | None) -> str:
    return ",".join(str(p + 1) for p in pages) if pages else "-"


def _pair_table(sample: Sample, pairs: list[Pair], dropped: bool) -> Table:
    table = Table(show_lines=True, expand=True, title="dropped pairs" if dropped else None,
                  title_justify="left", title_style="bold red")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("template", no_wrap=True)
    with_pages = any(p.pages for p in pairs)  # only when the meta records each pair's chunk pages
    if with_pages:
        table.add_column("pages", no_wrap=True)
    table.add_column("reasons" if dropped else "page source", style="red" if dropped else "cyan")
    # Kept pairs of outputs that record them: where the answer is on the page, the judge's scores.
    quality = [name for name in ("evidence", "judge") if any(getattr(p, name) is not None for p in pairs)]
    for name in quality:
        table.add_column(name, style="yellow")
    table.add_column("question", ratio=2)
    table.add_column("answer", ratio=3)
    for i, pair in enumerate(pairs, 1):
        fourth = ", ".join(pair.reasons) if dropped else sample.pair_source(pair)
        cells = [str(i), pair.template or "?", *([_pages_label(pair.pages)] if with_pages else []), fourth]
        cells += [_quality_cell(pair, name) for name in quality]
        table.add_row(*cells, Text(pair.question), Text(pair.answer))
    return table


def _quality_cell(pair: Pair, name: str) -> Text:
    """"evidence p2 · 0.80" with its box in pixels; "judge 4/3/5" with the judge's reason."""
    if name == "evidence":
        ev = pair.evidence
        if ev is None:
            return Text("not found")
        boxes = " ".join("[" + ",".join(map(str, b)) + "]" for b in ev["boxes_px"])
        return Text(f"{evidence_label(ev)}\npx {boxes}\n{ev['text']!r}")
    if pair.judge is None:
        return Text("-")
    return Text(f"{judge_label(pair.judge)}\n{pair.judge['reason']}")


def _pages_line(sample: Sample) -> Text:
    parts = []
    for page in sample.pages:
        label = f"p{page.index + 1} {source_name(page.source)}"
        if page.ocr_confidence is not None:
            label += f" ({page.ocr_confidence:.0f}%)"  # Tesseract word confidence, 0-100
        parts.append(label)
    return Text(f"{len(sample.pages)} page(s): " + "; ".join(parts))


def render_sample(sample: Sample, show_rejects: bool) -> Panel:
    parts: list = []
    if sample.ref is not None:
        parts.append(Text(f"{sample.ref.shard} row {sample.ref.row}   origin: {sample.origin or '?'}", style="dim"))
    if sample.rejection is not None:
        r = sample.rejection
        parts.append(Text(f"REJECTED at {r['stage']} ({r['reason']}): {r.get('error') or ''}".rstrip(": "),
                          style="bold red"))
    else:
        parts.append(_pages_line(sample))
        parts.append(_pair_table(sample, sample.pairs, dropped=False) if sample.pairs else Text("no kept pairs"))
    if show_rejects:
        if sample.dropped:
            parts.append(_pair_table(sample, sample.dropped, dropped=True))
        for chunk in sample.failed_chunks:
            parts.append(Text(f"chunk {chunk['chunk_index']} ({chunk['template']}) failed: {chunk['reason']} "
                              f"{chunk.get('error') or ''}".rstrip(), style="red"))
    counts = f"{len(sample.pairs)} kept, {len(sample.dropped)} dropped" if show_rejects else f"{len(sample.pairs)} pairs"
    return Panel(Group(*parts), title=f"[bold]{sample.doc_id}[/bold]", subtitle=counts, title_align="left")


def sample_json(sample: Sample) -> str:
    data = asdict(sample)
    for page in data["pages"]:
        page.pop("image")  # inspect never reads image bytes
    return json.dumps({"doc_id": sample.doc_id, **data}, ensure_ascii=False)


def main(args: argparse.Namespace) -> int:
    with OutputReader(args.path) as reader:
        return show(reader, args)


def show(reader: OutputReader, args: argparse.Namespace) -> int:
    if args.json:
        return _print_json(reader, args)
    console = Console()
    if args.key:
        refs = reader.find(args.key)
        rejected = reader.rejected_documents(args.key)
        if not refs and not rejected:
            console.print(f"[red]no document with key {args.key!r} in {args.path}[/red]")
            return 1
        for ref in refs:
            console.print(render_sample(reader.load([ref])[0], show_rejects=True))
        for record in rejected:
            console.print(render_sample(reader.load_rejected(record), show_rejects=True))
        return 0
    refs = reader.sample_refs(args.n, args.seed)
    if not refs:
        console.print(f"[yellow]no rows in {args.path}[/yellow]")
    # One row at a time: the first sample prints after one row group is read, however big the output.
    for ref in refs:
        console.print(render_sample(reader.load([ref], rejects=args.rejects)[0], show_rejects=args.rejects))
    if args.rejects:
        records = _sample_rejected(reader, args.n, args.seed)
        console.rule(f"rejected documents: {len(records)} of {len(reader.rejected_documents())}")
        for record in records:
            console.print(render_sample(reader.load_rejected(record), show_rejects=True))
    return 0


def _print_json(reader: OutputReader, args: argparse.Namespace) -> int:
    if args.key:
        samples = reader.load(reader.find(args.key)) + [reader.load_rejected(r)
                                                        for r in reader.rejected_documents(args.key)]
        if not samples:
            return 1
    else:
        refs = reader.sample_refs(args.n, args.seed)
        samples = reader.load(refs, rejects=args.rejects)
        if args.rejects:
            samples += [reader.load_rejected(r) for r in _sample_rejected(reader, args.n, args.seed)]
    for sample in samples:
        print(sample_json(sample), flush=True)
    return 0


def _sample_rejected(reader: OutputReader, n: int, seed: int) -> list[dict]:
    records = reader.rejected_documents()
    return random.Random(seed).sample(records, min(n, len(records)))
