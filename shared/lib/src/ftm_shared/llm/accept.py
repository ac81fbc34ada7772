"""Structured answers that must also pass the caller's own check (not only the schema).

A small model's answer can fit the schema and still be useless: a copy of the prompt's worked
example, or the input repeated. Such an answer is asked again with more randomness, since the
model rarely repeats the same mistake at higher temperatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from ftm_shared.llm.client import LlmClient, Messages

OutputT = TypeVar("OutputT", bound=BaseModel)

RETRY_TEMPERATURES = (0.0, 0.6, 0.9, 1.0)


class AnswerRejectedError(ValueError):
    """The answer fits the schema but not the task; the message says why."""


async def structured_accepted(
    client: LlmClient,
    messages: Messages,
    output: type[OutputT],
    accept: Callable[[OutputT], None],
    *,
    max_tokens: int = 256,
    temperatures: Sequence[float] = RETRY_TEMPERATURES,
) -> OutputT:
    """`client.structured`, asked again at the next temperature while `accept` raises
    `AnswerRejectedError`; the last rejection is raised. A `StructuredOutputError` is raised at
    once: the client has already spent its own attempts on it."""
    rejection: AnswerRejectedError | None = None
    for temperature in temperatures:
        answer = await client.structured(
            messages, output, max_tokens=max_tokens, temperature=temperature
        )
        try:
            accept(answer)
        except AnswerRejectedError as error:
            rejection = error
            continue
        return answer
    assert rejection is not None, "no temperatures to try"
    raise rejection
