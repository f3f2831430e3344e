"""The table of document reject reasons in docs/extraction.md is generated from the code's own names."""

from __future__ import annotations

import ast
from pathlib import Path

from docmatix.schemas.doc_blocks import REJECT_REASONS_PAGE
from docmatix.schemas.reject_reasons import DOCUMENT_REASONS, page_with_reasons

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


def test_readme_table_is_current():
    text = REJECT_REASONS_PAGE.read_text()
    assert page_with_reasons(text) == text, "run `python -m docmatix.schemas.reject_reasons --write`"
    for reason in DOCUMENT_REASONS:
        assert f"| `{reason.name}` | {reason.stage} |" in text


def test_names_are_unique_snake_case():
    names = [r.name for r in DOCUMENT_REASONS]
    assert len(names) == len(set(names))
    assert all(n.isidentifier() and n == n.lower() for n in names)


def _literal_reasons(tree: ast.AST) -> list[str]:
    """Reasons written as string literals where a rejection is made (instead of a registry name)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            index = {"_reject": 1, "RejectedDocument": 4}.get(name)
            if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant):
                found.append(node.args[index].value)
        # s1_read reports problems as yielded/returned (key, reason, error) triples, or error = (reason, detail)
        value = getattr(node, "value", None) if isinstance(node, (ast.Yield, ast.Return, ast.Assign)) else None
        if isinstance(value, ast.Tuple):
            elts = value.elts
            if len(elts) == 3 and getattr(elts[0], "id", "") in ("key", "current", "SHARD_KEY") \
                    and isinstance(elts[1], ast.Constant):
                found.append(elts[1].value)
            targets = getattr(node, "targets", [])
            if len(elts) == 2 and any(getattr(t, "id", "") == "error" for t in targets) \
                    and isinstance(elts[0], ast.Constant):
                found.append(elts[0].value)
    return found


def test_rejections_use_the_registry_names():
    literals = {str(path.relative_to(PIPELINE)): _literal_reasons(ast.parse(path.read_text()))
                for path in sorted(PIPELINE.rglob("*.py"))}  # the stage sub-packages too
    assert {k: v for k, v in literals.items() if v} == {}
    # the check itself finds a literal
    found = _literal_reasons(ast.parse('_reject(doc, "made_up", "x")\nyield (key, "other", "d")\nerror = ("third", "d")'))
    assert sorted(found) == ["made_up", "other", "third"]
