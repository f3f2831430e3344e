"""The run summary (summary.json) and manifest (manifest.json), built from the units' done markers."""

from __future__ import annotations

import json
import posixpath
from dataclasses import asdict

import fsspec

from pipeline.s6_write import read_done_markers
from schemas.output import UnitCounts


def build_summary(output: str, unit_ids: list[str], extra: dict) -> tuple[dict, dict]:
    markers = read_done_markers(output)
    totals = UnitCounts()
    units = {}
    for unit_id in unit_ids:
        marker = markers.get(unit_id)
        if marker is None:
            continue
        counts = UnitCounts.from_dict(marker["counts"])
        totals.add(counts)
        units[unit_id] = {"counts": marker["counts"], "files": marker["files"]}
    summary = {**asdict(totals), "units_total": len(unit_ids), "units_done": len(units), **extra}
    manifest = {"units": units}
    return summary, manifest


def write_json(output: str, name: str, data: dict) -> None:
    fs, root = fsspec.core.url_to_fs(output)
    path = posixpath.join(root, name)
    with fs.open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    fs.mv(path + ".tmp", path)
