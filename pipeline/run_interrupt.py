"""Ctrl-C and SIGTERM stop a run cleanly: no stack trace, a line saying what was committed, the command
that resumes, and the shell's exit status (130 for SIGINT, 143 for SIGTERM).

Nothing needs undoing: a unit is committed by moving its finished files into place and then writing its
done marker, so a unit without one is redone from scratch by the rerun (pipeline/run.py removes what is
left of it). A second signal exits at once."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _stop(signum: int, _frame: object) -> None:
    # Ray Data logs any exception that unwinds through its iterator with a stack trace: once we stop on
    # purpose, that is noise in front of the line that says what happened.
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for sig in STOP_SIGNALS:  # a second Ctrl-C does not wait for the clean stop
        signal.signal(sig, lambda s, f: os._exit(128 + s))
    raise Interrupted(signum)


def catch_stop_signals() -> None:
    """Turn SIGINT/SIGTERM into `Interrupted` in the main thread. Called again after Ray starts: its core
    worker installs its own SIGTERM handler (one that prints a C++ stack trace)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)


def resume_command(argv: list[str] | None = None) -> str:
    """The command line that was run, as a user would type it again."""
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]).name
    if program in ("docmatix", "cli.py", "__main__.py"):
        return shlex.join(["docmatix", *argv[1:]])
    return shlex.join(["python", argv[0], *argv[1:]])


def interrupted_message(signal_name: str, committed: int, units: int) -> str:
    return (f"interrupted by {signal_name}: {committed} of {units} unit(s) committed; units in flight were "
            f"abandoned whole (none is half-written) and the rerun redoes them. Resume with:\n  {resume_command()}")
