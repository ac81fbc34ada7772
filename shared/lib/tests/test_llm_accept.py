"""`structured_accepted`: the caller's own check on top of the schema, with a script client."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from ftm_shared.llm import StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError, structured_accepted

pytestmark = pytest.mark.unit


class Label(BaseModel):
    name: str


class ScriptClient:
    def __init__(self, *answers: Label | Exception) -> None:
        self.answers = list(answers)
        self.temperatures: list[float] = []

    async def structured(self, messages, output, *, max_tokens, temperature):  # type: ignore[no-untyped-def]
        self.temperatures.append(temperature)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def no_copies(label: Label) -> None:
    if label.name == "example":
        raise AnswerRejectedError("copies the example")


def ask(client: ScriptClient) -> Label:
    return asyncio.run(structured_accepted(client, [], Label, no_copies))  # type: ignore[arg-type]


def test_a_rejected_answer_is_asked_again_warmer() -> None:
    client = ScriptClient(Label(name="example"), Label(name="fine"))
    assert ask(client).name == "fine"
    assert client.temperatures == [0.0, 0.6]


def test_the_last_rejection_is_raised_when_every_temperature_fails() -> None:
    client = ScriptClient(*[Label(name="example")] * 4)
    with pytest.raises(AnswerRejectedError, match="copies the example"):
        ask(client)
    assert client.temperatures == [0.0, 0.6, 0.9, 1.0]


def test_an_off_schema_answer_is_not_asked_again() -> None:
    client = ScriptClient(StructuredOutputError("schema", 3, "Label", "{}"), Label(name="fine"))
    with pytest.raises(StructuredOutputError):
        ask(client)
    assert client.temperatures == [0.0]
