"""Answer evidence: where on its pages a pair's answer is, found among the page words and their boxes.

How a match is scored: the answer and each page are reduced to sequences of content tokens (case and
punctuation folded away, so "$1,234." is "1234"; stopwords left out, so "The total is 108 EUR" is
total 108 eur). A page token within a small edit distance of an answer token counts as it (OCR
misreads a letter). Every page span that starts and ends on an answer token is scored with the Dice
coefficient of its longest common subsequence with the answer, 2 * LCS / (answer tokens + span tokens):
1.0 when the page has the answer's tokens in order and nothing else between them, lower for missing,
reordered or interleaved tokens. The best span over the chunk's pages (ties: the earlier page and
position, then the shorter span) is the evidence when it scores at least MIN_SCORE; its words are
boxed, one box per line of text they cover.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

import regex
from PIL import Image
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from docmatix.filters.text import STOPWORDS
from docmatix.schemas.records import FinishedDocument, PageWords, PairEvidence

MIN_SCORE = 0.6  # below it the best span shares too little with the answer to say "it is here"
FUZZY_TOKEN_RATIO = 85  # rapidfuzz ratio (0-100) at which a page token of 4+ characters is an answer token
FUZZY_MIN_CHARS = 4  # shorter tokens (numbers, codes) must match exactly
MAX_SPAN_FACTOR = 2  # a span holds at most this many times the answer's tokens
# An answer of at most this many content tokens is extractive: a name, number, date or short phrase the
# page states (the no_evidence filter drops such a pair when it is not found); longer ones explain.
EXTRACTIVE_MAX_TOKENS = 8

_NOT_ALNUM = regex.compile(r"[^\p{L}\p{N}]+")


def normalise_token(word: str) -> str:
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", word).casefold())


def content_tokens(text: str) -> list[str]:
    """The answer's tokens that matching uses: words without punctuation, stopwords left out."""
    return [t for t in map(normalise_token, text.split()) if t and t not in STOPWORDS]


def is_extractive(answer: str) -> bool:
    return 0 < len(content_tokens(answer)) <= EXTRACTIVE_MAX_TOKENS


@dataclass(frozen=True)
class Match:
    page: int  # index in the document's pages
    score: float
    first: int  # the span's first and last word (indices in the page's words)
    last: int


def _page_tokens(words: PageWords, answer: list[str]) -> list[tuple[str, int]]:
    """(token, word index) of the page's content words, near-misses of an answer token mapped onto it."""
    exact = set(answer)
    long_ones = [t for t in exact if len(t) >= FUZZY_MIN_CHARS]
    out = []
    for i, word in enumerate(words.text):
        for token in (normalise_token(w) for w in word.split()):
            if not token or token in STOPWORDS:
                continue
            if token not in exact and long_ones and len(token) >= FUZZY_MIN_CHARS:
                near = process.extractOne(token, long_ones, scorer=fuzz.ratio, score_cutoff=FUZZY_TOKEN_RATIO)
                token = near[0] if near else token
            out.append((token, i))
    return out


def _best_span(answer: list[str], tokens: list[tuple[str, int]]) -> tuple[float, int, int] | None:
    """(score, first token, last token) of the page's best span, or None when no answer token is there."""
    wanted = set(answer)
    anchors = [k for k, (t, _) in enumerate(tokens) if t in wanted]
    best = None
    longest = MAX_SPAN_FACTOR * len(answer)
    for a, start in enumerate(anchors):
        for end in anchors[a:]:
            if end - start + 1 > longest:
                break
            span = [t for t, _ in tokens[start:end + 1]]
            score = Indel.normalized_similarity(answer, span)  # 2 * LCS / (len(answer) + len(span))
            if best is None or score > best[0] + 1e-9:
                best = (score, start, end)
    return best


def locate_answer(answer: str, pages: list[tuple[int, PageWords]]) -> Match | None:
    """The best-matching span of `answer` among the pages (index, words), or None below MIN_SCORE."""
    tokens = content_tokens(answer)
    if not tokens:
        return None
    best: Match | None = None
    for index, words in pages:
        page_tokens = _page_tokens(words, tokens)
        found = _best_span(tokens, page_tokens)
        if found is not None and (best is None or found[0] > best.score + 1e-9):
            best = Match(index, found[0], page_tokens[found[1]][1], page_tokens[found[2]][1])
    return best if best is not None and best.score >= MIN_SCORE else None


def line_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Consecutive word boxes merged into one box per line: a word starts a new line when its vertical
    middle is outside the previous word's height or it starts left of where that word began."""
    lines: list[list[float]] = []
    prev = None
    for box in boxes:
        middle = (box[1] + box[3]) / 2
        if prev is None or not prev[1] <= middle <= prev[3] or box[0] < prev[0]:
            lines.append(list(box))
        else:
            line = lines[-1]
            line[:] = [min(line[0], box[0]), min(line[1], box[1]), max(line[2], box[2]), max(line[3], box[3])]
        prev = box
    return [tuple(line) for line in lines]


def image_size(image: bytes) -> tuple[int, int]:
    """Width and height of an encoded page image (only its header is decoded)."""
    with Image.open(io.BytesIO(image)) as img:
        return img.size


def evidence_of(match: Match, words: PageWords, size: tuple[int, int]) -> PairEvidence:
    boxes = line_boxes(words.boxes[match.first:match.last + 1])
    width, height = size
    px = [(round(b[0] * width), round(b[1] * height), round(b[2] * width), round(b[3] * height)) for b in boxes]
    return PairEvidence(match.page, round(match.score, 4), boxes, px,
                        " ".join(words.text[match.first:match.last + 1]))


def chunk_page_words(done_pages: list, page_indices: list[int]) -> list[tuple[int, PageWords]] | None:
    """(page index, words) of a chunk's pages that have words; None when no page captured any (not
    known, as in outputs of older runs: the no_evidence filter then abstains)."""
    pages = [(i, done_pages[i].words) for i in page_indices if i < len(done_pages)]
    if all(words is None for _, words in pages):
        return None
    return [(i, w) for i, w in pages if w is not None]


def attach_evidence(done: FinishedDocument) -> FinishedDocument:
    """Locate every kept pair's answer on its chunk's pages; `done.evidence` gets one entry per kept pair."""
    doc = done.document
    if doc is None or done.rejected is not None:
        return done
    chunk_pages = {r.chunk.index: r.chunk.page_indices for r in done.chunks}
    sizes: dict[int, tuple[int, int]] = {}
    evidence = []
    for pair in done.kept:
        pages = chunk_page_words(doc.pages, chunk_pages.get(pair.chunk_index, []))
        match = locate_answer(pair.answer, pages or [])
        if match is None:
            evidence.append(None)
            continue
        if match.page not in sizes:  # the generation stage has the sizes, not the images
            sizes[match.page] = (doc.image_sizes[match.page] if match.page < len(doc.image_sizes)
                                 else image_size(doc.images[match.page]))
        evidence.append(evidence_of(match, doc.pages[match.page].words, sizes[match.page]))
    done.evidence = evidence
    return done
