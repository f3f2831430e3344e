"""Every file or folder that ARCHITECTURE.md, the README and the docs/ pages name in backticks exists, so a move or a rename
cannot leave the map of the code pointing at nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = ["ARCHITECTURE.md", "README.md", *sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "docs").glob("*.md"))]
# Inside backticks: a Python file (`pipeline/run.py`, `run.py`, `filters/*.py`, `docmatix/commands/NAME.py`)
# or a folder of the code (`pipeline/extract/`), possibly inside a command (`python scripts/x.py`).
PY_PATH = re.compile(r"(?<![\w./*-])([\w./*-]+\.py)\b")
CODE_DIR = re.compile(r"^((?:pipeline|docmatix|filters|schemas|prompts|tests|scripts|benchmarks)/[\w/]*)$")
SKIP_DIRS = {".venv", ".git", ".cache", "data", "node_modules"}


def named_paths(doc: str) -> list[str]:
    names = []
    for span in re.findall(r"`([^`\n]+)`", (REPO_ROOT / doc).read_text()):
        names += PY_PATH.findall(span)
        names += CODE_DIR.findall(span.strip())
    return sorted(set(names))


def repo_files() -> list[Path]:
    return [p for p in REPO_ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(REPO_ROOT).parts)]


def exists(name: str, files: list[Path]) -> bool:
    pattern = re.sub(r"[A-Z]+", "*", name)  # placeholders: `NAME.py`, `sN_*.py`
    if name.endswith("/"):
        return (REPO_ROOT / name).is_dir()
    if "/" not in name:  # a bare file name, said of the folder around it: somewhere in the code
        return any(p.match(pattern) for p in files)
    return any(REPO_ROOT.glob(pattern))


@pytest.mark.parametrize("doc", DOCS)
def test_every_named_path_exists(doc):
    names = named_paths(doc)
    files = repo_files()
    missing = [name for name in names if not exists(name, files)]
    assert not missing, f"{doc} names paths that do not exist: {missing}"


def test_the_pattern_still_finds_the_paths_as_they_are_written():
    assert len(named_paths("ARCHITECTURE.md")) > 30
    assert sum(len(named_paths(doc)) for doc in DOCS) > 60


def test_a_moved_file_is_caught(tmp_path):
    """The check fails for the old place of a moved module (what it exists to catch)."""
    files = repo_files()
    assert exists("pipeline/on_ray/read_stage.py", files)
    assert not exists("pipeline/on_ray/stages.py", files)
    assert not exists("pipeline/ray_stages.py", files)
    assert not exists("ray_stages.py", files)
    assert exists("docmatix/commands/NAME.py", files)
    assert exists("pipeline/extract/", files)
    assert not exists("pipeline/ray/", files)
