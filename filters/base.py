"""The filter interface: a pair (and the chunk text it came from) in, (keep, reason) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from filters.text import normalise_question, numbers, words
from schemas.records import PageWords


@dataclass
class PairContext:
    """What a filter may look at besides the pair itself.

    One context per chunk; `seen_questions` is shared by every chunk of a document, so the dedup
    filters see the questions kept so far. The caller records a pair once it has passed every filter
    (`record_kept`): a dropped pair must not make a later copy of itself look like a duplicate.
    """

    # The chunk's page text the pair was generated from; None when unknown (filter-check without a
    # context), in which case grounding abstains rather than calling every answer ungrounded.
    source_text: str | None = None
    seen_questions: set[str] = field(default_factory=set)  # normalised questions kept so far in the doc
    template: str = ""
    # (page index, words with boxes) of the chunk's pages; None when not known (no_evidence abstains).
    page_words: list[tuple[int, PageWords]] | None = None

    def record_kept(self, question: str) -> None:
        self.seen_questions.add(normalise_question(question))

    # Computed once per chunk, not once per pair.
    @cached_property
    def source_words(self) -> frozenset[str]:
        return frozenset(words(self.source_text or ""))

    @cached_property
    def source_numbers(self) -> frozenset[str]:
        return frozenset(numbers(self.source_text or ""))


class PairFilter(Protocol):
    name: str

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        """(True, None) to keep; (False, reason) to drop."""
        ...
