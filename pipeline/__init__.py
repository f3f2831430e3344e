"""Docmatix pipeline stages, in the order data flows:

1. ``s1_read``      input shards / PDF folders -> SourceDocument
2. ``s2_extract``   SourceDocument -> ExtractedDocument (page text + page images) or a rejection
3. ``s3_chunk``     ExtractedDocument -> Chunks (<= 5 pages, <= 5000 tokens, 1-page overlap) + template
4. ``s4_generate``  Chunks -> LLM completions -> parsed QA pairs
5. ``s5_filter``    QA pairs -> kept / dropped with reasons
6. ``s6_write``     kept rows -> Cauldron Parquet shards; everything else -> rejects/

``run.py`` wires them on Ray Data; it is also the ``ray job submit`` entry point.
"""
