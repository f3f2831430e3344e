"""Render one PDF page to an encoded image (PNG by default, as the reference)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pymupdf
from PIL import Image


@dataclass(frozen=True)
class RenderSettings:
    dpi: int = 150
    max_side: int = 2940
    image_format: str = "png"  # png | jpeg | webp
    quality: int = 90
    grayscale: bool = False


def page_zoom(page: pymupdf.Page, settings: RenderSettings) -> float:
    """Scale factor for `dpi`, lowered so the longest side fits `max_side` pixels.

    Rendering straight at the reduced scale gives the same pixels budget as a Lanczos downsize of a
    full-resolution render, at a fraction of the cost.
    """
    zoom = settings.dpi / 72.0
    longest = max(page.rect.width, page.rect.height) * zoom
    if longest > settings.max_side:
        zoom *= settings.max_side / longest
    return zoom


def render_pixmap(page: pymupdf.Page, settings: RenderSettings) -> pymupdf.Pixmap:
    zoom = page_zoom(page, settings)
    colorspace = pymupdf.csGRAY if settings.grayscale else pymupdf.csRGB
    return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=colorspace, alpha=False)


def pixmap_to_pil(pix: pymupdf.Pixmap) -> Image.Image:
    mode = "L" if pix.n == 1 else "RGB"
    return Image.frombytes(mode, (pix.width, pix.height), pix.samples)


def encode_pixmap(pix: pymupdf.Pixmap, settings: RenderSettings) -> bytes:
    if settings.image_format == "png":
        return pix.tobytes("png")
    # Pillow's libjpeg-turbo / libwebp are several times faster than MuPDF's own JPEG encoder.
    buf = io.BytesIO()
    fmt = {"jpeg": "JPEG", "webp": "WEBP"}[settings.image_format]
    pixmap_to_pil(pix).save(buf, format=fmt, quality=settings.quality)
    return buf.getvalue()


def is_blank(pix: pymupdf.Pixmap) -> bool:
    """Whether every pixel has the same colour (PyMuPDF's `is_unicolor` loops in Python: seconds a page)."""
    samples = pix.samples
    first = samples[: pix.n]
    return samples == first * (len(samples) // pix.n) if first else True
