"""The smoke run's HTML report: the checklist, stage times, the quality measures of the result
(reduce's, `reduce_worker.quality`), theme sizes, a themes × firms map, each theme's supporting
quotes and, with two quarters or more, theme prevalence over the quarters (`ftm export`'s).

Plain HTML with inline SVG and CSS: it opens from disk in any browser, offline, and needs no
plotting library in the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd

from ftm_ops.smoke.memory import gib
from ftm_ops.smoke.quality import quality_table
from ftm_shared.checklist import Criterion

BAR_WIDTH_PX = 360
MAX_HEATMAP_THEMES = 40
QUOTE_CHARS = 300
THEME_KEYWORDS = 8
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2430; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #d5d9e0; padding: 4px 8px; font-size: 13px; text-align: left; }
.ok { color: #1a7f37; } .bad { color: #cf222e; font-weight: 600; }
.heat td { width: 18px; height: 18px; padding: 0; }
.heat th.firm { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; }
"""


@dataclass(frozen=True)
class SmokeReport:
    quarter: str
    passed: bool
    checklist: Sequence[Criterion]
    stage_seconds: dict[str, float]
    stage_peak_bytes: dict[str, int]
    themes: pd.DataFrame
    contributions: pd.DataFrame
    notes: Sequence[str] = ()
    quality: Mapping[str, object] = field(default_factory=dict)
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)
    over_quarters: pd.DataFrame = field(default_factory=pd.DataFrame)
    """`ftm_ops.export.over_quarters`: each lineage row with both sides' share of calls."""
    stage_budget_s: Mapping[str, float | None] = field(default_factory=dict)


def write_report(report: SmokeReport, target: Path) -> Path:
    verdict = "passed" if report.passed else "FAILED"
    sections = [
        f"<h1>ftm smoke run — {escape(report.quarter)}: {verdict}</h1>",
        *(f"<p>{escape(note)}</p>" for note in report.notes),
        "<h2>Checklist</h2>",
        _checklist(report.checklist),
        "<h2>Stages</h2>",
        _stages(report.stage_seconds, report.stage_budget_s, report.stage_peak_bytes),
        "<h2>Quality</h2>",
        quality_table(report.quality),
        "<h2>Theme sizes</h2>",
        _theme_bars(report.themes),
        "<h2>Themes × firms</h2>",
        "<p>Each cell: the best similarity of that firm's topics to the theme.</p>",
        _heatmap(report.themes, report.contributions),
        "<h2>Themes</h2>",
        _themes_table(report.themes, report.quotes),
        *(
            [
                "<h2>Theme prevalence over the quarters</h2>",
                "<p>Share of each quarter's calls with the theme, along the lineage "
                "(grey: the earlier quarter, blue: the later).</p>",
                _prevalence(report.over_quarters),
            ]
            if not report.over_quarters.empty
            else []
        ),
        "<h2>Supporting quotes</h2>",
        _quotes(report.themes, report.quotes),
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>ftm smoke {escape(report.quarter)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def _checklist(criteria: Sequence[Criterion]) -> str:
    rows = "".join(
        f"<tr><td class='{'ok' if c.passed else 'bad'}'>{escape(c.render())}</td></tr>"
        for c in criteria
    )
    return f"<table>{rows}</table>"


def _stages(
    seconds: dict[str, float], budgets: Mapping[str, float | None], peaks: dict[str, int]
) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{took:.1f} s</td>"
        f"<td>{_budget_cell(took, budgets.get(name))}</td><td>{gib(peaks.get(name, 0))}</td></tr>"
        for name, took in seconds.items()
    )
    header = "<tr><th>stage</th><th>time</th><th>budget</th><th>peak memory</th></tr>"
    return f"<table>{header}{rows}</table>"


def _budget_cell(took: float, budget: float | None) -> str:
    if budget is None:
        return ""
    return f"<span class='{'bad' if took > budget else 'ok'}'>{budget:.0f} s</span>"


def _theme_bars(themes: pd.DataFrame) -> str:
    if themes.empty:
        return "<p>No themes.</p>"
    most = max(int(themes["n_topics"].max()), 1)
    row_px = 22
    bars = []
    for index, theme in enumerate(themes.itertuples()):
        y = index * row_px
        width = BAR_WIDTH_PX * int(theme.n_topics) / most
        bars.append(
            f"<text x='0' y='{y + 15}' font-size='12'>{escape(str(theme.name))[:48]}</text>"
            f"<rect x='330' y='{y + 3}' width='{width:.0f}' height='16' fill='#4c78a8'/>"
            f"<text x='{336 + width:.0f}' y='{y + 15}' font-size='12'>"
            f"{theme.n_topics} topics, {theme.n_firms} firms</text>"
        )
    height = row_px * len(themes)
    return (
        f"<svg width='{330 + BAR_WIDTH_PX + 140}' height='{height}' "
        f"xmlns='http://www.w3.org/2000/svg'>{''.join(bars)}</svg>"
    )


def _heatmap(themes: pd.DataFrame, contributions: pd.DataFrame) -> str:
    if themes.empty or contributions.empty:
        return "<p>No themes.</p>"
    shown = themes.head(MAX_HEATMAP_THEMES)
    best = (
        contributions[contributions["theme_id"].isin(shown["theme_id"])]
        .assign(firm=lambda frame: frame["firm_name"].fillna(frame["firm_id"]))
        .pivot_table(index="theme_id", columns="firm", values="similarity", aggfunc="max")
    )
    firms = sorted(best.columns)
    header = "".join(f"<th class='firm'>{escape(str(firm))}</th>" for firm in firms)
    rows = []
    for theme in shown.itertuples():
        cells = []
        for firm in firms:
            value = best.at[theme.theme_id, firm] if theme.theme_id in best.index else None
            if value is None or pd.isna(value):
                cells.append("<td></td>")
            else:
                alpha = max(0.15, min(1.0, float(value)))
                cells.append(
                    f"<td title='{escape(str(firm))}: {float(value):.2f}' "
                    f"style='background: rgba(76,120,168,{alpha:.2f})'></td>"
                )
        rows.append(f"<tr><th>{escape(str(theme.name))}</th>{''.join(cells)}</tr>")
    return f"<table class='heat'><tr><th></th>{header}</tr>{''.join(rows)}</table>"


def _themes_table(themes: pd.DataFrame, quotes: pd.DataFrame) -> str:
    """Each theme's name beside its top keywords and its best quote: whether the name fits
    shows at a glance."""
    if themes.empty:
        return "<p>No themes.</p>"
    first = (
        quotes.sort_values("rank").drop_duplicates("theme_id").set_index("theme_id")["text"]
        if not quotes.empty
        else pd.Series(dtype=str)
    )
    rows = "".join(
        f"<tr><td>{escape(str(t.theme_id))}</td><td>{escape(str(t.name))}</td>"
        f"<td>{escape(_naming(t))}</td><td>{t.n_firms}</td><td>{t.n_topics}</td>"
        f"<td>{escape(', '.join(_keywords(t)))}</td>"
        f"<td>{escape(str(first.get(t.theme_id, ''))[:QUOTE_CHARS])}</td></tr>"
        for t in themes.itertuples()
    )
    header = (
        "<tr><th>id</th><th>name</th><th>named by</th><th>firms</th><th>topics</th>"
        "<th>top keywords</th><th>quote</th></tr>"
    )
    return f"<table>{header}{rows}</table>"


def _naming(theme: object) -> str:
    method = getattr(theme, "naming_method", "llm")
    return "keywords" if method == "keyword_fallback" else "LLM"


def _keywords(theme: object) -> list[str]:
    keywords = getattr(theme, "keywords", None)
    return [str(k) for k in keywords[:THEME_KEYWORDS]] if keywords is not None else []


def _share_bar(share: object, y: int, x: int, colour: str) -> str:
    if share is None or pd.isna(share):
        return ""
    width = BAR_WIDTH_PX * float(share)  # type: ignore[arg-type]
    return (
        f"<rect x='{x}' y='{y}' width='{width:.0f}' height='9' fill='{colour}'/>"
        f"<text x='{x + width + 4:.0f}' y='{y + 8}' font-size='10'>{float(share):.0%}</text>"  # type: ignore[arg-type]
    )


def _prevalence(links: pd.DataFrame) -> str:
    row_px, label_px = 30, 520
    shapes = []
    for index, link in enumerate(links.itertuples()):
        y = index * row_px
        before = "—" if pd.isna(link.previous_theme_id) else str(link.previous_theme_name)[:34]
        after = "—" if pd.isna(link.theme_id) else str(link.theme_name)[:34]
        label = f"{before} → {after} ({link.status})"
        shapes.append(f"<text x='0' y='{y + 17}' font-size='12'>{escape(label)}</text>")
        shapes.append(_share_bar(link.previous_share_calls, y + 4, label_px, "#b0b7c3"))
        shapes.append(_share_bar(link.share_calls, y + 15, label_px, "#4c78a8"))
    return (
        f"<svg width='{label_px + BAR_WIDTH_PX + 60}' height='{row_px * len(links)}' "
        f"xmlns='http://www.w3.org/2000/svg'>{''.join(shapes)}</svg>"
    )


def _quotes(themes: pd.DataFrame, quotes: pd.DataFrame) -> str:
    if themes.empty or quotes.empty:
        return "<p>No quotes (the run wrote none).</p>"
    parts = []
    for theme in themes.itertuples():
        said = quotes[quotes["theme_id"] == theme.theme_id].sort_values("rank")
        if said.empty:
            continue
        items = "".join(
            f"<li>“{escape(str(q.text)[:QUOTE_CHARS])}” — "
            f"{escape(str(q.firm_name if pd.notna(q.firm_name) else q.firm_id))}, "
            f"{escape(str(q.earnings_call_date))}</li>"
            for q in said.itertuples()
        )
        parts.append(
            f"<h3>{escape(str(theme.theme_id))}: {escape(str(theme.name))}</h3><ul>{items}</ul>"
        )
    return "".join(parts)
