"""The suites on realistic outputs in a moto bucket: good outputs pass, and each kind of bad
output fails exactly the criterion written for it, naming the offending row."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from ftm_expectations.checklist import Checklist
from ftm_local.published import Outputs

pytestmark = pytest.mark.integration
NO_THEMES = "At least one theme (none: the quarter's firms share no subject, too few or too unlike)"
LINEAGE_FITS_STATUS = (
    "Lineage rows fit their status (no theme only when vanished, no previous theme only when "
    "new, similarity in [-1, 1] on links only)"
)


def test_good_outputs_pass_and_write_data_docs(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    checklist = checklist_for(outputs)

    assert checklist.passed, checklist.render()
    text = checklist.render()
    assert "✓ Summary populated: 65/65" in text
    assert "✓ Topics named by the LLM (else by its keywords; LLM at least 30%): 65/65" in text
    assert "✓ Theme counts match contributions (n_topics, n_firms)" in text
    assert checklist.data_docs is not None and checklist.data_docs.name == "index.html"
    page = checklist.data_docs.read_text()
    for suite in (
        "raw_transcripts",
        "firm_topics",
        "themes",
        "theme_contributions",
        "firm_theme_exposure",
        "theme_quotes",
        "theme_lineage",
    ):
        assert suite in page
    assert "✓ Every quote is verbatim in its firm's raw transcripts" in text
    assert "✓ Lineage rows fit their status" in text


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


def _theme_fallback(o: Outputs) -> str:
    # What reduce-worker writes when no LLM answer fits a theme (naming.keyword_label).
    o.themes.loc[3, ["name", "description", "naming_method"]] = [
        "Growth, demand, outlook",
        "5 topics of 4 firms about growth, demand, outlook (no LLM name fitted the theme: named "
        "by its keywords).",
        "keyword_fallback",
    ]
    return f"{o.themes.loc[3, 'theme_id']} (naming_method='keyword_fallback')"


def _unknown_topic_naming(o: Outputs) -> str:
    o.topics.loc[5, "naming_method"] = "topic_fallback"
    return _topic(o, 5)


def _unknown_theme_naming(o: Outputs) -> str:
    o.themes.loc[3, "naming_method"] = "unchecked"
    return str(o.themes.loc[3, "theme_id"])


def _summary_is_keywords(o: Outputs) -> str:
    o.topics.loc[7, "summary"] = o.topics.loc[7, "representation"].replace("_", " ").title()
    return _topic(o, 7)


def _duplicate_topic(o: Outputs) -> str:
    o.topics = pd.concat([o.topics, o.topics.iloc[[9]]], ignore_index=True)
    return _topic(o, 9)


def _malformed_theme_id(o: Outputs) -> str:
    old = o.themes.loc[1, "theme_id"]
    for frame in (o.themes, o.contributions, o.exposure, o.quotes, o.lineage):
        frame.loc[frame["theme_id"] == old, "theme_id"] = "theme_2017-1_2"
    return "theme_2017-1_2"


def _theme_counts_off(o: Outputs) -> str:
    o.themes.loc[2, "n_topics"] += 1
    theme = o.themes.loc[2]
    return f"{theme['theme_id']} (n_topics={theme['n_topics']}, contribution_rows="


def _unknown_theme(o: Outputs) -> str:
    gone = o.themes.loc[0, "theme_id"]
    o.themes = o.themes.drop(index=0).reset_index(drop=True)
    for name in ("exposure", "quotes", "lineage"):
        frame = getattr(o, name)
        setattr(o, name, frame[frame["theme_id"] != gone].reset_index(drop=True))
    return str(gone)


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


def _quote(o: Outputs, index: int) -> str:
    return f"{o.quotes.loc[index, 'theme_id']} quote {o.quotes.loc[index, 'rank']}"


def _quote_from_a_topic_outside_its_theme(o: Outputs) -> str:
    # The same firm's topic in another theme: still the firm's words, not the theme's.
    pairs = o.contributions[["theme_id", "firm_id", "topic_id"]]
    for index, quote in o.quotes.iterrows():
        elsewhere = pairs[
            (pairs["firm_id"] == quote["firm_id"]) & (pairs["theme_id"] != quote["theme_id"])
        ]
        if len(elsewhere):
            o.quotes.loc[index, "topic_id"] = elsewhere["topic_id"].iloc[0]
            return _quote(o, index)
    raise AssertionError("no firm has topics in two themes")


def _quote_not_said(o: Outputs) -> str:
    o.quotes.loc[1, "text"] = "We expect record revenue from teleportation next year."
    return _quote(o, 1)


def _sentence_quoted_twice(o: Outputs) -> str:
    # Rank 2 repeats rank 1's sentence, spacing aside (also its firm and topic: still true).
    first = o.quotes.loc[0]
    assert o.quotes.loc[1, "theme_id"] == first["theme_id"]
    for column in ("firm_id", "firm_name", "permno", "gvkey", "earnings_call_date", "topic_id"):
        o.quotes.loc[1, column] = first[column]
    o.quotes.loc[1, "text"] = " " + first["text"].replace(" ", "  ") + " "
    return _quote(o, 1)


def _rank_repeated(o: Outputs) -> str:
    o.quotes.loc[1, "rank"] = o.quotes.loc[0, "rank"]
    return _quote(o, 1)


def _theme_without_quotes(o: Outputs) -> str:
    theme = o.themes.loc[2, "theme_id"]
    o.quotes = o.quotes[o.quotes["theme_id"] != theme].reset_index(drop=True)
    return str(theme)


def _theme_without_exposure(o: Outputs) -> str:
    theme = o.themes.loc[2, "theme_id"]
    o.exposure = o.exposure[o.exposure["theme_id"] != theme].reset_index(drop=True)
    return str(theme)


def _no_themes(o: Outputs) -> str:
    # A quarter whose firms share no subject: reduce writes every theme table empty.
    o.themes, o.contributions, o.exposure, o.quotes, o.lineage = (
        frame.iloc[0:0] for frame in (o.themes, o.contributions, o.exposure, o.quotes, o.lineage)
    )
    return "0 rows"


def _quote_of_an_unknown_theme(o: Outputs) -> str:
    # A theme's last quote, so that the ranks left and its own still run 1..n.
    last = o.quotes.index[o.quotes["theme_id"] == o.quotes.loc[0, "theme_id"]][-1]
    o.quotes.loc[last, ["theme_id", "rank"]] = ["theme_2017Q1_999", 1]
    return "theme_2017Q1_999 quote 1"


def _vanished_row_with_a_theme(o: Outputs) -> str:
    vanished = o.lineage.index[o.lineage["status"] == "vanished"][0]
    o.lineage.loc[vanished, "theme_id"] = o.themes.loc[0, "theme_id"]
    return f"{o.themes.loc[0, 'theme_id']} from {o.lineage.loc[vanished, 'previous_theme_id']}"


def _new_row_with_a_similarity(o: Outputs) -> str:
    new = o.lineage.index[o.lineage["status"] == "new"][0]
    o.lineage.loc[new, "similarity"] = 0.5
    return f"{o.lineage.loc[new, 'theme_id']} from none (status='new', similarity=0.5)"


def _lineage_skips_a_quarter(o: Outputs) -> str:
    o.lineage["previous_quarter"] = "2016Q3"
    return "previous_quarter='2016Q3'"


def _lineage_to_an_unknown_theme(o: Outputs) -> str:
    # The second row of a merged theme: the theme keeps its other row.
    merged = o.lineage.index[o.lineage["status"] == "merged"][1]
    o.lineage.loc[merged, "theme_id"] = "theme_2017Q1_999"
    return f"theme_2017Q1_999 from {o.lineage.loc[merged, 'previous_theme_id']}"


def _theme_missing_from_the_lineage(o: Outputs) -> str:
    theme = o.themes["theme_id"].iloc[-1]
    o.lineage = o.lineage[o.lineage["theme_id"] != theme].reset_index(drop=True)
    return str(theme)


def _lineage_row_repeated(o: Outputs) -> str:
    o.lineage = pd.concat([o.lineage, o.lineage.iloc[[0]]], ignore_index=True)
    return f"{o.lineage.loc[0, 'theme_id']} from {o.lineage.loc[0, 'previous_theme_id']}"


def _topic(o: Outputs, index: int) -> str:
    return f"firm {o.topics.loc[index, 'firm_id']} topic {o.topics.loc[index, 'topic_id']}"


@pytest.mark.parametrize(
    ("break_outputs", "criterion"),
    [
        (_empty_summary, "Summary populated"),
        (_unknown_topic_naming, "Topics named by the LLM (else by its keywords; LLM at least 30%)"),
        (_summary_is_keywords, "Summary differs from keywords"),
        (_unknown_theme_naming, "Themes named by the LLM (else by its keywords; LLM at least 30%)"),
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
        (
            _quote_from_a_topic_outside_its_theme,
            "Every quote is from a member topic of its theme (in the contributions)",
        ),
        (_quote_not_said, "Every quote is verbatim in its firm's raw transcripts"),
        (_sentence_quoted_twice, "No sentence quoted twice for a theme (case and spacing aside)"),
        (_rank_repeated, "Quote ranks 1..n, one quote per (theme, rank)"),
        (_theme_without_quotes, "Every theme has a quote"),
        (_theme_without_exposure, "Every theme is in the exposure panel"),
        (_no_themes, NO_THEMES),
        (_quote_of_an_unknown_theme, "Every quote's theme is a theme of the quarter"),
        (_vanished_row_with_a_theme, LINEAGE_FITS_STATUS),
        (_new_row_with_a_similarity, LINEAGE_FITS_STATUS),
        (
            _lineage_skips_a_quarter,
            "Lineage quarters are 2017Q1 and the one before (2016Q4), status known",
        ),
        (_lineage_to_an_unknown_theme, "Every lineage theme is a theme of the quarter"),
        (
            _theme_missing_from_the_lineage,
            "Every theme is in the lineage (when the previous quarter has a run)",
        ),
        (_lineage_row_repeated, "One lineage row per (theme, previous theme)"),
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


def _more_topic_fallbacks(o: Outputs) -> None:
    o.topics.loc[:50, "naming_method"] = "keyword_fallback"


def _more_theme_fallbacks(o: Outputs) -> None:
    o.themes.loc[:4, "naming_method"] = "keyword_fallback"


@pytest.mark.parametrize(
    ("fall_back", "rule", "share", "fall_back_more"),
    [
        (_keyword_fallback, "Topics named by the LLM", "64/65", _more_topic_fallbacks),
        (_theme_fallback, "Themes named by the LLM", "5/6", _more_theme_fallbacks),
    ],
    ids=["firm topics", "themes"],
)
def test_keyword_names_are_listed_and_held_to_a_share(
    checklist_for: Callable[..., Checklist],
    outputs: Outputs,
    fall_back: Callable[[Outputs], str],
    rule: str,
    share: str,
    fall_back_more: Callable[[Outputs], None],
) -> None:
    named = fall_back(outputs)

    checklist = checklist_for(outputs)

    assert checklist.passed, checklist.render()
    rule = f"{rule} (else by its keywords; LLM at least 30%)"
    assert f"✓ {rule}: {share} (1 row: {named})" in checklist.render()
    fall_back_more(outputs)
    assert [c.name for c in checklist_for(outputs).failed] == [rule]


def test_an_empty_lineage_passes_when_the_previous_quarter_had_no_run(
    checklist_for: Callable[..., Checklist], outputs: Outputs
) -> None:
    outputs.lineage = outputs.lineage.iloc[0:0]

    checklist = checklist_for(outputs)

    assert checklist.passed, checklist.render()
    text = checklist.render()
    assert "✓ Theme lineage columns and types" in text
    assert f"✓ {LINEAGE_FITS_STATUS}: 0/0" in text
    assert "✓ Every theme is in the lineage (when the previous quarter has a run): 6/6" in text


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
    outputs.skip = {"raw", "topics", "themes", "contributions", "exposure", "quotes", "lineage"}

    checklist = checklist_for(outputs)

    assert [c.name for c in checklist.criteria] == [
        "Raw transcripts found",
        "Firm-topics found",
        "Themes found",
        "Theme contributions found",
        "Exposure panel found",
        "Theme quotes found",
        "Theme lineage found",
    ]
    assert not checklist.passed
    assert checklist.data_docs is None
