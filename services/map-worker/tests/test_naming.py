from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from ftm_shared.llm import StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError
from map_worker.config import NamingTuning
from map_worker.naming import (
    FALLBACK_METHOD,
    LLM_METHOD,
    PROCEDURE_METHOD,
    TopicLabel,
    check_label,
    messages_for,
    name_topic,
)
from map_worker.topics import Topic

pytestmark = pytest.mark.unit
TUNING = NamingTuning()


def topic(keywords: list[str], docs: list[str]) -> Topic:
    return Topic(0, keywords, docs, len(docs), np.zeros(3, dtype=np.float32))


MARGIN = topic(
    ["margin", "gross", "mix", "pricing", "freight"], ["Gross margin rose to 41% on a better mix."]
)
STORES = topic(["stores", "openings"], ["We opened 12 new stores this quarter."])


class ScriptedClient:
    """Answers `structured` calls from a script, recording each call's temperature."""

    def __init__(self, answers: list[TopicLabel | Exception]) -> None:
        self.answers = answers
        self.temperatures: list[float] = []
        self.max_tokens: list[int] = []

    async def structured(self, _messages: Any, _output: Any, **kwargs: Any) -> TopicLabel:
        self.temperatures.append(kwargs["temperature"])
        self.max_tokens.append(kwargs["max_tokens"])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_prompts_share_everything_before_the_topic() -> None:
    first = messages_for(MARGIN, TUNING)[0]["content"]
    second = messages_for(STORES, TUNING)[0]["content"]
    shared = next(i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
    # The cacheable prefix holds the instruction and both worked examples; the topic comes last.
    assert "Refinancing and leverage" in first[:shared]
    assert first[shared:].startswith("margin") and "Gross margin rose" in first[shared:]


def test_a_copied_example_is_asked_again_with_more_randomness() -> None:
    copied = TopicLabel(name="Same-store sales growth", summary="Same-store sales rose 4% again.")
    good = TopicLabel(name="Gross margin", summary="Gross margin rose on a better product mix.")
    client = ScriptedClient([copied, good])
    naming = asyncio.run(name_topic(client, MARGIN, TUNING))  # type: ignore[arg-type]
    assert (naming.name, naming.naming_method) == ("Gross margin", LLM_METHOD)
    assert client.temperatures == [0.0, 0.6]


def test_keyword_echoes_are_named_by_keywords_and_marked() -> None:
    echo = TopicLabel(name="Margin", summary="margin gross mix pricing freight")
    with pytest.raises(AnswerRejectedError, match="repeats the keywords"):
        check_label(echo, MARGIN, None)
    client = ScriptedClient([echo] * 4)
    fallback = asyncio.run(name_topic(client, MARGIN, TUNING))  # type: ignore[arg-type]
    assert fallback.naming_method == FALLBACK_METHOD and "margin" in fallback.summary
    assert fallback.name == "Margin, gross, mix" and client.temperatures == list(
        TUNING.naming_temperatures
    )


def test_temperatures_token_limit_and_prompt_cuts_are_settings() -> None:
    tuning = NamingTuning(
        naming_temperatures=(0.2, 0.7), naming_max_tokens=64, naming_keywords=2,
        naming_sentence_chars=20,
    )  # fmt: skip
    echo = TopicLabel(name="Margin", summary="margin gross mix pricing freight")
    client = ScriptedClient([echo, echo])
    asyncio.run(name_topic(client, MARGIN, tuning))  # type: ignore[arg-type]
    assert (client.temperatures, client.max_tokens) == ([0.2, 0.7], [64, 64])
    prompt = messages_for(MARGIN, tuning)[0]["content"]
    assert prompt.endswith("Keywords: margin, gross\nSentences:\n- Gross margin rose to\nAnswer:")


def test_an_off_schema_answer_is_not_asked_again_but_may_fall_back() -> None:
    off_schema = StructuredOutputError("schema", 3, "TopicLabel", "{}", "")
    client = ScriptedClient([off_schema])
    with pytest.raises(StructuredOutputError):
        asyncio.run(name_topic(client, MARGIN, TUNING))  # type: ignore[arg-type]
    assert client.temperatures == [0.0]
    fallback = asyncio.run(
        name_topic(ScriptedClient([off_schema]), MARGIN, TUNING, keyword_fallback=True)  # type: ignore[arg-type]
    )
    assert fallback.naming_method == FALLBACK_METHOD


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (TopicLabel(name="Turn", summary="Gross margin rose on a better product mix."), "leftover"),
        (
            TopicLabel(
                name="Yes, let me do that and I'll turn it over",
                summary="Gross margin rose on a better product mix.",
            ),
            "sentence",
        ),
        (
            TopicLabel(name="Gross margin rose to 41%", summary="Gross margin rose on the mix."),
            "copies a sentence",
        ),
        (
            TopicLabel(name="Gross margin", summary="Gross margin rose to 45% in Germany."),
            "45, Germany",
        ),
    ],
)
def test_fragments_copies_and_invented_facts_are_asked_again(bad: TopicLabel, reason: str) -> None:
    good = TopicLabel(name="Gross margin", summary="Gross margin rose to 41% on a better mix.")
    client = ScriptedClient([bad, good])
    assert asyncio.run(name_topic(client, MARGIN, TUNING)).name == "Gross margin"  # type: ignore[arg-type]
    with pytest.raises(AnswerRejectedError, match=reason):
        check_label(bad, MARGIN, None)
    never_fits = asyncio.run(name_topic(ScriptedClient([bad] * 4), MARGIN, TUNING))  # type: ignore[arg-type]
    assert never_fits.naming_method == FALLBACK_METHOD


def test_a_summary_cut_off_or_said_twice_is_written_as_its_whole_sentences() -> None:
    rambling = TopicLabel(
        name="Gross margin",
        summary="Gross margin rose on a better mix. Gross margin rose on a better mix. And we,",
    )
    naming = asyncio.run(name_topic(ScriptedClient([rambling]), MARGIN, TUNING))  # type: ignore[arg-type]
    assert (naming.summary, naming.naming_method) == (
        "Gross margin rose on a better mix.",
        LLM_METHOD,
    )


def test_a_summary_with_no_whole_sentence_or_a_loop_is_asked_again() -> None:
    cut = TopicLabel(name="Gross margin", summary="Gross margin rose on a better mix and we,")
    looping = TopicLabel(name="Gross margin", summary="Mix, better mix, better mix, better mix.")
    for bad, reason in ((cut, "no whole sentence"), (looping, "loops")):
        with pytest.raises(AnswerRejectedError, match=reason):
            check_label(bad, MARGIN, None)


def test_the_call_procedure_row_is_labelled_without_the_llm() -> None:
    procedure = Topic(-1, ["operator", "greeting or thanks"], ["Thank you all."], 7, np.ones(3))
    naming = asyncio.run(name_topic(ScriptedClient([]), procedure, TUNING))  # type: ignore[arg-type]
    assert naming.naming_method == PROCEDURE_METHOD and naming.name == "Call procedure"
    assert naming.summary.startswith("7 sentence(s) set aside as call procedure (operator")
