"""Extraction parallelism on a folder of small PDFs: wall time with 1 and 2 extraction workers.

    .venv/bin/python benchmarks/bench_extract_parallel.py [--n 600] [--workers 1 2] [--repeat 2]

Copies real one-to-three-page corpus PDFs into one folder (N files), runs `docmatix run FOLDER` against
a local fake OpenAI server (instant fixed answers: the LLM is not the subject) with OCR off, once per
worker count and repeat, the worker counts alternating (1 2 1 2 ...) so a slow spell of a shared machine
hits both, and prints each count's runs and median side by side with the speedup over the first.
Documents must spread over every extraction worker whatever their size: on this 2-core machine the
target is >= 1.5x for 2 workers against 1.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def wall_time(folder: Path, out: Path, endpoint: str, workers: int) -> float:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", str(folder), "--output", str(out), "--endpoint", endpoint,
           "--no-ocr", "--no-progress", "--extract-concurrency", str(workers), "--read-concurrency", "1"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count (median reported)")
    args = parser.parse_args()
    times: dict[int, list[float]] = {w: [] for w in args.workers}
    with tempfile.TemporaryDirectory() as tmp, FakeServer() as server:
        tmp = Path(tmp)
        build_folder(tmp / "pdfs", args.n, small_pdfs())
        for r in range(args.repeat):
            for w in args.workers:
                times[w].append(wall_time(tmp / "pdfs", tmp / f"out{w}-{r}", server.base_url, w))
    base = statistics.median(times[args.workers[0]])
    print(f"{'extraction workers':>19} {'median s':>9} {'speedup':>8}  runs s   ({args.n} PDFs of 1-3 pages, OCR off)")
    for workers, runs in times.items():
        median = statistics.median(runs)
        print(f"{workers:>19} {median:>9.1f} {base / median:>7.2f}x  {' '.join(f'{t:.1f}' for t in runs)}")


if __name__ == "__main__":
    main()
