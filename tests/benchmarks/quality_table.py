"""The quality benchmark's targets (the issue's), verdicts and printed table."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "keyword_npmi": "higher than the baseline",
    "topic_diversity": "higher than the baseline",
    "firms_covered": "every firm",
    "largest_theme_topic_share": "<= 0.10 (at least 5 topics)",
    "firms_per_theme_median": ">= 3",
    "procedural_themes": "0",
    "theme_keywords_one_firm_share": "<= 0.10",
    "largest_theme_filler_words": "<= 3 of its top 10",
    "fragment_or_copied_name_share": "<= 0.05",
    "unfinished_or_repeated_names": "0",
    "theme_copied_description_share": "0",
    "unfinished_or_looping_summary_share": "0",
    "theme_unfinished_or_looping_description_share": "0",
    "theme_first_person_description_share": "0",
    "theme_unsupported_description_share": "0",
    "topic_name_fit_at1": ">= keyword names",
    "theme_name_fit_at1": ">= 0.70 and >= keyword names",
}


def verdicts(result: dict[str, Any]) -> dict[str, bool | None]:
    ftm, base = result["ftm"], result["baseline"]

    def higher(key: str) -> bool | None:
        return None if ftm[key] is None or base[key] is None else ftm[key] > base[key]

    share = ftm["fragment_or_copied_name_share"]

    def beats_keywords(kind: str) -> bool | None:
        fit, plain = ftm.get(f"{kind}_name_fit_at1"), ftm.get(f"{kind}_keyword_name_fit_at1")
        return None if fit is None or plain is None else fit >= plain

    theme_fit = ftm.get("theme_name_fit_at1")
    unfinished = ftm.get("unfinished_or_repeated_names")

    def none_of(key: str) -> bool | None:
        share = ftm.get(key)
        return None if share is None else share == 0

    return {
        "keyword_npmi": higher("keyword_npmi"),
        "topic_diversity": higher("topic_diversity"),
        "firms_covered": ftm["firms_covered"] == ftm["firms"],
        # 10% of the topics, but never below MIN_SPLIT_TOPICS (a small sample's 10% is tiny).
        "largest_theme_topic_share": (ftm["largest_theme_topic_share"] or 0) * ftm["topics"]
        <= ftm["theme_limit_topics"],
        "firms_per_theme_median": (ftm["firms_per_theme_median"] or 0) >= 3,
        "procedural_themes": ftm["procedural_themes"] == 0,
        "theme_keywords_one_firm_share": (ftm["theme_keywords_one_firm_share"] or 0) <= 0.10,
        "largest_theme_filler_words": ftm["largest_theme_filler_words"] <= 3,
        "fragment_or_copied_name_share": None if share is None else share <= 0.05,
        "unfinished_or_repeated_names": None if unfinished is None else unfinished == 0,
        "theme_copied_description_share": none_of("theme_copied_description_share"),
        "unfinished_or_looping_summary_share": none_of("unfinished_or_looping_summary_share"),
        "theme_unfinished_or_looping_description_share": none_of(
            "theme_unfinished_or_looping_description_share"
        ),
        "theme_first_person_description_share": none_of("theme_first_person_description_share"),
        "theme_unsupported_description_share": none_of("theme_unsupported_description_share"),
        "topic_name_fit_at1": beats_keywords("topic"),
        "theme_name_fit_at1": None
        if theme_fit is None
        else bool(theme_fit >= 0.70 and beats_keywords("theme")),
    }


SHOWN = (
    "firms",
    "firms_covered",
    "topics",
    "topics_per_firm",
    "keyword_npmi",
    "topic_diversity",
    "keywords_per_topic",
    "procedural_share",
    "procedural_topics",
    "themes",
    "largest_theme_topic_share",
    "largest_theme_firm_share",
    "firms_per_theme_median",
    "firms_per_theme_max",
    "firm_specific_topics",
    "filler_groups",
    "filler_topics",
    "procedural_themes",
    "theme_keywords_one_firm_share",
    "largest_theme_filler_words",
    "largest_theme_filler",
    "fragment_or_copied_name_share",
    "ungrounded_summary_share",
    "unsupported_summary_share",
    "theme_fragment_name_share",
    "unfinished_or_repeated_names",
    "theme_copied_description_share",
    "unfinished_or_looping_summary_share",
    "theme_unfinished_or_looping_description_share",
    "theme_first_person_description_share",
    "theme_unsupported_description_share",
    "topic_llm_name_share",
    "topic_name_fit_at1",
    "topic_keyword_name_fit_at1",
    "topic_name_fit_at3",
    "topic_keyword_name_fit_at3",
    "theme_name_fit_at1",
    "theme_keyword_name_fit_at1",
    "theme_name_fit_at3",
    "theme_keyword_name_fit_at3",
    "naming_theme_llm_name_share",
    "naming_theme_keyword_names",
    "naming_topics_no_answer",
    "naming_themes_no_answer",
)


def render(quarter: str, result: dict[str, Any]) -> str:
    marks = verdicts(result)
    lines = [
        f"quality {quarter}: {result['firms_sampled']} firms sampled, {result['seconds']}s "
        f"(baseline crashed on {result['baseline']['firms_crashed']})",
        f"  {'':<46}{'ftm':>10}{'baseline':>10}   target",
    ]
    for key in SHOWN:
        ftm, base = result["ftm"].get(key), result["baseline"].get(key)
        target = TARGETS.get(key, "")
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[marks[key]] if key in marks else ""
        lines.append(f"  {key:<46}{_cell(ftm):>10}{_cell(base):>10}   {target} {mark}".rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
