"""Open PDF bytes with MuPDF: the empty password for encrypted files, and page-tree recovery.

MuPDF repairs a broken cross-reference table by scanning the file, but when the page tree itself is
damaged (e.g. the /Pages object was overwritten) the repaired document has zero pages although intact
/Type /Page objects are still there. `recover_orphan_pages` links those into a new page tree so the
readable pages are not lost. `repair_with_qpdf` rewrites a file MuPDF refuses (a malformed encryption
dictionary, say) through qpdf, which is more lenient, with the empty user password.
"""

from __future__ import annotations

import io
import re

import pikepdf
import pymupdf

_OBJ_HEADER = re.compile(rb"(\d+)\s+0\s+obj\b")
_STREAM_REPR = re.compile(r"(stream )?<_io\.BytesIO object at 0x[0-9a-f]+>")


class EncryptedPdf(Exception):
    pass


def open_pdf(data: bytes) -> pymupdf.Document:
    """Open PDF bytes; encrypted files are tried with the empty password (raises EncryptedPdf)."""
    pdf = pymupdf.open(stream=data, filetype="pdf")
    if pdf.needs_pass and not pdf.authenticate(""):
        pdf.close()
        raise EncryptedPdf("encrypted: the empty password does not open it")
    if pdf.page_count == 0 and not pdf.is_encrypted:
        try:
            recovered = recover_orphan_pages(pdf, data)
        except Exception:  # recovery is best effort: the caller rejects the document as it stands
            recovered = None
        if recovered is not None:
            pdf.close()
            return recovered
    return pdf


def _page_objects(pdf: pymupdf.Document) -> list[int]:
    pages = []
    for xref in range(1, pdf.xref_length()):
        try:
            if pdf.xref_get_key(xref, "Type") == ("name", "/Page"):
                pages.append(xref)
        except Exception:  # a damaged object: skip it
            continue
    return pages


def _file_order(xrefs: list[int], data: bytes) -> list[int]:
    """Order page objects as they appear in the file, the best guess of reading order we have."""
    first_offset: dict[int, int] = {}
    for match in _OBJ_HEADER.finditer(data):
        first_offset.setdefault(int(match.group(1)), match.start())
    return sorted(xrefs, key=lambda x: (first_offset.get(x, len(data)), x))


def recover_orphan_pages(pdf: pymupdf.Document, data: bytes) -> pymupdf.Document | None:
    """A new document whose page tree lists every intact /Type /Page object; None when there are none."""
    pages = _page_objects(pdf)
    if not pages:
        return None
    pages = _file_order(pages, data)
    tree = pdf.get_new_xref()
    kids = " ".join(f"{x} 0 R" for x in pages)
    pdf.update_object(tree, f"<</Type/Pages/Kids[{kids}]/Count {len(pages)}>>")
    pdf.xref_set_key(pdf.pdf_catalog(), "Pages", f"{tree} 0 R")
    for xref in pages:
        pdf.xref_set_key(xref, "Parent", f"{tree} 0 R")
        if pdf.xref_get_key(xref, "MediaBox")[0] == "null":  # inherited from the lost tree: assume A4
            pdf.xref_set_key(xref, "MediaBox", "[0 0 595 842]")
    repaired = pymupdf.open(stream=pdf.tobytes(), filetype="pdf")  # reopen: MuPDF caches the page count
    if repaired.page_count == 0:
        repaired.close()
        return None
    return repaired


def repair_with_qpdf(data: bytes) -> tuple[bytes | None, str]:
    """The file rewritten by qpdf, decrypted with the empty user password; (None, why) when qpdf fails too."""
    try:
        with pikepdf.open(io.BytesIO(data), password="") as pdf:
            out = io.BytesIO()
            pdf.save(out, encryption=False)
    except Exception as exc:  # pikepdf raises PdfError, PasswordError and others on hostile files
        # qpdf names the stream by its repr ("<_io.BytesIO object at 0x...>"): dropped, so the rejects
        # (and their hashes in the manifest) are the same in every run.
        return None, f"{type(exc).__name__}: {_STREAM_REPR.sub('the file', str(exc))}"
    return out.getvalue(), ""
