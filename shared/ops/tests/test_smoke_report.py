from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ftm_ops.smoke.report import SmokeReport, write_report
from ftm_shared.checklist import Criterion

pytestmark = pytest.mark.unit


def test_the_report_shows_the_checklist_and_a_themes_by_firms_map(tmp_path: Path) -> None:
    themes = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q1_001", "theme_2017Q1_002"],
            "name": ["Store traffic", "Debt <refinancing>"],
            "description": ["Stores saw more visits.", "Notes were refinanced."],
            "n_firms": [2, 2],
            "n_topics": [3, 2],
        }
    )
    contributions = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q1_001"] * 3 + ["theme_2017Q1_002"] * 2,
            "firm_id": ["A", "A", "B", "B", "C"],
            "firm_name": ["Alpha", "Alpha", "Beta", "Beta", None],
            "similarity": [0.9, 0.7, 0.8, 0.6, 0.75],
        }
    )
    report = SmokeReport(
        quarter="2017Q1",
        passed=False,
        checklist=[
            Criterion.counted("Summary populated", 5, 5),
            Criterion.counted("Naming method is llm", 4, 5, "1 row: firm A topic 2"),
        ],
        stage_seconds={"map": 12.5, "reduce": 90.0},
        stage_peak_bytes={"map": 2**30},
        stage_budget_s={"map": 170.0, "reduce": 60.0},
        themes=themes,
        contributions=contributions,
        quality={
            "keyword_npmi": 0.0261,
            "largest_theme_topic_share": 0.091,
            "themes": 39,
            "theme_name_fit_at1": 0.75,
            "theme_keyword_name_fit_at1": 0.625,
        },
    )

    page = write_report(report, tmp_path / "out" / "report.html").read_text()

    assert "2017Q1: FAILED" in page
    assert "class='bad'>✗ Naming method is llm: 4/5 (1 row: firm A topic 2)" in page
    assert "1.00 GiB" in page
    assert "<span class='ok'>170 s</span>" in page and "<span class='bad'>60 s</span>" in page
    assert "Debt &lt;refinancing&gt;" in page  # escaped, never raw markup
    assert "title='Alpha: 0.90'" in page  # the best of a firm's topics in the theme
    assert "title='C: 0.75'" in page  # a firm without a name is shown by its id
    assert page.count("<rect") == 2
    npmi = "<td>keyword NPMI (top-10 words, said together)</td><td>0.026</td>"
    assert f"{npmi}<td>BERTopic: nox -s quality</td><td>higher</td>" in page
    assert "<td>largest theme: share of the topics</td><td>0.091</td><td></td>" in page
    fit = "<td>theme names closest to their own theme (accuracy@1)</td><td>0.750</td>"
    assert f"{fit}<td>keyword names 0.625</td><td>at least 0.70" in page
    assert "<td>themes</td><td>39</td>" in page
    assert "theme_keyword_name_fit_at1" not in page  # shown once, beside what it is a baseline of


def test_a_run_without_themes_still_writes_a_report(tmp_path: Path) -> None:
    report = SmokeReport("2017Q1", False, [], {}, {}, pd.DataFrame(), pd.DataFrame())

    page = write_report(report, tmp_path / "report.html").read_text()

    assert page.count("No themes.") == 3


def test_the_report_shows_quotes_and_prevalence_over_the_quarters(tmp_path: Path) -> None:
    themes = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q2_001"],
            "name": ["Store traffic"],
            "description": ["Stores saw more visits."],
            "naming_method": ["keyword_fallback"],
            "n_firms": [2],
            "n_topics": [2],
            "keywords": [["traffic", "visits", "stores"]],
        }
    )
    quotes = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q2_001"] * 2,
            "rank": [2, 1],
            "firm_id": ["B", "A"],
            "firm_name": [None, "Alpha"],
            "earnings_call_date": ["2017-05-02", "2017-05-01"],
            "text": ["Visits rose <again>.", "Traffic was up 4%."],
        }
    )
    over_quarters = pd.DataFrame(
        {
            "previous_theme_id": ["theme_2017Q1_003", None, "theme_2017Q1_004"],
            "previous_theme_name": ["Footfall", None, "Debt"],
            "previous_share_calls": [0.5, None, 0.25],
            "theme_id": ["theme_2017Q2_001", "theme_2017Q2_002", None],
            "theme_name": ["Store traffic", "Tariffs", None],
            "share_calls": [0.75, 0.4, None],
            "status": ["continuing", "new", "vanished"],
        }
    )
    report = SmokeReport(
        quarter="2017Q1, 2017Q2",
        passed=True,
        checklist=[],
        stage_seconds={},
        stage_peak_bytes={},
        themes=themes,
        contributions=pd.DataFrame(),
        quotes=quotes,
        over_quarters=over_quarters,
    )

    page = write_report(report, tmp_path / "report.html").read_text()

    assert "Theme prevalence over the quarters" in page
    assert "Footfall → Store traffic (continuing)" in page
    assert "— → Tariffs (new)" in page and "Debt → — (vanished)" in page
    assert ">50%</text>" in page and ">75%</text>" in page
    # Rank order, the firm by name or else by id, the call date, text escaped.
    first, second = page.index("Traffic was up 4%."), page.index("Visits rose &lt;again&gt;.")
    assert first < second
    # The theme list: name, who named it, top keywords and its best quote in one row.
    assert (
        "<td>Store traffic</td><td>keywords</td><td>2</td><td>2</td>"
        "<td>traffic, visits, stores</td><td>Traffic was up 4%.</td>"
    ) in page
    assert "— Alpha, 2017-05-01" in page and "— B, 2017-05-02" in page


def test_a_single_quarter_report_has_no_prevalence_section(tmp_path: Path) -> None:
    report = SmokeReport("2017Q1", True, [], {}, {}, pd.DataFrame(), pd.DataFrame())
    page = write_report(report, tmp_path / "report.html").read_text()
    assert "over the quarters" not in page
    assert "No quotes" in page
