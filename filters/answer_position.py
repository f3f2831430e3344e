"""Drop answers whose value is on the page, but not where the question points (`answer_out_of_place`):
the figure of another table row, the date of another event, the number of another passage.

"What was the unemployment rate in the Eastern Highlands in 2021?" / "7.1%": 7.1 is on the page, in
North Coast's row. A value is in place when one of its occurrences stands with the question's most
specific terms (those the page has on few lines, such as a row label) or the answer's own: in the same sentence, or,
in a table, in the row label that precedes it (walking back over the row's other cells, which the text
layer often gives one per line), and, when the question names a year that heads one of the table's
columns, in that column. Only values that can be placed are judged: numbers of the answer that
the page prints at most a few times, in answers with one or two of them, for questions whose specific
terms the page has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from docmatix.filters.base import PairContext
from docmatix.filters.text import content_words, fold, number_spans, numbers, stem, strip_leading_marker

_CELL_LINE = regex.compile(r"^[\s\d.,%€$£()+-]*$")  # a line that is only a figure: a table cell
MAX_OCCURRENCES = 3  # a value printed more often cannot be placed
MAX_VALUES = 2
MAX_ANCHOR_LINES = 3  # question terms on more lines than this are not specific
SHORT_LINE_CHARS = 45  # a line this short ends where it breaks (a cell, a heading); longer ones wrap prose
ROW_LABEL_LINES = 3
ROW_WORDS = 6
SENTENCE_CHARS = 300
_ABBREVIATION = regex.compile(r"(?:\b\w\.\w\.|\b(?:e\.g|etc|vs|cf|no|nr|fig|p|pp|approx|incl)\.)$")


@dataclass(frozen=True)
class PageLines:
    lines: tuple[str, ...]
    stems: tuple[frozenset[str], ...]
    starts: tuple[int, ...]  # character offset of each line in `text`
    text: str


@lru_cache(maxsize=256)
def page_lines(source: str) -> PageLines:
    lines = tuple(fold(line) for line in source.split("\n"))
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    return PageLines(lines, tuple(frozenset(stem(w) for w in content_words(line)) | frozenset(numbers(line))
                                  for line in lines), tuple(starts), "\n".join(lines))


def _line_of(page: PageLines, offset: int) -> int:
    lo, hi = 0, len(page.starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if page.starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _is_break(page: PageLines, offset: int) -> bool:
    """The character at `offset` ends a sentence: a full stop before a space, or the end of a short line."""
    ch = page.text[offset]
    if ch == "\n":
        return len(page.lines[_line_of(page, offset)]) < SHORT_LINE_CHARS
    if ch == "." and _ABBREVIATION.search(page.text[max(0, offset - 5):offset + 1]):
        return False
    return ch in ".!?;。！？" and (offset + 1 >= len(page.text) or page.text[offset + 1].isspace())


def sentence_at(page: PageLines, offset: int) -> str:
    start = offset
    while start > 0 and offset - start < SENTENCE_CHARS and not _is_break(page, start - 1):
        start -= 1
    end = offset
    while end < len(page.text) and end - offset < SENTENCE_CHARS and not _is_break(page, end):
        end += 1
    return page.text[start:end + 1]


def _is_row(line: str) -> bool:
    """A table row written on one line: two figures or more among few words."""
    return len(numbers(line)) >= 2 and len(content_words(line)) <= ROW_WORDS


def row_label(page: PageLines, line: int) -> frozenset[str]:
    """Stems of the line, when it is a whole table row, or of the row label lines before it, walking back
    over the row's other cells."""
    found = set(page.stems[line]) if _is_row(page.lines[line]) else set()
    i = line - 1
    while i >= 0 and _CELL_LINE.match(page.lines[i]):
        i -= 1
    taken = 0
    while i >= 0 and taken < ROW_LABEL_LINES and not _CELL_LINE.match(page.lines[i]) \
            and len(page.lines[i]) < SHORT_LINE_CHARS:
        found |= page.stems[i]
        i, taken = i - 1, taken + 1
    return frozenset(found)


_YEAR = regex.compile(r"^(?:19|20)\d\d$")


def _row_cells(page: PageLines, line: int) -> tuple[int, int] | None:
    """(first, last) line of the cell-only lines around `line` (one table row's figures), or None."""
    if not _CELL_LINE.match(page.lines[line]):
        return None
    first, last = line, line
    while first > 0 and _CELL_LINE.match(page.lines[first - 1]) and page.lines[first - 1].strip():
        first -= 1
    while last + 1 < len(page.lines) and _CELL_LINE.match(page.lines[last + 1]) and page.lines[last + 1].strip():
        last += 1
    return first, last


def header_years(page: PageLines, line: int) -> list[str]:
    """The years of the column headers above `line`'s table: from the table's first line (after the last
    prose line) to its first figure that is not a year. Empty when there is no such header."""
    start = line
    while start > 0 and len(page.lines[start - 1]) < SHORT_LINE_CHARS:
        start -= 1
    years = []
    for i in range(start, line):
        found = numbers(page.lines[i])
        if _CELL_LINE.match(page.lines[i]) and found and not all(_YEAR.match(n) for n in found):
            break
        years += [n for n in found if _YEAR.match(n)]
    return years


def wrong_column(question: str, page: PageLines, offset: int) -> bool:
    """The question asks for a year's column and the value stands in another one (cells one per line)."""
    asked = [n for n in numbers(question) if _YEAR.match(n)]
    line = _line_of(page, offset)
    cells = _row_cells(page, line)
    if not asked or cells is None:
        return False
    years = header_years(page, cells[0])
    if len(years) != cells[1] - cells[0] + 1 or not set(asked) & set(years):
        return False
    return years[line - cells[0]] not in asked


def specific_anchors(question: str, page: PageLines) -> set[str]:
    """The question's terms that the page has on a few lines only (MAX_ANCHOR_LINES)."""
    terms = {stem(w) for w in content_words(question)} | set(numbers(question))
    return {t for t in terms if 0 < sum(t in s for s in page.stems) <= MAX_ANCHOR_LINES}


def out_of_place(question: str, answer: str, context: PairContext) -> str | None:
    """The first answer value with no occurrence beside the question's specific terms, or None."""
    if not context.source_text:
        return None
    page = page_lines(context.source_text)
    asked = set(numbers(question))
    # Single digits stand everywhere (list items, citations, footnotes): they cannot be placed.
    values = [v for v in dict.fromkeys(numbers(strip_leading_marker(answer))) if v not in asked and len(v) > 1]
    if any(v not in context.source_numbers for v in values):
        return None  # the answer computes (its result is not on the page): its operands may stand anywhere
    if not values or len(values) > MAX_VALUES:
        return None
    anchors = specific_anchors(question, page)
    if not anchors:
        return None
    # The answer's own specific words place it too: "Which region had the highest rate?" / "The Eastern
    # Highlands, with 10.1%" names the row it read.
    anchors |= specific_anchors(" ".join(content_words(answer)), page)  # its words, not its figures
    for value in values:
        offsets = [at for number, at in number_spans(page.text, glued=True) if number == value]
        if not offsets or len(offsets) > MAX_OCCURRENCES:
            continue
        placed = False
        for offset in offsets:
            if wrong_column(question, page, offset):
                continue
            sentence = sentence_at(page, offset)
            near = {stem(w) for w in content_words(sentence)} | set(numbers(sentence))
            if anchors & (near | row_label(page, _line_of(page, offset))):
                placed = True
                break
        if not placed:
            return value
    return None


class AnswerPositionFilter:
    name = "answer_position"

    def explain(self, question: str, answer: str, context: PairContext) -> str | None:
        return out_of_place(question, answer, context)

    def __call__(self, question: str, answer: str, context: PairContext) -> tuple[bool, str | None]:
        if out_of_place(question, answer, context) is not None:
            return False, "answer_out_of_place"
        return True, None
