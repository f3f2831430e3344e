"""Signs of life while the LLM works: requests answered and output tokens/s beside the document count.

Documents finish only when all their chunks are answered, so on a slow model the document bar can sit
at 0 for minutes. Every answered request lands in the request cache (SQLite, WAL: readable while the
generation actor writes), so the driver polls it: answers since this run started, and their output
rate in tokens/s (~4 characters a token, as `token_count.approximate_tokens` counts).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

CHARS_PER_TOKEN = 4
POLL_S = 2.0


def _answered(path: Path) -> tuple[int, int]:
    """(answers, completion characters) in the cache; (0, 0) before it exists."""
    if not path.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            n, chars = db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(completion)), 0) FROM answers").fetchone()
    except sqlite3.Error:  # created but not initialised yet, or busy: try again at the next poll
        return 0, 0
    return n, chars


class RequestProgress:
    """Polls the request cache in a thread and shows `requests` and `tok/s` as the bar's postfix."""

    def __init__(self, cache: Path, bar, poll_s: float = POLL_S):
        self.cache, self.bar, self.poll_s = cache, bar, poll_s
        self.start_n, self.start_chars = _answered(cache)  # earlier runs' answers are not this run's work
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="request-progress", daemon=True)

    def postfix(self) -> dict[str, str]:
        n, chars = _answered(self.cache)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        tokens = max(0, chars - self.start_chars) / CHARS_PER_TOKEN
        return {"requests": str(max(0, n - self.start_n)), "tok/s": f"{tokens / elapsed:.1f}"}

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.bar.set_postfix(self.postfix(), refresh=True)

    def __enter__(self) -> RequestProgress:
        if not self.bar.disable:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
