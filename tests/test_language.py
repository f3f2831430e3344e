"""Document language (pipeline/extract/language.py): the wheel's model works offline, detects real and
generated documents' languages, and `--languages` rejects the others in a real run, counted in
summary.json, rejects, meta and `docmatix stats`."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pymupdf
import pytest

from docmatix.output.reader import OutputReader
from docmatix.output.stats import compute_stats
from docmatix.pipeline.extract.language import detect_language, rejected_language, tag_language
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.sample.pdfa_shards import write_shard
from docmatix.schemas.records import ExtractedDocument, RejectedDocument, SourceDocument
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

FRENCH = ("Conditions générales de vente. Le client doit payer la facture dans un délai de trente jours "
          "à compter de la date de livraison. En cas de retard, des pénalités seront appliquées et la "
          "commande pourra être suspendue jusqu'au paiement complet des sommes dues.")
GERMAN = ("Allgemeine Geschäftsbedingungen. Der Kunde muss die Rechnung innerhalb von dreißig Tagen nach "
          "dem Lieferdatum bezahlen. Bei Verzug werden Mahngebühren berechnet und die Bestellung kann "
          "bis zur vollständigen Zahlung ausgesetzt werden.")
ENGLISH_PDF = "011-google-doc-document/google-doc-document.pdf"


def text_pdf(text: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    assert page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), text, fontsize=11) >= 0
    return doc.tobytes()


def extracted(key: str, pdf: bytes) -> ExtractedDocument:
    doc = extract_document(SourceDocument(key, "u", "test", pdf), ExtractSettings(ocr=False))
    assert isinstance(doc, ExtractedDocument), doc
    return doc


def test_model_loads_and_classifies_with_the_network_blocked():
    # The model must come from the installed wheel: any socket use raises in this child.
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('network used')\n"
            "socket.socket = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
            "from docmatix.pipeline.extract.language import detect_language\n"
            f"print(detect_language({FRENCH!r}).code)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "fr"


def test_languages_of_real_and_generated_pdfs():
    english = extracted("en", corpus_pdf(ENGLISH_PDF).read_bytes())
    lorem = extracted("la", corpus_pdf("001-trivial/minimal-document.pdf").read_bytes())  # Lorem ipsum
    arabic = extracted("ar", corpus_pdf("015-arabic/habibi-rotated.pdf").read_bytes())
    french, german = extracted("fr", text_pdf(FRENCH)), extracted("de", text_pdf(GERMAN))
    for doc, code in ((english, "en"), (lorem, "la"), (arabic, "ar"), (french, "fr"), (german, "de")):
        tagged = tag_language(doc, [])
        assert isinstance(tagged, ExtractedDocument)
        assert tagged.language == code and tagged.language_probability > 0.9, (code, tagged.language)
    assert detect_language("12 34 -- 56").code == "und"  # no letters: undetermined, not a guess


def test_languages_setting_rejects_the_others_with_reason_and_detected_code():
    french = extracted("fr", text_pdf(FRENCH))
    rejected = tag_language(french, ["en", "de"])
    assert isinstance(rejected, RejectedDocument)
    assert (rejected.reason, rejected.stage, rejected.key) == ("language", "language", "fr")
    assert rejected_language(rejected.error) == "fr"
    assert isinstance(tag_language(french, ["en", "fr"]), ExtractedDocument)


@pytest.mark.slow
def test_run_with_languages_rejects_and_counts(tmp_path):
    english = [corpus_pdf(p).read_bytes() for p in ("021-pdfa/crazyones-pdfa.pdf", ENGLISH_PDF)]
    shard = tmp_path / "pdfa-eng-train-0000.tar"
    write_shard(shard, [("0000000", english[0]), ("0000001", text_pdf(FRENCH)), ("0000002", english[1])])
    out = tmp_path / "out"
    with FakeServer() as server:
        cmd = [sys.executable, "-m", "docmatix.cli", "run", str(shard), "--output", str(out), "--endpoint",
               server.base_url, "--no-progress", "--max-tokens", "256", "--filter-preset", "docmatix",
               "--languages", "en,de"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["documents_rejected_by_reason"].get("language") == 1
    assert s["documents_by_language"]["fr"] == 1 and s["documents_by_language"]["en"] == 2
    rejects = pq.read_table(out / "rejects" / "documents").to_pylist()
    lang = [r for r in rejects if r["reason"] == "language"]
    assert [r["key"] for r in lang] == ["0000001"] and lang[0]["error"].startswith("fr ")
    meta = pq.read_table(out / "meta").to_pylist()
    assert meta and {m["language"] for m in meta} == {"en"}
    assert "0000001" not in {m["key"] for m in meta}

    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "stats", str(out), "--json", "-"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)
    assert stats["language"] == {"documents": {"en": len(meta)}, "rejected": {"fr": 1}}

    # An output written before the language columns existed still reads (no language counts for rows).
    for path in (out / "meta").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["language", "language_probability"]), path)
    with OutputReader(str(out)) as reader:
        old = compute_stats(reader)
    assert old.documents == len(meta) and not old.languages and old.languages_rejected == {"fr": 1}
