"""The gallery's HTML: one static page, plain CSS and JavaScript, images as files beside it.

Each document is a card: page thumbnails (a link to the full page image; the script shows it in an
overlay instead), then its pairs, kept and dropped, each with its template, pages, text source and
verdict. Two selects filter pairs by template and by verdict/drop reason; a card with no pair left
is hidden. A kept pair whose answer was located on a page (meta `pair_evidence`) gets a box over that
page's thumbnail and, when the thumbnail is enlarged, over the full page; its judge scores are a tag.
Everything works from file:// (no server, no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from docmatix.output.reader import Pair, Sample, evidence_label, judge_label, source_name


@dataclass
class PageImage:
    thumb: str  # paths relative to the HTML file
    full: str
    label: str  # "p2 · OCR 91%"
    index: int = 0  # the page's index in the document (evidence refers to it)


@dataclass
class Card:
    sample: Sample
    images: list[PageImage]


CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f6; color: #222; }
header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ddd; padding: 8px 16px; }
header h1 { font-size: 18px; margin: 0 0 4px; }
.controls label { margin-right: 16px; }
.doc { background: #fff; margin: 12px 16px; padding: 12px; border-radius: 6px; display: grid;
       grid-template-columns: minmax(180px, 32%) 1fr; gap: 16px; box-shadow: 0 1px 2px #0002; }
.doc h2 { grid-column: 1 / -1; font-size: 15px; margin: 0; }
.doc h2 small { color: #666; font-weight: normal; }
.pages { display: flex; flex-wrap: wrap; gap: 8px; align-content: flex-start; }
.pages figure { margin: 0; width: 160px; }
.pages img { width: 160px; border: 1px solid #ccc; background: #fff; cursor: zoom-in; display: block; }
.pages figcaption { font-size: 12px; color: #555; }
.pair { border-left: 4px solid #2a8a3a; padding: 4px 8px; margin-bottom: 8px; background: #f7fbf7; }
.pair.dropped { border-color: #c0392b; background: #fdf5f4; }
.pair .tags span { display: inline-block; font-size: 11px; padding: 1px 6px; margin-right: 4px;
                   border-radius: 8px; background: #e4e7ee; }
.pair .verdict { font-weight: 600; }
.pair.kept .verdict { color: #2a8a3a; background: #dcf1de; }
.pair.dropped .verdict { color: #c0392b; background: #f8dcd8; }
.pair .q { font-weight: 600; margin-top: 2px; }
.rejection { color: #c0392b; font-weight: 600; }
#lightbox { position: fixed; inset: 0; background: #000c; z-index: 5; display: flex; flex-direction: column;
            align-items: center; justify-content: center; cursor: zoom-out; }
#lightbox img { max-width: 96vw; max-height: 90vh; background: #fff; display: block; }
.frame { position: relative; display: inline-block; line-height: 0; }
.box { position: absolute; border: 2px solid #e67e22; background: #f39c1240; box-sizing: border-box;
       pointer-events: none; }
.pages .box { border-width: 1px; }
.pair .evidence { background: #fde7cf; }
#lightbox p { color: #fff; }
[hidden] { display: none !important; }
"""

SCRIPT = """
const byTemplate = document.getElementById('filter-template');
const byReason = document.getElementById('filter-reason');
const counter = document.getElementById('shown');
function matches(pair, template, reason) {
  if (template && pair.dataset.template !== template) return false;
  if (reason === 'kept' || reason === 'dropped') return pair.dataset.verdict === reason;
  if (reason.startsWith('reason:')) return pair.dataset.reasons.split('|').includes(reason.slice(7));
  return true;
}
function applyFilters() {
  const template = byTemplate.value, reason = byReason.value, filtering = Boolean(template || reason);
  let pairs = 0, docs = 0;
  for (const doc of document.querySelectorAll('.doc')) {
    let left = 0;
    for (const pair of doc.querySelectorAll('.pair')) {
      const show = matches(pair, template, reason);
      pair.hidden = !show;
      if (show) left++;
    }
    doc.hidden = filtering && left === 0;
    if (!doc.hidden) docs++;
    pairs += left;
  }
  counter.textContent = pairs + ' pairs in ' + docs + ' documents shown';
}
byTemplate.addEventListener('change', applyFilters);
byReason.addEventListener('change', applyFilters);
const lightbox = document.getElementById('lightbox');
document.addEventListener('click', (event) => {
  const link = event.target.closest('a.thumb');
  if (link) {
    event.preventDefault();
    const frame = lightbox.querySelector('.frame');
    frame.querySelectorAll('.box').forEach(box => box.remove());
    link.querySelectorAll('.box').forEach(box => frame.appendChild(box.cloneNode()));  // boxes are in %: any size
    lightbox.querySelector('img').src = link.getAttribute('href');
    lightbox.querySelector('p').textContent = link.dataset.caption;
    lightbox.hidden = false;
  } else if (event.target.closest('#lightbox')) {
    lightbox.hidden = true;
  }
});
document.addEventListener('keydown', (event) => { if (event.key === 'Escape') lightbox.hidden = true; });
applyFilters();
"""


def _pages_label(pages: list[int]) -> str:
    return f"page {pages[0] + 1}" if len(pages) == 1 else f"pages {pages[0] + 1}-{pages[-1] + 1}"


def _pair_html(sample: Sample, pair: Pair, number: int) -> str:
    verdict = "kept" if pair.kept else "dropped: " + ", ".join(pair.reasons)
    tags = [f'<span class="verdict">{escape(verdict)}</span>',
            f'<span class="template">{escape(pair.template or "?")}</span>']
    if pair.pages:
        tags.append(f'<span class="pages">{escape(_pages_label(pair.pages))}</span>')
    if sample.pages:
        tags.append(f'<span class="source">{escape(sample.pair_source(pair))}</span>')
    if pair.evidence:
        tags.append(f'<span class="evidence" title="{escape(pair.evidence["text"] or "")}">'
                    f"{escape(evidence_label(pair.evidence))}</span>")
    if pair.judge:
        tags.append(f'<span class="judge" title="{escape(pair.judge["reason"] or "")}">'
                    f"{escape(judge_label(pair.judge))}</span>")
    return (f'<div class="pair {"kept" if pair.kept else "dropped"}" data-verdict="{"kept" if pair.kept else "dropped"}" '
            f'data-pair="{number}" '
            f'data-template="{escape(pair.template or "")}" data-reasons="{escape("|".join(pair.reasons))}">'
            f'<div class="tags">{"".join(tags)}</div>'
            f'<div class="q">Q: {escape(pair.question)}</div><div class="a">A: {escape(pair.answer)}</div></div>')


def _card_html(card: Card) -> str:
    s = card.sample
    where = f"{s.ref.shard} row {s.ref.row}" if s.ref else "rejected document"
    head = (f'<h2>{escape(s.doc_id)} <small>{escape(where)} · {len(s.pages)} page(s) · {len(s.pairs)} kept, '
            f"{len(s.dropped)} dropped</small></h2>")
    figures = "".join(
        f'<figure data-page="{img.index}"><a class="thumb" href="{escape(img.full)}" '
        f'data-caption="{escape(f"{s.doc_id} {img.label}")}"><span class="frame">'
        f'<img src="{escape(img.thumb)}" alt="{escape(img.label)}">{_boxes_html(s, img.index)}</span></a>'
        f"<figcaption>{escape(img.label)}</figcaption></figure>"
        for img in card.images)
    if s.rejection is not None:
        r = s.rejection
        figures += f'<p class="rejection">rejected at {escape(r["stage"])}: {escape(r["reason"])}</p>'
        if r.get("error"):
            figures += f"<p>{escape(r['error'])}</p>"
    pairs = "".join(_pair_html(s, p, i) for i, p in enumerate([*s.pairs, *s.dropped]))
    for chunk in s.failed_chunks:
        pairs += (f'<p class="rejection">chunk {chunk["chunk_index"]} ({escape(chunk["template"] or "?")}) '
                  f"failed: {escape(chunk['reason'])}</p>")
    return (f'<article class="doc" data-key="{escape(s.doc_id)}"{" data-rejected" if s.rejection else ""}>{head}'
            f'<div class="pages">{figures}</div><div class="pairs">{pairs or "<p>no pairs</p>"}</div></article>')


def _boxes_html(sample: Sample, page: int) -> str:
    """The evidence boxes of the kept pairs located on this page, in % of the page: they fit the thumbnail
    and the enlarged page alike."""
    out = []
    for number, pair in enumerate(sample.pairs):
        if not pair.evidence or pair.evidence["page"] != page:
            continue
        for x0, y0, x1, y1 in pair.evidence["boxes"]:
            style = f"left:{x0 * 100:.3f}%;top:{y0 * 100:.3f}%;width:{(x1 - x0) * 100:.3f}%;height:{(y1 - y0) * 100:.3f}%"
            out.append(f'<i class="box" data-pair="{number}" style="{style}" title="{escape(pair.question)}"></i>')
    return "".join(out)


def _options(values: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in values)


def page_label(sample: Sample, index: int) -> str:
    page = sample.pages[index]
    label = f"p{index + 1} · {source_name(page.source)}"
    if page.ocr_confidence is not None:
        label += f" {page.ocr_confidence:.0f}%"
    return label


def render_gallery(title: str, cards: list[Card], subtitle: str) -> str:
    pairs = [p for c in cards for p in [*c.sample.pairs, *c.sample.dropped]]
    templates = sorted({p.template for p in pairs if p.template})
    reasons = sorted({r for p in pairs for r in p.reasons})
    template_select = _options([("", "all templates"), *((t, t) for t in templates)])
    reason_select = _options([("", "kept and dropped"), ("kept", "kept only"), ("dropped", "dropped (any reason)"),
                              *((f"reason:{r}", f"dropped: {r}") for r in reasons)])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body><header><h1>{escape(title)}</h1><div>{escape(subtitle)}</div>
<div class="controls"><label>Template <select id="filter-template">{template_select}</select></label>
<label>Verdict <select id="filter-reason">{reason_select}</select></label><span id="shown"></span></div></header>
<main>{"".join(_card_html(c) for c in cards)}</main>
<div id="lightbox" hidden><span class="frame"><img alt="page"></span><p></p></div>
<script>{SCRIPT}</script></body></html>
"""
