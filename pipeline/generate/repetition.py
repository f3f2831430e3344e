"""Find where a completion starts repeating itself, so the loop is not paid for and not parsed.

Small models loop until `max_tokens` in three shapes, all caught here with the "Q66:" numbering
ignored: the same pair renumbered (a question line coming back `loop_repeats` times, or any line
twice that), one phrase repeated inside a line ('What is the answer to the question: "What is the
answer to the question: ...'), and runs of near-identical questions (rapidfuzz ratio at or above
`near_repeat_score` counts as the same line, if it has the same numbers). A chunk asking for about 4 pairs per page that gets
more than `max_pairs_per_page` per page is cut too. The cut falls at the start of the pair in which
the loop was seen, so the pairs before it are kept and filtered as usual.

`LoopDetector` is incremental: the streaming client feeds it the text received so far and cancels
the request once it reports a loop; `find_loop` runs the same detector over a finished completion
(a non-streamed or cached answer), so both give the same cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex
from rapidfuzz import fuzz, process

from docmatix.pipeline.generate.qa_parse import split_marker

_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_DIGITS = regex.compile(r"\d+")
# Lines shorter than this ("Yes.", "110 EUR.") repeat legitimately as answers to different questions.
MIN_LINE_CHARS = 12
# A phrase loop inside one line must span at least this many words (and repeat at least 3 times).
MIN_PHRASE_LOOP_WORDS = 15
MAX_PHRASE_WORDS = 40


@dataclass(frozen=True)
class LoopSettings:
    loop_repeats: int = 3  # a question line seen this often is a loop (any line: twice as often); 0: off
    near_repeat_score: float = 90.0
    max_pairs_per_page: int = 12  # 3x the "about 4 per page" the prompts ask for; 0: no cap


@dataclass(frozen=True)
class Loop:
    cut: int  # offset in the completion where the looping pair starts; text before it is kept
    detail: str


def line_key(line: str) -> str:
    """The line without its marker and numbering, case and punctuation folded."""
    return _NON_WORD.sub(" ", split_marker(line)[1].casefold()).strip()


def phrase_loop(line: str) -> bool:
    """The line ends in one phrase repeated back to back (at least 3 times, MIN_PHRASE_LOOP_WORDS words)."""
    words = _WORD.findall(line.casefold())
    n = len(words)
    for period in range(1, min(MAX_PHRASE_WORDS, n // 3) + 1):
        times = max(3, -(-MIN_PHRASE_LOOP_WORDS // period))
        span = period * times
        if span > n:
            continue
        tail = words[n - span:]
        if all(tail[i] == tail[i % period] for i in range(span)):
            return True
    return False


class LoopDetector:
    def __init__(self, settings: LoopSettings, n_pages: int = 1):
        self.settings = settings
        self.max_pairs = settings.max_pairs_per_page * max(1, n_pages)
        self.consumed = 0  # offset up to which complete lines were examined
        self.pair_start = 0  # offset of the latest question line
        self.questions = 0
        self.keys: list[str] = []
        self.by_numbers: dict[tuple[str, ...], list[int]] = {}  # the numbers in a line -> its key indices
        self.counts: list[int] = []
        self.question_counts: list[int] = []
        self.loop: Loop | None = None

    def _seen(self, key: str, is_question: bool) -> tuple[int, int]:
        """Count the line against the earlier line it repeats (or a new one); (all count, question count).
        Near-identical lines must have the same numbers: "figure 1", "figure 2" is an enumeration."""
        same_numbers = self.by_numbers.setdefault(tuple(_DIGITS.findall(key)), [])
        match = process.extractOne(key, [self.keys[i] for i in same_numbers], scorer=fuzz.ratio,
                                   score_cutoff=self.settings.near_repeat_score)
        if match is None:
            same_numbers.append(len(self.keys))
            self.keys.append(key)
            self.counts.append(0)
            self.question_counts.append(0)
            i = len(self.keys) - 1
        else:
            i = same_numbers[match[2]]
        self.counts[i] += 1
        self.question_counts[i] += int(is_question)
        return self.counts[i], self.question_counts[i]

    def _line(self, start: int, line: str) -> Loop | None:
        kind, _ = split_marker(line)
        if kind == "Q":
            self.questions += 1
            self.pair_start = start
            if self.settings.max_pairs_per_page and self.questions > self.max_pairs:
                return Loop(start, f"more than {self.max_pairs} pairs for the chunk's pages")
        if phrase_loop(line):
            return Loop(self.pair_start, "a phrase repeated within a line")
        key = line_key(line)
        if len(key) < MIN_LINE_CHARS or not self.settings.loop_repeats:
            return None
        seen, seen_as_question = self._seen(key, kind == "Q")
        if seen_as_question >= self.settings.loop_repeats or seen >= 2 * self.settings.loop_repeats:
            return Loop(self.pair_start, f"a line repeated {seen} times: {key[:80]!r}")
        return None

    def feed(self, text: str, final: bool = False) -> Loop | None:
        """Examine what `text` (the completion so far) added; the loop found, if any (then sticky)."""
        if self.loop is not None:
            return self.loop
        end = len(text) if final else text.rfind("\n") + 1
        while self.consumed < end:
            newline = text.find("\n", self.consumed, end)
            stop = end if newline < 0 else newline + 1
            self.loop = self._line(self.consumed, text[self.consumed:stop])
            self.consumed = stop
            if self.loop is not None:
                return self.loop
        # A line that never ends: a phrase loop shows before its newline does.
        if not final and phrase_loop(text[self.consumed:]):
            start = self.pair_start if split_marker(text[self.consumed:])[0] != "Q" else self.consumed
            self.loop = Loop(start, "a phrase repeated within a line")
        return self.loop


def find_loop(text: str, settings: LoopSettings, n_pages: int = 1) -> Loop | None:
    return LoopDetector(settings, n_pages).feed(text, final=True)
