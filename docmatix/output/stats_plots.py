"""PNG charts of an output's statistics (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from docmatix.output.stats import OutputStats  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _histogram(values: list[float], title: str, xlabel: str, path: Path, integer: bool = False) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    if integer and values:
        bins = [b - 0.5 for b in range(int(min(values)), int(max(values)) + 2)]
    else:
        bins = min(40, max(5, len(set(values))))
    ax.hist(values, bins=bins, color="#4477aa", edgecolor="white")
    if integer:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=f"{title} (n={len(values)})", xlabel=xlabel, ylabel="count")
    return _save(fig, path)


def _bars(counts: dict[str, float], title: str, xlabel: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.4 * len(counts) + 1)))
    names = sorted(counts, key=counts.get)
    ax.barh(names or ["(none)"], [counts[n] for n in names] or [0], color="#cc6677")
    ax.set(title=title, xlabel=xlabel)
    return _save(fig, path)


def _template_yield(stats: OutputStats, path: Path) -> Path:
    y = stats.template_yield()
    names = list(y) or ["(none)"]
    kept = [y[n]["kept"] for n in y] or [0]
    dropped = [y[n]["generated"] - y[n]["kept"] for n in y] or [0]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.5 * len(names) + 1)))
    ax.barh(names, kept, color="#228833", label="kept")
    ax.barh(names, dropped, left=kept, color="#ee6677", label="dropped")
    for i, n in enumerate(y):
        ax.text(kept[i] + dropped[i], i, f" {y[n]['yield']:.0%}", va="center")
    ax.set(title="pairs per template (kept share)", xlabel="pairs")
    ax.set_xlim(0, max(k + d for k, d in zip(kept, dropped, strict=True)) * 1.15 or 1)  # room for the labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return _save(fig, path)


def write_plots(stats: OutputStats, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _histogram(stats.pairs_per_doc, "pairs per document", "pairs", out_dir / "pairs_per_doc.png", integer=True),
        _histogram(stats.pages_per_doc, "pages per document", "pages", out_dir / "pages_per_doc.png", integer=True),
        _histogram(stats.pairs_per_page, "pairs per page (per document)", "pairs / page",
                   out_dir / "pairs_per_page.png"),
        _histogram(stats.question_chars, "question length", "characters", out_dir / "question_length.png"),
        _histogram(stats.answer_chars, "answer length", "characters", out_dir / "answer_length.png"),
        _bars(dict(stats.dropped_by_reason), "dropped pairs by reason", "pairs", out_dir / "drops_by_reason.png"),
        _bars(dict(stats.page_sources), f"page text source (OCR share {stats.ocr_share:.0%})", "pages",
              out_dir / "page_sources.png"),
        _template_yield(stats, out_dir / "template_yield.png"),
    ]
