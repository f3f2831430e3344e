"""`docmatix make-sample`: PDFA-format sample shards from the shared corpus's real PDFs."""

from __future__ import annotations

import argparse
from pathlib import Path

from docmatix.sample.corpus import sample_corpus_pdfs
from docmatix.sample.pdfa_shards import shards_from_pdfs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-sample", help="build PDFA-format sample shards from ../shared/corpus")
    p.add_argument("--out", default="data/sample", help="output folder (default data/sample)")
    p.add_argument("--per-shard", type=int, default=16, help="documents per shard")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    pdfs = sample_corpus_pdfs()
    if not pdfs:
        raise SystemExit("no PDFs found under the shared corpus; set DOCMATIX_SHARED")
    for path in shards_from_pdfs(pdfs, Path(args.out), args.per_shard):
        print(path)
    return 0
