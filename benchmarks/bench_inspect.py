"""How long `docmatix inspect` takes to show its first sample of a ~1 GB output, next to naive reads.

The output is written through the pipeline's own writer (pipeline.s6_write.UnitWriter: Cauldron
schema, meta sidecars, rejects, 64-row row groups) from synthetic documents whose pages are real
150 dpi PNG renders of corpus PDFs, so shard sizes and layout match a real run's.

    .venv/bin/python benchmarks/bench_inspect.py [--gb 1.0] [--out /tmp/bench_inspect]

Figures are wall-clock seconds on a warm page cache (the output was just written), so they measure
what the reader parses and decodes, not the disk.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docmatix.output.reader import OutputReader  # noqa: E402
from docmatix.pipeline.run_summary import build_summary, write_json  # noqa: E402
from docmatix.pipeline.s6_write import UnitWriter  # noqa: E402
from docmatix.sample.corpus import sample_corpus_pdfs  # noqa: E402
from docmatix.schemas.records import (  # noqa: E402
    Chunk,
    ChunkResult,
    DroppedPair,
    ExtractedDocument,
    FinishedDocument,
    PageText,
    QAPair,
)

TEMPLATES = ["whole_document", "each_section", "critical_thinking", "summaries_and_details", "general_phrasing"]


def render_pages(limit: int = 64, dpi: int = 150) -> list[bytes]:
    """Distinct real page images (more than zstd's window apart, so repeats do not compress away)."""
    pages: list[bytes] = []
    for pdf in sorted(sample_corpus_pdfs(), key=lambda p: -p.stat().st_size):
        try:
            with pymupdf.open(pdf) as doc:
                if doc.needs_pass:
                    continue
                for page in doc:
                    pages.append(page.get_pixmap(dpi=dpi).tobytes("png"))
                    if len(pages) >= limit:
                        return pages
        except Exception:
            continue
    if not pages:
        sys.exit("no corpus PDFs found (see docmatix/sample/corpus.py)")
    return pages


def synthetic_document(i: int, unit_id: str, pages: list[bytes]) -> FinishedDocument:
    n_pages = 1 + i % 4
    images = [pages[(i * 7 + p) % len(pages)] for p in range(n_pages)]
    key = f"{i:07d}"
    texts = [PageText(p, f"page {p} text of document {i} " * 40, "ocr" if (i + p) % 9 == 0 else "text_layer",
                      ocr_confidence=91.0 if (i + p) % 9 == 0 else None) for p in range(n_pages)]
    doc = ExtractedDocument(key, unit_id, f"{unit_id}.tar", f"PDFA key: {key}", texts, images)
    template = TEMPLATES[i % len(TEMPLATES)]
    chunk = Chunk(0, list(range(n_pages)), "text", 500, template)
    pairs = [QAPair(f"What does section {q} of document {i} say about topic {q}?",
                    f"Section {q} of document {i} explains the topic in some detail. " * 3, template, 0)
             for q in range(4)]
    dropped = [DroppedPair(QAPair("Why?", "Because.", template, 0), ["too_short"])]
    result = ChunkResult(chunk, "completion", pairs + [dropped[0].pair], requests=1)
    return FinishedDocument(key, unit_id, doc, pairs, dropped, [result])


def build_output(out: Path, target_bytes: int, docs_per_unit: int = 1200) -> int:
    """Write units until the shards reach target_bytes; returns the number of rows."""
    pages = render_pages()
    written, rows, unit_ids = 0, 0, []
    while written < target_bytes:
        unit_id = f"pdfa-eng-train-{len(unit_ids):04d}"
        unit_ids.append(unit_id)
        writer = UnitWriter(str(out), unit_id)
        for i in range(docs_per_unit):
            writer.add_finished(synthetic_document(rows + i, unit_id, pages))
        writer.commit()
        rows += docs_per_unit
        written = sum(p.stat().st_size for p in out.glob("*.parquet"))
    summary, manifest = build_summary(str(out), unit_ids, {})
    write_json(str(out), "summary.json", summary)
    write_json(str(out), "manifest.json", manifest)
    return rows


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def best_of(fn, runs: int = 3) -> tuple[float, float]:
    """Lowest wall and CPU seconds (this process and its children) over a few runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = cpu_seconds()
        wall, _ = timed(fn)
        walls.append(wall)
        cpus.append(cpu_seconds() - before)
    return min(walls), min(cpus)


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def first_sample_in_process(out: Path) -> str:
    from rich.console import Console

    from docmatix.commands.inspect import render_sample

    reader = OutputReader(str(out))
    sample = reader.load(reader.sample_refs(1, seed=0), rejects=True)[0]
    console = Console(file=io.StringIO(), width=120)
    console.print(render_sample(sample, show_rejects=True))
    return sample.key


def naive_first_sample(out: Path) -> str:
    """What a script without the reader does: read the shard and its meta whole, take the row."""
    reader = OutputReader(str(out))
    ref = reader.sample_refs(1, seed=0)[0]
    row = pq.read_table(out / ref.shard).slice(ref.row, 1).to_pylist()[0]
    meta = pq.read_table(out / "meta" / ref.shard).slice(ref.row, 1).to_pylist()[0]
    assert row["texts"]
    return meta["key"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of the output's shards (default 1.0)")
    parser.add_argument("--out", default="/tmp/bench_inspect", help="where to write it (reused if complete)")
    parser.add_argument("--keep", action="store_true", help="keep the output afterwards")
    args = parser.parse_args()
    out = Path(args.out)
    target = int(args.gb * 1e9)
    if not (out / "summary.json").exists() or sum(p.stat().st_size for p in out.glob("*.parquet")) < target:
        shutil.rmtree(out, ignore_errors=True)
        seconds, rows = timed(lambda: build_output(out, target))
        print(f"built {rows} rows in {seconds:.1f} s")
    shards = sorted(out.glob("*.parquet"))
    size = sum(p.stat().st_size for p in shards)
    groups = pq.ParquetFile(shards[0]).metadata.num_row_groups
    print(f"output: {out}  {len(shards)} shards, {size / 1e9:.2f} GB, {groups} row groups in the first shard")

    env = {**os.environ, "COLUMNS": "120"}
    root = Path(__file__).resolve().parent.parent
    cli = [sys.executable, "-m", "docmatix.cli", "inspect", str(out), "--n", "1", "--rejects"]
    bare = [sys.executable, "-m", "docmatix.cli", "--help"]
    # Best of a few runs, wall and CPU seconds: the machine may be shared, and CPU time is less noisy.
    cli_wall, cli_cpu = best_of(lambda: subprocess.run(cli, capture_output=True, env=env, cwd=root, check=True))
    bare_wall, bare_cpu = best_of(lambda: subprocess.run(bare, capture_output=True, cwd=root, check=True))
    ours_wall, ours_cpu = best_of(lambda: first_sample_in_process(out))
    naive_wall, naive_cpu = best_of(lambda: naive_first_sample(out))
    assert first_sample_in_process(out) == naive_first_sample(out)
    print()
    print(f"{'first sample of a ' + format(size / 1e9, '.2f') + ' GB output (best of 3)':<60}{'wall s':>9}{'CPU s':>9}")
    rows = [("docmatix inspect --n 1 --rejects (CLI, whole process)", cli_wall, cli_cpu),
            ("  docmatix --help (Python start + CLI imports alone)", bare_wall, bare_cpu),
            ("OutputReader sample + render, in process", ours_wall, ours_cpu),
            ("baseline: pq.read_table(shard and meta) then take the row", naive_wall, naive_cpu)]
    for name, wall, cpu in rows:
        print(f"{name:<60}{wall:>9.3f}{cpu:>9.3f}")
    print(f"{'reader vs baseline, in process':<60}{naive_wall / ours_wall:>8.0f}x{naive_cpu / ours_cpu:>8.0f}x")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
