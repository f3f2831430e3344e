"""`docmatix make-sample`: PDFA-format shards from the shared corpus, each PDF once, readable by stage 1."""

from __future__ import annotations

import tarfile

from docmatix.cli import main as cli_main
from docmatix.pipeline.s1_read import discover_units
from docmatix.sample.corpus import sample_corpus_pdfs


def test_sample_shards_hold_every_corpus_pdf_once_with_its_json(corpus_files, tmp_path):
    assert cli_main(["make-sample", "--out", str(tmp_path), "--per-shard", "10"]) == 0
    shards = sorted(tmp_path.glob("*.tar"))
    pdfs = sample_corpus_pdfs()
    assert len(shards) == -(-len(pdfs) // 10)
    members = []
    for shard in shards:
        with tarfile.open(shard) as tar:
            members += tar.getnames()
    keys = {name.rsplit(".", 1)[0] for name in members}
    assert len(keys) == len(pdfs)
    assert sum(name.endswith(".pdf") for name in members) == len(pdfs)
    assert sum(name.endswith(".json") for name in members) == len(pdfs)
    assert len(discover_units([str(tmp_path / "*.tar")])) == len(shards)
