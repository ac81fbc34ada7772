from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from ftm_shared.llm.client import _parse

pytestmark = pytest.mark.unit


class Label(BaseModel):
    name: str = Field(min_length=3)


def test_a_raw_newline_inside_a_string_does_not_spoil_a_good_answer() -> None:
    assert _parse('{"name": "Store\ntraffic"}', "stop", Label) == Label(name="Store\ntraffic")


@pytest.mark.parametrize(
    ("content", "finish", "reason"),
    [
        ('{"name": "Sto', "length", "length"),
        ('{"name": "Store"', "stop", "invalid_json"),
        ('{"name": "x"}', "stop", "schema"),
    ],
)
def test_what_is_wrong_with_an_answer_is_named(content: str, finish: str, reason: str) -> None:
    failure = _parse(content, finish, Label)

    assert isinstance(failure, tuple)
    assert failure[0] == reason
