"""Shared fixtures: real PDFs from the shared corpus, PDFA-format shards built from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docmatix.paths import sample_corpus_dir
from docmatix.pdfa_shards import write_shard

CORPUS = sample_corpus_dir()


def corpus_pdf(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return path


@pytest.fixture(scope="session")
def corpus_files() -> list[dict]:
    index = CORPUS / "files.json"
    if not index.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return json.loads(index.read_text())["data"]


# A small, varied set used by the end-to-end tests: one page, an encrypted file, four pages, 6 pages
# (over the 4-page limit), a Google Doc.
E2E_PDFS = [
    "001-trivial/minimal-document.pdf",
    "005-libreoffice-writer-password/libreoffice-writer-password.pdf",
    "004-pdflatex-4-pages/pdflatex-4-pages.pdf",
    "007-imagemagick-images/imagemagick-images.pdf",
    "011-google-doc-document/google-doc-document.pdf",
]


@pytest.fixture(scope="session")
def e2e_shard(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shards") / "pdfa-eng-train-0000.tar"
    docs = [(f"{i:07d}", corpus_pdf(rel).read_bytes()) for i, rel in enumerate(E2E_PDFS)]
    write_shard(out, docs)
    return out
