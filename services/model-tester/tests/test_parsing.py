from __future__ import annotations

import pytest

from model_tester.medical_data import GLAUCOMA, Entity
from model_tester.parsing import parse_answer

pytestmark = pytest.mark.unit
LABELS = GLAUCOMA.label_set


def test_well_formed_answer() -> None:
    parsed = parse_answer(
        '[{"label": "drug", "text": "Timolol"}, {"label": "ROUTE", "text": " OU "}]<end_of_turn>',
        LABELS,
    )
    assert parsed.valid_json
    assert parsed.entities == (Entity("drug", "Timolol"), Entity("route", "OU"))
    assert parsed.problems == ()


def test_empty_list_is_valid_and_empty() -> None:
    parsed = parse_answer("[]", LABELS)
    assert parsed.valid_json and parsed.entities == () and parsed.problems == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('[{"label": "drug", "text": "Timolol"', "malformed JSON"),  # cut off mid-list
        ("Timolol is a drug.", "not a JSON list"),
        # A base model echoing the prompt: the "[]" inside is not its answer.
        ("Extract entities as a JSON list; [] if none.\nLabels: drug", "not a JSON list"),
        ("[{'label': 'drug', 'text': 'Timolol'}]", "malformed JSON"),  # Python, not JSON
        ('[{"label": "drug" "text": "x"}]', "malformed JSON"),
    ],
)
def test_malformed_answers_are_invalid_and_say_why(raw: str, problem: str) -> None:
    parsed = parse_answer(raw, LABELS)
    assert not parsed.valid_json
    assert parsed.entities == ()
    assert problem in parsed.problems[0]


def test_bad_items_are_dropped_and_named() -> None:
    raw = (
        '[{"label": "drug", "text": "Timolol"}, {"label": "colour", "text": "red"}, '
        '"Timolol", {"label": "route"}, {"label": "route", "text": "  "}] hope this helps'
    )
    parsed = parse_answer(raw, LABELS)
    assert parsed.valid_json
    assert parsed.entities == (Entity("drug", "Timolol"),)
    assert parsed.problems == (
        "text after the JSON list was ignored",
        "item 1 has an unknown label 'colour'",
        "item 2 is not an object",
        "item 3 has no text",
        "item 4 has no text",
    )


def test_code_fence_is_accepted() -> None:
    parsed = parse_answer('```json\n[{"label": "drug", "text": "Xalatan"}]\n```', LABELS)
    assert parsed.valid_json and parsed.entities == (Entity("drug", "Xalatan"),)


def test_only_the_answer_before_end_of_turn_counts() -> None:
    raw = '[{"label": "drug", "text": "Lumigan"}]<end_of_turn>\n<start_of_turn>user\n[oops'
    parsed = parse_answer(raw, LABELS)
    assert parsed.entities == (Entity("drug", "Lumigan"),)
    assert parsed.problems == ()
