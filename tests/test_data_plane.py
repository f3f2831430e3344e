"""The cluster-shaped data plane: typed rows, per-unit parts in any order, counted commits, shared cache."""

from __future__ import annotations

import json
import random

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from docmatix.pipeline.generate.request_cache import RequestCache, compact_unit_segments
from docmatix.pipeline.on_ray.generate_stage import generate_actors, per_actor_in_flight
from docmatix.pipeline.on_ray.rows import ROW_SCHEMA, UnitEnd, from_row, rows_to_table, to_row, with_records
from docmatix.pipeline.on_ray.unit_commit import ShardLimits, UnitTracker, commit_unit
from docmatix.pipeline.on_ray.unit_parts import rows_in_order, write_parts
from docmatix.schemas.records import ExtractedDocument, FinishedDocument, PageText, QAPair, RejectedDocument


def extracted(key: str, unit: str = "u") -> ExtractedDocument:
    pages = [PageText(0, f"text of {key}", "text_layer")]
    return ExtractedDocument(key, unit, "origin.tar", f"PDFA key: {key}", pages, [f"png of {key}".encode()])


def finished(doc: ExtractedDocument) -> FinishedDocument:
    pair = QAPair(f"What is {doc.key}?", f"It is {doc.key}.", "t", 0)
    return FinishedDocument(doc.key, doc.unit_id, doc, [pair], [], [])


def test_images_ride_in_their_own_column_and_generation_never_copies_them():
    doc = extracted("a")
    row = to_row("u", 0, doc)
    assert row["kind"] == "extracted" and row["images"] == [b"png of a"]
    assert b"png of a" not in row["record"]  # the pickled record is image-less
    assert from_row(row).images == [b"png of a"]
    assert from_row(row, with_images=False).images == []
    table = rows_to_table([row, to_row("u", 1, UnitEnd("u", 1))])
    assert table.schema == ROW_SCHEMA
    done = finished(from_row(table.to_pylist()[0], with_images=False))
    out = with_records(table, {0: done})
    assert out["kind"].to_pylist() == ["finished", "unit_end"]
    # the very same Arrow buffers: the generation stage did not touch the images
    assert out["images"].chunks[0].buffers() == table["images"].chunks[0].buffers()
    back = from_row(out.to_pylist()[0])
    assert back.document.images == [b"png of a"] and back.kept[0].question == "What is a?"


def test_a_rejection_made_after_extraction_ignores_the_images_it_still_carries():
    table = rows_to_table([to_row("u", 0, extracted("a"))])
    rejected = RejectedDocument("a", "u", "origin.tar", "chunk", "page_too_long")
    row = with_records(table, {0: rejected}).to_pylist()[0]
    assert row["images"] and from_row(row) == rejected


def test_parts_are_read_back_in_document_order_whatever_order_they_were_written(tmp_path):
    records = [finished(extracted(f"k{i}")) for i in range(20)] + [UnitEnd("u", 20)]
    rows = [to_row("u", i, r) for i, r in enumerate(records)]
    random.Random(0).shuffle(rows)
    parts = []
    for start in range(0, len(rows), 6):  # batches of mixed seqs, as an unordered stream hands them out
        result = write_parts(rows_to_table(rows[start:start + 6]), str(tmp_path), "run1")
        parts += result["part"].to_pylist()
    fs = fsspec.filesystem("file")
    seqs = [r["seq"] for r in rows_in_order(fs, parts, cached_groups=1)]
    assert seqs == list(range(21))


def test_a_unit_commits_when_its_documents_are_counted_not_when_its_end_arrives():
    committed = []
    tracker = UnitTracker(commit=lambda unit, parts: committed.append((unit, parts)) or unit,
                          wait=lambda handles, timeout: ([(h, {"unit_id": h}) for h in handles], []))
    tracker.add("a", "a/p1", 2, -1)
    tracker.add("b", "b/p1", 0, 1)  # b's end marker first, its document later
    tracker.add("a", "a/p2", 0, 3)  # a's end marker: 2 of 3 seen, not complete
    assert committed == []
    tracker.add("b", "b/p2", 1, -1)
    assert committed == [("b", ["b/p1", "b/p2"])]
    tracker.add("a", "a/p3", 1, -1)
    assert committed[-1] == ("a", ["a/p1", "a/p2", "a/p3"])
    assert tracker.finish() == [] and set(tracker.markers) == {"a", "b"}


def test_an_incomplete_unit_is_left_to_be_redone():
    tracker = UnitTracker(commit=lambda unit, parts: unit, wait=lambda handles, timeout: ([], handles))
    tracker.add("a", "a/p1", 1, 3)
    assert tracker.finish() == ["a"]


def test_commit_writes_the_same_files_as_an_ordered_writer(tmp_path):
    from docmatix.pipeline.s6_write import UnitWriter

    records = [finished(extracted(f"k{i}")) for i in range(7)]
    records.insert(3, RejectedDocument("bad", "u", "origin.tar", "read", "encrypted"))
    ordered = UnitWriter(str(tmp_path / "ordered"), "u", rows_per_shard=3)
    for r in records:
        ordered.add_rejected(r) if isinstance(r, RejectedDocument) else ordered.add_finished(r)
    expected = ordered.commit()
    rows = [to_row("u", i, r) for i, r in enumerate([*records, UnitEnd("u", len(records))])]
    random.Random(1).shuffle(rows)
    out = tmp_path / "parts"
    parts = [p for s in range(0, len(rows), 4)
             for p in write_parts(rows_to_table(rows[s:s + 4]), str(out), "r")["part"].to_pylist()]
    marker = commit_unit(str(out), "u", "r", parts, ShardLimits(rows_per_shard=3))
    assert marker["counts"] == expected["counts"]
    assert {k: v["sha256"] for k, v in marker["files"].items()} == {k: v["sha256"] for k, v in expected["files"].items()}
    assert not (out / "_tmp").exists() or not any((out / "_tmp").iterdir())  # parts removed
    assert json.loads((out / "_done" / "u.json").read_text())["unit_id"] == "u"


def test_answers_are_shared_through_the_output_and_found_by_a_fresh_node(tmp_path):
    shared = str(tmp_path / "out" / "_cache" / "requests")
    first = RequestCache(tmp_path / "node1.sqlite", shared)
    first.put("k1", "answer one", {"completion_tokens": 3}, unit_id="u")
    first.put("k2", "answer two", None, unit_id="u")
    first.put("k3", "other unit", None, unit_id="v")
    assert len(first.flush_segments()) == 2
    first.put("k4", "later", None, unit_id="u")
    first.flush_segments()
    fresh = RequestCache(tmp_path / "node2.sqlite", shared)  # a new node: empty index
    assert fresh.get("k1") is None
    assert fresh.import_unit("u") == 3 and fresh.import_unit("u") == 0  # once per process
    assert fresh.get_with_usage("k1") == ("answer one", {"completion_tokens": 3})
    assert fresh.get("k3") is None  # another unit's answers are not read
    compact_unit_segments(shared, "u")
    assert len(list((tmp_path / "out" / "_cache" / "requests" / "u").glob("*.parquet"))) == 1
    third = RequestCache(tmp_path / "node3.sqlite", shared)
    assert third.import_unit("u") == 3 and third.get("k4") == "later"


def test_segments_are_readable_parquet(tmp_path):
    cache = RequestCache(tmp_path / "c.sqlite", str(tmp_path / "seg"))
    cache.put("k", "v", None, unit_id="u")
    (path,) = cache.flush_segments()
    assert pq.read_table(path).to_pylist() == [{"key": "k", "completion": "v", "usage": None}]


@pytest.mark.parametrize(("configured", "endpoints", "slots", "expected"),
                         [(None, 1, 64, 1), (None, 8, 256, 8), (None, 0, 64, 1), (3, 1, 64, 3)])
def test_generation_actors_grow_with_the_endpoints_slots(configured, endpoints, slots, expected):
    actors = generate_actors(configured, endpoints, slots)
    assert actors == expected
    assert per_actor_in_flight(slots, actors) * actors >= slots  # together they keep every slot busy
    with pytest.raises(ValueError, match="at least 1"):
        generate_actors(0, 1, 64)


def test_row_schema_has_typed_columns():
    assert ROW_SCHEMA.field("images").type == pa.list_(pa.binary())
    assert ROW_SCHEMA.field("seq").type == pa.int64()
