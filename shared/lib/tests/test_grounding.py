from __future__ import annotations

import pytest

from ftm_shared.llm.grounding import (
    clean_summary,
    copied_run,
    copied_sentence,
    fragment_reason,
    naming_problem,
    speaker_word,
    summary_problem,
    ungrounded_facts,
)

pytestmark = pytest.mark.unit

SENTENCES = [
    "Same-store sales rose 4% as traffic improved in Texas.",
    "We expect comparable sales growth of 1,200 stores to continue next quarter.",
]


@pytest.mark.parametrize(
    "name",
    ["Turn", "Fall", "Yes, let me do that and I'll turn it over", "Outlook for the",
     "We are pleased", "And pricing", "What about margins?"],
)  # fmt: skip
def test_a_fragment_is_not_a_name(name: str) -> None:
    assert fragment_reason(name) is not None


@pytest.mark.parametrize(
    "name", ["Same-store sales growth", "Gross margin", "Loan growth", "Cloud migration", "Iran"]
)
def test_a_short_noun_phrase_is_a_name(name: str) -> None:
    assert fragment_reason(name) is None


def test_a_name_copied_word_for_word_from_a_sentence_is_found() -> None:
    assert copied_sentence("comparable sales growth of 1,200 stores", SENTENCES) == SENTENCES[1]
    assert copied_sentence("Same-store sales", SENTENCES) is None  # short: a phrase, not a copy
    assert copied_sentence("Store traffic and comparable sales", SENTENCES) is None


def test_numbers_and_names_absent_from_the_sentences_are_ungrounded() -> None:
    invented = "Sales rose 4% in Texas and 7% in Ohio, Management said."
    assert ungrounded_facts(invented, SENTENCES) == ["7", "Ohio"]
    grounded = "Same-store sales rose 4% in Texas; 1200 stores keep growing, the company said."
    assert ungrounded_facts(grounded, SENTENCES) == []


def test_naming_problem_names_the_first_failed_check() -> None:
    assert naming_problem("Store growth", "Sales rose 4% in Texas.", SENTENCES) is None
    problem = naming_problem("Store growth", "Sales rose 9% in Texas.", SENTENCES)
    assert problem is not None and "9" in problem
    assert "leftover" in (naming_problem("Turn", "Sales rose 4%.", SENTENCES) or "")


SUMMARIES = [
    "Sentences about tax rate, 14, effective, benefit (14 sentences; no LLM name fitted).",
    "Higher trucking and freight rates cut gross margin this quarter.",
]


@pytest.mark.parametrize(
    "description",
    [
        "Sentences about tax rate, 14, effective, benefit (14 sentences; no LLM name fitted).",
        "Firms say higher trucking and freight rates cut gross margin this quarter, and more.",
    ],
)
def test_a_description_retelling_one_shown_text_is_found(description: str) -> None:
    assert copied_run(description, SUMMARIES) in SUMMARIES


@pytest.mark.parametrize(
    "description",
    [
        "Companies describe a lower effective tax rate and one-off tax benefits.",
        "Firms report freight rates and trucking costs weighing on gross margin.",
    ],
)
def test_a_description_in_its_own_words_is_not_a_copy(description: str) -> None:
    assert copied_run(description, SUMMARIES) is None


# Answers the small model wrote on the smoke run's firms, labelled as a reader would.
@pytest.mark.parametrize(
    ("summary", "written"),
    [
        (
            "Growth in the food area is strong. We're seeing a lot of positive,",
            "Growth in the food area is strong.",
        ),
        (
            "Cost of services was higher than in prior years. Cost of services was higher "
            "than in prior years.",
            "Cost of services was higher than in prior years.",
        ),
        (
            "EPS was $0.03 above plan and leverage ended at 2.1 times.",
            "EPS was $0.03 above plan and leverage ended at 2.1 times.",
        ),
        ("We expect to be at the high end of this range due to our fiscal year,", None),
        ("Yes. Thanks.", None),  # under the schema's 20 characters: no summary
    ],
)
def test_a_summary_is_written_as_whole_sentences_each_once(
    summary: str, written: str | None
) -> None:
    assert clean_summary(summary) == written


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ("Firms report store performance, store performance, store performance, store.", "loops"),
        ("It is a theme related to the other themes, but it is a theme related to the other "
         "themes, but it is a theme related to the other themes.", "loops"),
        ("Firms describe investment strategy and growth,", "no whole sentence"),
        ("Store management is a key focus. We are looking to focus on the store management and "
         "the customer experience. We are looking to focus on the store.", "loops"),
        ("The company reported lower revenue from the underlying underlying core business.",
         "stutters"),
        ("Firms expect growth to raise market share, which is important for the company's.",
         "ends mid-phrase"),
        ("Firms describe the costs and the impact of the.", "ends mid-phrase"),
        ("Firms look to the end of this quarter's quarter.", "stutters"),
        ("Same-store sales rose 4% as traffic improved. Management expects more.", None),
        ("Management said that that pricing held; the plan had had its test.", None),
        ("Results should be better than management thought they would be.", None),
        ("Gross margin fell on freight costs; gross margin should recover in the fall.", None),
    ],
)  # fmt: skip
def test_a_looping_or_cut_off_summary_is_found(summary: str, problem: str | None) -> None:
    found = summary_problem(summary)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("We are looking to focus on the store.", "we"),
        ("Premium growth is a key theme in our financial statements.", "our"),
        ("Firms report that customers moved to the cloud.", None),
        ("Companies describe U.S. sales; management expects more.", None),
    ],
)
def test_a_description_speaking_as_one_firm_is_found(text: str, word: str | None) -> None:
    assert speaker_word(text) == word
