"""Where the shared corpus lives (../shared beside the checkout, or $DOCMATIX_SHARED)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # docmatix/sample/corpus.py -> the repo


def shared_dir() -> Path:
    return Path(os.environ.get("DOCMATIX_SHARED", REPO_ROOT.parent / "shared"))


def sample_corpus_dir() -> Path:
    return shared_dir() / "corpus" / "py-pdf-sample-files"


def sample_corpus_pdfs() -> list[Path]:
    return sorted(sample_corpus_dir().rglob("*.pdf"))
