"""The whole pipeline, as a user runs it: `docmatix run` on a PDFA shard with the embedded LLM."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

from docmatix.schemas.output import CAULDRON_FEATURES
from tests.conftest import REPO, docmatix_run, rerun_with_cache_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_run(embedded_run):
    """The session's shared run (tests/conftest.py): the reference filters, seed 7, one llama.cpp slot."""
    return embedded_run


def test_output_loads_with_cauldron_features(first_run):
    out, summary = first_run
    shards = sorted(out.glob("*.parquet"))
    assert shards
    ds = load_dataset("parquet", data_files=[str(p) for p in shards], split="train")
    assert ds.features == CAULDRON_FEATURES
    assert len(ds) == summary["documents_written"] >= 1
    assert any(len(row["texts"]) >= 1 for row in ds)
    row = ds[0]
    assert row["texts"][0]["source"].startswith("PDFA key: ")
    assert row["images"][0].size[0] > 100  # decoded as PIL images


def test_every_document_and_pair_is_accounted_for(first_run):
    out, s = first_run
    assert s["documents_read"] == 5
    assert s["documents_read"] == s["documents_written"] + s["documents_rejected"]
    assert s["documents_rejected_by_reason"]["encrypted"] == 1
    assert s["documents_rejected_by_reason"]["too_many_pages"] == 1
    assert sum(s["documents_rejected_by_reason"].values()) == s["documents_rejected"]
    assert s["pairs_generated"] == s["pairs_kept"] + sum(s["pairs_dropped_by_reason"].values())
    rejected_docs = pq.read_table(out / "rejects" / "documents" / "pdfa-eng-train-0000.parquet")
    assert rejected_docs.num_rows == s["documents_rejected"]
    pairs_file = out / "rejects" / "pairs" / "pdfa-eng-train-0000.parquet"
    dropped = pq.read_table(pairs_file).num_rows if pairs_file.exists() else 0
    assert dropped == s["pairs_generated"] - s["pairs_kept"]
    for field in ("documents_read", "documents_written", "documents_rejected", "pages", "pages_ocr",
                  "requests", "pairs_generated", "pairs_kept"):
        assert isinstance(s[field], int)
    assert s["requests"] >= 1 and s["pages"] >= 5


@pytest.fixture(scope="module")
def strict_run(first_run, e2e_shard, tmp_path_factory):
    """The default filter preset over the first run's LLM answers (its request cache, copied)."""
    out = tmp_path_factory.mktemp("strict")
    return out, rerun_with_cache_of(first_run[0], e2e_shard, out, "--filter-preset", "strict")


def assert_pairs_counted_by_reason_and_template(out: Path, s: dict) -> None:
    generated, kept = s["pairs_generated_by_template"], s["pairs_kept_by_template"]
    assert sum(generated.values()) == s["pairs_generated"] >= 1
    assert sum(kept.values()) == s["pairs_kept"]
    assert s["pairs_kept"] + s["pairs_dropped"] == s["pairs_generated"]
    pairs_file = out / "rejects" / "pairs" / "pdfa-eng-train-0000.parquet"
    rejects = pq.read_table(pairs_file).to_pylist() if pairs_file.exists() else []
    assert len(rejects) == s["pairs_dropped"]
    by_reason: dict[str, int] = {}
    for r in rejects:
        assert len(r["reasons"]) == 1 and r["reasons"][0] and r["key"] and r["template"] in generated
        by_reason[r["reasons"][0]] = by_reason.get(r["reasons"][0], 0) + 1
    assert by_reason == s["pairs_dropped_by_reason"]
    for template, n in generated.items():  # per template: kept + dropped = generated
        assert kept.get(template, 0) + sum(r["template"] == template for r in rejects) == n


def test_filter_drops_are_counted_by_reason_and_template(first_run):
    out, s = first_run
    assert s["filter_preset"] == "docmatix"
    assert_pairs_counted_by_reason_and_template(out, s)


def test_default_strict_preset_on_the_same_answers(first_run, strict_run):
    (_, s1), (out, s) = first_run, strict_run
    assert s["filter_preset"] == "strict" and s["config"]["grounding_threshold"] > 0
    assert s["pairs_generated_by_template"] == s1["pairs_generated_by_template"]
    # Same answers because they came from the copied cache: every chunk the first run got an answer
    # for is answered there (`requests` counts requests sent, `requests_cached` chunks answered from
    # the cache); only chunks whose requests failed would be sent again. Chunks with no parsed pair and
    # chunks cut for repetition had an answer (a cut answer is cached as cut).
    answered_reasons = ("no_pairs_parsed", "repetition")
    answered = s1["chunks"] - sum(n for r, n in s1["chunks_rejected_by_reason"].items() if r not in answered_reasons)
    assert s1["requests_cached"] == 0 and s["requests_cached"] == answered >= 1
    if answered == s1["chunks"]:
        assert s["requests"] == 0
    assert_pairs_counted_by_reason_and_template(out, s)
    reference_reasons = {"word_dot_word", "square_brackets", "angle_brackets"}
    assert not reference_reasons & set(s["pairs_dropped_by_reason"])  # strict has its own precise rules


def test_multi_page_document_has_one_image_per_page_in_order(first_run):
    out, _ = first_run
    meta = pq.read_table(out / "meta" / "pdfa-eng-train-0000-00000.parquet").to_pylist()
    rows = pq.read_table(out / "pdfa-eng-train-0000-00000.parquet").to_pylist()
    by_key = {m["key"]: row for m, row in zip(meta, rows, strict=True)}
    if "0000002" not in by_key:
        pytest.skip("the 4-page document produced no kept pair with this model")
    images = by_key["0000002"]["images"]
    assert len(images) == 4
    import io

    import pymupdf
    from PIL import Image

    from tests.conftest import E2E_PDFS, corpus_pdf

    def gray(image: Image.Image) -> list[int]:
        return list(image.convert("L").resize((64, 64)).tobytes())

    def mean_abs_diff(a: list[int], b: list[int]) -> float:
        return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)

    with pymupdf.open(corpus_pdf(E2E_PDFS[2])) as pdf:
        refs = [gray(Image.frombytes("RGB", (p.width, p.height), p.samples))
                for p in (pdf[i].get_pixmap(dpi=20) for i in range(4))]
    ours = [gray(Image.open(io.BytesIO(image["bytes"]))) for image in images]
    # Measured (mean absolute gray difference, 0-255, at 64x64): the right page <= 1.06, a wrong
    # page >= 2.88 (pages 1-3 share a layout), a blank page >= 12.7.
    for i, page in enumerate(ours):
        diffs = [mean_abs_diff(page, ref) for ref in refs]
        assert diffs[i] < 2.0, f"page {i} image does not look like page {i}: {diffs}"
        assert diffs[i] == min(diffs), f"page {i} image looks more like another page: {diffs}"


def test_same_seed_same_templates_and_rows(first_run, e2e_shard, tmp_path):
    out1, s1 = first_run
    s2 = docmatix_run(e2e_shard, tmp_path)  # no cache: the model answers again
    assert s2["pairs_generated_by_template"] == s1["pairs_generated_by_template"]
    for name in ("pdfa-eng-train-0000-00000.parquet", "meta/pdfa-eng-train-0000-00000.parquet"):
        assert pq.read_table(out1 / name).to_pylist() == pq.read_table(tmp_path / name).to_pylist()


def test_rejected_chunks_are_written_with_their_reason(first_run):
    out, s = first_run
    rows = [r for p in sorted((out / "rejects" / "chunks").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(rows) == s["chunks_rejected"] <= s["chunks"]
    by_reason: dict[str, int] = {}
    for r in rows:
        assert r["key"] and r["unit_id"] == "pdfa-eng-train-0000" and r["template"] in s["templates"]
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + 1
    assert by_reason == s["chunks_rejected_by_reason"]


def verify_cli(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docmatix.cli", "verify", str(out)], capture_output=True,
                          text=True, timeout=600, cwd=REPO)


def test_verify_exit_status_and_unknown_parquet_files(first_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(first_run[0], out)
    ok = verify_cli(out)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr
    stray = out / "pdfa-eng-train-0000-00099.parquet"  # as an interrupted attempt would leave one
    shutil.copy(out / "pdfa-eng-train-0000-00000.parquet", stray)
    bad = verify_cli(out)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"FAIL {stray.name}: not in the manifest" in bad.stdout
