"""The filter interface: a pair (and the chunk text it came from) in, (keep, reason) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import regex

# The reference stripped a leading "Q1: " / "A1: " before testing the patterns.
_LEADING_MARKER = regex.compile(r"^\s*[QA]\d+:\s*", regex.I)


def strip_leading_marker(text: str) -> str:
    return _LEADING_MARKER.sub("", text, count=1)


@dataclass
class PairContext:
    """What a filter may look at besides the pair itself."""

    source_text: str = ""  # the chunk's page text the pair was generated from
    seen_questions: set[str] = field(default_factory=set)  # normalised questions kept so far in the doc
    template: str = ""


class PairFilter(Protocol):
    name: str

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        """(True, None) to keep; (False, reason) to drop."""
        ...
