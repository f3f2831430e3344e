"""Drop pairs copied from our own prompts (`prompt_echo`).

Small models copy the few-shot example ("What is the invoice total?" / "The total is 108 EUR.") into
documents that hold no invoice, quote the instructions ("What is this part about?") or restate the
prompt's scaffolding ("Document: ...", "Q1: ..."). What counts as the prompt comes from the templates
themselves (prompts/*.toml), so a new template is covered without touching this file.

A question or answer is an echo when, normalised, it is one of the example pairs' questions or
answers, or a run of at least `MIN_ECHO_WORDS` words of a template's text (instructions, role,
example documents) — unless the chunk itself carries its content words and numbers: a real invoice
may well be asked for its total. A pair equal to an example pair is dropped whatever the chunk says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import content_words, normalise_question, numbers, strip_leading_marker
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.qa_parse import parse_qa_text

# Shorter runs ("the total is") are ordinary phrases, not copies.
MIN_ECHO_WORDS = 4
# A label line of a template ("Document:") and a question marker the model wrote into an answer.
_LABEL_LINE = regex.compile(r"^\s*(\p{L}[\p{L} ]{0,30}):\s*$", regex.M)
_QUESTION_MARKER = regex.compile(r"^\s*(?:\*\*)?Q(?:uestion)?\s*\d*\s*:", regex.I)


@dataclass(frozen=True)
class PromptText:
    """What the templates say, normalised (normalise_question) for comparison."""

    example_pairs: frozenset[tuple[str, str]]
    example_parts: frozenset[str]  # each example question and answer on its own
    passages: tuple[str, ...]  # instructions, roles and example documents, space-padded
    labels: tuple[str, ...]  # "document", casefolded


@lru_cache(maxsize=8)
def prompt_text(prompts_dir: str | None) -> PromptText:
    pairs, passages, labels = set(), [], set()
    for t in load_templates(prompts_dir):
        for user, assistant in t.examples:
            pairs.update((normalise_question(q), normalise_question(a)) for q, a in parse_qa_text(assistant))
            passages.append(user)
        passages += [t.system, t.user.replace("{text}", " "), t.role]
        labels.update(m.group(1).casefold() for m in _LABEL_LINE.finditer(t.user))
    return PromptText(
        example_pairs=frozenset(pairs),
        example_parts=frozenset(p for pair in pairs for p in pair if p),
        passages=tuple(f" {normalise_question(p)} " for p in passages),
        labels=tuple(sorted(labels)),
    )


def carried_by_chunk(text: str, context: PairContext) -> bool:
    """Every content word and number of `text` is in the chunk, which then justifies the copy. A
    text with neither ("What is this part about?") is never carried: nothing ties it to the chunk."""
    wanted, nums = content_words(text), numbers(text)
    if context.source_text is None or not (wanted or nums):
        return False
    return all(w in context.source_words for w in wanted) and all(n in context.source_numbers for n in nums)


class PromptEchoFilter:
    name = "prompt_echo"

    def __init__(self, prompts_dir: str | None = None):
        self.prompt = prompt_text(prompts_dir)

    def copied(self, text: str) -> bool:
        norm = normalise_question(text)
        if not norm:
            return False
        if norm in self.prompt.example_parts:
            return True
        return len(norm.split()) >= MIN_ECHO_WORDS and any(f" {norm} " in p for p in self.prompt.passages)

    def starts_with_label(self, text: str) -> bool:
        """Starts, after its own "Q1:"/"A1:" marker, with a template label ("Document:")."""
        head = strip_leading_marker(text).lstrip(" *#>-").casefold()
        return any(head.startswith(f"{label}:") for label in self.prompt.labels)

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if (normalise_question(question), normalise_question(answer)) in self.prompt.example_pairs:
            return False, "prompt_echo"
        # An answer opening with a question marker restates the prompt's "Q1:" form instead of answering.
        if self.starts_with_label(answer) or self.starts_with_label(question) or _QUESTION_MARKER.match(answer):
            return False, "prompt_echo"
        for text in (question, answer):
            if self.copied(text) and not carried_by_chunk(text, context):
                return False, "prompt_echo"
        return True, None
