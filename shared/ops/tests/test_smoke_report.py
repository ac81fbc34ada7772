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
        stage_seconds={"map": 12.5},
        stage_peak_bytes={"map": 2**30},
        themes=themes,
        contributions=contributions,
        quality={"keyword_npmi": 0.0261, "largest_theme_topic_share": 0.091, "themes": 39},
    )

    page = write_report(report, tmp_path / "out" / "report.html").read_text()

    assert "2017Q1: FAILED" in page
    assert "class='bad'>✗ Naming method is llm: 4/5 (1 row: firm A topic 2)" in page
    assert "1.00 GiB" in page
    assert "Debt &lt;refinancing&gt;" in page  # escaped, never raw markup
    assert "title='Alpha: 0.90'" in page  # the best of a firm's topics in the theme
    assert "title='C: 0.75'" in page  # a firm without a name is shown by its id
    assert page.count("<rect") == 2
    npmi = "keyword NPMI (top-10 words, co-occurrence in the quarter)"
    assert f"<td>{npmi}</td><td>0.026</td>" in page
    assert "<td>largest theme: share of the topics</td><td>0.091</td>" in page
    assert "<td>themes</td><td>39</td>" in page


def test_a_run_without_themes_still_writes_a_report(tmp_path: Path) -> None:
    report = SmokeReport("2017Q1", False, [], {}, {}, pd.DataFrame(), pd.DataFrame())

    page = write_report(report, tmp_path / "report.html").read_text()

    assert page.count("No themes.") == 3
