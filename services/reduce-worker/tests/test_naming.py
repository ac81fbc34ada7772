from __future__ import annotations

import asyncio

import pytest

from ftm_shared.llm import StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError
from reduce_worker.naming import (
    PREAMBLE,
    SUMMARY_CHARS,
    ThemeLabel,
    accept_theme,
    messages_for,
    name_theme,
    shown_topics,
)

pytestmark = pytest.mark.unit


def test_the_static_part_leads_every_prompt_and_the_theme_follows() -> None:
    first = messages_for([("Pricing", "Prices rose.")], ["price", "margin"])[0]["content"]
    second = messages_for([("Hiring", "Headcount grew " * 40)], ["hiring"])[0]["content"]
    assert first.startswith(PREAMBLE) and second.startswith(PREAMBLE)
    assert (
        first[len(PREAMBLE) :]
        == "Topics:\n- Pricing: Prices rose.\nKeywords: price, margin\nAnswer:"
    )
    assert len(second) - len(PREAMBLE) < SUMMARY_CHARS + 60


SHOWN = [("Pricing", "Firms raised prices on demand in the quarter.")]


def _accept(label: ThemeLabel, contrast: list[tuple[str, str]] | None = None) -> None:
    accept_theme(label, SHOWN, ["price"], contrast or [])


def test_an_answer_copying_an_example_is_rejected() -> None:
    with pytest.raises(AnswerRejectedError):
        _accept(ThemeLabel(name="Supply chain pressure", description="Anything long enough."))
    _accept(ThemeLabel(name="Pricing power", description="Firms raised prices on demand."))


def test_the_prompt_shows_the_nearby_themes_to_name_this_one_apart() -> None:
    contrast = [("Wage costs", "Labour costs rose.")]
    prompt = messages_for(SHOWN, ["price"], contrast)[0]["content"][len(PREAMBLE) :]
    assert prompt == (
        "Topics:\n- Pricing: Firms raised prices on demand in the quarter.\n"
        "Nearby themes, not this one:\n- Wage costs: Labour costs rose.\n"
        "Keywords: price\nAnswer:"
    )
    assert "Nearby themes, not this one:" in PREAMBLE  # the worked examples show the form


@pytest.mark.parametrize(
    ("name", "description", "reason"),
    [
        ("Turn", "Firms raised prices on demand.", "lone leftover word"),
        ("Yes, let me take that", "Firms raised prices on demand.", "opens like a sentence"),
        ("Quarterly results", "Firms raised prices on demand.", "fits any theme"),
        ("Wage costs", "Firms raised prices on demand.", "nearby theme"),
        ("Pricing power", "Firms raised prices 12% in Ohio.", "12, Ohio"),
        ("Pricing power", "Firms raised prices in the midst of a pandemic.", "pandemic"),
        ("Pricing power", "Pricing power is the ability to raise prices.", "defines the name"),
    ],
)
def test_fragments_generic_or_borrowed_names_and_invented_facts_are_rejected(
    name: str, description: str, reason: str
) -> None:
    with pytest.raises(AnswerRejectedError, match=reason):
        _accept(ThemeLabel(name=name, description=description), [("Wage costs", "Pay rose.")])


class FakeClient:
    """Answers from a script: an exception is raised, a label returned; prompts are kept."""

    def __init__(self, *answers: ThemeLabel | Exception) -> None:
        self.answers, self.prompts = list(answers), []  # type: ignore[var-annotated]

    async def structured(self, messages, output, *, max_tokens, temperature):  # type: ignore[no-untyped-def]
        self.prompts.append(messages[0]["content"][len(PREAMBLE) :])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


TOPICS = [(f"Topic {i}", f"Summary {i}.") for i in range(4)]
GOOD = ThemeLabel(name="  Pricing power ", description="Firms raised prices on demand.  ")


def test_a_name_that_loops_on_one_word_is_rejected() -> None:
    looping = "Model 1: Model 2: Model 3: Model 4"
    with pytest.raises(AnswerRejectedError, match="'model' more than once"):
        _accept(ThemeLabel(name=looping, description="Anything long enough here."))
    _accept(ThemeLabel(name="Sales and margin growth", description="Firms grew their sales."))


def test_a_description_retelling_one_topics_summary_is_rejected() -> None:
    retold = "Firms raised prices on demand in the quarter, as the topic says."
    with pytest.raises(AnswerRejectedError, match="retells one topic's summary"):
        _accept(ThemeLabel(name="Pricing power", description=retold))


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("We are looking to focus on the store and the customer experience.", "speaks as one"),
        ("Firms raised prices on demand,", "no whole sentence"),
        ("Firms raised prices on demand. Firms raised prices on demand again.", "loops"),
    ],
)
def test_a_description_speaking_as_one_firm_cut_off_or_looping_is_rejected(
    description: str, reason: str
) -> None:
    with pytest.raises(AnswerRejectedError, match=reason):
        _accept(ThemeLabel(name="Pricing power", description=description))


def test_a_topic_named_by_its_keywords_is_shown_by_its_keywords_alone() -> None:
    shown = shown_topics(
        ["Pricing", "Tax rate, 14"],
        ["Firms raised prices.", "Sentences about tax rate, 14 (9 sentences; no LLM name...)."],
        ["llm", "keyword_fallback"],
        [["price"], ["tax rate", "14", "effective"]],
    )
    assert shown == [
        ("Pricing", "Firms raised prices."),
        ("Tax rate, 14", "about tax rate, 14, effective"),
    ]


def test_a_failed_prompt_is_asked_again_with_the_window_moved_by_one() -> None:
    bad = StructuredOutputError("invalid_json", 3, "ThemeLabel", "{", "")
    client = FakeClient(bad, GOOD)
    label = asyncio.run(name_theme(client, TOPICS, ["price"], per_prompt=3))  # type: ignore[arg-type]
    assert (label.name, label.description) == ("Pricing power", "Firms raised prices on demand.")
    assert "Topic 0" in client.prompts[0] and "Topic 3" not in client.prompts[0]
    assert "Topic 0" not in client.prompts[1] and "Topic 3" in client.prompts[1]


def test_a_theme_that_fails_both_prompts_raises_the_last_error() -> None:
    copy = ThemeLabel(name="Supply chain pressure", description="Anything long enough.")
    client = FakeClient(*[copy] * 8)
    with pytest.raises(AnswerRejectedError):
        asyncio.run(name_theme(client, TOPICS, [], per_prompt=3))  # type: ignore[arg-type]
    assert len(client.prompts) == 8  # four temperatures, two windows
    single = FakeClient(*[copy] * 4)
    with pytest.raises(AnswerRejectedError):
        asyncio.run(name_theme(single, TOPICS[:1], [], per_prompt=3))  # type: ignore[arg-type]


def test_a_theme_is_asked_once_more_without_its_neighbours() -> None:
    borrowed = ThemeLabel(name="Wage costs", description="Firms raised prices on demand.")
    client = FakeClient(*[borrowed] * 8, GOOD)
    contrast = [("Wage costs", "Pay rose.")]
    label = asyncio.run(name_theme(client, TOPICS, ["price"], 3, contrast))  # type: ignore[arg-type]
    assert label.name == "Pricing power" and len(client.prompts) == 9
    assert all("Nearby themes" in prompt for prompt in client.prompts[:8])
    assert "Nearby themes" not in client.prompts[8] and "Topic 0" in client.prompts[8]
