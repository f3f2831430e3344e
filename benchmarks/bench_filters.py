"""How fast are the filter presets? Pairs per second through stage 5, `strict` next to `docmatix` (baseline).

    .venv/bin/python benchmarks/bench_filters.py [--documents 200] [--pairs 20]

Builds documents from the text of real PDFs in the shared corpus: each chunk is a page's text, and each
pair asks about one sentence of it, answered with that sentence (grounded), with a sentence from another
PDF (ungrounded), or by repeating an earlier question (duplicate). Runs `filter_document` over all of
them once per preset and prints pairs/s and the drops by reason for each, side by side.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pymupdf  # noqa: E402

from docmatix.filters.presets import build_preset  # noqa: E402
from docmatix.pipeline.s5_filter import filter_document  # noqa: E402
from docmatix.sample.corpus import sample_corpus_dir  # noqa: E402
from docmatix.schemas.records import (  # noqa: E402
    Chunk,
    ChunkResult,
    ExtractedDocument,
    GeneratedDocument,
    PageText,
    QAPair,
)


def corpus_pages(limit: int = 40) -> list[str]:
    pages = []
    for path in sorted(sample_corpus_dir().rglob("*.pdf")):
        try:
            with pymupdf.open(path) as pdf:
                pages += [p.get_text() for p in pdf if len(p.get_text().split()) > 40]
        except Exception:  # encrypted or broken sample files: not needed here
            continue
        if len(pages) >= limit:
            break
    return pages


def sentences(text: str) -> list[str]:
    return [s.strip().replace("\n", " ") for s in text.split(". ") if 5 <= len(s.split()) <= 40]


def make_documents(pages: list[str], n_docs: int, n_pairs: int, seed: int = 0) -> list[GeneratedDocument]:
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        page = pages[d % len(pages)]
        own, other = sentences(page) or [page[:200]], sentences(pages[(d + 1) % len(pages)]) or ["Nothing here"]
        pairs = []
        for i in range(n_pairs):
            sentence = own[i % len(own)]
            question = f"What does passage {i + 1} say about {sentence.split()[0]}?"
            kind = rng.random()
            if kind < 0.2 and pairs:
                question, answer = pairs[-1].question, sentence  # duplicate
            elif kind < 0.4:
                answer = rng.choice(other)  # ungrounded
            else:
                answer = sentence
            pairs.append(QAPair(question, answer + ".", "whole_document", 0))
        chunk = Chunk(0, [0], page, n_tokens=len(page.split()), template="whole_document")
        doc = ExtractedDocument(f"{d:07d}", "bench", "corpus", "", [PageText(0, page, "text_layer")], [])
        docs.append(GeneratedDocument(doc, [ChunkResult(chunk, "", pairs)]))
    return docs


def measure(preset: str, docs: list[GeneratedDocument]) -> dict:
    filters = build_preset(preset)
    t0 = time.perf_counter()
    finished = [filter_document(g, filters) for g in docs]
    wall = time.perf_counter() - t0
    n = sum(len(c.pairs) for g in docs for c in g.chunks)
    reasons = Counter(d.reasons[0] for f in finished for d in f.dropped)
    kept = sum(len(f.kept) for f in finished)
    return {"preset": preset, "pairs": n, "wall_s": wall, "rate": n / wall, "kept": kept, "reasons": reasons}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=20, help="pairs per document")
    args = parser.parse_args()
    docs = make_documents(corpus_pages(), args.documents, args.pairs)
    results = [measure("docmatix", docs), measure("strict", docs)]
    print(f"{'preset':<10} {'pairs':>7} {'wall_s':>8} {'pairs/s':>9} {'kept':>6}  drops by reason")
    for r in results:
        drops = ", ".join(f"{k} {v}" for k, v in r["reasons"].most_common())
        print(f"{r['preset']:<10} {r['pairs']:>7} {r['wall_s']:>8.3f} {r['rate']:>9.0f} {r['kept']:>6}  {drops}")
    print(f"strict / docmatix speed: {results[1]['rate'] / results[0]['rate']:.2f}x")


if __name__ == "__main__":
    main()
