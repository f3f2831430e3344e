"""What a run's tokens paid for: counted per request, per template, and split over kept and dropped pairs.

A chunk's completion tokens are shared equally by the pairs parsed from it (the remainder going to
the first pairs, so the shares add up exactly); a chunk that gave no pair counts all of its tokens as
`no_pairs`. An answer cut for repetition first gives the share of its tokens past the cut (by
characters) to `loops`. Tokens of cached answers are counted apart from the ones paid in this run.
"""

from __future__ import annotations

from docmatix.schemas.output import UnitCounts, bump
from docmatix.schemas.records import FinishedDocument


def count_tokens(counts: UnitCounts, done: FinishedDocument) -> None:
    fate: dict[int, str | None] = {id(p): None for p in done.kept}  # None: kept; else the drop reason
    fate.update({id(d.pair): d.reasons[0] for d in done.dropped})
    for result in done.chunks:
        if result.cached:
            counts.tokens_prompt_cached += result.prompt_tokens
            counts.tokens_completion_cached += result.completion_tokens
        else:
            counts.tokens_prompt += result.prompt_tokens
            counts.tokens_completion += result.completion_tokens
        template = result.chunk.template
        bump(counts.tokens_prompt_by_template, template, result.prompt_tokens)
        bump(counts.tokens_completion_by_template, template, result.completion_tokens)
        tokens = result.completion_tokens
        if result.loop_cut is not None and result.completion:
            looped = round(tokens * (len(result.completion) - result.loop_cut) / len(result.completion))
            counts.tokens_completion_loops += looped
            tokens -= looped
        if not result.pairs:
            counts.tokens_completion_no_pairs += tokens
            continue
        share, extra = divmod(tokens, len(result.pairs))
        for i, pair in enumerate(result.pairs):
            mine = share + (i < extra)
            reason = fate.get(id(pair))
            if reason is None:
                counts.tokens_completion_kept += mine
            else:
                counts.tokens_completion_dropped += mine
                bump(counts.tokens_completion_dropped_by_reason, reason, mine)


def tokens_per_kept_pair(summary: dict) -> float | None:
    """Completion tokens generated (paid and cached) per kept pair, waste included; None without pairs."""
    kept = summary.get("pairs_kept", 0)
    total = summary.get("tokens_completion", 0) + summary.get("tokens_completion_cached", 0)
    return round(total / kept, 1) if kept else None


# The token counters of UnitCounts, in declaration order (paid and cached prompt/completion first).
TOKEN_FIELDS = tuple(name for name in UnitCounts.__dataclass_fields__ if name.startswith("tokens_"))


def token_rows(summary: dict) -> list[tuple[str, str]]:
    """The token figures a person reads (`docmatix stats`, the dataset card); [] for a run without any."""
    if not any(summary.get(k) for k in TOKEN_FIELDS[:4]):
        return []
    per_pair = tokens_per_kept_pair(summary)
    rows = [
        ("prompt tokens paid", summary.get("tokens_prompt", 0)),
        ("completion tokens paid", summary.get("tokens_completion", 0)),
        ("prompt tokens cached (original cost)", summary.get("tokens_prompt_cached", 0)),
        ("completion tokens cached (original cost)", summary.get("tokens_completion_cached", 0)),
        ("completion tokens per kept pair", "-" if per_pair is None else per_pair),
        ("completion tokens behind kept pairs", summary.get("tokens_completion_kept", 0)),
        ("completion tokens lost to dropped pairs", summary.get("tokens_completion_dropped", 0)),
        ("completion tokens lost to chunks without pairs", summary.get("tokens_completion_no_pairs", 0)),
        ("completion tokens lost to loops", summary.get("tokens_completion_loops", 0)),
    ]
    rows += [(f"  lost to {reason}", n) for reason, n in
             sorted(summary.get("tokens_completion_dropped_by_reason", {}).items(), key=lambda kv: -kv[1])]
    if summary.get("judge_requests") or summary.get("judge_tokens_prompt"):  # --judge (cached at original cost)
        rows += [("judge prompt tokens", summary.get("judge_tokens_prompt", 0)),
                 ("judge completion tokens", summary.get("judge_tokens_completion", 0))]
    return [(name, f"{v:,}" if isinstance(v, int) else str(v)) for name, v in rows]
