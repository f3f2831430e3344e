"""`--profile docmatix` on a PDFA-format shard, against the fake LLM server (which logs each request body),
next to the same shard run with the default profile; then `docmatix compare` of the two outputs, and the
`pdf` and `zero-shot-exp` configs of a published copy loaded with `datasets`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_dataset

from docmatix.filters.options import filters_from
from docmatix.filters.presets import PRESETS
from docmatix.filters.reference_patterns import REFERENCE_PATTERNS
from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.profiles import REFERENCE_PRESET
from docmatix.sample.pdfa_shards import pdfa_json_for
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow  # two real pipeline runs (Ray, fake LLM)

# JSON lines that are not in the PDF's own text layer: a prompt holding them took its text from the JSON.
# Too short to be usable for the default profile (`auto` then takes the PDF's own layer, "Lorem ipsum ..."),
# taken as they are by the reference.
JSON_LINES = ["Zephyr", "quartz"]
PLAIN_PDF = "011-google-doc-document/google-doc-document.pdf"  # unedited JSON: a second row to publish
LONG_PAGE_WORDS = 6000  # the fake server's /tokenize counts words: over the 5,000-token page limit


def build_shard(path: Path) -> None:
    short = corpus_pdf("001-trivial/minimal-document.pdf").read_bytes()
    long = corpus_pdf("004-pdflatex-4-pages/pdflatex-4-pages.pdf").read_bytes()
    short_json = pdfa_json_for(short)
    short_json["pages"][0]["lines"]["text"] = JSON_LINES
    long_json = pdfa_json_for(long)
    long_json["pages"][1]["lines"]["text"] = [" ".join(f"filler{i}" for i in range(LONG_PAGE_WORDS))]
    plain = corpus_pdf(PLAIN_PDF).read_bytes()
    members = [("0000000.pdf", short), ("0000000.json", json.dumps(short_json).encode()),
               ("0000001.pdf", long), ("0000001.json", json.dumps(long_json).encode()),
               ("0000002.pdf", plain), ("0000002.json", json.dumps(pdfa_json_for(plain)).encode())]
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def run(shard: Path, out: Path, log: Path, *extra: str) -> dict:
    with FakeServer("--log", str(log)) as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint",
               server.base_url, "--no-progress", *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def bodies(log: Path) -> list[dict]:
    return [json.loads(line)["body"] for line in log.read_text().splitlines() if line.strip()]


def prompt(body: dict) -> str:
    return body["messages"][-1]["content"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("profile")
    shard = tmp / "pdfa-eng-train-0000.tar"
    build_shard(shard)
    out = {"shard": shard}
    for name, extra in (("docmatix", ("--profile", "docmatix")), ("default", ())):
        log = tmp / f"{name}.jsonl"
        out[name] = (tmp / name, run(shard, tmp / name, log, *extra), bodies(log))
    return out


def test_json_lines_are_the_page_text(runs):
    out, summary, sent = runs["docmatix"]
    joined = " \n ".join(JSON_LINES)
    assert any(joined in prompt(b) for b in sent), "no prompt holds the JSON lines joined by ' \\n '"
    assert not any("Lorem ipsum" in prompt(b) for b in sent), "the PDF's own text layer was sent"
    _, _, default_sent = runs["default"]
    assert any("Lorem ipsum" in prompt(b) for b in default_sent)
    assert not any(joined in prompt(b) for b in default_sent)
    assert summary["config"]["text_source"] == "pdfa_json" and summary["config"]["ocr"] is False
    meta = pq.read_table(out / "meta")
    assert {s for row in meta["page_sources"].to_pylist() for s in row} == {"pdfa_json"}


def test_over_long_page_skips_the_whole_document(runs):
    out, summary, sent = runs["docmatix"]
    assert summary["documents_rejected_by_reason"].get("page_too_long") == 1
    rejects = pq.read_table(out / "rejects" / "documents").to_pylist()
    rejected = [r for r in rejects if r["reason"] == "page_too_long"]
    assert [(r["key"], r["stage"]) for r in rejected] == [("0000001", "chunk")]
    assert str(LONG_PAGE_WORDS) in rejected[0]["error"]
    assert not any("filler1 " in prompt(b) for b in sent), "a page of the skipped document was sent"
    # The default profile cuts that page to fit and keeps the document.
    _, default, default_sent = runs["default"]
    assert "page_too_long" not in default["documents_rejected_by_reason"]
    assert any("filler1 " in prompt(b) for b in default_sent)


def test_sampling_sent_as_the_reference(runs):
    _, summary, sent = runs["docmatix"]
    assert sent
    for body in sent:  # vLLM's defaults apply: temperature 1.0, top_p 1.0, no seed
        assert "temperature" not in body and "top_p" not in body and "seed" not in body
        assert body["max_tokens"] == 2000
    assert summary["sampling"] == {"max_tokens": 2000}
    _, _, default_sent = runs["default"]
    assert all(b["temperature"] == 0.0 and b["top_p"] == 1.0 and b["seed"] == 0 for b in default_sent)


def test_exact_reference_filters(runs):
    _, summary, _ = runs["docmatix"]
    assert summary["filter_preset"] == REFERENCE_PRESET and summary["profile"] == "docmatix"
    config = RunConfig.from_json(summary["config"])
    assert [f.name for f in filters_from(config)] == [f.name for f in filters_from(
        RunConfig([], "", filters=PRESETS[REFERENCE_PRESET]))]
    # The fake server's answers ("The document text contains the word ...") are mostly not in the page
    # text: the default (strict) preset drops them as ungrounded, the reference rules keep them.
    allowed = set(REFERENCE_PATTERNS) | {"empty_question", "empty_answer"}
    _, default, _ = runs["default"]
    assert set(default["pairs_dropped_by_reason"]) - allowed
    assert set(summary["pairs_dropped_by_reason"]) <= allowed
    assert summary["pairs_kept"] > default["pairs_kept"]


def test_compare_puts_the_two_runs_side_by_side(runs, tmp_path):
    a, sa, _ = runs["default"]
    b, sb, _ = runs["docmatix"]
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "compare", str(a), str(b), "--json", "-"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {(r["section"], r["name"]): (r["a"], r["b"]) for r in json.loads(proc.stdout)["rows"]}
    assert rows[("settings", "profile")] == ("default", "docmatix")
    assert rows[("documents rejected by reason", "page_too_long")] == (0, 1)
    assert rows[("totals", "pairs")] == (sa["pairs_kept"], sb["pairs_kept"])
    for reason, n in sa["pairs_dropped_by_reason"].items():
        assert rows[("pairs dropped by reason", reason)] == (n, sb["pairs_dropped_by_reason"].get(reason, 0))
    for template, n in sb["pairs_kept_by_template"].items():
        assert rows[("template yield", f"{template} kept")][1] == n
    assert ("lengths and rates", "answer chars mean") in rows
    table = subprocess.run([sys.executable, "-m", "docmatix.cli", "compare", str(a), str(b)],
                           capture_output=True, text=True, timeout=300, cwd=REPO)
    assert table.returncode == 0 and "page_too_long" in table.stdout


def test_profile_recorded_in_the_card_and_pdf_and_zero_shot_configs_load(runs, tmp_path):
    out, summary, _ = runs["docmatix"]  # two rows written: one for the test split, one for train
    dest = tmp_path / "published"
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "publish", str(out), str(dest), "--config", "pdf",
                           "--zero-shot-exp", "1,5"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    card = yaml.safe_load((dest / "README.md").read_text().split("---\n", 2)[1])
    configs = {c["config_name"]: c["data_files"] for c in card["configs"]}
    assert configs == {
        "default": [{"split": "train", "path": "data/train-*"}],
        "pdf": [{"split": "train", "path": "pdf/train-*"}],
        "zero-shot-exp": [{"split": "test", "path": "zero-shot-exp/test-*"},
                          {"split": "train", "path": "zero-shot-exp/train-*"}],
    }
    run_stats = card["docmatix_run"]
    assert run_stats["profile"] == "docmatix" and run_stats["filter_preset"] == REFERENCE_PRESET
    assert run_stats["sampling"] == {"max_tokens": 2000}

    images = load_dataset(str(dest), split="train")
    pdf = load_dataset(str(dest), "pdf", split="train")
    assert len(pdf) == len(images) == summary["documents_written"] == 2
    assert pdf.features["pdf"].dtype == "binary"
    originals = {"0000000": corpus_pdf("001-trivial/minimal-document.pdf").read_bytes(),
                 "0000002": corpus_pdf(PLAIN_PDF).read_bytes()}
    keys = pq.read_table(out / "meta", columns=["key"])["key"].to_pylist()
    assert [row["pdf"] for row in pdf] == [originals[k] for k in keys]
    assert [row["texts"] for row in pdf] == [row["texts"] for row in images]

    zero_shot = load_dataset(str(dest), "zero-shot-exp")
    assert (len(zero_shot["test"]), len(zero_shot["train"])) == (1, 1)
    assert zero_shot["test"][0]["texts"] == images[0]["texts"]
    assert zero_shot["train"][0]["texts"] == images[1]["texts"]
    assert len(zero_shot["train"][0]["images"]) == len(images[1]["images"])


def test_pdf_config_needs_the_inputs(runs, tmp_path):
    """The PDF bytes are re-read from the run's inputs: gone inputs stop the publish with a named reason."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(runs["docmatix"][0], out)
    summary = json.loads((out / "summary.json").read_text())
    summary["config"]["inputs"] = [str(tmp_path / "moved-away")]
    (tmp_path / "moved-away").mkdir()
    (out / "summary.json").write_text(json.dumps(summary))
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "publish", str(out), str(tmp_path / "dest"),
                           "--config", "pdf"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode != 0
    assert "pdfa-eng-train-0000" in proc.stderr and "no longer hold" in proc.stderr
