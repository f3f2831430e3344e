"""Stage 1: find units of work in the inputs and stream their documents.

Inputs are PDFA-style webdataset tar shards (`<key>.pdf` + `<key>.json`) or folders of PDFs, as local
paths, globs or fsspec URLs. Tar member names are data: they are parsed into keys and never used as
filesystem paths.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import tarfile
from collections.abc import Iterator

import fsspec

from docmatix.schemas import reject_reasons as reasons
from docmatix.schemas.records import SourceDocument, WorkUnit

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
SHARD_KEY = "<shard>"  # key of the rejection recorded when a shard breaks off mid-way


class InputError(ValueError):
    """An input argument that names nothing readable."""


def _is_tar(path: str) -> bool:
    return path.lower().endswith(TAR_SUFFIXES)


def _is_pdf(path: str) -> bool:
    return path.lower().endswith(".pdf")


def _unit_stem(path: str) -> str:
    name = posixpath.basename(path.rstrip("/"))
    for suffix in TAR_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _expand(input_spec: str) -> tuple[fsspec.AbstractFileSystem, list[str]]:
    fs, _, paths = fsspec.get_fs_token_paths(input_spec)
    if not paths and not any(ch in input_spec for ch in "*?["):
        raise InputError(f"input not found: {input_spec}")
    return fs, paths


def _unparse(fs: fsspec.AbstractFileSystem, path: str) -> str:
    return fs.unstrip_protocol(path) if fs.protocol not in ("file", ("file", "local")) else path


def discover_units(inputs: list[str], pdfs_per_unit: int = 256) -> list[WorkUnit]:
    """Expand the inputs into deterministic units: one per tar shard, fixed groups of folder PDFs."""
    units: list[WorkUnit] = []
    loose_pdfs: dict[str, list[str]] = {}
    for spec in inputs:
        fs, paths = _expand(spec)
        for path in sorted(paths):
            if fs.isdir(path):
                found = sorted(p for p in fs.find(path) if _is_pdf(p) or _is_tar(p))
                for p in found:
                    if _is_tar(p):
                        units.append(WorkUnit(_unit_stem(p), "tar", (_unparse(fs, p),)))
                    else:
                        loose_pdfs.setdefault(_unparse(fs, path), []).append(_unparse(fs, p))
            elif _is_tar(path):
                units.append(WorkUnit(_unit_stem(path), "tar", (_unparse(fs, path),)))
            elif _is_pdf(path):
                parent = posixpath.dirname(path)
                loose_pdfs.setdefault(_unparse(fs, parent), []).append(_unparse(fs, path))
            else:
                raise InputError(f"not a tar shard, PDF or folder: {path}")
    for folder, pdfs in sorted(loose_pdfs.items()):
        pdfs = sorted(set(pdfs))
        stem = _unit_stem(folder) or "pdfs"
        for start in range(0, len(pdfs), pdfs_per_unit):
            group = tuple(pdfs[start : start + pdfs_per_unit])
            units.append(WorkUnit(f"{stem}-g{start // pdfs_per_unit:05d}", "pdf_group", group))
    return _dedupe_unit_ids(units)


def _dedupe_unit_ids(units: list[WorkUnit]) -> list[WorkUnit]:
    """Two shards with the same file name in different folders get a path hash appended."""
    seen: dict[str, int] = {}
    for u in units:
        seen[u.unit_id] = seen.get(u.unit_id, 0) + 1
    out = []
    for u in units:
        if seen[u.unit_id] > 1:
            digest = hashlib.sha1("\n".join(u.paths).encode()).hexdigest()[:8]
            u = WorkUnit(f"{u.unit_id}-{digest}", u.kind, u.paths)
        out.append(u)
    return out


def split_member_name(name: str) -> tuple[str, str]:
    """webdataset convention: the key is the member path up to the first dot of its base name."""
    directory, base = posixpath.split(name)
    stem, dot, ext = base.partition(".")
    key = posixpath.join(directory, stem) if directory else stem
    return key, ext.lower() if dot else ""


def iter_unit_documents(unit: WorkUnit, max_pdf_bytes: int) -> Iterator[SourceDocument | tuple[str, str, str]]:
    """Yield the unit's documents in input order.

    Problems yield `(key, reason, error)` triples instead of raising, so the caller can write a
    rejection and carry on with the rest of the unit.
    """
    if unit.kind == "tar":
        yield from _iter_tar(unit, max_pdf_bytes)
    else:
        yield from _iter_pdf_files(unit, max_pdf_bytes)


def _file_key(url: str) -> str:
    name = posixpath.basename(url)
    return name[:-4] if name.lower().endswith(".pdf") else name


def _read_capped(f, limit: int) -> bytes:
    """At most limit + 1 bytes, read in blocks: `f.read(limit + 1)` allocates the whole buffer up front."""
    blocks, size = [], 0
    while size <= limit:
        block = f.read(min(1 << 24, limit + 1 - size))
        if not block:
            break
        blocks.append(block)
        size += len(block)
    return b"".join(blocks)


def _iter_pdf_files(unit: WorkUnit, max_pdf_bytes: int) -> Iterator[SourceDocument | tuple[str, str, str]]:
    for url in unit.paths:
        name = posixpath.basename(url)
        key = _file_key(url)
        try:
            with fsspec.open(url, "rb") as f:
                data = _read_capped(f, max_pdf_bytes)
        except OSError as exc:
            yield (key, reasons.READ_ERROR, f"{type(exc).__name__}: {exc}")
            continue
        if len(data) > max_pdf_bytes:
            yield (key, reasons.PDF_TOO_LARGE, f"more than {max_pdf_bytes} bytes")
            continue
        yield SourceDocument(key=key, unit_id=unit.unit_id, origin=url, pdf=data, source_label=name)


def _finish_sample(
    unit: WorkUnit, url: str, key: str, members: dict[str, bytes], error: tuple[str, str] | None
) -> SourceDocument | tuple[str, str, str]:
    if error is not None:
        return (key, *error)
    if "pdf" not in members:
        return (key, reasons.MISSING_PDF, f"tar members for key {key!r} have no .pdf: {sorted(members)}")
    pdfa_json = None
    if "json" in members:
        try:
            pdfa_json = json.loads(members["json"])
        except ValueError as exc:
            return (key, reasons.BAD_JSON, f"{key}.json: {exc}")
    return SourceDocument(
        key=key, unit_id=unit.unit_id, origin=url, pdf=members["pdf"], pdfa_json=pdfa_json,
        source_label=f"PDFA key: {key}",
    )


TAR_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError)


def _tar_samples(tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, str, str]]:
    """(member, key, ext) of the members that make up samples: `.pdf` and `.json` files."""
    for member in tar:
        if not member.isfile():
            continue
        key, ext = split_member_name(member.name)
        if ext in ("pdf", "json"):
            yield member, key, ext


def _iter_tar(unit: WorkUnit, max_pdf_bytes: int) -> Iterator[SourceDocument | tuple[str, str, str]]:
    (url,) = unit.paths
    current: str | None = None
    members: dict[str, bytes] = {}
    error: tuple[str, str] | None = None
    try:
        with fsspec.open(url, "rb", compression="infer") as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
            for member, key, ext in _tar_samples(tar):
                if key != current:
                    # webdataset keeps a sample's members adjacent: a new key closes the previous one.
                    if current is not None:
                        yield _finish_sample(unit, url, current, members, error)
                    current, members, error = key, {}, None
                limit = max_pdf_bytes if ext == "pdf" else max_pdf_bytes * 4
                if member.size > limit:
                    error = (reasons.PDF_TOO_LARGE, f"{member.name}: {member.size} bytes > {limit}")
                    continue
                f = tar.extractfile(member)
                members[ext] = f.read() if f else b""
    except TAR_ERRORS as exc:
        detail = f"{url}: {type(exc).__name__}: {exc}"
        if current is not None:
            yield (current, reasons.UNREADABLE_SHARD, detail)
        # Samples after the break cannot be listed; the shard itself is recorded as rejected.
        yield (SHARD_KEY, reasons.UNREADABLE_SHARD, detail)
        return
    if current is not None:
        yield _finish_sample(unit, url, current, members, error)


def unit_keys(unit: WorkUnit) -> list[str]:
    """The keys `iter_unit_documents` yields, in order, from names alone: no PDF body is kept.

    A tar shard that breaks off lists the keys before the break and SHARD_KEY, as the reader does.
    """
    if unit.kind == "pdf_group":
        return [_file_key(url) for url in unit.paths]
    (url,) = unit.paths
    keys: list[str] = []
    try:
        with fsspec.open(url, "rb", compression="infer") as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
            for _, key, _ in _tar_samples(tar):
                if not keys or keys[-1] != key:
                    keys.append(key)
    except TAR_ERRORS:
        keys.append(SHARD_KEY)
    return keys


def count_documents(unit: WorkUnit) -> int | None:
    """Cheap document count for progress bars (local files only; None when unknown)."""
    if unit.kind == "pdf_group":
        return len(unit.paths)
    (url,) = unit.paths
    fs, path = fsspec.core.url_to_fs(url)
    if fs.protocol not in ("file", ("file", "local")):
        return None
    try:
        with tarfile.open(path) as tar:
            return sum(1 for m in tar.getmembers() if m.isfile() and split_member_name(m.name)[1] == "pdf")
    except (tarfile.TarError, OSError):
        return None
