"""README.md sections generated from the code (reject reasons, run options): each sits between
`<!-- NAME:start (generated: do not edit) -->` and `<!-- NAME:end -->`, rewritten by its module's
`--write` and checked current by a test."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def with_block(text: str, name: str, content: str) -> str:
    """`text` with the block `name` holding `content` (which ends with a newline)."""
    block = re.compile(rf"(<!-- {re.escape(name)}:start[^\n]*-->\n).*?(<!-- {re.escape(name)}:end -->)", re.S)
    if not block.search(text):
        raise ValueError(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
    return block.sub(lambda m: m.group(1) + content + m.group(2), text)
