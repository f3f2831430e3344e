"""A persistent cache of answered LLM requests, so a rerun never pays twice for the same request.

Keyed by a hash of (model, messages, sampling params, response format). SQLite in WAL mode lets several
worker processes on one node share it.
"""

from __future__ import annotations

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

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT completion FROM answers WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, completion: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers (key, completion) VALUES (?, ?)", (key, completion))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
