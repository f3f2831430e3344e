"""A unit's output rolls over into several shards (`--rows-per-shard`, `--bytes-per-shard`) and every
shard, not only the last, lands in the output and its done marker."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from docmatix.filters.presets import build_preset
from docmatix.pipeline.s5_filter import filter_document
from docmatix.pipeline.s6_write import UnitWriter
from tests.test_filters_accounting import chunk_result, document, png

KEYS = ["0000001", "0000002", "0000003"]


def finished(key: str):
    pairs = [("What is the invoice total?", "The total is 110 EUR.")]
    return filter_document(document(key, chunk_result(0, "whole_document", pairs)), build_preset("docmatix"))


@pytest.mark.parametrize("limits", [{"rows_per_shard": 1}, {"bytes_per_shard": len(png())}],
                         ids=["rows", "bytes"])
def test_every_rolled_over_shard_is_committed(tmp_path, limits):
    writer = UnitWriter(str(tmp_path), "unit-0", **limits)
    for key in KEYS:
        writer.add_finished(finished(key))
    marker = writer.commit()

    shards = sorted(p.name for p in tmp_path.glob("*.parquet"))
    assert shards == ["unit-0-00000.parquet", "unit-0-00001.parquet", "unit-0-00002.parquet"]
    keys = [row["key"] for name in shards for row in pq.read_table(tmp_path / "meta" / name).to_pylist()]
    assert keys == KEYS  # each document once, in order
    assert sum(pq.read_table(tmp_path / name).num_rows for name in shards) == len(KEYS)
    assert marker["counts"]["documents_written"] == len(KEYS)
    assert {name for name in marker["files"] if name.endswith(".parquet") and "/" not in name} == set(shards)
    assert json.loads((tmp_path / "_done" / "unit-0.json").read_text()) == marker
    assert not list((tmp_path / "_tmp").iterdir())


def test_one_shard_when_under_the_limits(tmp_path):
    writer = UnitWriter(str(tmp_path), "unit-0", rows_per_shard=10)
    for key in KEYS:
        writer.add_finished(finished(key))
    writer.commit()
    assert [p.name for p in tmp_path.glob("*.parquet")] == ["unit-0-00000.parquet"]
