"""Hostile and scanned PDFs built in memory, for the extraction tests and the benchmark.

Each builder returns PDF bytes. Sizes are declared, not materialised: the decompression bomb is a few
kilobytes on disk and gigabytes once inflated.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import pymupdf
from PIL import Image

# Known text for the scanned pages (plain prose, numbers and punctuation, as in ordinary documents).
KNOWN_TEXT = (
    "The quarterly report describes how the water treatment plant in the northern district was "
    "upgraded during 2023. Capacity rose from 41,500 to 58,200 cubic metres per day, while energy "
    "use per cubic metre fell by 12 percent. The new filtration stage removes fine particles that "
    "the old sand beds could not hold back, and a second pumping station now serves the hills east "
    "of the river. Maintenance costs were higher than planned in the first months because two "
    "valves failed under pressure tests; both were replaced under warranty. The council expects "
    "the plant to meet demand until at least 2040, provided that leakage in the older pipes is "
    "reduced as agreed. Residents can read the full tables, including monthly flow rates and "
    "chemical dosing, on pages 14 to 19 of the appendix."
)


def _with_pages(build) -> bytes:
    pdf = pymupdf.open()
    build(pdf)
    return pdf.tobytes()


def born_digital(text: str = KNOWN_TEXT, pages: int = 1) -> bytes:
    """Letter pages with a real text layer (Helvetica 11 pt)."""
    def build(pdf):
        for _ in range(pages):
            page = pdf.new_page(width=612, height=792)
            page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=11, fontname="helv")
    return _with_pages(build)


def scan_image(page: pymupdf.Page, dpi: int, skew_deg: float, jpeg_quality: int) -> bytes:
    """Imitate an office scanner: grayscale at `dpi`, a slight skew, JPEG artefacts."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    image = image.rotate(skew_deg, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=jpeg_quality)
    return buf.getvalue()


def scanned(text: str = KNOWN_TEXT, pages: int = 1, dpi: int = 200, skew_deg: float = 0.5,
            jpeg_quality: int = 70) -> bytes:
    """A scan of `born_digital(text)`: each page is one grayscale image, with no text layer at all."""
    source = pymupdf.open(stream=born_digital(text, pages), filetype="pdf")
    out = pymupdf.open()
    for page in source:
        target = out.new_page(width=page.rect.width, height=page.rect.height)
        target.insert_image(target.rect, stream=scan_image(page, dpi, skew_deg, jpeg_quality))
    return out.tobytes()


def scanned_with_stamp(text: str = KNOWN_TEXT) -> bytes:
    """A scan whose only text layer is a one-line stamp in the margin (as scanner apps add)."""
    pdf = pymupdf.open(stream=scanned(text), filetype="pdf")
    pdf[0].insert_text((72, 770), "Scanned with ScanApp", fontsize=7)
    return pdf.tobytes()


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def garbage(n: int = 20_000, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def zero_pages() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def giant_page(side_pt: float = 20_000) -> bytes:
    """One page of side_pt x side_pt points (the PDF spec's own limit is 14,400) with real text."""
    def build(pdf):
        page = pdf.new_page(width=side_pt, height=side_pt)
        page.insert_text((100, 400), "A giant page with a line of text on it.", fontsize=300)
    return _with_pages(build)


def _uniform_zlib(value: int, n_bytes: int) -> bytes:
    """A zlib stream inflating to n_bytes copies of one byte, built without compressing them all.

    After a full flush, deflate's output for the same input repeats exactly, so one 1 MiB block is
    compressed and repeated; the Adler-32 of a run of one byte value has a closed form.
    """
    block = 1 << 20
    assert n_bytes % block == 0
    chunk = bytes([value]) * block
    co = zlib.compressobj(9)
    first = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    repeat = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    a = (1 + n_bytes * value) % 65521
    b = (n_bytes + value * n_bytes * (n_bytes + 1) // 2) % 65521
    return first + repeat * (n_bytes // block - 1) + b"\x03\x00" + struct.pack(">I", (b << 16) | a)


def decompression_bomb(side_px: int = 32_768) -> bytes:
    """A page showing one side_px x side_px RGB image (3 GiB at 32,768 px), Flate-compressed twice."""
    inflated = side_px * side_px * 3
    stream = zlib.compress(_uniform_zlib(0xFF, inflated), 9)
    pdf = pymupdf.open()
    page = pdf.new_page(width=612, height=792)
    xref = pdf.get_new_xref()
    pdf.update_object(xref, f"<</Type/XObject/Subtype/Image/Width {side_px}/Height {side_px}"
                            "/ColorSpace/DeviceRGB/BitsPerComponent 8>>")
    pdf.update_stream(xref, stream, compress=False)
    pdf.xref_set_key(xref, "Filter", "[/FlateDecode/FlateDecode]")  # update_stream drops /Filter
    page_xref = page.xref
    resources = f"<</XObject<</Im0 {xref} 0 R>>>>"
    pdf.xref_set_key(page_xref, "Resources", resources)
    content = pdf.get_new_xref()
    pdf.update_object(content, "<<>>")
    pdf.update_stream(content, b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    pdf.xref_set_key(page_xref, "Contents", f"{content} 0 R")
    return pdf.tobytes()


def _repeated_zlib(chunk: bytes, copies: int) -> bytes:
    """A zlib stream of `chunk` repeated, compressed once (see `_uniform_zlib`)."""
    co = zlib.compressobj(6)
    first = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    repeat = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(copies):
        adler = zlib.adler32(chunk, adler)
    return first + repeat * (copies - 1) + b"\x03\x00" + struct.pack(">I", adler)


def slow_page(strokes: int = 200_000) -> bytes:
    """A page whose content stream draws millions of lines: minutes of MuPDF work in one call."""
    per_chunk = 50_000
    stroke = b"10 10 m 600 780 l S "
    pdf = pymupdf.open()
    page = pdf.new_page(width=612, height=792)
    content = pdf.get_new_xref()
    pdf.update_object(content, "<<>>")
    pdf.update_stream(content, _repeated_zlib(stroke * per_chunk, max(1, strokes // per_chunk)), compress=False)
    pdf.xref_set_key(content, "Filter", "/FlateDecode")  # update_stream drops /Filter
    pdf.xref_set_key(page.xref, "Contents", f"{content} 0 R")
    return pdf.tobytes()


FORMULA = "a b 10-7 10-3 x = 4.2"


def formula_over_image(formula: str = FORMULA) -> bytes:
    """A page that is mostly a smooth picture (nothing for Tesseract to read) with a short formula in
    its text layer, set too small for OCR at 150 dpi: the page is routed to OCR, which finds less."""
    gradient = Image.linear_gradient("L").resize((400, 400))
    buf = io.BytesIO()
    gradient.save(buf, format="PNG")

    def build(pdf):
        page = pdf.new_page(width=612, height=792)
        page.insert_image(pymupdf.Rect(36, 36, 576, 600), stream=buf.getvalue())
        page.insert_text((72, 700), formula, fontsize=3, fontname="helv")
    return _with_pages(build)


def page_tree_cycle(first_text: str = KNOWN_TEXT) -> bytes:
    """Two pages: page 0 intact, page 1's page-tree node lists itself as its only kid (MuPDF: "cycle in
    page tree" when page 1 is loaded)."""
    pdf = pymupdf.open()
    pdf.new_page(width=612, height=792).insert_textbox(pymupdf.Rect(72, 72, 540, 720), first_text, fontsize=11)
    pdf.new_page(width=612, height=792)
    tree = int(pdf.xref_get_key(pdf.pdf_catalog(), "Pages")[1].split()[0])
    node = pdf.get_new_xref()
    pdf.update_object(node, f"<</Type/Pages/Kids[{node} 0 R]/Count 1/Parent {tree} 0 R>>")
    pdf.xref_set_key(tree, "Kids", f"[{pdf.page_xref(0)} 0 R {node} 0 R]")
    return pdf.tobytes()


def malformed_encryption(length: bytes = b"") -> bytes:
    """RC4-128 (R3) with the empty user password whose /Encrypt dictionary has a bad /Length: without
    one MuPDF asks for a password, with /Length 129 it cannot open the file; qpdf opens both."""
    import pikepdf

    plain = born_digital()
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=3, metadata=False, aes=False),
                 object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = out.getvalue()
    start = data.index(b"/Filter /Standard")
    end = data.index(b">>", start)
    head, tail = data[start:end].split(b"/Length 128", 1)
    patched = head + length + tail
    # Same byte count, so the cross-reference offsets stay right.
    return data[:start] + patched.ljust(end - start) + data[end:]


# Oriya, Gurmukhi and Myanmar letters, as a broken ToUnicode map gave them for a page showing Arabic.
SCRIPT_SOUP = "\u0b15\u0b16\u0a15\u0a16\u1000\u1001\u0b17\u0a17\u1002\u0b1c\u0a1c\u1010\u0b30\u0a30"


def scan_with_script_soup_layer(text: str = KNOWN_TEXT) -> bytes:
    """A scanned page whose invisible text layer decodes to script soup: Helvetica codes A, B, ... are
    mapped by the font's ToUnicode CMap to letters of three unrelated scripts."""
    pdf = pymupdf.open(stream=scanned(text), filetype="pdf")
    page = pdf[0]
    codes = "ABCDEFGHIJKLMN"
    words = " ".join(codes[i % 14] + codes[(i * 7) % 14] + codes[(i * 3) % 14] for i in range(300))
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), words, fontsize=11, fontname="helv", render_mode=3)
    font_xref = page.get_fonts()[0][0]
    pairs = "".join(f"<{ord(c):02X}> <{ord(u):04X}>\n" for c, u in zip(codes, SCRIPT_SOUP, strict=True))
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Soup def /CMapType 2 def\n"
            f"1 begincodespacerange <00> <FF> endcodespacerange\n{len(codes)} beginbfchar\n{pairs}endbfchar\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end")
    stream = pdf.get_new_xref()
    pdf.update_object(stream, "<<>>")
    pdf.update_stream(stream, cmap.encode())
    pdf.xref_set_key(font_xref, "ToUnicode", f"{stream} 0 R")
    return pdf.tobytes()
