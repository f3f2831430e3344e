"""Write PDFA-format webdataset shards (`<key>.pdf` + `<key>.json`) from PDF files.

The JSON has the fields of pixparse/pdfa-eng-wds: per page `lines{text,bbox,score,word_slice}` and
`words{text,bbox,score,line_pos}`, boxes normalised to 0-1 as [left, top, width, height], taken here
from the PDF's own text layer (PyMuPDF).
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pymupdf


def _norm_box(box: tuple[float, float, float, float], width: float, height: float) -> list[float]:
    x0, y0, x1, y1 = box
    return [round(x0 / width, 5), round(y0 / height, 5), round((x1 - x0) / width, 5), round((y1 - y0) / height, 5)]


def pdfa_json_for(pdf_bytes: bytes) -> dict:
    """The PDFA JSON of a PDF; encrypted or broken files get no pages (as an OCR-less crawl would)."""
    try:
        doc = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    except Exception:
        return {"pages": []}
    with doc:
        if doc.needs_pass and not doc.authenticate(""):
            return {"pages": []}
        pages = []
        for page in doc:
            w, h = page.rect.width or 1, page.rect.height or 1
            words = page.get_text("words", sort=True)  # x0,y0,x1,y1,text,block,line,word
            lines: dict[tuple[int, int], list[int]] = {}
            for i, wd in enumerate(words):
                lines.setdefault((wd[5], wd[6]), []).append(i)
            line_text, line_box, word_slice = [], [], []
            line_pos = [[0, 0] for _ in words]
            for li, idxs in enumerate(lines.values()):
                line_text.append(" ".join(words[i][4] for i in idxs))
                x0 = min(words[i][0] for i in idxs)
                y0 = min(words[i][1] for i in idxs)
                x1 = max(words[i][2] for i in idxs)
                y1 = max(words[i][3] for i in idxs)
                line_box.append(_norm_box((x0, y0, x1, y1), w, h))
                word_slice.append([idxs[0], idxs[-1] + 1])
                for pos, i in enumerate(idxs):
                    line_pos[i] = [li, pos]
            images = [_norm_box(tuple(info["bbox"]), w, h) for info in page.get_image_info()]
            pages.append({
                "images_bbox": images,
                "images_bbox_no_text_overlap": images,
                "lines": {"text": line_text, "bbox": line_box, "score": [1.0] * len(line_text),
                          "word_slice": word_slice},
                "words": {"text": [wd[4] for wd in words], "bbox": [_norm_box(wd[:4], w, h) for wd in words],
                          "score": [1.0] * len(words), "line_pos": line_pos},
            })
        return {"pages": pages}


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0  # reproducible shards
    tar.addfile(info, io.BytesIO(data))


def write_shard(path: Path, documents: list[tuple[str, bytes]], with_json: bool = True) -> None:
    """documents: (key, pdf bytes) pairs, written in order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
        for key, pdf in documents:
            _add_member(tar, f"{key}.pdf", pdf)
            if with_json:
                _add_member(tar, f"{key}.json", json.dumps(pdfa_json_for(pdf)).encode())
    tmp.replace(path)


def shards_from_pdfs(pdfs: list[Path], out_dir: Path, per_shard: int, prefix: str = "pdfa-eng-train") -> list[Path]:
    """Group PDFs into shards named like PDFA's, with 7-digit numeric keys."""
    written = []
    for shard_index, start in enumerate(range(0, len(pdfs), per_shard)):
        docs = [(f"{start + i:07d}", p.read_bytes()) for i, p in enumerate(pdfs[start : start + per_shard])]
        path = out_dir / f"{prefix}-{shard_index:04d}.tar"
        write_shard(path, docs)
        written.append(path)
    return written
