"""Tables in docs/ generated from the code (reject reasons, run options): each sits between
`<!-- NAME:start (generated: do not edit) -->` and `<!-- NAME:end -->`, rewritten by its module's
`--write` and checked current by a test. (Developer tooling: the pages live in a checkout, not the wheel.)"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPTIONS_PAGE = DOCS / "options.md"  # every option of `docmatix run` (docmatix.pipeline.config)
REJECT_REASONS_PAGE = DOCS / "extraction.md"  # document reject reasons (docmatix.schemas.reject_reasons)
PROFILES_PAGE = DOCS / "reproducing-docmatix.md"  # the `--profile docmatix` table (docmatix.pipeline.profiles)


def with_block(text: str, name: str, content: str) -> str:
    """`text` with the block `name` holding `content` (which ends with a newline)."""
    block = re.compile(rf"(<!-- {re.escape(name)}:start[^\n]*-->\n).*?(<!-- {re.escape(name)}:end -->)", re.S)
    if not block.search(text):
        raise ValueError(f"no <!-- {name}:start --> ... <!-- {name}:end --> block in the page")
    return block.sub(lambda m: m.group(1) + content + m.group(2), text)
