"""Named filter presets, chosen with `--filter-preset`; applied in order, first drop wins its reason."""

from __future__ import annotations

from collections.abc import Callable

from filters.base import PairContext, PairFilter
from filters.empty_pair import EmptyPairFilter
from filters.reference_patterns import ReferencePatternFilter

PRESETS: dict[str, Callable[[], list[PairFilter]]] = {
    "docmatix": lambda: [EmptyPairFilter(), ReferencePatternFilter()],
}


def build_preset(name: str) -> list[PairFilter]:
    try:
        return PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown filter preset {name!r}; known: {sorted(PRESETS)}") from None


def apply_filters(filters: list[PairFilter], question: str, answer: str, context: PairContext) -> list[str]:
    """Reasons the pair is dropped (empty list: keep). Stops at the first drop."""
    for f in filters:
        keep, reason = f(question, answer, context)
        if not keep:
            return [reason or f.name]
    return []
