"""What each Ray stage's worker loads: every worker process imports its stage's module, so a heavy import
is paid once per reader, writer and actor (start-up on the critical path, memory on every node)."""

import json
import subprocess
import sys

import pytest

from docmatix import PACKAGE_PARENT as REPO_ROOT

HEAVY = ("pymupdf", "aiohttp", "docmatix.filters.options")


def loaded_in_fresh_process(module: str) -> dict:
    code = (f"import json, sys, {module}\n"
            f"pymupdf = sys.modules.get('pymupdf')\n"
            f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules],\n"
            f"                  'layout_model': getattr(pymupdf, '_get_layout', None) is not None}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize(("module", "needs"), [
    ("docmatix.pipeline.on_ray.read_stage", []),
    ("docmatix.pipeline.on_ray.unit_parts", []),
    ("docmatix.pipeline.on_ray.extract_stage", ["pymupdf"]),
    ("docmatix.pipeline.on_ray.generate_stage", ["aiohttp", "docmatix.filters.options"]),
    ("docmatix.pipeline.extract.isolation", ["pymupdf"]),  # the isolated extraction child
])
def test_a_stage_worker_loads_only_what_its_stage_needs(module, needs):
    loaded = loaded_in_fresh_process(module)
    assert loaded["heavy"] == needs
    # PyMuPDF 2 would load pymupdf-layout's ONNX models on import (pipeline/__init__.py keeps them out)
    assert loaded["layout_model"] is False


def test_pymupdf_layout_is_installed_so_the_guard_matters():
    """The locked PyMuPDF pulls in pymupdf-layout; if a new lock drops it, the guard can go too."""
    import importlib.metadata

    assert importlib.metadata.version("pymupdf_layout")
