"""Limits that protect an extraction worker from hostile PDFs, and the checks that enforce them.

Checks read sizes from the PDF's dictionaries (page boxes, image /Width and /Height) before anything is
decoded or rendered, so a decompression bomb is refused without being inflated. What no cheap check can
see (a hung MuPDF call, an inline-image bomb) is caught by the per-document deadline and the worker's
memory cap in `pipeline.extract.isolation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

# Reject reasons, one per limit (stage "extract"); the deadline's and the memory cap's are raised by
# pipeline/extract/isolation.py, which imports them from the registry as every module does.
from docmatix.schemas.reject_reasons import IMAGE_TOO_LARGE, PAGE_TOO_LARGE, TOO_MANY_PAGES


@dataclass(frozen=True)
class ExtractLimits:
    # A0 at 150 dpi is ~35 MP; a 20,000 pt square page would be ~1,700 MP.
    max_page_megapixels: float = 64.0  # page area in pixels at the render dpi, before the max-side cap
    # 600 dpi colour A3 is ~70 MP; Pillow refuses images over ~179 MP as likely bombs.
    max_image_megapixels: float = 256.0  # any one embedded image, decoded
    timeout_s: float = 60.0  # per document, wall clock; 0 runs in-process with no deadline
    memory_mb: int = 4096  # address-space cap of the isolated extraction worker; 0 = none
    slow_after_s: float = 5.0  # past this a document is set aside (low priority) and the next one starts; 0 = never

    @property
    def sets_aside(self) -> bool:
        """Whether a slow document can be set aside: it needs a deadline to run on to, later than the wait."""
        return 0 < self.slow_after_s < self.timeout_s


class LimitExceeded(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def check_page_count(n_pages: int, max_pages: int) -> None:
    if n_pages > max_pages:
        raise LimitExceeded(TOO_MANY_PAGES, f"{n_pages} pages > {max_pages}")


def page_megapixels(page: pymupdf.Page, dpi: int) -> float:
    zoom = dpi / 72.0
    return page.rect.width * zoom * page.rect.height * zoom / 1e6


def check_page_area(page: pymupdf.Page, dpi: int, limits: ExtractLimits) -> None:
    mp = page_megapixels(page, dpi)
    if mp > limits.max_page_megapixels:
        w, h = page.rect.width, page.rect.height
        raise LimitExceeded(PAGE_TOO_LARGE, f"page {page.number}: {w:.0f} x {h:.0f} pt = {mp:.0f} MP at "
                                            f"{dpi} dpi > {limits.max_page_megapixels:g} MP")


def check_page_images(page: pymupdf.Page, limits: ExtractLimits) -> None:
    """Refuse a page that references an image whose declared decoded size is over the limit."""
    for item in page.get_images(full=True):
        xref, width, height = item[0], item[2], item[3]
        mp = width * height / 1e6
        if mp > limits.max_image_megapixels:
            raise LimitExceeded(IMAGE_TOO_LARGE, f"page {page.number}: image xref {xref} is {width} x {height} "
                                                 f"= {mp:.0f} MP > {limits.max_image_megapixels:g} MP")
