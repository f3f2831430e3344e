"""The filter interface: a pair (and the chunk text it came from) in, (keep, reason) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Protocol

from docmatix.filters.text import normalise_question, numbers, stem, words
from docmatix.filters.text_language import language
from docmatix.schemas.records import PageWords


@lru_cache(maxsize=64)
def page_words(source: str) -> frozenset[str]:
    return frozenset(words(source))


@lru_cache(maxsize=64)
def page_numbers(source: str) -> frozenset[str]:
    return frozenset(numbers(source, glued=True))


@lru_cache(maxsize=64)
def page_stems(source: str) -> frozenset[str]:
    return frozenset(stem(w) for w in page_words(source))


@dataclass
class PairContext:
    """What a filter may look at besides the pair itself.

    One context per chunk; `seen_questions` and `kept_pairs` are shared by every chunk of a document,
    so the dedup filters see the pairs kept so far. The caller records a pair once it has passed every
    filter (`record_kept`): a dropped pair must not make a later copy of itself look like a duplicate.
    """

    # The chunk's page text the pair was generated from; None when unknown (filter-check without a
    # context), in which case grounding abstains rather than calling every answer ungrounded.
    source_text: str | None = None
    seen_questions: set[str] = field(default_factory=set)  # normalised questions kept so far in the doc
    template: str = ""
    # (page index, words with boxes) of the chunk's pages; None when not known (no_evidence abstains).
    page_words: list[tuple[int, PageWords]] | None = None
    kept_pairs: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) kept so far in the doc

    def record_kept(self, question: str, answer: str = "") -> None:
        self.seen_questions.add(normalise_question(question))
        self.kept_pairs.append((question, answer))

    # Computed once per chunk text, not once per pair: `filter-check` makes a context per line, and
    # the lines of a document carry the same chunk text.
    @cached_property
    def source_words(self) -> frozenset[str]:
        return page_words(self.source_text or "")

    @cached_property
    def source_numbers(self) -> frozenset[str]:
        return page_numbers(self.source_text or "")

    @cached_property
    def source_stems(self) -> frozenset[str]:
        return page_stems(self.source_text or "")

    @cached_property
    def source_language(self) -> str | None:
        return language(self.source_text) if self.source_text else None

    def in_page_language(self, text: str) -> bool:
        """`text` is in the page's language, or either is too short to tell: word-for-word checks apply."""
        own = language(text)
        return own is None or self.source_language is None or own == self.source_language


class PairFilter(Protocol):
    name: str

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        """(True, None) to keep; (False, reason) to drop."""
        ...

    # A filter may also say what it found (`explain(question, answer, context) -> str | None`: the span,
    # value or property that made it drop the pair), shown by `docmatix filter-check --explain`.
