"""How records ride through Ray Data: one row per record, the record pickled in a binary column.

Records of different types (documents, rejections, end-of-unit markers) share one stream and one row
schema, so Ray never has to unify their Arrow types.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any


@dataclass
class UnitEnd:
    """Last record of a unit's stream: tells the writer the unit is complete."""

    unit_id: str
    documents: int


def to_row(unit_id: str, seq: int, record: Any) -> dict[str, Any]:
    return {"unit_id": unit_id, "seq": seq, "record": pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)}


def from_row(row: dict[str, Any]) -> Any:
    return pickle.loads(row["record"])


def replace_record(row: dict[str, Any], record: Any) -> dict[str, Any]:
    return to_row(row["unit_id"], int(row["seq"]), record)
