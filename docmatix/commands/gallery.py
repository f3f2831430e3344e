"""`docmatix gallery`: a static HTML page of sampled rows (open index.html in any browser, no server)."""

from __future__ import annotations

import argparse
import io
import random
import re
from pathlib import Path

from PIL import Image

from docmatix.output.gallery_html import Card, PageImage, page_label, render_gallery
from docmatix.output.reader import OutputReader, Sample

THUMB_SIZE = (320, 420)  # shown at 160 px wide: sharp on high-density screens


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gallery", help="write a static HTML gallery of sampled rows, with filter controls")
    p.add_argument("path", help="output folder, fsspec URL (s3://..., hf://...) or Hub dataset id")
    p.add_argument("--out", required=True, help="folder for index.html and its images")
    p.add_argument("--n", type=int, default=24, help="rows to sample (default 24)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--key", action="append", default=[], help="show this document (KEY or UNIT_ID/KEY); repeatable")
    p.add_argument("--rejected", type=int, default=5,
                   help="also show this many rejected documents with their dropped pairs (default 5)")
    p.set_defaults(func=main)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def write_page_images(sample: Sample, number: int, image_dir: Path) -> list[PageImage]:
    """The page as stored (enlarged view) and a downscaled JPEG thumbnail, named after the document."""
    images = []
    for page in sample.pages:
        if page.image is None:
            continue
        stem = f"{number:04d}-{_safe(sample.doc_id)}-p{page.index + 1}"
        with Image.open(io.BytesIO(page.image)) as img:
            ext = (img.format or "png").lower().replace("jpeg", "jpg")
            thumb = img.convert("RGB")
            thumb.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
            thumb.save(image_dir / f"{stem}.thumb.jpg", quality=82)
        (image_dir / f"{stem}.{ext}").write_bytes(page.image)
        images.append(PageImage(f"{image_dir.name}/{stem}.thumb.jpg", f"{image_dir.name}/{stem}.{ext}",
                                page_label(sample, page.index), page.index))
    return images


def collect_samples(reader: OutputReader, args: argparse.Namespace) -> list[Sample]:
    refs = [ref for key in args.key for ref in reader.find(key)] if args.key else reader.sample_refs(args.n, args.seed)
    samples = reader.load(refs, images=True)
    rejected = [r for key in args.key for r in reader.rejected_documents(key)] if args.key else \
        reader.rejected_documents()
    if not args.key:
        rejected = random.Random(args.seed).sample(rejected, min(args.rejected, len(rejected)))
    return samples + [reader.load_rejected(r) for r in rejected]


def main(args: argparse.Namespace) -> int:
    with OutputReader(args.path) as reader:
        return write_gallery(reader, args)


def write_gallery(reader: OutputReader, args: argparse.Namespace) -> int:
    out = Path(args.out)
    image_dir = out / "images"
    image_dir.mkdir(parents=True, exist_ok=True)
    samples = collect_samples(reader, args)
    if not samples:
        print(f"nothing to show for {args.key}")
        return 1
    cards = [Card(s, write_page_images(s, i, image_dir)) for i, s in enumerate(samples)]
    rows = sum(reader.row_counts().values())
    shown = sum(1 for s in samples if s.ref is not None)
    subtitle = f"{args.path}: {shown} of {rows} rows" + (f", seed {args.seed}" if not args.key else "")
    if reader.summary:
        s = reader.summary
        subtitle += (f" · run: {s.get('documents_read', '?')} documents read, {s.get('pairs_kept', '?')} pairs kept, "
                     f"{s.get('pairs_dropped', '?')} dropped")
    page = out / "index.html"
    page.write_text(render_gallery("Docmatix gallery", cards, subtitle), encoding="utf-8")
    print(f"wrote {page} ({len(cards)} documents)")
    return 0
