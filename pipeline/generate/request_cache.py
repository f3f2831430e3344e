"""A persistent cache of answered LLM requests, so a rerun never pays twice for the same request.

Keyed by a hash of (model, messages, sampling params, response format). SQLite in WAL mode lets several
worker processes on one node share it. Each answer keeps the server's token usage, so a cached request
still shows what it originally cost.

The SQLite file is one node's index. What every node and every rerun shares is in the output itself:
after each batch, a generation actor writes the batch's new answers as an immutable Parquet segment
per unit to `<output>/_cache/requests/<unit>/` (before the batch's rows go on to be written, so an
answer in the output is always in the cache), and before generating for a unit it imports that unit's
segments. So a rerun on a fresh cluster, an `s3://` output, or actors moved to other nodes still never
pay twice; only a unit still being generated is read, never the whole cache. When a unit is committed
its segments are compacted into one file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import fsspec
import pyarrow as pa

from docmatix.pipeline.parquet_files import read_whole, write_whole

SEGMENT_SCHEMA = pa.schema([("key", pa.string()), ("completion", pa.string()), ("usage", pa.string())])


def request_key(model: str, messages: list[dict], sampling: dict, response_format: dict | None) -> str:
    payload = json.dumps(
        {"model": model, "messages": messages, "sampling": sampling, "response_format": response_format},
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class RequestCache:
    def __init__(self, path: str | Path, shared: str | None = None):
        """`shared`: the fsspec folder the answers are exchanged through, per unit (see the module doc)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a committed answer survives a killed process (only an OS crash may lose the last few).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, completion TEXT NOT NULL)")
        self._add_usage_column()
        self.shared = shared
        self._unshared: dict[str, list[dict]] = defaultdict(list)  # unit -> answers not in a segment yet
        self._imported: set[str] = set()  # units whose segments this process has taken in
        self._db.execute("CREATE TABLE IF NOT EXISTS segments (name TEXT PRIMARY KEY)")

    def import_unit(self, unit_id: str) -> int:
        """Take in a unit's shared segments not imported yet (once per process); returns the new answers."""
        if self.shared is None or unit_id in self._imported:
            return 0
        self._imported.add(unit_id)
        fs, paths = unit_segments(self.shared, unit_id)
        added = 0
        for path in paths:
            name = f"{unit_id}/{posixpath.basename(path)}"
            with self._lock:
                if self._db.execute("SELECT 1 FROM segments WHERE name = ?", (name,)).fetchone():
                    continue
            try:
                rows = read_whole(fs, path).to_pylist()
            except FileNotFoundError:  # compacted meanwhile: the compacted file holds the same answers
                continue
            with self._lock:
                before = self._db.total_changes
                self._db.executemany("INSERT OR IGNORE INTO answers (key, completion, usage) VALUES (?, ?, ?)",
                                     [(r["key"], r["completion"], r["usage"]) for r in rows])
                self._db.execute("INSERT OR IGNORE INTO segments (name) VALUES (?)", (name,))
                added += self._db.total_changes - before - 1
        return added

    def flush_segments(self) -> list[str]:
        """Write the answers not shared yet, one segment per unit; returns the segments' paths."""
        with self._lock:
            pending, self._unshared = self._unshared, defaultdict(list)
        written = []
        for unit_id, rows in pending.items():
            fs, folder = fsspec.core.url_to_fs(f"{self.shared}/{unit_id}")
            path = write_whole(fs, new_segment_path(folder), pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA),
                               compression="zstd")
            with self._lock:  # our own answers are already in our SQLite
                self._db.execute("INSERT OR IGNORE INTO segments (name) VALUES (?)",
                                 (f"{unit_id}/{posixpath.basename(path)}",))
            written.append(path)
        return written

    def _add_usage_column(self) -> None:
        """Caches written before token accounting lack the column; their answers read as usage unknown."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
        if "usage" not in columns:
            with contextlib.suppress(sqlite3.OperationalError):  # another worker added it first
                self._db.execute("ALTER TABLE answers ADD COLUMN usage TEXT")

    def get(self, key: str) -> str | None:
        hit = self.get_with_usage(key)
        return hit[0] if hit else None

    def get_with_usage(self, key: str) -> tuple[str, dict] | None:
        """(completion, usage as the server sent it; {} when unknown), or None on a miss."""
        with self._lock:
            row = self._db.execute("SELECT completion, usage FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return row[0], json.loads(row[1]) if row[1] else {}

    def put(self, key: str, completion: str, usage: dict | None = None, unit_id: str | None = None) -> None:
        """Store an answer; with a `unit_id` (and a shared folder) it goes to that unit's next segment too."""
        usage_json = json.dumps(usage) if usage else None
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers (key, completion, usage) VALUES (?, ?, ?)",
                             (key, completion, usage_json))
            if self.shared is not None and unit_id is not None:
                self._unshared[unit_id].append({"key": key, "completion": completion, "usage": usage_json})

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def unit_segments(shared: str, unit_id: str) -> tuple[fsspec.AbstractFileSystem, list[str]]:
    """The filesystem and the paths of a unit's segments, oldest name first."""
    fs, folder = fsspec.core.url_to_fs(f"{shared}/{unit_id}")
    return fs, sorted(fs.glob(f"{folder}/*.parquet"))


def new_segment_path(folder: str, tag: str = "") -> str:
    """A segment name no other writer takes: the time (names sort by age) and a random part."""
    return f"{folder}/{time.strftime('%Y%m%dT%H%M%S')}-{tag}{uuid.uuid4().hex[:12]}.parquet"


def compact_unit_segments(shared: str, unit_id: str) -> None:
    """Merge a committed unit's segments into one file (a rerun then reads one file for it)."""
    fs, paths = unit_segments(shared, unit_id)
    if len(paths) < 2:
        return
    merged = pa.concat_tables([read_whole(fs, path).cast(SEGMENT_SCHEMA) for path in paths])
    write_whole(fs, new_segment_path(posixpath.dirname(paths[0]), "compacted-"), merged, compression="zstd")
    for path in paths:
        fs.rm(path)
