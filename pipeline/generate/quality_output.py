"""A finished document's quality signals (answer evidence, judge) as the writer records them: the meta
columns `pair_evidence` and `pair_judge` (schemas/output.py) and the unit's counts."""

from __future__ import annotations

from dataclasses import asdict

from docmatix.pipeline.generate.judge import DIMENSIONS as JUDGE_DIMENSIONS
from docmatix.schemas.output import UnitCounts, bump
from docmatix.schemas.records import FinishedDocument, JudgeVerdict


def quality_meta(done: FinishedDocument) -> dict:
    """The meta row's quality columns; a column is null when its signal was not computed (no --judge)."""
    def column(values: list) -> list | None:
        return [asdict(v) if v is not None else None for v in values] if values else None

    return {"pair_evidence": column(done.evidence), "pair_judge": column(done.judge)}


def count_judge_scores(counter: dict[str, int], verdict: JudgeVerdict) -> None:
    for name in JUDGE_DIMENSIONS:
        bump(counter, f"{name}={getattr(verdict, name)}")
    bump(counter, f"min={verdict.score}")


def count_quality(counts: UnitCounts, done: FinishedDocument) -> None:
    usage = done.judge_usage
    counts.judge_requests += usage.requests
    counts.judge_requests_cached += usage.cached
    counts.judge_tokens_prompt += usage.prompt_tokens
    counts.judge_tokens_completion += usage.completion_tokens
    if done.rejected is not None:
        return  # only the pairs of written rows: what the dataset holds
    for pair, evidence in zip(done.kept, done.evidence, strict=False):
        if evidence is not None:
            counts.pairs_with_evidence += 1
            bump(counts.pairs_with_evidence_by_template, pair.template)
    for verdict in done.judge:
        if verdict is None:
            continue
        if verdict.score is None:
            counts.pairs_judge_unusable += 1
        else:
            counts.pairs_judged += 1
            count_judge_scores(counts.judge_scores, verdict)
