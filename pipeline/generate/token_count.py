"""Token counts for chunking.

The served model's tokenizer is the truth (the server's `/tokenize` endpoint, used when the run has
one); without it, ~4 characters per token, a documented approximation for English BPE vocabularies.
No tokenizer is ever downloaded.
"""

from __future__ import annotations

from collections.abc import Callable

CHARS_PER_TOKEN = 4

TokenCounter = Callable[[str], int]


def approximate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def truncate_to_tokens(text: str, max_tokens: int, count: TokenCounter) -> str:
    """Longest prefix of `text` within `max_tokens` (binary search over characters)."""
    if count(text) <= max_tokens:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]
