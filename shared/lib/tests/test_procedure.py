from __future__ import annotations

import pytest

from ftm_shared.procedure import (
    GREETING,
    HANDOFF,
    LOGISTICS,
    SAFE_HARBOUR,
    is_operator,
    wording_reason,
)
from ftm_shared.text import split_sentences, words

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Thank you, Shannon, and thank you, everyone for joining the call.", GREETING),
        ("Have a great day.", GREETING),
        ("Actual results could differ materially from those contained in these statements.",
         SAFE_HARBOUR),
        ("We will also refer to certain non-GAAP financial measures during today's call.",
         SAFE_HARBOUR),
        ("With that, I'll now turn the call back over to Bob for closing remarks.", HANDOFF),
        ("Our next question comes from the line of Brian Nagel with Oppenheimer.", HANDOFF),
        ("To ask a question, please press * 1 on your telephone.", HANDOFF),
        ("This call is being webcast live, and a replay will be made available.", LOGISTICS),
    ],
)  # fmt: skip
def test_each_kind_of_call_procedure_is_told_by_its_wording(sentence: str, kind: str) -> None:
    assert wording_reason(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Thanks to strong demand, revenue rose 12% to $1.2 billion.",
        "Non-GAAP operating expense rose to $103 million in the fourth quarter.",
        "Thank you, and I would add that same-store sales grew 4% in every region.",
        "Net charge-offs were $36 million or 29 basis points.",
        "Forward-looking goals for the cost programme remain unchanged this year.",
    ],
)
def test_content_that_looks_like_procedure_is_kept(sentence: str) -> None:
    assert wording_reason(sentence) is None


def test_the_operator_is_known_by_the_role_the_source_names() -> None:
    assert is_operator("Operator") and is_operator(" operator ")
    assert not is_operator("Speaker 1") and not is_operator(None) and not is_operator("")


def test_a_turn_splits_into_sentences_and_words_match_bertopic() -> None:
    turn = "Thank you, Maureen. Sales rose 4.5% in the U.S. this year! Did margins hold? Yes."
    assert split_sentences(turn) == [
        "Thank you, Maureen.",
        "Sales rose 4.5% in the U.S. this year!",
        "Did margins hold?",
        "Yes.",
    ]
    assert words("Year-over-year, we're up") == ["yearoveryear", "were", "up"]
