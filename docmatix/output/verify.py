"""Check an output directory against its manifest and its inputs.

- every file the manifest lists exists and has the recorded sha256 and row count;
- no Parquet shard exists that the manifest does not list (a leftover of an interrupted attempt);
- every input document appears exactly once: as an output row (meta/) or a rejected document.
"""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from dataclasses import dataclass, field

import fsspec
import pyarrow.parquet as pq

from docmatix.pipeline.s1_read import SHARD_KEY, discover_units, unit_keys
from docmatix.pipeline.s6_write import file_sha256
from docmatix.schemas.output_layout import MANIFEST, PARQUET, OutputLayout, lists_documents, meta_path


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0
    documents_expected: int = 0
    documents_found: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _keys(fs: fsspec.AbstractFileSystem, path: str, column: str = "key") -> list[str]:
    with fs.open(path, "rb") as f:
        return pq.read_table(f, columns=[column], use_threads=False).column(column).to_pylist()


def _input_keys(inputs: list[str], pdfs_per_unit: int) -> dict[str, list[str]]:
    """unit_id -> document keys, from file and tar member names (no PDF body is read)."""
    return {unit.unit_id: unit_keys(unit) for unit in discover_units(inputs, pdfs_per_unit)}


def verify_output(output: str, check_inputs: bool = True) -> VerifyReport:
    report = VerifyReport()
    fs, root = fsspec.core.url_to_fs(output)
    layout = OutputLayout(root)
    if not fs.exists(layout.manifest):
        report.problems.append(f"no {MANIFEST} in {output}")
        return report
    with fs.open(layout.manifest) as f:
        manifest = json.load(f)
    listed: set[str] = set()
    for unit_id, unit in sorted(manifest["units"].items()):
        for rel, info in sorted(unit["files"].items()):
            listed.add(rel)
            path = layout.path(rel)
            report.files_checked += 1
            if not fs.exists(path):
                report.problems.append(f"{rel}: listed for unit {unit_id} but missing")
                continue
            if file_sha256(fs, path) != info["sha256"]:
                report.problems.append(f"{rel}: content differs from the manifest (sha256)")
            rows = pq.ParquetFile(fs.open(path, "rb")).metadata.num_rows
            if rows != info["rows"]:
                report.problems.append(f"{rel}: {rows} rows, manifest says {info['rows']}")
    for path in fs.glob(layout.path(f"*{PARQUET}")) + fs.glob(layout.path(meta_path(f"*{PARQUET}"))):
        rel = posixpath.relpath(path, root)
        if rel not in listed:
            report.problems.append(f"{rel}: not in the manifest (left by an interrupted run?)")
    if check_inputs:
        _check_documents(fs, root, manifest, report)
    return report


def _check_documents(fs: fsspec.AbstractFileSystem, root: str, manifest: dict, report: VerifyReport) -> None:
    layout = OutputLayout(root)
    with fs.open(layout.summary) as f:
        config = json.load(f)["config"]
    expected = _input_keys(config["inputs"], config["pdfs_per_unit"])
    for unit_id, keys in sorted(expected.items()):
        report.documents_expected += len(keys)
        unit = manifest["units"].get(unit_id)
        if unit is None:
            report.problems.append(f"unit {unit_id}: not done ({len(keys)} documents missing)")
            continue
        seen: Counter[str] = Counter()
        for rel in unit["files"]:
            if lists_documents(rel):
                seen.update(_keys(fs, layout.path(rel)))
        seen.pop(SHARD_KEY, None)
        report.documents_found += sum(seen.values())
        for key, n in sorted(seen.items()):
            if n > 1:
                report.problems.append(f"unit {unit_id}: document {key} appears {n} times")
        want = Counter(keys)
        want.pop(SHARD_KEY, None)
        for key in sorted(set(want) - set(seen)):
            report.problems.append(f"unit {unit_id}: document {key} is neither written nor rejected")
        for key in sorted(set(seen) - set(want)):
            report.problems.append(f"unit {unit_id}: document {key} is not in the input")
