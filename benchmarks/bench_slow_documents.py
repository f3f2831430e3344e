"""Two documents that hit the extraction deadline must delay only themselves.

    .venv/bin/python benchmarks/bench_slow_documents.py [--n 160] [--deadline 30]

Runs `docmatix run FOLDER` (2 extraction workers, OCR off, a local stand-in LLM with instant answers)
on N small real PDFs, then on the same N plus two PDFs whose page takes minutes to draw, and prints side
by side: wall time, the longest pause between two LLM requests while the run was generating, and the
documents written. Targets: the run with the slow files takes at most the run without them plus 1.5
deadlines (the two timeouts run at the same time, on two workers, while the other worker's documents
keep flowing), and LLM requests never pause for more than 10 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_extract_parallel import build_folder, small_pdfs  # noqa: E402
from tests.adversarial_pdfs import slow_page  # noqa: E402
from tests.fake_llm_server import FakeServer  # noqa: E402


def run(folder: Path, out: Path, deadline: float, log: Path) -> tuple[float, float, dict]:
    """(wall s, longest gap between answered requests in s, summary)."""
    with FakeServer("--log", str(log)) as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(folder), "--output", str(out), "--endpoint",
               server.base_url, "--no-ocr", "--no-progress", "--extract-concurrency", "2",
               "--extract-timeout", str(deadline), "--pdfs-per-unit", "32"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    times = sorted(json.loads(line)["at"] for line in log.read_text().splitlines())
    gap = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)
    return wall, gap, json.loads((out / "summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=160)
    parser.add_argument("--deadline", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_folder(tmp / "plain", args.n, small_pdfs())
        shutil.copytree(tmp / "plain", tmp / "slow")
        # Placed in the middle of the corpus: under global order everything behind them would wait.
        for name in (f"doc-{args.n // 3:05d}-slow.pdf", f"doc-{2 * args.n // 3:05d}-slow.pdf"):
            (tmp / "slow" / name).write_bytes(slow_page(20_000_000))
        plain = run(tmp / "plain", tmp / "out-plain", args.deadline, tmp / "plain.jsonl")
        slow = run(tmp / "slow", tmp / "out-slow", args.deadline, tmp / "slow.jsonl")
    limit = plain[0] + 1.5 * args.deadline
    print(f"{'corpus':>24} {'wall s':>8} {'max LLM pause s':>16} {'written':>8} {'timeouts':>9}")
    for name, (wall, gap, summary) in ((f"{args.n} PDFs", plain), (f"{args.n} PDFs + 2 slow", slow)):
        timeouts = summary["documents_rejected_by_reason"].get("timeout", 0)
        print(f"{name:>24} {wall:>8.1f} {gap:>16.1f} {summary['documents_written']:>8} {timeouts:>9}")
    print(f"target: slow run <= {limit:.1f} s (plain + 1.5 x {args.deadline:g} s deadline): "
          f"{'met' if slow[0] <= limit else 'MISSED'}; max LLM pause <= 10 s: {'met' if slow[1] <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
