"""Records that flow between pipeline stages (in the order data flows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PageSource = Literal["text_layer", "pdfa_json", "ocr", "none"]


@dataclass(frozen=True)
class WorkUnit:
    """One resumable unit of work: an input tar shard, or a fixed group of PDFs from a folder."""

    unit_id: str
    kind: Literal["tar", "pdf_group"]
    paths: tuple[str, ...]


@dataclass
class SourceDocument:
    """A PDF as read from the input, before any parsing."""

    key: str
    unit_id: str
    origin: str  # the shard or file it came from
    pdf: bytes
    pdfa_json: dict | None = None
    source_label: str = ""  # what goes into the Cauldron `source` field

    @property
    def doc_id(self) -> str:
        return f"{self.unit_id}/{self.key}"


@dataclass
class PageWords:
    """A page's words with their boxes, from the same source as its text (PDFA JSON words, PyMuPDF
    words of our text layer, Tesseract's words for OCR): where on the page each word is.

    Boxes are (left, top, right, bottom) normalised to 0-1 of the page, so they map onto the stored page
    image whatever its size (pipeline/extract/page_words.py)."""

    text: list[str] = field(default_factory=list)
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class PageText:
    index: int
    text: str
    source: PageSource
    ocr_confidence: float | None = None
    # Text of the other candidate source (PDFA JSON vs our own layer), kept to measure disagreement.
    alternative_chars: int | None = None
    ocr_reason: str | None = None  # why the page went to OCR (pipeline.extract.ocr_decision); None when it did not
    sources_disagree: bool = False  # PDFA input: the JSON lines and our text layer disagree (page_text)
    words: PageWords | None = None  # the words of `text`'s source with their boxes; None: not captured


@dataclass
class ExtractedDocument:
    key: str
    unit_id: str
    origin: str
    source_label: str
    pages: list[PageText]
    images: list[bytes]  # encoded page images, in page order
    image_format: str = "png"
    # (width, height) of each page image: what stages that travel without the images (generation, which
    # places answer evidence in image pixels) know of them
    image_sizes: list[tuple[int, int]] = field(default_factory=list)
    lost_pages: list[int] = field(default_factory=list)  # pages that could not be read (0-based, in the PDF)
    lost_page_errors: list[str] = field(default_factory=list)  # why, one per lost page
    repaired: bool = False  # MuPDF opened it only after a qpdf repair pass
    language: str | None = None  # ISO 639-1 from pipeline/extract/language.py; None before detection
    language_probability: float | None = None


@dataclass
class Chunk:
    index: int
    page_indices: list[int]
    text: str
    n_tokens: int
    template: str


@dataclass
class QAPair:
    question: str
    answer: str
    template: str
    chunk_index: int


@dataclass
class ChunkResult:
    """What the LLM gave for one chunk: raw text and parsed pairs, or the reason it failed."""

    chunk: Chunk
    completion: str | None
    pairs: list[QAPair] = field(default_factory=list)
    error: str | None = None  # reason name when the chunk got no usable answer
    error_detail: str = ""
    requests: int = 0
    cached: bool = False
    # Tokens from the server's `usage` (0 when it sent none); for a cached answer, its original cost.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Where the completion started looping (pipeline/generate/repetition.py): pairs come from the text before
    # it, and `error` is "repetition". None when it did not loop.
    loop_cut: int | None = None


@dataclass
class GeneratedDocument:
    document: ExtractedDocument
    chunks: list[ChunkResult]


@dataclass
class DroppedPair:
    pair: QAPair
    reasons: list[str]
    detail: str = ""  # what the reason refers to, e.g. the benchmark item a contaminated question copies


@dataclass
class PairEvidence:
    """Where a kept pair's answer is on its pages (pipeline/generate/answer_evidence.py)."""

    page: int  # index of the page in the document's pages (and images)
    score: float  # 0-1, how well the best page span matches the answer (answer_evidence.match_score)
    boxes: list[tuple[float, float, float, float]]  # one per line of the span: left, top, right, bottom, 0-1
    boxes_px: list[tuple[int, int, int, int]]  # the same in pixels of the stored page image
    text: str  # the page words that matched, as written on the page


@dataclass
class JudgeVerdict:
    """An LLM judge's 1-5 ratings of one pair (pipeline/generate/judge.py); scores None when its answer was unusable."""

    answerable: int | None  # the question can be answered from the chunk text
    correct: int | None  # the answer is right according to the text
    needs_page: int | None  # answering needs the document (visual/document dependency)
    reason: str  # the judge's one-line reason, or what was wrong with its answer

    @property
    def score(self) -> int | None:
        """The pair's judge score: the lowest of the three (a pair is as good as its weakest side)."""
        scores = (self.answerable, self.correct, self.needs_page)
        return None if None in scores else min(scores)


@dataclass
class RequestUsage:
    """Requests and tokens of one kind of call (the judge's) for a document."""

    requests: int = 0  # HTTP requests sent (retries included)
    cached: int = 0  # answers taken from the request cache
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class RejectedDocument:
    key: str
    unit_id: str
    origin: str
    stage: str
    reason: str
    error: str = ""


@dataclass
class FinishedDocument:
    """The end of the line for one document: a Cauldron row (kept pairs) or a rejection, plus drops."""

    key: str
    unit_id: str
    document: ExtractedDocument | None
    kept: list[QAPair]
    dropped: list[DroppedPair]
    chunks: list[ChunkResult]
    rejected: RejectedDocument | None = None
    # Per kept pair, in `kept`'s order: where its answer is on the page, and the judge's verdict (None:
    # not located / not judged). Empty lists when not computed.
    evidence: list[PairEvidence | None] = field(default_factory=list)
    judge: list[JudgeVerdict | None] = field(default_factory=list)
    judge_usage: RequestUsage = field(default_factory=RequestUsage)
