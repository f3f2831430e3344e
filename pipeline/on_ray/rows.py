"""How records ride through Ray Data: one row per record, in typed Arrow columns.

    unit_id, seq, kind, key   which document of which unit this is, and what stage it has reached
    unit_documents            on the unit's end marker: how many documents the unit has (else -1)
    images                    the page images (list<binary>), apart from everything else, so a stage that
                              needs only text (generation) never decodes or copies them
    record                    the record itself with its images taken out (pickled: records nest lists of
                              pages, chunks and pairs that no stage reads column-wise)

Rows of every kind share this one schema, so Ray never has to unify Arrow types between blocks.
Up to extraction every document is its own block (pipeline/run.py); the stages after it take
DOCUMENTS_PER_BATCH rows at a time.
"""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from docmatix.schemas.records import (
    ExtractedDocument,
    FinishedDocument,
    RejectedDocument,
    SourceDocument,
    WorkUnit,
)


@dataclass
class UnitEnd:
    """Tells whoever commits a unit how many documents to wait for. It can arrive before or after them."""

    unit_id: str
    documents: int


KINDS: dict[type, str] = {WorkUnit: "unit", SourceDocument: "source", ExtractedDocument: "extracted",
                          RejectedDocument: "rejected", FinishedDocument: "finished", UnitEnd: "unit_end"}
DOCUMENT_KINDS = ("source", "extracted", "rejected", "finished")  # what counts towards a unit's documents
DOCUMENTS_PER_BATCH = 16  # rows per call of each stage after extraction (generation, writing, ray-vllm's parsing)

ROW_SCHEMA = pa.schema([
    ("unit_id", pa.string()), ("seq", pa.int64()), ("kind", pa.string()), ("key", pa.string()),
    ("unit_documents", pa.int64()), ("images", pa.list_(pa.binary())), ("record", pa.binary()),
])


def _image_holder(record: Any) -> ExtractedDocument | None:
    """The document inside `record` that carries page images (None for records without any)."""
    if isinstance(record, ExtractedDocument):
        return record
    if isinstance(record, FinishedDocument):
        return record.document
    return None


def _with_images(record: Any, images: list[bytes]) -> Any:
    """`record` with its image holder's images replaced (the record must have a holder)."""
    holder = _image_holder(record)
    document = dataclasses.replace(holder, images=list(images))
    return document if holder is record else dataclasses.replace(record, document=document)


def _split_images(record: Any) -> tuple[Any, list[bytes]]:
    holder = _image_holder(record)
    if holder is None or not holder.images:
        return record, []
    return _with_images(record, []), holder.images


def encode_record(record: Any) -> bytes:
    return pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def decode_record(data: bytes) -> Any:
    """A record column's value, without its images (they are in the row's `images` column)."""
    return pickle.loads(data)


def to_row(unit_id: str, seq: int, record: Any) -> dict[str, Any]:
    bare, images = _split_images(record)
    return {"unit_id": unit_id, "seq": seq, "kind": KINDS[type(record)], "key": getattr(record, "key", ""),
            "unit_documents": record.documents if isinstance(record, UnitEnd) else -1,
            "images": images, "record": encode_record(bare)}


def from_row(row: dict[str, Any], with_images: bool = True) -> Any:
    """The record of a row; with `with_images=False` its images stay out (a stage that reads only text).

    A row whose record cannot carry images (a document the generation stage rejected) may still hold the
    images it had when it arrived there: the images column passes through that stage untouched, so they
    are ignored here rather than copied out of the column."""
    record = decode_record(row["record"])
    if with_images and row.get("images") and _image_holder(record) is not None:
        return _with_images(record, row["images"])
    return record


def replace_record(row: dict[str, Any], record: Any) -> dict[str, Any]:
    """The row carrying `record` instead (its images included, when it has any)."""
    return to_row(row["unit_id"], int(row["seq"]), record)


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=ROW_SCHEMA)


def with_records(table: pa.Table, changed: dict[int, Any]) -> pa.Table:
    """`table` with the records at the given row indices replaced, every other column as it was.

    The replacements are image-less (they were decoded with `with_images=False`), so the images column is
    reused as is: no image byte is copied by a stage that only reads text."""
    if not changed:
        return table
    kinds, keys, records = (table[name].to_pylist() for name in ("kind", "key", "record"))
    for i, record in changed.items():
        kinds[i], keys[i], records[i] = KINDS[type(record)], getattr(record, "key", ""), encode_record(record)
    for name, values in (("kind", kinds), ("key", keys), ("record", records)):
        table = table.set_column(table.schema.get_field_index(name), ROW_SCHEMA.field(name),
                                 pa.array(values, ROW_SCHEMA.field(name).type))
    return table
