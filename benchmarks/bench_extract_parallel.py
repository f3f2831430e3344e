"""Extraction parallelism on a folder of small PDFs: wall time with 1 and 2 extraction workers.

    .venv/bin/python benchmarks/bench_extract_parallel.py [--n 600] [--workers 1 2] [--repeat 2]

Copies real one-to-three-page corpus PDFs into one folder (N files), runs `docmatix run FOLDER` against
a local fake OpenAI server (instant fixed answers: the LLM is not the subject) with OCR off, once per
worker count and repeat, the worker counts alternating (1 2 1 2 ...) so a slow spell of a shared machine
hits both, and prints each count's runs and median side by side with the speedup over the first.
Documents must spread over every extraction worker whatever their size: on this 2-core machine the
target is >= 1.5x for 2 workers against 1.

Each run's CPU time is added up over every process it starts (Ray's included), and apart for the isolated
extraction children (the extraction itself). The same shape is then run with stages that do nothing
(benchmarks/ray_floor_pipeline.py): what Ray Data alone costs for N documents. A run cannot take less
than all its CPU time spread over the machine's cores, nor than Ray's start and stop (the same shape with
no documents) plus one worker's share of the extraction. So
    best = max((extraction + Ray Data alone) / cores, start and stop + extraction / workers)
is the shortest run this extraction and Ray Data allow, whatever this project's own code costs, and
"ideal" is the speedup between those best times: what a pipeline costing nothing beyond the extraction
could reach on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmatix.sample.corpus import sample_corpus_pdfs  # noqa: E402
from tests.fake_llm_server import FakeServer  # noqa: E402


def small_pdfs(max_pages: int = 3) -> list[bytes]:
    import pymupdf

    out = []
    for path in sample_corpus_pdfs():
        try:
            with pymupdf.open(path) as doc:
                if doc.page_count <= max_pages and not doc.needs_pass and doc[0].get_text().strip():
                    out.append(path.read_bytes())
        except Exception:
            continue
    return out


def build_folder(folder: Path, n: int, pdfs: list[bytes]) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"doc-{i:05d}.pdf").write_bytes(pdfs[i % len(pdfs)])


@dataclass
class Measured:
    wall_s: float
    cpu_s: float  # every process the run started, Ray's included
    children_cpu_s: float  # of which the isolated extraction children


def measured(cmd: list[str]) -> Measured:
    """Run `cmd`, polling the CPU time of every process it starts (Ray's daemons and workers are its
    descendants while they live; a process is counted up to its last poll, 0.2 s before it ended)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cpu: dict[int, tuple[bool, float]] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                with p.oneshot():
                    times, cmdline = p.cpu_times(), " ".join(p.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            child = cpu.get(p.pid, (False, 0.0))[0] or "docmatix.pipeline.extract.isolation" in cmdline
            cpu[p.pid] = (child, times.user + times.system)
        time.sleep(0.2)
    stderr = proc.communicate()[1]
    if proc.returncode != 0:
        raise SystemExit(stderr[-3000:])
    return Measured(time.perf_counter() - started, sum(c for _, c in cpu.values()),
                    sum(c for child, c in cpu.values() if child))


def pipeline_run(folder: Path, out: Path, endpoint: str, workers: int) -> Measured:
    return measured([sys.executable, "-m", "docmatix.cli", "run", str(folder), "--output", str(out), "--endpoint",
                     endpoint, "--no-ocr", "--no-progress", "--extract-concurrency", str(workers),
                     "--read-concurrency", "1"])


def ray_floor_run(n: int, workers: int) -> Measured:
    return measured([sys.executable, str(ROOT / "benchmarks" / "ray_floor_pipeline.py"), str(n), str(workers)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count (median reported)")
    args = parser.parse_args()
    runs: dict[int, list[Measured]] = {w: [] for w in args.workers}
    floor: dict[int, Measured] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeServer() as server:
        tmp = Path(tmp)
        build_folder(tmp / "pdfs", args.n, small_pdfs())
        for r in range(args.repeat):
            for w in args.workers:
                runs[w].append(pipeline_run(tmp / "pdfs", tmp / f"out{w}-{r}", server.base_url, w))
        for w in args.workers:
            floor[w] = ray_floor_run(args.n, w)
        start_stop = ray_floor_run(0, args.workers[0]).wall_s
    cores = os.cpu_count() or 1
    base = statistics.median(m.wall_s for m in runs[args.workers[0]])
    best: dict[int, float] = {}
    print(f"{args.n} PDFs of 1-3 pages, OCR off, instant stand-in LLM; {cores} cores; medians of {args.repeat} runs")
    print(f"{'extraction workers':>19} {'wall s':>7} {'speedup':>8} {'CPU s':>6} {'extraction':>11} "
          f"{'Ray alone':>10} {'best s':>7} {'ideal':>6}  runs s")
    for w, measured_runs in runs.items():
        wall = statistics.median(m.wall_s for m in measured_runs)
        cpu = statistics.median(m.cpu_s for m in measured_runs)
        children = statistics.median(m.children_cpu_s for m in measured_runs)
        best[w] = max((children + floor[w].cpu_s) / cores, start_stop + children / w)
        print(f"{w:>19} {wall:>7.1f} {base / wall:>7.2f}x {cpu:>6.1f} {children:>11.1f} {floor[w].cpu_s:>10.1f} "
              f"{best[w]:>7.1f} {best[args.workers[0]] / best[w]:>5.2f}x  "
              f"{' '.join(f'{m.wall_s:.1f}' for m in measured_runs)}")
    print(f"CPU s: every process of the run; extraction: the isolated children's share; Ray alone: the same\n"
          f"shape with stages that do nothing (benchmarks/ray_floor_pipeline.py), which takes {start_stop:.1f} s to\n"
          f"start and stop with no document; best s: the shortest run extraction and Ray alone allow here,\n"
          f"max((extraction + Ray alone) / cores, {start_stop:.1f} + extraction / workers); ideal: its speedup.")


if __name__ == "__main__":
    main()
