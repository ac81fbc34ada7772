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
  `quote_rows` (its quotes, at least one), `exposure_rows` (its rows in the exposure panel,
  at least one: its member firms' calls) and `lineage_rows` (its rows in the lineage, at
  least one; null for every theme when the lineage is empty: the previous quarter had no run);
- contributions: `theme_exists` and `topic_exists` (its theme is in themes, its (firm, topic)
  in firm-topics);
- exposure panel: `call_total_exposure` (the sum of the call's exposures, at most 1) and
  `theme_exists` (its theme is one of the quarter's themes);
- quotes: `quoted_words` (the text lower-cased, whitespace collapsed: reduce's "same
  sentence" test, unique within a theme), `theme_quote_count` (the theme's quotes, so ranks
  run 1..n), `theme_exists`, `topic_in_theme` (its (theme, firm, topic) is a contribution;
  null where its theme has none, an unknown theme that `theme_exists` reports) and
  `text_in_transcripts` (the text is verbatim in its firm's raw paragraphs, compared as
  map-worker cleans a sentence: `<UNK>` masks as spaces, whitespace collapsed; its 2,000
  character cut leaves a substring; null where the text is blank, reported on its own);
- lineage: `theme_id_fits_status` (`theme_id` is null exactly on `vanished` rows),
  `previous_theme_id_fits_status` (`previous_theme_id` null exactly on `new` rows),
  `similarity_fits_status` (`similarity` present exactly on links) and `theme_exists` (null
  on a vanished row, which has no theme).

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
# The mask MAEC puts where a word was removed; map-worker's cleaning makes it a space.
_MASKS = re.compile(r"<UNK>", re.IGNORECASE)
UNLINKED = ("new", "vanished")
"""Lineage statuses of a row without a link (no similarity)."""
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


def _same_words(text: object) -> str | None:
    return " ".join(text.lower().split()) if isinstance(text, str) else None


def _cleaned(text: object) -> str:
    return " ".join(_MASKS.sub(" ", text).split()) if isinstance(text, str) else ""


def _rows_of(theme_ids: pd.Series, other: pd.DataFrame) -> pd.Series:
    return theme_ids.map(other.groupby("theme_id").size()).fillna(0).astype("int64")


def themes_view(
    themes: pd.DataFrame,
    contributions: pd.DataFrame | None,
    quotes: pd.DataFrame | None = None,
    lineage: pd.DataFrame | None = None,
    exposure: pd.DataFrame | None = None,
) -> pd.DataFrame:
    view = themes.copy()
    if contributions is not None and {"theme_id", "firm_id"} <= set(contributions.columns):
        view["contribution_rows"] = _rows_of(view["theme_id"], contributions)
        firms = view["theme_id"].map(contributions.groupby("theme_id")["firm_id"].nunique())
        view["contribution_firms"] = firms.fillna(0).astype("int64")
    if quotes is not None and "theme_id" in quotes.columns:
        view["quote_rows"] = _rows_of(view["theme_id"], quotes)
    if exposure is not None and "theme_id" in exposure.columns:
        view["exposure_rows"] = _rows_of(view["theme_id"], exposure)
    if lineage is not None and "theme_id" in lineage.columns:
        rows = _rows_of(view["theme_id"], lineage).astype("Int64")
        view["lineage_rows"] = rows if len(lineage) else rows.mask(rows.notna())
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


def quotes_view(
    quotes: pd.DataFrame,
    themes: pd.DataFrame | None,
    contributions: pd.DataFrame | None,
    raw: pd.DataFrame | None,
) -> pd.DataFrame:
    view = quotes.copy()
    if "text" in view.columns:
        view["quoted_words"] = view["text"].map(_same_words)
    if "theme_id" in view.columns:
        view["theme_quote_count"] = view.groupby("theme_id")["theme_id"].transform("size")
    if themes is not None and "theme_id" in themes.columns and "theme_id" in view.columns:
        view["theme_exists"] = view["theme_id"].isin(set(themes["theme_id"]))
    member = ["theme_id", "firm_id", "topic_id"]
    if contributions is not None and set(member) <= set(contributions.columns) & set(view.columns):
        known = contributions[member].drop_duplicates()
        found = view[member].merge(known, how="left", on=member, indicator=True)["_merge"]
        in_theme = pd.Series(pd.array(found == "both", dtype="boolean"), index=view.index)
        view["topic_in_theme"] = in_theme.where(view["theme_id"].isin(set(known["theme_id"])))
    spoken = ["firm_id", "text"]
    if raw is not None and set(spoken) <= set(raw.columns) & set(view.columns):
        # One string per firm: a quote is one sentence, never across two paragraphs.
        said = raw.groupby("firm_id")["text"].agg(lambda texts: "\n".join(map(_cleaned, texts)))
        found_in = [
            _cleaned(text) in said.get(firm, "") if _cleaned(text) else None
            for firm, text in zip(view["firm_id"], view["text"], strict=True)
        ]
        view["text_in_transcripts"] = pd.array(found_in, dtype="boolean")
    return view


def lineage_view(lineage: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
    view = lineage.copy()
    if {"theme_id", "previous_theme_id", "similarity", "status"} <= set(view.columns):
        status = view["status"]
        view["theme_id_fits_status"] = view["theme_id"].isna() == (status == "vanished")
        view["previous_theme_id_fits_status"] = view["previous_theme_id"].isna() == (
            status == "new"
        )
        view["similarity_fits_status"] = view["similarity"].notna() != status.isin(UNLINKED)
    if themes is not None and "theme_id" in themes.columns and "theme_id" in view.columns:
        exists = view["theme_id"].isin(set(themes["theme_id"])).astype("boolean")
        view["theme_exists"] = exists.mask(view["theme_id"].isna())
    return view
