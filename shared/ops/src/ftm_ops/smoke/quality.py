"""The smoke report's quality table: each measure of reduce's report once, the baseline a reader
would otherwise have beside it where the run measures one (keyword names for name fit), and in
plain words what is good (the targets of docs/theme-quality.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

# NPMI and diversity have their baseline (BERTopic per firm) in `nox -s quality` only: it
# needs a second topic model over the same firms, more than a smoke run should spend.
BERTOPIC = "BERTopic: nox -s quality"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    good: str
    baseline: str | None = None
    """The report key of the baseline measured in the same run, or a note where it is not."""


MEASURES = (
    Measure("keyword_npmi", "keyword NPMI (top-10 words, said together)", "higher", BERTOPIC),
    Measure("topic_diversity", "topic diversity", "higher: topics use different words", BERTOPIC),
    Measure("firms_per_theme_median", "firms per theme (median)", "3 or more: themes cross firms"),
    Measure("largest_theme_topic_share", "largest theme: share of the topics", "at most 0.10"),
    Measure("largest_theme_firm_share", "largest theme: share of the firms", "lower"),
    Measure(
        "theme_keywords_one_firm_share",
        "theme keywords used by one member firm only",
        "at most 0.10: keywords the firms share",
    ),
    Measure(
        "largest_theme_filler_words",
        "filler or function words in the largest theme's top 10",
        "at most 3",
    ),
    Measure("procedural_share", "share of sentences set aside as call procedure", "not a target"),
    Measure("procedural_themes", "themes made of call procedure", "0"),
    Measure(
        "theme_name_fit_at1",
        "theme names closest to their own theme (accuracy@1)",
        "at least 0.70 and at least the keyword names",
        "theme_keyword_name_fit_at1",
    ),
    Measure(
        "theme_name_fit_at3",
        "theme names within their theme's 3 nearest (accuracy@3)",
        "at least the keyword names",
        "theme_keyword_name_fit_at3",
    ),
    Measure(
        "topic_name_fit_at1",
        "topic names closest to their own topic of the firm (accuracy@1)",
        "at least the keyword names",
        "topic_keyword_name_fit_at1",
    ),
    Measure(
        "topic_name_fit_at3",
        "topic names within their topic's 3 nearest (accuracy@3)",
        "at least the keyword names",
        "topic_keyword_name_fit_at3",
    ),
    Measure(
        "topic_llm_name_share",
        "topics named by the LLM (the rest by their keyword phrases)",
        "higher, where the names fit",
    ),
    Measure("unfinished_or_repeated_names", "names ending in punctuation or repeating", "0"),
    Measure("fragment_or_copied_name_share", "topic names that are fragments or copies", "0"),
    Measure("theme_fragment_name_share", "theme names that are fragments", "0"),
    Measure(
        "unfinished_or_looping_summary_share",
        "LLM topic summaries cut off or looping",
        "0",
    ),
    Measure(
        "theme_unfinished_or_looping_description_share",
        "LLM theme descriptions cut off or looping",
        "0",
    ),
    Measure(
        "theme_first_person_description_share",
        "LLM theme descriptions speaking as one firm (we, our)",
        "0",
    ),
    Measure(
        "theme_copied_description_share",
        "LLM theme descriptions retelling one topic's summary",
        "0",
    ),
    Measure(
        "theme_unsupported_description_share",
        "LLM theme descriptions with a word their topics and common call language lack, "
        "or defining the name",
        "0",
    ),
    Measure(
        "ungrounded_summary_share", "summaries with a number or name not in their sentences", "0"
    ),
    Measure(
        "unsupported_summary_share",
        "LLM topic summaries with a word their sentences and common call language lack, "
        "or defining the name",
        "0",
    ),
)
_BASELINE_KEYS = {m.baseline for m in MEASURES}


def quality_table(measures: Mapping[str, object]) -> str:
    if not measures:
        return "<p>No quality measures (the reduce report has none).</p>"
    listed = {m.key for m in MEASURES}
    rest = [Measure(k, k, "") for k in measures if k not in listed and k not in _BASELINE_KEYS]
    rows = "".join(
        f"<tr><td>{escape(m.label)}</td><td>{escape(shown(measures.get(m.key)))}</td>"
        f"<td>{escape(_baseline(m, measures))}</td><td>{escape(m.good)}</td></tr>"
        for m in (*MEASURES, *rest)
        if m.key in measures
    )
    header = "<tr><th>measure</th><th>this run</th><th>baseline</th><th>what is good</th></tr>"
    return f"<table>{header}{rows}</table>"


def _baseline(measure: Measure, measures: Mapping[str, object]) -> str:
    if measure.baseline is None:
        return ""
    if measure.baseline in measures:
        return f"keyword names {shown(measures[measure.baseline])}"
    return measure.baseline


def shown(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
