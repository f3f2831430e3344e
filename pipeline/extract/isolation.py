"""Run document extraction in a long-lived worker process with a deadline and a memory cap.

A hung MuPDF call cannot be interrupted from Python, and a crash in native code would take the Ray
worker (and the unit it was writing) with it. So each extracting process keeps one child process
(`python -m docmatix.pipeline.extract.isolation`) and hands it documents over a pipe. The parent watches a
per-document deadline; past it, or when the child dies, the child's whole process group (Tesseract
included) is killed, the document is rejected with a named reason, and a fresh child serves the next
document. One child for many documents keeps the isolation cost to a pipe copy per document, where a
process per document would pay an interpreter start and the PyMuPDF import each time.

A document still running after `slow_after_s` is set aside (`ExtractorPool`): its child drops to the
lowest CPU priority and keeps its deadline, while the next document starts in a spare child. So one
document on its deadline never stops an extracting process, and the core goes to documents that finish.

Protocol: 8-byte big-endian length, then a pickle; the first message is the ExtractSettings.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from docmatix import PACKAGE_PARENT
from docmatix.pipeline.process_lifetime import die_with_parent
from docmatix.pipeline.s2_extract import ExtractSettings, extract_document
from docmatix.schemas.records import ExtractedDocument, RejectedDocument, SourceDocument
from docmatix.schemas.reject_reasons import OUT_OF_MEMORY, TIMEOUT, WORKER_CRASHED

_HEADER = struct.Struct(">Q")
READY = "ready"
STARTUP_TIMEOUT_S = 120.0  # a cold interpreter importing PyMuPDF on a loaded machine


_SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="extract-spawner")


class WorkerGone(Exception):
    """The child closed its end of the pipe (it crashed or was killed)."""


def _send(stream: BinaryIO, obj: object) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    """Read n bytes from fd; TimeoutError past the deadline, WorkerGone at end of file."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise WorkerGone
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None = None) -> object:
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, length, deadline))


class IsolatedExtractor:
    """Extract documents in a child process, one at a time, each under `settings.limits.timeout_s`."""

    def __init__(self, settings: ExtractSettings):
        self.settings = settings
        self.proc: subprocess.Popen | None = None
        self.restarts = 0  # children replaced after a timeout or crash

    def _start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
        env["OMP_THREAD_LIMIT"] = "1"  # see page_ocr: Tesseract threads only slow a busy machine down
        # A session of its own: on a timeout the whole group (the child and its Tesseract) is killed.
        # Started from one thread that lives as long as the process: the child's parent-death signal
        # fires when the thread that forked it ends, and callers are short-lived threads too.
        self.proc = _SPAWNER.submit(subprocess.Popen, [sys.executable, "-m", "docmatix.pipeline.extract.isolation",
                                                       str(self.settings.limits.memory_mb), str(os.getpid())],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                    start_new_session=True).result()
        _send(self.proc.stdin, self.settings)
        # The child answers once its imports are done, so start-up never eats into a document's deadline.
        if _receive(self.proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT_S) != READY:
            raise WorkerGone

    def _kill(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self.proc = None
        self.restarts += 1

    def extract(self, doc: SourceDocument, on_slow: Callable[[], None] | None = None
                ) -> ExtractedDocument | RejectedDocument:
        """Extract `doc` within the deadline; past `slow_after_s` the child is lowered to nice 19 and
        `on_slow` is called (once), so the caller can start other work meanwhile. A child set aside is
        replaced after its document: its priority cannot be raised again without privileges."""
        limits = self.settings.limits
        timeout = limits.timeout_s
        set_aside = False
        try:
            if self.proc is None or self.proc.poll() is not None:
                if self.proc is not None:
                    self._kill()
                self._start()
            _send(self.proc.stdin, doc)
            started = time.monotonic()
            fd = self.proc.stdout.fileno()
            if on_slow is not None and limits.sets_aside and not select.select([fd], [], [], limits.slow_after_s)[0]:
                with contextlib.suppress(OSError):  # the whole group: the child and its Tesseract
                    os.setpriority(os.PRIO_PGRP, self.proc.pid, 19)
                set_aside = True
                on_slow()
            return _receive(fd, started + timeout)
        except TimeoutError:
            self._kill()
            return RejectedDocument(doc.key, doc.unit_id, doc.origin, "extract", TIMEOUT,
                                    f"extraction took longer than {timeout:g} s; worker killed")
        except (WorkerGone, BrokenPipeError, pickle.UnpicklingError, struct.error):
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            self._kill()
            # SIGKILL from outside is most often the kernel's OOM killer.
            reason = OUT_OF_MEMORY if code == -signal.SIGKILL else WORKER_CRASHED
            return RejectedDocument(doc.key, doc.unit_id, doc.origin, "extract", reason,
                                    f"extraction worker exited with code {code}")
        finally:
            if set_aside:  # a child past its deadline or dead is already gone; a finished one goes now
                self.close()

    def close(self) -> None:
        if self.proc is not None:
            self._kill()
            self.restarts -= 1  # a requested stop is no restart

    def __enter__(self) -> IsolatedExtractor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


SPARE_CHILDREN = 1  # per extracting process: documents that may be set aside at once without stopping it


class ExtractorPool:
    """Children for one extracting process: one document runs at full priority at a time; a document set
    aside (slow) frees that place for the next, in another child, up to `SPARE_CHILDREN` set aside.

    Callers are threads (the Ray actor takes 1 + SPARE_CHILDREN calls at once); each takes an idle child."""

    def __init__(self, settings: ExtractSettings, spare: int = SPARE_CHILDREN):
        self.settings = settings
        self.running = threading.Semaphore(1)  # documents at full priority
        self.children = threading.Semaphore(1 + spare)  # documents in children, set aside or not
        self.idle: list[IsolatedExtractor] = []
        self.lock = threading.Lock()

    def extract(self, doc: SourceDocument) -> ExtractedDocument | RejectedDocument:
        with self.children:
            self.running.acquire()
            released = False

            def release() -> None:  # called in this thread, when the document is set aside
                nonlocal released
                released = True
                self.running.release()

            with self.lock:
                extractor = self.idle.pop() if self.idle else IsolatedExtractor(self.settings)
            try:
                return extractor.extract(doc, on_slow=release)
            finally:
                if not released:
                    self.running.release()
                with self.lock:
                    self.idle.append(extractor)

    def close(self) -> None:
        with self.lock:
            for extractor in self.idle:
                extractor.close()


# One pool per settings in each process (Ray reuses its worker processes across tasks).
_POOLS: dict[ExtractSettings, ExtractorPool] = {}
_POOLS_LOCK = threading.Lock()


def extract(doc: SourceDocument, settings: ExtractSettings) -> ExtractedDocument | RejectedDocument:
    """The extraction stage: isolated with a deadline, or in-process when `timeout_s` is 0.

    Safe to call from 1 + SPARE_CHILDREN threads at once: documents beyond the first wait until it
    finishes or is set aside."""
    if not settings.limits.timeout_s:
        return extract_document(doc, settings)
    with _POOLS_LOCK:
        pool = _POOLS.get(settings)
        if pool is None:
            pool = _POOLS[settings] = ExtractorPool(settings)
    return pool.extract(doc)


def _limit_memory(memory_mb: int) -> None:
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent(parent_pid: int) -> None:
    """A child stuck in a MuPDF call never reads the closed pipe: let the kernel kill it with its parent."""
    die_with_parent(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent is already gone
        os._exit(0)


def serve(memory_mb: int, parent_pid: int) -> None:
    """Child side: read documents from stdin until it closes, write results to stdout."""
    _die_with_parent(parent_pid)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries go to stderr, never into the protocol
    _limit_memory(memory_mb)
    fd = sys.stdin.fileno()
    try:
        settings = _receive(fd)
        _send(out, READY)
        while True:
            doc = _receive(fd)
            _send(out, extract_document(doc, settings))
    except WorkerGone:  # the parent closed the pipe: done
        return


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
