"""The output layout is spelled in one module (schemas/output_layout.py): a path of it written as a string
literal anywhere else in the product code is a writer and a reader that can drift apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from docmatix.schemas.output_layout import (
    LOCAL_REQUEST_INDEX,
    MANIFEST,
    SUMMARY,
    OutputLayout,
    done_marker_path,
    holds_rows,
    is_shard,
    lists_documents,
    meta_path,
    rejects_path,
    shard_name,
)

REPO = Path(__file__).resolve().parent.parent
PRODUCT_DIRS = ("pipeline", "docmatix", "filters", "schemas")
LAYOUT_MODULE = REPO / "schemas" / "output_layout.py"

# A layout name inside a string: the hidden folders as words of their own (`units_done`, `prompt_cache`
# are not), the two visible folders followed by a slash, and the file names. A bare folder name
# ("meta", "_done") is a path segment passed to a join.
LAYOUT_LITERAL = re.compile(r"(?<![\w.])(_done|_tmp|_cache|_publish)(?!\w)|(?<![\w.])(meta|rejects)/"
                            r"|summary\.json|manifest\.json|requests\.sqlite")
LAYOUT_SEGMENTS = frozenset({"meta", "rejects"})


def layout_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string constant that spells a layout path, docstrings left out (comments are
    not in the AST)."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and (LAYOUT_LITERAL.search(node.value) or node.value in LAYOUT_SEGMENTS)):
            found.append((node.lineno, node.col_offset, node.value))
    return [(line, text) for line, _, text in sorted(found)]


def product_files() -> list[Path]:
    return sorted(p for d in PRODUCT_DIRS for p in (REPO / d).rglob("*.py") if p != LAYOUT_MODULE)


def test_finder_sees_literals_and_skips_docstrings_and_comments():
    source = '''
"""Writes summary.json and meta/ (a docstring)."""
import posixpath
# _done/ in a comment
def f(root, out):
    """rejects/documents/ in a docstring"""
    a = posixpath.join(root, "_done", "x.json")
    b = f"{out}/rejects/documents/"
    c = "meta"
    d = {"units_done": 1, "prompt_cache": True, "metadata": "meta data", "mixture.json": 0}
    return "no summary.json here", a, b, c, d, "_cache/requests.sqlite"
'''
    assert layout_literals(source) == [(7, "_done"), (8, "/rejects/documents/"), (9, "meta"),
                                       (11, "no summary.json here"), (11, "_cache/requests.sqlite")]


def test_product_code_has_no_layout_literal():
    files = product_files()
    assert len(files) > 50 and REPO / "pipeline" / "s6_write.py" in files  # the scan sees the code
    offenders = [f"{path.relative_to(REPO)}:{line}: {text!r}"
                 for path in files for line, text in layout_literals(path.read_text())]
    assert not offenders, "layout paths outside schemas/output_layout.py:\n" + "\n".join(offenders)


def test_layout_paths():
    layout = OutputLayout("/out")
    name = shard_name("pdfa-eng-train-0000", 3)
    assert name == "pdfa-eng-train-0000-00003.parquet" and is_shard(name) and holds_rows(name)
    assert meta_path(name) == f"meta/{name}" and not is_shard(meta_path(name)) and not holds_rows(meta_path(name))
    assert rejects_path("pairs", "u") == "rejects/pairs/u.parquet" and not holds_rows(rejects_path("pairs", "u"))
    assert lists_documents(meta_path(name)) and lists_documents(rejects_path("documents", "u"))
    assert not lists_documents(rejects_path("pairs", "u")) and not lists_documents(name)
    assert holds_rows("data/train-00000-of-00001.parquet") and not holds_rows("pdf/train-00000-of-00001.parquet")
    with pytest.raises(ValueError):
        rejects_path("document", "u")  # a typo is an error, not a folder nobody reads
    assert layout.done_marker("u") == "/out/" + done_marker_path("u") == "/out/_done/u.json"
    assert layout.done_marker_glob == "/out/_done/*.json"
    assert layout.unit_tmp("u", "ab12") == "/out/_tmp/u.ab12" and layout.unit_tmp_glob("u") == "/out/_tmp/u.*"
    assert (layout.summary, layout.manifest) == (f"/out/{SUMMARY}", f"/out/{MANIFEST}") == (
        "/out/summary.json", "/out/manifest.json")
    assert LOCAL_REQUEST_INDEX == "_cache/requests.sqlite"


def test_writer_and_readers_agree_on_a_written_unit(tmp_path):
    """What UnitWriter writes is where the reader, verify and publish look for it."""
    from docmatix.output.reader import OutputReader
    from docmatix.pipeline.run_summary import build_summary, write_json
    from docmatix.pipeline.s6_write import UnitWriter, read_done_markers, remove_partial_unit
    from docmatix.publish.repo_layout import output_shards, read_summary
    from docmatix.schemas.records import RejectedDocument
    from docmatix.schemas.reject_reasons import ENCRYPTED

    writer = UnitWriter(str(tmp_path), "u")
    writer.add_rejected(RejectedDocument("k1", "u", "origin.pdf", "extract", ENCRYPTED))
    marker = writer.commit()
    assert marker["files"] == {rejects_path("documents", "u"): marker["files"][rejects_path("documents", "u")]}
    assert (tmp_path / rejects_path("documents", "u")).exists() and (tmp_path / done_marker_path("u")).exists()
    assert list(read_done_markers(str(tmp_path))) == ["u"] and output_shards(str(tmp_path)) == []
    summary, manifest = build_summary(str(tmp_path), ["u"], {"config": {}})
    write_json(str(tmp_path), SUMMARY, summary)
    write_json(str(tmp_path), MANIFEST, manifest)
    assert read_summary(str(tmp_path))["documents_rejected"] == 1
    with OutputReader(str(tmp_path)) as reader:
        assert reader.shards == [] and reader.summary["units_done"] == 1
        assert [r["key"] for r in reader.rejected_documents()] == ["k1"]
    left = UnitWriter(str(tmp_path), "v")  # an interrupted attempt leaves its tmp folder ...
    assert (tmp_path / "_tmp").exists() and any((tmp_path / "_tmp").glob("v.*"))
    remove_partial_unit(str(tmp_path), left.unit_id)  # ... which the next run removes
    assert not any((tmp_path / "_tmp").glob("v.*"))
