"""Where every file of a run's output lives: the one place the writer and every reader take paths from.

    <unit>-<part>.parquet            Cauldron rows (the top level: what `load_dataset` reads)
    meta/<shard name>                one metadata row per Cauldron row, same order
    rejects/{documents,pairs,chunks}/<unit>.parquet
    _done/<unit>.json                a unit's done marker: counts and file hashes, written last
    _tmp/<unit>.<attempt>/           a unit in the making (parts from the workers, files before the move)
    _cache/requests/                 answered LLM requests, shared by every node and every rerun
    _cache/requests.sqlite           the request index of a run on a local filesystem
    _publish/<config>/               staged files of the extra published configs (pdf, zero-shot-exp)
    summary.json, manifest.json      the run's totals; the content manifest

Paths are relative to the output root unless an `OutputLayout` makes them absolute. No other module
spells these names (tests/test_output_layout.py fails on a layout literal anywhere else).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

META_DIR = "meta"
REJECTS_DIR = "rejects"
REJECT_KINDS = ("documents", "pairs", "chunks")
DONE_DIR = "_done"
TMP_DIR = "_tmp"
CACHE_DIR = "_cache"
PUBLISH_DIR = "_publish"
SUMMARY = "summary.json"
MANIFEST = "manifest.json"
# Top-level folders that hold no Cauldron rows (pdf/ and zero-shot-exp/ are other configs of a published copy).
NON_ROW_DIRS = frozenset({META_DIR, REJECTS_DIR, DONE_DIR, TMP_DIR, CACHE_DIR, PUBLISH_DIR, "pdf", "zero-shot-exp"})


PARQUET = ".parquet"
DONE_MARKER = ".json"


def shard_name(unit_id: str, part: int) -> str:
    return f"{unit_id}-{part:05d}{PARQUET}"


def is_shard(relative: str) -> bool:
    """A Cauldron shard of a run: a Parquet file at the top of the output (meta/ and rejects/ are below)."""
    return "/" not in relative and relative.endswith(PARQUET)


def holds_rows(relative: str) -> bool:
    """Whether a Parquet file found anywhere under an output (or a published copy) can hold Cauldron rows."""
    return relative.split("/")[0] not in NON_ROW_DIRS


def meta_path(shard: str) -> str:
    """The meta/ sidecar of a shard (both relative to the output root)."""
    return posixpath.join(META_DIR, posixpath.basename(shard))


def rejects_dir(kind: str) -> str:
    """The folder of one kind of rejects (documents, pairs, chunks); an unknown kind is an error, not a
    path nobody writes."""
    if kind not in REJECT_KINDS:
        raise ValueError(f"unknown rejects kind {kind!r}")
    return posixpath.join(REJECTS_DIR, kind)


def rejects_path(kind: str, unit_id: str) -> str:
    return posixpath.join(rejects_dir(kind), f"{unit_id}{PARQUET}")


def lists_documents(relative: str) -> bool:
    """A file with one row per input document, keyed by `key`: a meta sidecar or a unit's rejected
    documents (together they hold every document of a unit exactly once)."""
    return posixpath.dirname(relative) in (META_DIR, rejects_dir("documents"))


REQUEST_SEGMENTS = posixpath.join(CACHE_DIR, "requests")
REQUEST_INDEX_FILE = "requests.sqlite"
LOCAL_REQUEST_INDEX = posixpath.join(CACHE_DIR, REQUEST_INDEX_FILE)


def output_url(output: str, relative: str) -> str:
    """`relative` under an output given as a path or an fsspec URL, keeping its protocol."""
    return f"{output.rstrip('/')}/{relative}"


def done_marker_path(unit_id: str) -> str:
    return posixpath.join(DONE_DIR, f"{unit_id}{DONE_MARKER}")


def publish_staging_path(path_in_repo: str) -> str:
    """Where a generated file of a published config waits before it is sent."""
    return posixpath.join(PUBLISH_DIR, path_in_repo)


@dataclass(frozen=True)
class OutputLayout:
    """Absolute paths under one output root (a local path or an fsspec path without its protocol)."""

    root: str

    def path(self, relative: str) -> str:
        return posixpath.join(self.root, relative)

    @property
    def done_dir(self) -> str:
        return self.path(DONE_DIR)

    def done_marker(self, unit_id: str) -> str:
        return self.path(done_marker_path(unit_id))

    @property
    def done_marker_glob(self) -> str:
        return self.done_marker("*")

    def unit_tmp(self, unit_id: str, attempt: str) -> str:
        """A unit's temporary folder for one attempt; `unit_tmp_glob` finds every attempt's."""
        return self.path(posixpath.join(TMP_DIR, f"{unit_id}.{attempt}"))

    def unit_tmp_glob(self, unit_id: str) -> str:
        return self.path(posixpath.join(TMP_DIR, f"{unit_id}.*"))

    def part_file(self, unit_id: str, run_id: str, name: str) -> str:
        return posixpath.join(self.unit_tmp(unit_id, run_id), "parts", f"{name}.parquet")

    def parts_dir(self, unit_id: str, run_id: str) -> str:
        return posixpath.join(self.unit_tmp(unit_id, run_id), "parts")

    @property
    def cache_dir(self) -> str:
        return self.path(CACHE_DIR)

    @property
    def summary(self) -> str:
        return self.path(SUMMARY)

    @property
    def manifest(self) -> str:
        return self.path(MANIFEST)
