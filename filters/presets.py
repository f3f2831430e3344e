"""Filters and presets by name, as chosen in the run options (`--filter-preset`, `--filters`).

Filters run in order and the first drop gives the pair its reason, so every dropped pair is counted
under exactly one reason. Cheap checks come first; the dedup filters come last because they compare
against the questions kept so far, which only pairs that pass everything else become.
"""

from __future__ import annotations

from collections.abc import Callable

from docmatix.filters.answer_position import AnswerPositionFilter
from docmatix.filters.answer_values import AnswerValuesFilter
from docmatix.filters.base import PairContext, PairFilter
from docmatix.filters.duplicate_question import DuplicateQuestionFilter
from docmatix.filters.empty_pair import EmptyPairFilter
from docmatix.filters.generic_pair import GenericPairFilter
from docmatix.filters.grounding import GroundingFilter
from docmatix.filters.language_mismatch import LanguageMismatchFilter
from docmatix.filters.length_bounds import LengthBoundsFilter
from docmatix.filters.near_duplicate_question import NearDuplicateQuestionFilter
from docmatix.filters.no_evidence import NoEvidenceFilter
from docmatix.filters.not_stated import NotStatedFilter
from docmatix.filters.page_form import PageFormFilter
from docmatix.filters.precise_patterns import PrecisePatternFilter
from docmatix.filters.prompt_echo import PromptEchoFilter
from docmatix.filters.question_form import QuestionFormFilter
from docmatix.filters.reference_patterns import ReferencePatternFilter
from docmatix.filters.settings import FILTER_DEFAULTS, FilterSettings
from docmatix.filters.truncated_answer import TruncatedAnswerFilter

# Each factory takes the filter settings and the run's prompt templates folder (`--prompts-dir`, which
# the echo filter guards against; None: prompts/).
FILTERS: dict[str, Callable[[FilterSettings, str | None], PairFilter]] = {
    "empty": lambda s, prompts_dir: EmptyPairFilter(),
    "prompt_echo": lambda s, prompts_dir: PromptEchoFilter(prompts_dir),
    "reference_patterns": lambda s, prompts_dir: ReferencePatternFilter(),
    "length": lambda s, prompts_dir: LengthBoundsFilter(s),
    "not_a_question": lambda s, prompts_dir: QuestionFormFilter(),
    "precise_patterns": lambda s, prompts_dir: PrecisePatternFilter(),
    "not_stated": lambda s, prompts_dir: NotStatedFilter(),
    "truncated": lambda s, prompts_dir: TruncatedAnswerFilter(),
    "page_form": lambda s, prompts_dir: PageFormFilter(),
    "language_mismatch": lambda s, prompts_dir: LanguageMismatchFilter(),
    "generic": lambda s, prompts_dir: GenericPairFilter(),
    "answer_values": lambda s, prompts_dir: AnswerValuesFilter(),
    "grounding": lambda s, prompts_dir: GroundingFilter(s),
    "answer_position": lambda s, prompts_dir: AnswerPositionFilter(),
    "no_evidence": lambda s, prompts_dir: NoEvidenceFilter(),  # --require-evidence adds it (answer_evidence.py)
    "duplicate": lambda s, prompts_dir: DuplicateQuestionFilter(),
    "near_duplicate": lambda s, prompts_dir: NearDuplicateQuestionFilter(s),
}

PRESETS: dict[str, list[str]] = {
    # The reference rules exactly, for fidelity checks. `empty` stands in for the reference parser,
    # which never produced a question without an answer (ours emits one so that it is counted).
    "docmatix-exact": ["empty", "reference_patterns"],
    # The reference rules plus the echo filter: no pair copied from our own prompts is kept.
    "docmatix": ["empty", "prompt_echo", "reference_patterns"],
    # Form first (cheap), then what the pair says against the page, then dedup against the kept pairs.
    "strict": ["empty", "prompt_echo", "length", "not_a_question", "precise_patterns", "not_stated", "truncated",
               "page_form", "language_mismatch", "generic", "answer_values", "grounding", "answer_position",
               "duplicate", "near_duplicate"],
}


def build_filters(names: list[str], settings: FilterSettings = FILTER_DEFAULTS, prompts_dir: str | None = None
                  ) -> list[PairFilter]:
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise ValueError(f"unknown filter(s) {unknown}; known: {sorted(FILTERS)}")
    return [FILTERS[n](settings, prompts_dir) for n in names]


DEDUP_FILTERS = ("duplicate", "near_duplicate")


def with_filter(names: list[str], name: str) -> list[str]:
    """`names` with `name` added before the dedup filters (they must only see questions that pass it)."""
    if name in names:
        return names
    at = next((i for i, n in enumerate(names) if n in DEDUP_FILTERS), len(names))
    return [*names[:at], name, *names[at:]]


def preset_names(name: str) -> list[str]:
    try:
        return list(PRESETS[name])
    except KeyError:
        raise ValueError(f"unknown filter preset {name!r}; known: {sorted(PRESETS)}") from None


def build_preset(name: str, settings: FilterSettings = FILTER_DEFAULTS, prompts_dir: str | None = None
                 ) -> list[PairFilter]:
    return build_filters(preset_names(name), settings, prompts_dir)


def apply_filters(filters: list[PairFilter], question: str, answer: str, context: PairContext,
                  all_reasons: bool = False) -> list[str]:
    """Reasons the pair is dropped (empty list: keep). Stops at the first drop unless `all_reasons`."""
    reasons = []
    for f in filters:
        keep, reason = f(question, answer, context)
        if not keep:
            reasons.append(reason or f.name)
            if not all_reasons:
                break
    return reasons
