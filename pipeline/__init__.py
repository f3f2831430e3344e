"""Docmatix pipeline stages, in the order data flows:

1. ``s1_read``      input shards / PDF folders -> SourceDocument
2. ``s2_extract``   SourceDocument -> ExtractedDocument (page text + page images) or a rejection
3. ``s3_chunk``     ExtractedDocument -> Chunks (<= 5 pages, <= 5000 tokens, 1-page overlap) + template
4. ``s4_generate``  Chunks -> LLM completions -> parsed QA pairs
5. ``s5_filter``    QA pairs -> kept / dropped with reasons
6. ``s6_write``     kept rows -> Cauldron Parquet shards; everything else -> rejects/

``run.py`` wires them on Ray Data; it is also the ``ray job submit`` entry point.
"""

import sys

# PyMuPDF 2 imports its optional layout package (pymupdf-layout, a dependency of the wheel) whenever it is
# imported, and that loads ONNX models: half a second of CPU and ~55 MiB in every process that extracts or
# imports a stage. Nothing here calls page.get_layout() or find_tables(), so the package is marked absent
# (PyMuPDF treats an ImportError as "not installed") before any stage imports pymupdf.
sys.modules.setdefault("pymupdf.layout", None)
