"""The distribution a user installs: the sdist and the wheel built from it (`python -m build`), installed
with the lock into a fresh venv outside the checkout, run from an unrelated directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from datasets import load_dataset

from docmatix.sample.corpus import shared_dir
from docmatix.schemas.output import CAULDRON_FEATURES
from tests.conftest import REPO, corpus_pdf
from tests.fake_llm_server import FakeServer

pytestmark = pytest.mark.slow  # a build and a full install

FOLDER_PDFS = ["001-trivial/minimal-document.pdf", "004-pdflatex-4-pages/pdflatex-4-pages.pdf"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and exactly the locked versions of its dependencies."""
    root = tmp_path_factory.mktemp("venv") / "v"
    uv = str(Path(sys.executable).parent / "uv")  # a locked test tool: installs from its cache in seconds
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(root)], check=True)
    wheel = next(dist.glob("*.whl"))
    proc = subprocess.run([uv, "pip", "install", "-q", "--python", str(root / "bin" / "python"),
                           "-c", str(REPO / "requirements.lock"), str(wheel)],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


def installed(venv: Path, *args: str, cwd: Path, env: dict | None = None,
              timeout: int = 900) -> subprocess.CompletedProcess:
    """A `docmatix` command of the installed venv, with nothing of the checkout on its path."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(venv / "bin" / "docmatix"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**clean, **(env or {})})
    assert proc.returncode == 0, f"docmatix {args[0]}: " + proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def test_wheel_adds_one_top_level_package_with_its_templates(dist):
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"docmatix"}
    assert len([n for n in names if n.startswith("docmatix/prompts/") and n.endswith(".toml")]) == 5
    # every module of the checkout's stages is in the wheel: a subpackage missing from pyproject fails here
    for stage in ("pipeline", "filters", "schemas"):
        for module in (REPO / stage).rglob("*.py"):
            assert f"docmatix/{module.relative_to(REPO).as_posix()}" in names, module
    sdist = next(dist.glob("*.tar.gz"))
    assert sdist.stat().st_size > 0


def test_installed_wheel_runs_outside_the_checkout(venv, tmp_path):
    """run (a folder of PDFs, an endpoint), verify, inspect, gallery, publish and make-sample, from a
    directory that has nothing of the checkout."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    for rel in FOLDER_PDFS:
        shutil.copy(corpus_pdf(rel), pdfs / Path(rel).name)
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = work / "out"
    with FakeServer() as server:
        installed(venv, "run", str(pdfs), "--output", str(out), "--endpoint", server.base_url,
                  "--model", "fake-model", "--no-progress", cwd=work)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents_read"] == 2 == summary["documents_written"]
    assert summary["pairs_kept"] >= 1
    ds = load_dataset("parquet", data_files=[str(p) for p in sorted(out.glob("*.parquet"))], split="train")
    assert ds.features == CAULDRON_FEATURES and len(ds) == 2
    assert "OK" in installed(venv, "verify", str(out), cwd=work).stdout
    shown = installed(venv, "inspect", str(out), "--n", "2", cwd=work).stdout
    assert "minimal-document" in shown and "pdflatex-4-pages" in shown
    installed(venv, "gallery", str(out), "--out", str(work / "gallery"), cwd=work)
    assert (work / "gallery" / "index.html").is_file()
    installed(venv, "publish", str(out), str(work / "published"), cwd=work)
    assert (work / "published" / "README.md").is_file()
    installed(venv, "make-sample", "--out", str(work / "sample"), "--per-shard", "10", cwd=work,
              env={"DOCMATIX_SHARED": str(shared_dir())})
    assert sorted((work / "sample").glob("*.tar"))
