"""A persistent cache of answered LLM requests, so a rerun never pays twice for the same request.

Keyed by a hash of (model, messages, sampling params, response format). SQLite in WAL mode lets several
worker processes on one node share it. Each answer keeps the server's token usage, so a cached request
still shows what it originally cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from pathlib import Path


def request_key(model: str, messages: list[dict], sampling: dict, response_format: dict | None) -> str:
    payload = json.dumps(
        {"model": model, "messages": messages, "sampling": sampling, "response_format": response_format},
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class RequestCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a committed answer survives a killed process (only an OS crash may lose the last few).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, completion TEXT NOT NULL)")
        self._add_usage_column()

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

    def put(self, key: str, completion: str, usage: dict | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers (key, completion, usage) VALUES (?, ?, ?)",
                             (key, completion, json.dumps(usage) if usage else None))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
