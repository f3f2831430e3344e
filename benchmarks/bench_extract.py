"""Extraction stage vs a plain PyMuPDF loop doing the same work, and Tesseract calls per corpus.

    .venv/bin/python benchmarks/bench_extract.py [--repeat 3] [--rounds 3] [--workers 1 2]

The plain loop opens each PDF and, per page, takes `get_text("text")`, renders at the same dpi and
size cap, and encodes PNG: what the stage must do at the least. The stage is `pipeline.extract.isolation
.extract` as the pipeline calls it: a worker process per extracting process with a deadline, limits,
per-page routing and PageText records. Each worker process gets its share of the documents; both
sides are timed from a barrier after warm-up, in alternating rounds in the same run, best round kept
(the machine is shared, so single rounds are noisy).

Tesseract calls are counted by wrapping the stage's OCR function, on the born-digital corpus and on a
scanned one (the same kind of text, scanned: no text layer).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from docmatix.pipeline.s2_extract import ExtractSettings  # noqa: E402
from docmatix.sample.corpus import sample_corpus_dir  # noqa: E402


def born_digital_corpus() -> list[bytes]:
    """The sample corpus's PDFs written by authoring software, <= 4 pages, not encrypted."""
    corpus = sample_corpus_dir()
    entries = json.loads((corpus / "files.json").read_text())["data"]
    return [(corpus / e["path"]).read_bytes() for e in entries
            if (corpus / e["path"]).exists() and not e["encrypted"] and e["pages"] <= 4
            and e["producer"] not in (None, "?") and "imagemagick" not in e["producer"]]


def scanned_corpus() -> list[bytes]:
    from tests import adversarial_pdfs as adv

    return [adv.scanned(pages=2), adv.scanned(dpi=150), adv.scanned_with_stamp(), adv.scanned(dpi=300)]


def plain_loop(pdfs: list[bytes], settings: ExtractSettings) -> int:
    import pymupdf

    r = settings.render
    pages = 0
    for data in pdfs:
        with pymupdf.open(stream=data, filetype="pdf") as pdf:
            for page in pdf:
                page.get_text("text", sort=False)
                zoom = r.dpi / 72
                zoom = min(zoom, r.max_side / (max(page.rect.width, page.rect.height) * zoom) * zoom)
                page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB,
                                alpha=False).tobytes("png")
                pages += 1
    return pages


def stage(pdfs: list[bytes], settings: ExtractSettings) -> int:
    from docmatix.pipeline.extract.isolation import extract
    from docmatix.schemas.records import ExtractedDocument, SourceDocument

    pages = 0
    for i, data in enumerate(pdfs):
        result = extract(SourceDocument(f"{i}", "bench", "bench", data), settings)
        assert isinstance(result, ExtractedDocument), result
        pages += len(result.pages)
    return pages


def _worker(kind: str, pdfs: list[bytes], settings: ExtractSettings, barrier, results) -> None:
    # A session of its own, as the stage's extraction child has: with the kernel's autogroup
    # scheduling, CPU is shared per session, and a loaded machine would otherwise favour the stage.
    os.setsid()
    fn = plain_loop if kind == "plain" else stage
    fn(pdfs[:1], settings)  # warm-up: imports, fonts, the stage's extraction child
    barrier.wait()
    start = time.time()
    pages = fn(pdfs, settings)
    results.put((start, time.time(), pages))


def timed(kind: str, pdfs: list[bytes], settings: ExtractSettings, workers: int) -> tuple[float, int]:
    """(seconds, pages) for `workers` processes sharing the documents, from a common start."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    shares = [pdfs[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(kind, share, settings, barrier, results)) for share in shares]
    for p in procs:
        p.start()
    spans = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return max(s[1] for s in spans) - min(s[0] for s in spans), sum(s[2] for s in spans)


def count_tesseract_calls(pdfs: list[bytes], settings: ExtractSettings) -> tuple[int, int, float]:
    """(pages, Tesseract calls, seconds) for the stage's own code, in this process."""
    import docmatix.pipeline.s2_extract as s2
    from docmatix.schemas.records import ExtractedDocument, SourceDocument

    calls = []
    real = s2.ocr_image

    def counting(image, *args, **kwargs):
        calls.append(1)
        return real(image, *args, **kwargs)

    s2.ocr_image = counting
    try:
        start, pages = time.time(), 0
        for i, data in enumerate(pdfs):
            result = s2.extract_document(SourceDocument(f"{i}", "bench", "bench", data), settings)
            pages += len(result.pages) if isinstance(result, ExtractedDocument) else 0
        return pages, len(calls), time.time() - start
    finally:
        s2.ocr_image = real


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="copies of the born-digital corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    settings = ExtractSettings()  # the pipeline's defaults: 150 dpi, 2940 px, PNG, OCR on, isolated
    pdfs = born_digital_corpus() * args.repeat
    print(f"born-digital corpus: {len(pdfs)} PDFs; settings {settings.render}; "
          f"timeout {settings.limits.timeout_s:g} s per document")
    print(f"{'workers':>7} {'round':>5} {'plain pages/s':>14} {'stage pages/s':>14} {'stage/plain':>11}")
    for workers in args.workers:
        best = {"plain": 0.0, "stage": 0.0}
        for rnd in range(args.rounds):
            rate = {}
            for kind in ("plain", "stage"):
                seconds, pages = timed(kind, pdfs, settings, workers)
                rate[kind] = pages / seconds
                best[kind] = max(best[kind], rate[kind])
            print(f"{workers:>7} {rnd:>5} {rate['plain']:>14.1f} {rate['stage']:>14.1f} "
                  f"{rate['stage'] / rate['plain']:>11.2f}")
        print(f"{workers:>7} {'best':>5} {best['plain']:>14.1f} {best['stage']:>14.1f} "
              f"{best['stage'] / best['plain']:>11.2f}")
    print(f"\n{'corpus':<14} {'pages':>6} {'tesseract calls':>16} {'seconds':>8}")
    for name, corpus in (("born-digital", born_digital_corpus()), ("scanned", scanned_corpus())):
        pages, calls, seconds = count_tesseract_calls(corpus, settings)
        print(f"{name:<14} {pages:>6} {calls:>16} {seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
