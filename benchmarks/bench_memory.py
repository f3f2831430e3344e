"""Peak memory of a whole run for N and 10N documents: streaming means the larger must not grow with N.

    .venv/bin/python benchmarks/bench_memory.py [--n 30] [--ratio 10]

Builds PDFA shards of real one-page corpus PDFs (50 per shard), runs `docmatix run` against a local
fake OpenAI server (fixed answers, so the LLM is not the subject) with OCR off, and samples the resident
memory of the run's whole process tree (driver, Ray workers, raylet, GCS) every 100 ms. Prints the
peaks side by side and their ratio (the target is 10N <= 1.3x N), and each run's peak per quarter of
its wall time: bounded memory shows as a plateau, growth with the corpus as a rising trend. The driver's
own peak RSS is printed beside it: workers write the output, so the driver never holds an image and
its memory must not grow with N either.
"""

from __future__ import annotations

import argparse
import contextlib
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
from docmatix.sample.pdfa_shards import write_shard  # noqa: E402
from tests.fake_llm_server import FakeServer  # noqa: E402

DOCS_PER_SHARD = 50


def one_page_pdfs() -> list[bytes]:
    import pymupdf

    out = []
    for path in sample_corpus_pdfs():
        try:
            with pymupdf.open(path) as doc:
                if doc.page_count == 1 and not doc.needs_pass and doc[0].get_text().strip():
                    out.append(path.read_bytes())
        except Exception:
            continue
    return out


def build_corpus(folder: Path, n_docs: int, pdfs: list[bytes]) -> list[Path]:
    shards = []
    for shard_index, start in enumerate(range(0, n_docs, DOCS_PER_SHARD)):
        docs = [(f"{i:07d}", pdfs[i % len(pdfs)]) for i in range(start, min(n_docs, start + DOCS_PER_SHARD))]
        path = folder / f"pdfa-eng-train-{shard_index:04d}.tar"
        write_shard(path, docs, with_json=False)
        shards.append(path)
    return shards


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """Summed RSS of the process tree (shared object-store pages count once per process mapping them,
    so this overstates, never understates) and the number of processes."""
    total, count = 0, 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a worker may exit between listing and reading
            total += p.memory_info().rss
            count += 1
    return total, count


@dataclass
class Measurement:
    peak_rss: int
    driver_peak_rss: int  # the `docmatix run` process alone: it sees only counts, never images
    most_processes: int
    seconds: float
    quarter_peaks: list[int]  # peak RSS within each quarter of the wall time: a trend shows growth with N


def measure(shards: list[Path], out: Path, endpoint: str) -> Measurement:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", *map(str, shards), "--output", str(out),
           "--endpoint", endpoint, "--no-ocr", "--no-progress", "--object-store-memory", str(512 * 2**20),
           "--extract-concurrency", "2", "--read-concurrency", "1"]  # fixed: bounded by settings, not N
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, int]] = []
    most_processes, driver_peak = 0, 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            driver_peak = max(driver_peak, ps.memory_info().rss)
        rss, processes = tree_rss(ps)
        samples.append((time.perf_counter() - started, rss))
        most_processes = max(most_processes, processes)
        time.sleep(0.1)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.read().decode()[-3000:])
    seconds = time.perf_counter() - started
    quarters = [max((rss for t, rss in samples if q * seconds / 4 <= t < (q + 1) * seconds / 4), default=0)
                for q in range(4)]
    return Measurement(max(rss for _, rss in samples), driver_peak, most_processes, seconds, quarters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--ratio", type=int, default=10)
    args = parser.parse_args()
    pdfs = one_page_pdfs()
    with tempfile.TemporaryDirectory() as tmp, FakeServer() as server:
        tmp = Path(tmp)
        results = []
        for n in (args.n, args.n * args.ratio):
            shards = build_corpus(tmp / f"in{n}", n, pdfs)
            results.append((n, measure(shards, tmp / f"out{n}", server.base_url)))
    print(f"{'documents':>10} {'peak RSS (MiB), whole tree':>28} {'driver (MiB)':>13} {'most processes':>15}"
          f" {'wall s':>8}  {'peak per quarter of the run (MiB)':>34}")
    for n, m in results:
        quarters = " ".join(f"{q / 2**20:>7.0f}" for q in m.quarter_peaks)
        print(f"{n:>10} {m.peak_rss / 2**20:>28.0f} {m.driver_peak_rss / 2**20:>13.0f} {m.most_processes:>15}"
              f" {m.seconds:>8.1f}  {quarters:>34}")
    for label, small, large in (("peak RSS", results[0][1].peak_rss, results[1][1].peak_rss),
                                ("driver peak RSS", results[0][1].driver_peak_rss, results[1][1].driver_peak_rss)):
        ratio = large / small
        verdict = "OK" if ratio <= 1.3 else "OVER TARGET"
        print(f"{label} ratio {results[1][0]}/{results[0][0]} documents: {ratio:.2f}x (target <= 1.3x) {verdict}")


if __name__ == "__main__":
    main()
