"""The suites on realistic outputs in a moto bucket: good outputs pass, and each kind of bad
output fails exactly the criterion written for it, naming the offending row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from ftm_expectations.checklist import Checklist

# conftest's Outputs (test modules cannot import conftest by name)
Outputs = Any
pytestmark = pytest.mark.integration


def test_good_outputs_pass_and_write_data_docs(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    checklist = checklist_for(outputs)

    assert checklist.passed, checklist.render()
    text = checklist.render()
    assert "✓ Summary populated: 65/65" in text
    assert "✓ Naming method is llm: 65/65" in text
    assert "✓ Theme counts match contributions (n_topics, n_firms)" in text
    assert checklist.data_docs is not None and checklist.data_docs.name == "index.html"
    page = checklist.data_docs.read_text()
    for suite in (
        "raw_transcripts",
        "firm_topics",
        "themes",
        "theme_contributions",
        "firm_theme_exposure",
    ):
        assert suite in page


def _empty_summary(o: Outputs) -> str:
    o.topics.loc[3, "summary"] = "  "
    return _topic(o, 3)


def _keyword_fallback(o: Outputs) -> str:
    # What map-worker writes when it is allowed to fall back (naming.py).
    topic = o.topics.loc[5]
    o.topics.loc[5, ["name", "summary", "naming_method"]] = [
        topic["representation"],
        f"Sentences about {', '.join(topic['keywords'][:6])} ({topic['n_docs']} sentences; "
        "no LLM summary).",
        "keyword_fallback",
    ]
    return _topic(o, 5) + " (naming_method='keyword_fallback')"


def _summary_is_keywords(o: Outputs) -> str:
    o.topics.loc[7, "summary"] = o.topics.loc[7, "representation"].replace("_", " ").title()
    return _topic(o, 7)


def _duplicate_topic(o: Outputs) -> str:
    o.topics = pd.concat([o.topics, o.topics.iloc[[9]]], ignore_index=True)
    return _topic(o, 9)


def _malformed_theme_id(o: Outputs) -> str:
    old = o.themes.loc[1, "theme_id"]
    for frame in (o.themes, o.contributions, o.exposure):
        frame.loc[frame["theme_id"] == old, "theme_id"] = "theme_2017-1_2"
    return "theme_2017-1_2"


def _theme_counts_off(o: Outputs) -> str:
    o.themes.loc[2, "n_topics"] += 1
    theme = o.themes.loc[2]
    return f"{theme['theme_id']} (n_topics={theme['n_topics']}, contribution_rows="


def _unknown_theme(o: Outputs) -> str:
    gone = o.themes.loc[0, "theme_id"]
    o.themes = o.themes.drop(index=0).reset_index(drop=True)
    o.exposure = o.exposure[o.exposure["theme_id"] != gone].reset_index(drop=True)
    return gone


def _duplicate_contribution(o: Outputs) -> str:
    row = o.contributions.iloc[[4]]
    o.contributions = pd.concat([o.contributions, row], ignore_index=True)
    o.themes.loc[o.themes["theme_id"] == row["theme_id"].iloc[0], "n_topics"] += 1
    return f"firm {row['firm_id'].iloc[0]} topic {row['topic_id'].iloc[0]}"


def _contributions_without_permno(o: Outputs) -> str:
    o.contributions = o.contributions.drop(columns=["permno"])
    return "missing columns: permno"


def _exposure_over_one(o: Outputs) -> str:
    calls = o.exposure["call_id"].value_counts()
    call = calls.index[0]
    assert calls.iloc[0] >= 2
    o.exposure.loc[o.exposure["call_id"] == call, "exposure"] = 0.6
    return f"call {call} {o.exposure.loc[o.exposure['call_id'] == call, 'theme_id'].iloc[0]}"


def _risk_above_exposure(o: Outputs) -> str:
    o.exposure.loc[2, "risk_exposure"] = o.exposure.loc[2, "exposure"] + 0.1
    return f"call {o.exposure.loc[2, 'call_id']} {o.exposure.loc[2, 'theme_id']}"


def _exposure_to_unknown_theme(o: Outputs) -> str:
    o.exposure.loc[0, "theme_id"] = "theme_2017Q1_999"
    return f"call {o.exposure.loc[0, 'call_id']} theme_2017Q1_999"


def _topic(o: Outputs, index: int) -> str:
    return f"firm {o.topics.loc[index, 'firm_id']} topic {o.topics.loc[index, 'topic_id']}"


@pytest.mark.parametrize(
    ("break_outputs", "criterion"),
    [
        (_empty_summary, "Summary populated"),
        (_keyword_fallback, "Naming method is llm"),
        (_summary_is_keywords, "Summary differs from keywords"),
        (_duplicate_topic, "One firm-topic row per (firm, topic)"),
        (_malformed_theme_id, "Theme ids unique and like theme_2017Q1_NNN"),
        (_theme_counts_off, "Theme counts match contributions (n_topics, n_firms)"),
        (_unknown_theme, "Every contribution's theme exists"),
        (_duplicate_contribution, "One contribution per (firm, topic)"),
        (_contributions_without_permno, "Contributions carry permno, gvkey, earnings_call_date"),
        (_exposure_over_one, "Each call's total exposure at most 1"),
        (
            _risk_above_exposure,
            "Exposure shares in [0, 1], risk within exposure, sentiment in [-1, 1]",
        ),
        (_exposure_to_unknown_theme, "Every exposure theme is a theme of the quarter"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_bad_outputs_fail_exactly_their_criterion(
    checklist_for: Callable[..., Checklist],
    outputs: Outputs,
    break_outputs: Callable[[Outputs], str],
    criterion: str,
) -> None:
    named = break_outputs(outputs)

    checklist = checklist_for(outputs)

    assert [c.name for c in checklist.failed] == [criterion], checklist.render()
    failed = checklist.failed[0]
    assert named in failed.detail
    assert f"✗ {criterion}: {failed.passed_count}/{failed.total} ({failed.detail})" in (
        checklist.render()
    )
    assert not checklist.passed


def test_a_run_allowed_the_keyword_fallback_is_held_to_a_share_of_llm_names(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    outputs.plan_settings = {"keyword_fallback": True}
    named = _keyword_fallback(outputs)

    checklist = checklist_for(outputs)

    assert checklist.passed, checklist.render()
    rule = "Naming method is llm (keyword fallback allowed, at least 80%)"
    assert f"✓ {rule}: 64/65 (1 row: {named})" in checklist.render()
    outputs.topics.loc[:20, "naming_method"] = "keyword_fallback"
    assert [c.name for c in checklist_for(outputs).failed] == [rule]


def test_a_missing_data_set_is_a_failed_criterion(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    outputs.skip = {"themes"}

    checklist = checklist_for(outputs)

    assert [c.name for c in checklist.failed] == ["Themes found"]
    assert "runs/quarter=2017Q1/run=" in checklist.failed[0].detail
    assert checklist.failed[0].detail.endswith("/themes/themes.parquet")
    names = [c.name for c in checklist.criteria]
    assert "Every contribution's theme exists" not in names  # it needs the themes
    assert "One contribution per (firm, topic)" in names
    assert checklist.data_docs is not None


def test_nothing_in_the_bucket_fails_every_data_set_without_a_crash(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    outputs.skip = {"raw", "topics", "themes", "contributions", "exposure"}

    checklist = checklist_for(outputs)

    assert [c.name for c in checklist.criteria] == [
        "Raw transcripts found",
        "Firm-topics found",
        "Themes found",
        "Theme contributions found",
        "Exposure panel found",
    ]
    assert not checklist.passed
    assert checklist.data_docs is None
