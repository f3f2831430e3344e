"""The run summary (summary.json) and manifest (manifest.json), built from the units' done markers.

The manifest holds content only (files, hashes, counts that do not depend on the request cache), so two
runs that write the same output write the same manifest. Timings are per invocation: the summary's
`runs` list gains one entry per `docmatix run`, and `wall_time_s` sums the invocations that did work,
so a resume with nothing left to do keeps the first run's figures.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import fsspec

from docmatix.pipeline.s6_write import read_done_markers
from docmatix.schemas.output import INVOCATION_COUNTS, UnitCounts
from docmatix.schemas.output_layout import OutputLayout


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
        content_counts = {k: v for k, v in marker["counts"].items() if k not in INVOCATION_COUNTS}
        units[unit_id] = {"counts": content_counts, "files": marker["files"]}
    summary = {**asdict(totals), "units_total": len(unit_ids), "units_done": len(units), **extra}
    manifest = {"units": units}
    return summary, manifest


def run_timings(output: str, this_run: dict) -> dict:
    """`runs` (every invocation so far, this one last) and `wall_time_s` (the ones that processed units)."""
    fs, root = fsspec.core.url_to_fs(output)
    path = OutputLayout(root).summary
    runs: list[dict] = []
    if fs.exists(path):
        with fs.open(path) as f:
            previous = json.load(f)
        # A summary written before `runs` existed counts as one invocation that did the work.
        runs = previous.get("runs") or [{"wall_time_s": previous.get("wall_time_s", 0.0),
                                         "units_processed": previous.get("units_done", 0)}]
    runs.append(this_run)
    working = [r["wall_time_s"] for r in runs if r.get("units_processed")]
    return {"runs": runs, "wall_time_s": round(sum(working), 3)}


def write_json(output: str, name: str, data: dict) -> None:
    """`name` (SUMMARY or MANIFEST of schemas/output_layout.py) under the output, replaced atomically."""
    fs, root = fsspec.core.url_to_fs(output)
    path = OutputLayout(root).path(name)
    with fs.open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    fs.mv(path + ".tmp", path)
