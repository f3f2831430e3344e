"""Which planned files a destination still needs, which of its shards are stale, and how the sending is
split into commits. Shared by the Hub and fsspec destinations so both resume the same way: a file the
destination already holds with the same content is not sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from docmatix.publish.repo_layout import CARD_PATH, HUB_SHARD_RE, PlannedFile


class Destination(Protocol):
    def describe(self) -> str: ...

    def remote_files(self) -> dict[str, Any]:
        """What the destination holds now: path -> whatever `same` needs to compare contents."""

    def same(self, planned: PlannedFile, remote: Any) -> bool: ...

    def prepare(self) -> None:
        """Create the repo/branch/folder (not called in a dry run)."""

    def send(self, files: list[PlannedFile], deletions: list[str], message: str) -> None:
        """One commit: these files added, these paths deleted."""


@dataclass
class PublishPlan:
    send: list[PlannedFile] = field(default_factory=list)
    unchanged: list[PlannedFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)  # shards of an earlier layout the new one does not have

    @property
    def empty(self) -> bool:
        return not self.send and not self.delete


@dataclass
class CommitBatch:
    files: list[PlannedFile]
    deletions: list[str]


def make_plan(planned: list[PlannedFile], remote: dict[str, Any],
              same: Callable[[PlannedFile, Any], bool]) -> PublishPlan:
    plan = PublishPlan()
    for f in planned:
        if f.path_in_repo in remote and same(f, remote[f.path_in_repo]):
            plan.unchanged.append(f)
        else:
            plan.send.append(f)
    wanted = {f.path_in_repo for f in planned}
    plan.delete = sorted(p for p in remote if HUB_SHARD_RE.fullmatch(p) and p not in wanted)
    return plan


def commit_batches(plan: PublishPlan, max_files: int, max_bytes: int) -> list[CommitBatch]:
    """Shards in commits of at most max_files files / max_bytes bytes; the card and the deletions go
    in the last commit, so the card describes the repo only once all its shards are in."""
    shards = [f for f in plan.send if f.path_in_repo != CARD_PATH]
    card = [f for f in plan.send if f.path_in_repo == CARD_PATH]
    batches: list[CommitBatch] = []
    current: list[PlannedFile] = []
    size = 0
    for f in shards:
        if current and (len(current) >= max_files or size + f.size > max_bytes):
            batches.append(CommitBatch(current, []))
            current, size = [], 0
        current.append(f)
        size += f.size
    if current or card or plan.delete:
        batches.append(CommitBatch(current + card, list(plan.delete)))
    return batches


def describe_plan(plan: PublishPlan, destination: str) -> list[str]:
    """Lines a dry run prints (and a real run logs): one per file, with what happens to it."""
    lines = [f"destination: {destination}"]
    for f in plan.send:
        origin = f.source if f.source is not None else "(generated)"
        lines.append(f"  send       {f.path_in_repo:<40} {f.size:>14,} B  <- {origin}")
    for f in plan.unchanged:
        lines.append(f"  unchanged  {f.path_in_repo:<40} {f.size:>14,} B")
    for p in plan.delete:
        lines.append(f"  delete     {p}")
    sent = sum(f.size for f in plan.send)
    lines.append(f"{len(plan.send)} file(s) to send ({sent:,} B), {len(plan.unchanged)} unchanged, "
                 f"{len(plan.delete)} to delete")
    return lines
