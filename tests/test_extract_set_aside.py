"""A document past `slow_after_s` is set aside: its child drops to nice 19 and keeps its
deadline, while the next document is extracted in a spare child of the same process."""

from __future__ import annotations

import threading
import time

import psutil

from docmatix.pipeline.extract.isolation import ExtractorPool
from docmatix.pipeline.extract.limits import ExtractLimits
from docmatix.pipeline.s2_extract import ExtractSettings
from docmatix.schemas.records import ExtractedDocument, RejectedDocument, SourceDocument
from tests import adversarial_pdfs as adv

TIMEOUT_S, SLOW_AFTER_S = 12.0, 1.0
SETTINGS = ExtractSettings(ocr=False, limits=ExtractLimits(timeout_s=TIMEOUT_S, memory_mb=2048,
                                                           slow_after_s=SLOW_AFTER_S))


def _doc(key: str, data: bytes) -> SourceDocument:
    return SourceDocument(key=key, unit_id="aside", origin=f"aside/{key}", pdf=data)


def _extraction_children() -> dict[int, psutil.Process]:
    return {p.pid: p for p in psutil.Process().children() if "docmatix.pipeline.extract.isolation" in p.cmdline()}


def _children_nice(before: dict[int, psutil.Process]) -> list[int]:
    """Nice values of this test's extraction children (not those of other tests' pools, still alive)."""
    return sorted(p.nice() for pid, p in _extraction_children().items() if pid not in before)


def test_a_slow_document_is_set_aside_and_the_next_one_runs_meanwhile():
    before = _extraction_children()
    pool = ExtractorPool(SETTINGS)
    slow_result: list = []
    try:
        slow = threading.Thread(target=lambda: slow_result.append(pool.extract(_doc("slow", adv.slow_page()))))
        started = time.monotonic()
        slow.start()
        time.sleep(SLOW_AFTER_S + 1.0)
        fast = pool.extract(_doc("fast", adv.born_digital()))
        fast_done = time.monotonic() - started
        assert isinstance(fast, ExtractedDocument) and fast.key == "fast"
        assert slow.is_alive() and fast_done < TIMEOUT_S  # it did not wait for the slow one's deadline
        assert _children_nice(before) == [0, 19]  # the slow child runs on, at the lowest priority
        slow.join(TIMEOUT_S + 30)
        (hung,) = slow_result
        assert isinstance(hung, RejectedDocument) and hung.reason == "timeout" and hung.key == "slow"
        # Children start at normal priority again: the set-aside one is gone, not reused.
        after = pool.extract(_doc("after", adv.born_digital()))
        assert isinstance(after, ExtractedDocument)
        assert 19 not in _children_nice(before)
    finally:
        pool.close()


def test_at_most_one_document_runs_at_full_priority():
    """Two callers at once: the second waits until the first finishes (neither is slow here), so an
    extracting process never runs two documents on its one CPU."""
    pool = ExtractorPool(SETTINGS)
    running, peak, lock = [0], [0], threading.Lock()
    original = pool.running

    class Counting:
        def acquire(self):
            original.acquire()
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])

        def release(self):
            with lock:
                running[0] -= 1
            original.release()

    pool.running = Counting()
    try:
        results: list = []
        threads = [threading.Thread(target=lambda k=k: results.append(pool.extract(_doc(k, adv.born_digital()))))
                   for k in ("a", "b", "c")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(r.key for r in results) == ["a", "b", "c"]
        assert all(isinstance(r, ExtractedDocument) for r in results)
        assert peak[0] == 1
    finally:
        pool.close()
