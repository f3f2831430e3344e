"""Filter settings: thresholds and bounds, one field per command-line option (filters/options.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class FilterSettings:
    # Share of the answer's content words (and all of its numbers) that must appear in the chunk text.
    # Invented answers score near 0; inference answers reword (the prompts' own example "Within 30 days
    # of 3 March 2021, so by early April 2021" scores 0.5), hence the margin below it.
    grounding_threshold: float = 0.4
    # rapidfuzz token_sort_ratio (0-100) at or above which two questions of a document are one question.
    near_duplicate_threshold: float = 90.0
    min_question_chars: int = 8
    max_question_chars: int = 300
    min_answer_chars: int = 1
    max_answer_chars: int = 1000
    # Where the prompt templates are (None: prompts/): the echo filter drops copies of them.
    prompts_dir: str | None = None

    @classmethod
    def from_object(cls, obj: Any) -> FilterSettings:
        """The settings carried by anything with same-named attributes (RunConfig, argparse args)."""
        return cls(**{f.name: getattr(obj, f.name) for f in fields(cls) if hasattr(obj, f.name)})


FILTER_DEFAULTS = FilterSettings()
