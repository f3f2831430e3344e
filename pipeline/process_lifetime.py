"""Child processes that must not outlive the pipeline process that started them."""

from __future__ import annotations

import contextlib
import signal
import sys


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: the kernel sends `sig` to this process when its parent dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, sig)  # PR_SET_PDEATHSIG
