from docmatix.pipeline.generate.prompt_templates import choose_template, load_templates
from docmatix.pipeline.s3_chunk import PAGE_SEPARATOR, chunk_document, chunk_or_reject, group_pages
from docmatix.pipeline.settings import ChunkSettings
from docmatix.schemas.records import ExtractedDocument, PageText, RejectedDocument


def test_group_pages_reference_rules():
    # 7 small pages: chunks of 5 pages with a 1-page overlap.
    assert group_pages([10] * 7, max_tokens=5000, max_pages=5, overlap=1) == [[0, 1, 2, 3, 4], [4, 5, 6]]
    # token budget splits earlier, overlap still 1 page
    assert group_pages([2000, 2000, 2000, 2000], 5000, 5, 1) == [[0, 1], [1, 2], [2, 3]]
    # a page alone over budget is its own chunk, and the walk still advances
    assert group_pages([9000, 10], 5000, 5, 1) == [[0], [1]]
    assert group_pages([], 5000, 5, 1) == []


def _doc(texts):
    pages = [PageText(i, t, "text_layer") for i, t in enumerate(texts)]
    return ExtractedDocument("0001", "u", "o", "PDFA key: 0001", pages, [b""] * len(texts))


def test_chunk_text_joins_pages_with_new_page_line_and_fits_budget():
    templates = load_templates()
    doc = _doc(["alpha " * 100, "beta " * 100, "", "gamma " * 6000])
    chunks = chunk_document(doc, templates, ChunkSettings(seed=0, max_chunk_tokens=5000))
    assert chunks[0].text.startswith("alpha") and PAGE_SEPARATOR in chunks[0].text
    assert all(c.n_tokens <= 5000 + 3 for c in chunks)
    assert 2 not in [p for c in chunks for p in c.page_indices]  # empty page skipped
    assert chunks[-1].page_indices == [3]


def test_template_choice_is_deterministic_and_varied():
    templates = load_templates()
    assert len(templates) == 5
    picks = [choose_template(templates, 0, f"{k:07d}", 0).name for k in range(200)]
    assert picks == [choose_template(templates, 0, f"{k:07d}", 0).name for k in range(200)]
    assert set(picks) == {t.name for t in templates}
    other_seed = [choose_template(templates, 1, f"{k:07d}", 0).name for k in range(200)]
    assert picks != other_seed


def test_chunk_settings_decide_overlap_and_the_long_page_rule():
    templates = load_templates()
    doc = _doc(["alpha " * 100, "beta " * 100, "gamma " * 100, "delta " * 6000])
    overlapping = chunk_or_reject(doc, templates, ChunkSettings(max_chunk_pages=2, chunk_overlap_pages=1))
    apart = chunk_or_reject(doc, templates, ChunkSettings(max_chunk_pages=2, chunk_overlap_pages=0))
    assert [c.page_indices for c in overlapping] == [[0, 1], [1, 2], [2], [3]]
    assert [c.page_indices for c in apart] == [[0, 1], [2], [3]]
    rejected = chunk_or_reject(doc, templates, ChunkSettings(long_page="skip_document"))
    assert isinstance(rejected, RejectedDocument) and rejected.reason == "page_too_long"
