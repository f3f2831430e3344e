"""Stage 3: group a document's pages into chunks and pick each chunk's prompt template.

Reference rules: at most `max_pages` pages and `max_tokens` tokens per chunk, consecutive chunks share
`overlap` page(s), pages are joined by a "NEW PAGE" line. A run's values are its `ChunkSettings`.
"""

from __future__ import annotations

from docmatix.pipeline.generate.prompt_templates import PromptTemplate, choose_template
from docmatix.pipeline.generate.token_count import TokenCounter, approximate_tokens, truncate_to_tokens
from docmatix.pipeline.settings import ChunkSettings
from docmatix.schemas.records import Chunk, ExtractedDocument, RejectedDocument
from docmatix.schemas.reject_reasons import PAGE_TOO_LONG

PAGE_SEPARATOR = "\nNEW PAGE\n"
SEPARATOR_TOKENS = 3  # "NEW PAGE" and its newlines in common BPE vocabularies


def group_pages(
    page_tokens: list[int], max_tokens: int, max_pages: int, overlap: int, separator_tokens: int = SEPARATOR_TOKENS
) -> list[list[int]]:
    """Page index groups. A group always advances by at least one page, so this terminates."""
    groups: list[list[int]] = []
    start = 0
    n = len(page_tokens)
    while start < n:
        group = [start]
        total = page_tokens[start]
        nxt = start + 1
        while nxt < n and len(group) < max_pages and total + separator_tokens + page_tokens[nxt] <= max_tokens:
            total += separator_tokens + page_tokens[nxt]
            group.append(nxt)
            nxt += 1
        groups.append(group)
        if nxt >= n:
            break
        start = max(nxt - overlap, start + 1)
    return groups


def page_texts(doc: ExtractedDocument) -> list[str]:
    """The page texts chunking counts tokens of (prime a server token counter with these)."""
    return [p.text.strip() for p in doc.pages]


def long_page_rejection(doc: ExtractedDocument, max_tokens: int, count_tokens: TokenCounter = approximate_tokens
                        ) -> RejectedDocument | None:
    """The reference's rule (`--long-page skip_document`): a document with any page over `max_tokens`
    tokens is skipped whole rather than having that page cut."""
    for index, text in enumerate(page_texts(doc)):
        n = count_tokens(text) if text else 0
        if n > max_tokens:
            return RejectedDocument(doc.key, doc.unit_id, doc.origin, "chunk", PAGE_TOO_LONG,
                                    f"page {index} has {n} tokens, over the limit of {max_tokens}")
    return None


def chunk_document(
    doc: ExtractedDocument,
    templates: list[PromptTemplate],
    settings: ChunkSettings | None = None,
    count_tokens: TokenCounter = approximate_tokens,
) -> list[Chunk]:
    settings = settings or ChunkSettings()
    max_tokens, max_pages, overlap = settings.max_chunk_tokens, settings.max_chunk_pages, settings.chunk_overlap_pages
    texts = page_texts(doc)
    used = [i for i, t in enumerate(texts) if t]  # pages with no text add nothing to a prompt
    # A page alone over the budget is cut to fit, so every chunk respects max_tokens.
    trimmed = {i: truncate_to_tokens(texts[i], max_tokens, count_tokens) for i in used}
    tokens = [count_tokens(trimmed[i]) for i in used]
    chunks = []
    for index, group in enumerate(group_pages(tokens, max_tokens, max_pages, overlap)):
        pages = [used[g] for g in group]
        text = PAGE_SEPARATOR.join(trimmed[p] for p in pages)
        template = choose_template(templates, settings.seed, doc.key, index)
        # The pages' counts plus separators, as the grouping used: no extra tokenizer call per chunk.
        n_tokens = sum(tokens[g] for g in group) + SEPARATOR_TOKENS * (len(group) - 1)
        chunks.append(Chunk(index, pages, text, n_tokens, template.name))
    return chunks


def chunk_or_reject(doc: ExtractedDocument, templates: list[PromptTemplate], settings: ChunkSettings,
                    count_tokens: TokenCounter = approximate_tokens) -> list[Chunk] | RejectedDocument:
    """The stage as a run applies it: the document's chunks, or its rejection under `--long-page
    skip_document`."""
    if settings.long_page == "skip_document":
        rejected = long_page_rejection(doc, settings.max_chunk_tokens, count_tokens)
        if rejected is not None:
            return rejected
    return chunk_document(doc, templates, settings, count_tokens)
