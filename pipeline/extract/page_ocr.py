"""Tesseract OCR (through pytesseract) of a rendered page, for pages without a usable text layer."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

from docmatix.pipeline.extract.page_words import ocr_words
from docmatix.schemas.records import PageWords

# Tesseract's OpenMP threads make OCR ~6.6x slower on small machines; parallelism belongs to the
# worker processes, so every OCR call runs single-threaded.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass
class OcrResult:
    text: str
    confidence: float | None  # mean word confidence, 0-100; None when no word was found
    words: PageWords | None = None  # the recognised words with their boxes (answer evidence)


def ocr_image(image: Image.Image, lang: str = "eng", timeout_s: float = 120) -> OcrResult:
    import pytesseract

    data = pytesseract.image_to_data(image, lang=lang, output_type=pytesseract.Output.DICT, timeout=timeout_s)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs: list[float] = []
    for word, conf, block, par, line in zip(
        data["text"], data["conf"], data["block_num"], data["par_num"], data["line_num"], strict=False
    ):
        if not word.strip():
            continue
        lines.setdefault((block, par, line), []).append(word)
        if float(conf) >= 0:
            confs.append(float(conf))
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    return OcrResult(text=text, confidence=sum(confs) / len(confs) if confs else None,
                     words=ocr_words(data, *image.size))
