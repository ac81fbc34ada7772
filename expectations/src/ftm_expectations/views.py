"""Derived columns that turn cross-column and cross-table criteria into column expectations.

Great Expectations' pandas data sources cannot run `UnexpectedRowsExpectation` (it takes SQL),
and its built-in expectations compare columns of one row, never two tables. So each data set
is validated as a *view*: its own columns plus a few derived ones computed here in pandas,

- firm-topics: `summary_differs_from_keywords` (the LLM summary is more than the keyword
  string: not equal to `representation` or to the keywords once case, `_` and punctuation
  are ignored; null where the summary is empty, which a criterion of its own reports) and
  `procedure_is_topic_minus_one` (a `procedure` row is topic -1, and topic -1 is one);
- themes: `contribution_rows` and `contribution_firms`, counted in the contributions, so
  `expect_column_pair_values_to_be_equal` compares them with `n_topics` and `n_firms`;
- contributions: `theme_exists` and `topic_exists` (its theme is in themes, its (firm, topic)
  in firm-topics);
- exposure panel: `call_total_exposure` (the sum of the call's exposures, at most 1) and
  `theme_exists` (its theme is one of the quarter's themes).

The alternatives were worse: custom expectation classes (more code, and a plugin the data docs
must import), or SQL over DuckDB (another engine just for three comparisons). A view keeps the
suites declarative, the data docs show the derived column by name next to its expectation, and
every failure still points at one row, which the checklist names. A derived column is left out
when the other data set is missing: its expectation then fails in the data docs, and the
checklist reports the missing data set instead.
"""

from __future__ import annotations

import re

import pandas as pd

_NOT_WORDS = re.compile(r"[\W_]+")
# map-worker's label of a firm's call procedure row (its topic -1).
PROCEDURE_METHOD = "procedure"


def _words(text: object) -> str:
    return _NOT_WORDS.sub(" ", str(text)).strip().lower()


def _differs(row: pd.Series) -> bool | None:
    summary = row["summary"]
    if not isinstance(summary, str) or not summary.strip():
        return None
    keywords = row["keywords"]
    keyword_text = " ".join(str(k) for k in keywords) if keywords is not None else ""
    return _words(summary) not in {_words(row["representation"]), _words(keyword_text)}


def firm_topics_view(topics: pd.DataFrame) -> pd.DataFrame:
    view = topics.copy()
    if {"summary", "representation", "keywords"} <= set(view.columns):
        differs = view.apply(_differs, axis=1) if len(view) else pd.Series(dtype=object)
        view["summary_differs_from_keywords"] = pd.array(differs, dtype="boolean")
    if {"naming_method", "topic_id"} <= set(view.columns):
        procedure = view["naming_method"] == PROCEDURE_METHOD
        view["procedure_is_topic_minus_one"] = procedure == (view["topic_id"] == -1)
    return view


def themes_view(themes: pd.DataFrame, contributions: pd.DataFrame | None) -> pd.DataFrame:
    view = themes.copy()
    if contributions is not None and {"theme_id", "firm_id"} <= set(contributions.columns):
        grouped = contributions.groupby("theme_id")
        rows = view["theme_id"].map(grouped.size()).fillna(0)
        firms = view["theme_id"].map(grouped["firm_id"].nunique()).fillna(0)
        view["contribution_rows"] = rows.astype("int64")
        view["contribution_firms"] = firms.astype("int64")
    return view


def contributions_view(
    contributions: pd.DataFrame, themes: pd.DataFrame | None, topics: pd.DataFrame | None
) -> pd.DataFrame:
    view = contributions.copy()
    if themes is not None and "theme_id" in themes.columns:
        view["theme_exists"] = view["theme_id"].isin(set(themes["theme_id"]))
    pair = ["firm_id", "topic_id"]
    if topics is not None and set(pair) <= set(topics.columns) & set(view.columns):
        known = topics[pair].drop_duplicates()
        found = view[pair].merge(known, how="left", on=pair, indicator=True)["_merge"]
        view["topic_exists"] = (found == "both").to_numpy()
    return view


def exposure_view(exposure: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
    view = exposure.copy()
    if {"call_id", "exposure"} <= set(view.columns):
        view["call_total_exposure"] = view.groupby("call_id")["exposure"].transform("sum")
    if themes is not None and "theme_id" in themes.columns and "theme_id" in view.columns:
        view["theme_exists"] = view["theme_id"].isin(set(themes["theme_id"]))
    return view
