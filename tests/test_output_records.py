"""What a run leaves behind: `docmatix verify` on folder and tar outputs (every document accounted for,
from names alone), a manifest that depends on content only, and timings kept per invocation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import docmatix.pipeline.s1_read as s1_read
from docmatix.output.verify import verify_output
from docmatix.sample.pdfa_shards import write_shard
from tests.conftest import E2E_PDFS, corpus_pdf
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow

PDFS = E2E_PDFS[:3]  # one page, encrypted (rejected), four pages


def _run(inputs: list[Path], out: Path, url: str) -> None:
    cmd = [sys.executable, "-m", "docmatix.cli", "run", *map(str, inputs), "--output", str(out), "--endpoint", url,
           "--max-tokens", "64", "--no-progress", "--pdfs-per-unit", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("verify")
    folder = root / "pdfs"
    folder.mkdir()
    for rel in PDFS:
        shutil.copy(corpus_pdf(rel), folder / corpus_pdf(rel).name)
    shard = root / "pdfa-eng-train-0000.tar"
    write_shard(shard, [(f"{i:07d}", corpus_pdf(rel).read_bytes()) for i, rel in enumerate(PDFS)])
    with FakeServer() as server:
        _run([folder], root / "out-folder", server.base_url)
        _run([shard], root / "out-tar", server.base_url)
    return {"folder": root / "out-folder", "tar": root / "out-tar"}


@pytest.mark.parametrize("kind", ["folder", "tar"])
def test_verify_accounts_for_every_input_without_reading_pdfs(outputs, kind, monkeypatch):
    def no_bodies(*args, **kwargs):
        raise AssertionError("verify read PDF bodies")

    monkeypatch.setattr(s1_read, "iter_unit_documents", no_bodies)
    monkeypatch.setattr(s1_read, "_read_capped", no_bodies)
    report = verify_output(str(outputs[kind]))
    assert report.ok, report.problems
    assert report.documents_expected == report.documents_found == len(PDFS)


def test_verify_cli_on_folder_output_names_a_missing_document(outputs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(outputs["folder"], out)
    ok = subprocess.run([sys.executable, "-m", "docmatix.cli", "verify", str(out)], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A new PDF in the input folder is neither written nor rejected: verify says which.
    folder = outputs["folder"].parent / "pdfs"
    extra = folder / "zz-extra.pdf"
    shutil.copy(corpus_pdf(PDFS[0]), extra)
    try:
        bad = subprocess.run([sys.executable, "-m", "docmatix.cli", "verify", str(out)], capture_output=True,
                             text=True, timeout=300)
    finally:
        extra.unlink()
    assert bad.returncode == 1
    assert "zz-extra" in bad.stdout + bad.stderr


def test_unit_keys_match_the_reader(tmp_path, outputs):
    cut = tmp_path / "cut.tar"
    shard = outputs["tar"].parent / "pdfa-eng-train-0000.tar"
    cut.write_bytes(shard.read_bytes()[:30000])
    for spec in (shard, cut, outputs["folder"].parent / "pdfs"):
        for unit in s1_read.discover_units([str(spec)], pdfs_per_unit=2):
            read = [d[0] if isinstance(d, tuple) else d.key for d in s1_read.iter_unit_documents(unit, 10**8)]
            assert s1_read.unit_keys(unit) == read


def test_manifest_is_content_only_and_a_noop_resume_keeps_timings(outputs, tmp_path):
    first = outputs["folder"]
    folder = first.parent / "pdfs"
    copy = tmp_path / "copy"
    (copy / "_cache").mkdir(parents=True)
    for path in (first / "_cache").glob("requests.sqlite*"):  # same answers, all from the cache this time
        shutil.copy(path, copy / "_cache" / path.name)
    resumed = tmp_path / "resumed"
    shutil.copytree(first, resumed)
    before = json.loads((resumed / "summary.json").read_text())
    with FakeServer() as server:
        _run([folder], copy, server.base_url)
        _run([folder], resumed, server.base_url)  # nothing left to do
        assert server.stats()["chat_requests"] == 0
    cached = json.loads((copy / "summary.json").read_text())
    assert cached["requests_cached"] > 0 and before["requests_cached"] == 0  # the runs really differ ...
    assert (copy / "manifest.json").read_bytes() == (first / "manifest.json").read_bytes()  # ... their output not

    after = json.loads((resumed / "summary.json").read_text())
    assert (resumed / "manifest.json").read_bytes() == (first / "manifest.json").read_bytes()
    assert after["wall_time_s"] == before["wall_time_s"] == before["runs"][0]["wall_time_s"]
    assert [r["units_processed"] for r in after["runs"]] == [2, 0]
    assert after["runs"][0] == before["runs"][0]
    assert {k: after[k] for k in ("documents_read", "requests", "pages")} == \
        {k: before[k] for k in ("documents_read", "requests", "pages")}
