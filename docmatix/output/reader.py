"""Read a run's output for people to look at: a local folder, an fsspec URL or a Hub dataset id.

Only what is shown is read: row counts come from manifest.json or the Parquet footers, a sampled row
is fetched by reading just the row group that holds it (the writer uses 64-row groups) and just the
columns asked for, so looking at one row of a multi-GB shard costs one small read. Each row is joined
with its `meta/` sidecar row (same file name, same row order) and with its document's dropped pairs
and failed chunks from `rejects/`.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from docmatix.schemas.output_layout import (
    MANIFEST,
    PARQUET,
    SUMMARY,
    holds_rows,
    meta_path,
    rejects_dir,
    rejects_path,
)

HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?")
IMAGE_PATHS = "images.list.element.path"  # the Parquet leaf of the image paths (always null in our output)
SOURCE_NAMES = {"text_layer": "text layer", "pdfa_json": "PDFA JSON", "ocr": "OCR", "none": "no text"}


def source_name(source: str | None) -> str:
    return SOURCE_NAMES.get(source, source or "?")


def resolve_location(location: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """A filesystem and root for a path, an fsspec URL, or a Hub dataset id (`owner/name[@rev]`)."""
    if "://" in location:
        return fsspec.core.url_to_fs(location)
    if Path(location).exists():
        return fsspec.core.url_to_fs(str(Path(location).resolve()))
    if HUB_ID.fullmatch(location):
        return fsspec.core.url_to_fs(f"hf://datasets/{location}")
    raise FileNotFoundError(f"no output at {location!r} (not a folder, URL or Hub dataset id)")


def judge_label(judge: dict) -> str:
    """"judge 4/3/5" (answerable/correct/needs the page), or "judge: no scores" for an unusable answer."""
    scores = [judge.get(d) for d in ("answerable", "correct", "needs_page")]
    return "judge: no scores" if None in scores else "judge " + "/".join(map(str, scores))


def evidence_label(evidence: dict) -> str:
    return f"evidence p{evidence['page'] + 1} · {evidence['score']:.2f}"



@dataclass(frozen=True)
class RowRef:
    """Where a row lives: a shard (path relative to the output root) and the row's index in it."""

    shard: str
    row: int


@dataclass
class Page:
    index: int
    source: str | None  # text_layer | pdfa_json | ocr | none; None when the output has no meta
    ocr_confidence: float | None
    image: bytes | None = None


@dataclass
class Pair:
    question: str
    answer: str
    template: str | None
    chunk: int | None
    pages: list[int] | None  # the pages of the pair's chunk, when the meta records them
    kept: bool
    reasons: list[str] = field(default_factory=list)  # why a dropped pair was dropped
    # Kept pairs of outputs with these meta columns: where the answer is on the page (page, score, boxes,
    # boxes_px, text; None: not found) and the judge's verdict (answerable, correct, needs_page, reason).
    evidence: dict | None = None
    judge: dict | None = None


@dataclass
class Sample:
    """One document as a reader sees it: its pages, kept pairs and what was dropped on the way."""

    ref: RowRef | None  # None for a rejected document (it has no row)
    key: str
    unit_id: str | None
    origin: str | None
    source_label: str
    pages: list[Page]
    pairs: list[Pair]
    dropped: list[Pair]
    failed_chunks: list[dict]
    rejection: dict | None = None  # the rejects/documents record of a rejected document

    @property
    def doc_id(self) -> str:
        return f"{self.unit_id}/{self.key}" if self.unit_id else self.key

    def pair_source(self, pair: Pair) -> str:
        """Where the text of a pair's pages came from ("text layer", "OCR", "text layer x2, OCR x1").

        All the document's pages count when the meta does not record the pair's chunk pages."""
        chosen = [p for p in self.pages if pair.pages is None or p.index in pair.pages]
        counts = Counter(source_name(p.source) for p in chosen)
        return ", ".join(name if n == len(chosen) else f"{name} x{n}" for name, n in counts.items()) or "?"


@dataclass(frozen=True)
class ShardIndex:
    num_rows: int
    group_starts: tuple[int, ...]  # first row of each row group


class OutputReader:
    def __init__(self, location: str):
        self.location = location
        self.fs, self.root = resolve_location(location)
        self._indexes: dict[str, ShardIndex] = {}
        self._files: dict[str, pq.ParquetFile] = {}
        self._rejects: dict[tuple[str, str], pa.Table | None] = {}
        self._handles: list = []

    def __enter__(self) -> OutputReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the open files now: left to interpreter exit, a remote filesystem's file objects can be
        finalised after its event-loop thread is gone (seen as an abort on exit with the Hub's)."""
        for pf in self._files.values():
            pf.close()
        for handle in self._handles:
            handle.close()
        self._files.clear()
        self._handles.clear()

    # -- layout --------------------------------------------------------------------------------
    def _path(self, relative: str) -> str:
        return posixpath.join(self.root, relative)

    def _relative(self, path: str) -> str:
        return posixpath.relpath(path, self.root.rstrip("/") or "/")

    @cached_property
    def shards(self) -> list[str]:
        """Cauldron shards, relative to the root: `*.parquet` on top, else anywhere outside meta/rejects."""
        top = sorted(self.fs.glob(self._path(f"*{PARQUET}")))
        paths = top or sorted(p for p in self.fs.find(self.root) if p.endswith(PARQUET))
        # None at all is possible: a run whose every document was rejected has only rejects/.
        return [r for r in map(self._relative, paths) if holds_rows(r)]

    def _read_json(self, name: str) -> dict | None:
        path = self._path(name)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "r") as f:
            return json.load(f)

    @cached_property
    def summary(self) -> dict | None:
        return self._read_json(SUMMARY)

    @cached_property
    def _manifest_rows(self) -> dict[str, int]:
        """Rows per file as the run recorded them: one small read instead of a footer per shard."""
        manifest = self._read_json(MANIFEST) or {}
        return {name: info["rows"] for unit in manifest.get("units", {}).values()
                for name, info in unit.get("files", {}).items()}

    def row_counts(self) -> dict[str, int]:
        known = self._manifest_rows
        return {s: known[s] if s in known else self.index(s).num_rows for s in self.shards}

    def meta_path(self, shard: str) -> str:
        return meta_path(shard)

    @cached_property
    def has_meta(self) -> bool:
        return bool(self.shards) and self.fs.exists(self._path(self.meta_path(self.shards[0])))

    # -- reading rows --------------------------------------------------------------------------
    def _open(self, relative: str) -> pq.ParquetFile:
        """Open files stay cached: a footer is read once however many rows are fetched."""
        if relative not in self._files:
            # No read-ahead cache: on a remote filesystem a cache block (5 MB on the Hub) would fetch
            # neighbouring row groups' images; pyarrow already asks for exactly the byte ranges it needs.
            handle = self.fs.open(self._path(relative), "rb", cache_type="none")
            self._handles.append(handle)
            self._files[relative] = pq.ParquetFile(handle)
        return self._files[relative]

    def index(self, relative: str) -> ShardIndex:
        if relative not in self._indexes:
            md = self._open(relative).metadata
            starts, total = [], 0
            for i in range(md.num_row_groups):
                starts.append(total)
                total += md.row_group(i).num_rows
            self._indexes[relative] = ShardIndex(total, tuple(starts))
        return self._indexes[relative]

    def read_rows(self, relative: str, rows: list[int], columns: list[str] | None = None) -> list[dict]:
        """The given rows of one file, reading only their row groups and the named columns."""
        pf, starts = self._open(relative), self.index(relative).group_starts
        wanted: dict[int, list[int]] = {}
        for row in rows:
            wanted.setdefault(bisect.bisect_right(starts, row) - 1, []).append(row)
        out: dict[int, dict] = {}
        for group, group_rows in wanted.items():
            # use_threads=False: decoding a few columns gains nothing from threads, and with a remote
            # (Python) file object pyarrow's pool threads made the process abort at exit now and then.
            table = pf.read_row_group(group, columns=columns, use_threads=False)
            for row in group_rows:
                out[row] = table.slice(row - starts[group], 1).to_pylist()[0]
        return [out[r] for r in rows]

    def column_names(self, relative: str) -> list[str]:
        """Top-level columns of one file: meta columns appended later are absent in older outputs."""
        return self._open(relative).schema_arrow.names

    def read_columns(self, relative: str, columns: list[str]) -> pa.Table:
        """Whole columns of one file (statistics read text and meta columns, never image bytes).

        A nested leaf such as `images.list.element.path` reads only that leaf."""
        return self._open(relative).read(columns=columns, use_threads=False)

    # -- rejects -------------------------------------------------------------------------------
    def reject_files(self, kind: str) -> list[str]:
        folder = self._path(rejects_dir(kind))
        if not self.fs.exists(folder):  # a published dataset has none (and HfFileSystem.glob would raise)
            return []
        return [self._relative(p) for p in sorted(self.fs.glob(f"{folder}/*{PARQUET}"))]

    def rejects(self, kind: str, unit_id: str | None = None) -> pa.Table | None:
        """A unit's rejects of one kind (documents, pairs, chunks), or all units' with unit_id None."""
        cache_key = (kind, unit_id or "*")
        if cache_key not in self._rejects:
            names = [rejects_path(kind, unit_id)] if unit_id else self.reject_files(kind)
            tables = [self._open(n).read() for n in names if self.fs.exists(self._path(n))]
            self._rejects[cache_key] = pa.concat_tables(tables) if tables else None
        return self._rejects[cache_key]

    def _rejects_for(self, kind: str, unit_id: str | None, key: str) -> list[dict]:
        table = self.rejects(kind, unit_id)
        if table is None:
            return []
        return table.filter(pc.equal(table["key"], key)).to_pylist()

    # -- choosing rows -------------------------------------------------------------------------
    def sample_refs(self, n: int, seed: int) -> list[RowRef]:
        """n rows drawn without replacement over all shards (the same seed gives the same rows)."""
        counts = self.row_counts()
        shards = list(counts)
        ends, total = [], 0
        for s in shards:
            total += counts[s]
            ends.append(total)
        picks = random.Random(seed).sample(range(total), min(n, total))
        refs = []
        for g in picks:
            i = bisect.bisect_right(ends, g)
            refs.append(RowRef(shards[i], g - (ends[i - 1] if i else 0)))
        return refs

    def find(self, key: str) -> list[RowRef]:
        """Rows of a document by key, or by `unit_id/key` (PDFA keys repeat across shards)."""
        unit, _, bare = key.rpartition("/")
        refs = []
        for shard in self.shards:
            if self.has_meta:
                table = self.read_columns(self.meta_path(shard), ["key", "unit_id"])
                keys, units = table["key"].to_pylist(), table["unit_id"].to_pylist()
            else:
                keys = [_key_from_texts(r["texts"]) for r in self._all_texts(shard)]
                units = [None] * len(keys)
            refs += [RowRef(shard, i) for i, (k, u) in enumerate(zip(keys, units, strict=True))
                     if k == bare and (not unit or u == unit)]
        return refs

    def _all_texts(self, shard: str) -> list[dict]:
        return self.read_columns(shard, ["texts"]).to_pylist()

    def rejected_documents(self, key: str | None = None) -> list[dict]:
        table = self.rejects("documents")
        if table is None:
            return []
        rows = table.to_pylist()
        if key is None:
            return rows
        unit, _, bare = key.rpartition("/")
        return [r for r in rows if r["key"] == bare and (not unit or r["unit_id"] == unit)]

    # -- assembling samples --------------------------------------------------------------------
    def load(self, refs: list[RowRef], images: bool = False, rejects: bool = True) -> list[Sample]:
        """Samples for rows; image bytes only when asked (they are most of a shard's bytes)."""
        # Without meta the pages are counted from the image paths (a leaf of nulls), not their bytes.
        columns = ["texts", "images" if images else IMAGE_PATHS] if images or not self.has_meta else ["texts"]
        by_shard: dict[str, list[int]] = {}
        for ref in refs:
            by_shard.setdefault(ref.shard, []).append(ref.row)
        rows: dict[RowRef, tuple[dict, dict | None]] = {}
        for shard, idx in by_shard.items():
            data = self.read_rows(shard, idx, columns)
            meta = self.read_rows(self.meta_path(shard), idx) if self.has_meta else [None] * len(idx)
            for i, d, m in zip(idx, data, meta, strict=True):
                rows[RowRef(shard, i)] = (d, m)
        return [self._sample(ref, *rows[ref], with_images=images, rejects=rejects) for ref in refs]

    def _sample(self, ref: RowRef, data: dict, meta: dict | None, with_images: bool, rejects: bool) -> Sample:
        meta = meta or {}
        texts = data["texts"] or []
        key = meta.get("key") or _key_from_texts(texts) or f"{ref.shard}#{ref.row}"
        unit_id = meta.get("unit_id")
        images = [img.get("bytes") for img in data.get("images") or []]
        sources = meta.get("page_sources") or [None] * len(images)
        confidence = meta.get("page_ocr_confidence") or [None] * len(sources)
        pages = [Page(i, s, c, images[i] if with_images and i < len(images) else None)
                 for i, (s, c) in enumerate(zip(sources, confidence, strict=True))]
        templates = meta.get("pair_templates") or [None] * len(texts)
        chunks = meta.get("pair_chunks") or [None] * len(texts)
        chunk_pages = meta.get("pair_pages") or [None] * len(texts)
        evidence = meta.get("pair_evidence") or [None] * len(texts)
        judge = meta.get("pair_judge") or [None] * len(texts)
        pairs = [Pair(t["user"], t["assistant"], tpl, ch, pg, kept=True, evidence=ev, judge=jd)
                 for t, tpl, ch, pg, ev, jd in zip(texts, templates, chunks, chunk_pages, evidence, judge, strict=True)]
        sample = Sample(ref, key, unit_id, meta.get("origin"), texts[0]["source"] if texts else "",
                        pages, pairs, [], [])
        if rejects:
            self._attach_rejects(sample)
        return sample

    def _attach_rejects(self, sample: Sample) -> None:
        unit = sample.unit_id
        if unit is None:  # no meta: keys alone are ambiguous across units, so no join
            return
        sample.dropped = [Pair(r["question"], r["answer"], r["template"], r["chunk_index"],
                               r.get("pages"), kept=False, reasons=list(r["reasons"] or []))  # pages: newer outputs
                          for r in self._rejects_for("pairs", unit, sample.key)]
        sample.failed_chunks = self._rejects_for("chunks", unit, sample.key)

    def load_rejected(self, record: dict) -> Sample:
        """A rejected document as a Sample: no pages or kept pairs, its drops and failed chunks."""
        sample = Sample(None, record["key"], record["unit_id"], record.get("origin"), "", [], [], [], [],
                        rejection=record)
        self._attach_rejects(sample)
        return sample


def _key_from_texts(texts: list[dict]) -> str | None:
    """The document key from a `source` like "PDFA key: 0000123" (outputs without meta)."""
    if not texts:
        return None
    source = texts[0].get("source") or ""
    return source.rsplit(":", 1)[-1].strip() or None
