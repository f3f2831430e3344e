"""Two outputs side by side (`docmatix compare A B`): settings, yields, drop reasons, lengths.

Built on `compute_stats`, so it compares what the data holds, and works on a published copy (a Hub
Docmatix, for one) as on a run folder. Each row is (section, name, value in A, value in B); a count
missing on one side is 0 there, so a reason only one profile has still shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from docmatix.output.stats import Distribution, OutputStats

# summary.json settings worth seeing next to each other (absent from a copy published without it).
SETTING_FIELDS = ("profile", "model", "filter_preset", "sampling", "answer_format")


@dataclass
class CompareRow:
    section: str
    name: str
    a: object
    b: object

    @property
    def differs(self) -> bool:
        return self.a != self.b


def _counts(section: str, a: dict, b: dict) -> list[CompareRow]:
    return [CompareRow(section, k, a.get(k, 0), b.get(k, 0)) for k in sorted(set(a) | set(b))]


def _distribution_rows(name: str, a: list[float], b: list[float]) -> list[CompareRow]:
    da, db = Distribution.of(a), Distribution.of(b)
    return [CompareRow("lengths and rates", f"{name} {stat}", round(getattr(da, stat), 3), round(getattr(db, stat), 3))
            for stat in ("mean", "median", "p10", "p90")]


def compare_outputs(a: OutputStats, summary_a: dict | None, b: OutputStats, summary_b: dict | None
                    ) -> list[CompareRow]:
    sa, sb = summary_a or {}, summary_b or {}
    config_a, config_b = sa.get("config") or {}, sb.get("config") or {}
    rows = [CompareRow("settings", k, sa.get(k, config_a.get(k)), sb.get(k, config_b.get(k))) for k in SETTING_FIELDS]
    rows += [CompareRow("settings", "text_source", config_a.get("text_source"), config_b.get("text_source")),
             CompareRow("settings", "long_page", config_a.get("long_page"), config_b.get("long_page"))]
    da, db = a.to_dict(), b.to_dict()
    rows += [CompareRow("totals", k, da[k], db[k]) for k in ("documents", "pages", "pairs", "pairs_dropped")]
    rows += [CompareRow("totals", "documents rejected", sum(a.documents_rejected_by_reason.values()),
                        sum(b.documents_rejected_by_reason.values())),
             CompareRow("lengths and rates", "pairs per page (overall)", round(da["pairs_per_page_overall"], 3),
                        round(db["pairs_per_page_overall"], 3)),
             CompareRow("lengths and rates", "OCR share of pages", round(a.ocr_share, 3), round(b.ocr_share, 3))]
    rows += _distribution_rows("pairs per page", a.pairs_per_page, b.pairs_per_page)
    rows += _distribution_rows("pairs per doc", a.pairs_per_doc, b.pairs_per_doc)
    rows += _distribution_rows("question chars", a.question_chars, b.question_chars)
    rows += _distribution_rows("answer chars", a.answer_chars, b.answer_chars)
    ya, yb = a.template_yield(), b.template_yield()
    for name in sorted(set(ya) | set(yb)):
        for field in ("generated", "kept", "yield"):
            va, vb = ya.get(name, {}).get(field, 0), yb.get(name, {}).get(field, 0)
            rows.append(CompareRow("template yield", f"{name} {field}", round(va, 3), round(vb, 3)))
    rows += _counts("pairs dropped by reason", dict(a.dropped_by_reason), dict(b.dropped_by_reason))
    rows += _counts("documents rejected by reason", dict(a.documents_rejected_by_reason),
                    dict(b.documents_rejected_by_reason))
    rows += _counts("chunks failed by reason", dict(a.chunks_failed_by_reason), dict(b.chunks_failed_by_reason))
    return rows
