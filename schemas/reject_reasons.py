"""Every reason a document can be rejected for: the names the code uses, and what each means.

The table of reasons in docs/extraction.md is generated from this list (`python -m docmatix.schemas.reject_reasons --write`
rewrites it; a test fails when it is stale), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from docmatix.schemas.doc_blocks import REJECT_REASONS_PAGE, with_block


@dataclass(frozen=True)
class Reason:
    name: str
    stage: str  # the `stage` column of rejects/documents/
    meaning: str


DOCUMENT_REASONS: list[Reason] = []


def _reason(name: str, stage: str, meaning: str) -> str:
    DOCUMENT_REASONS.append(Reason(name, stage, meaning))
    return name


READ_ERROR = _reason("read_error", "read", "the input file could not be read")
PDF_TOO_LARGE = _reason("pdf_too_large", "read", "the PDF is over `--max-pdf-bytes`")
MISSING_PDF = _reason("missing_pdf", "read", "a tar sample has no `.pdf` member")
BAD_JSON = _reason("bad_json", "read", "a tar sample's PDFA `.json` is not JSON")
UNREADABLE_SHARD = _reason("unreadable_shard", "read",
                           "the tar shard breaks off (key `<shard>` stands for the samples after the break)")
ENCRYPTED = _reason("encrypted", "extract", "the empty password does not open it, even after a qpdf repair pass")
UNREADABLE_PDF = _reason("unreadable_pdf", "extract", "neither MuPDF nor a qpdf repair pass can open it")
NO_PAGES = _reason("no_pages", "extract", "the PDF has zero pages (after page-tree recovery)")
TOO_MANY_PAGES = _reason("too_many_pages", "extract", "more pages than `--max-pages`")
PAGE_TOO_LARGE = _reason("page_too_large", "extract", "a page over `--max-page-megapixels` at `--dpi`")
IMAGE_TOO_LARGE = _reason("image_too_large", "extract",
                          "an embedded image over `--max-image-megapixels` (checked before decoding)")
TIMEOUT = _reason("timeout", "extract", "extraction took longer than `--extract-timeout`")
OUT_OF_MEMORY = _reason("out_of_memory", "extract", "extraction hit `--extract-memory-mb`")
WORKER_CRASHED = _reason("worker_crashed", "extract", "the extraction worker died (a crash in native code)")
PAGE_ERROR = _reason("page_error", "extract", "no page could be read (one unreadable page only loses that page)")
NO_TEXT = _reason("no_text", "extract", "no page has text, even after OCR")
PAGE_TOO_LONG = _reason("page_too_long", "chunk", "a page over `--max-chunk-tokens` with `--long-page skip_document` "
                        "(the reference's rule, set by `--profile docmatix`)")
LANGUAGE = _reason("language", "language", "the detected language is not in `--languages` (the code is in `error`)")
GENERATION_FAILED = _reason("generation_failed", "filter", "the LLM answered no chunk usably")
NO_PAIRS_KEPT = _reason("no_pairs_kept", "filter", "pairs were generated, the filters dropped them all")

INPUT_UNREADABLE = (READ_ERROR, UNREADABLE_SHARD)  # the input itself could not be read, not its content



def readme_table() -> str:
    rows = [f"| `{r.name}` | {r.stage} | {r.meaning} |" for r in DOCUMENT_REASONS]
    return "\n".join(["| reason | stage | meaning |", "|---|---|---|", *rows]) + "\n"


def page_with_reasons(text: str) -> str:
    return with_block(text, "reject-reasons", readme_table())


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        REJECT_REASONS_PAGE.write_text(page_with_reasons(REJECT_REASONS_PAGE.read_text()))
    else:
        print(readme_table(), end="")
