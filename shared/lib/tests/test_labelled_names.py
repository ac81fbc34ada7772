"""Every name check on the labelled names (tests/data/labelled_names.json): a check that cannot
see a fragment, a repeat, a lone name or a copy fails here, and none flags a good name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ftm_shared.llm.grounding import (
    copied_sentence,
    fragment_reason,
    lone_name,
    naming_problem,
    repeated_phrase,
    said_beyond,
)
from ftm_shared.llm.support import defines_name, restates_name, unsupported_words

pytestmark = pytest.mark.unit

LABELLED = json.loads((Path(__file__).parent / "data" / "labelled_names.json").read_text())
ITEMS = {item["key"]: item for item in LABELLED["items"]}
NAMES = LABELLED["names"]
SUMMARIES = LABELLED["summaries"]


def _case(entry: dict[str, Any]) -> tuple[str, list[str], list[str], str]:
    item = ITEMS[entry["item"]]
    return entry["name"], item["sentences"], item["keywords"], entry["label"]


@pytest.mark.parametrize("entry", NAMES, ids=[e["name"] for e in NAMES])
def test_each_check_sees_its_own_label_and_nothing_else(entry: dict[str, Any]) -> None:
    name, sentences, keywords, label = _case(entry)
    assert (fragment_reason(name) is not None) == (label in {"fragment", "repeated"})
    if label == "repeated":
        assert repeated_phrase(name)
    if label in {"good", "misfit"}:
        assert repeated_phrase(name) is None
    assert lone_name(name, keywords, sentences) == (label == "lone_name")
    assert (copied_sentence(name, sentences) is not None) == (label == "copied")


@pytest.mark.parametrize("entry", NAMES, ids=[e["name"] for e in NAMES])
def test_the_namers_refuse_every_bad_name_the_text_can_show(entry: dict[str, Any]) -> None:
    """A misfit is well formed: only its fit (ftm_shared.llm.fit, tested with the model in
    reduce-worker's tests) can refuse it."""
    name, sentences, keywords, label = _case(entry)
    summary = " ".join(sentences[:1])
    problem = naming_problem(name, summary, sentences, keywords)
    assert (problem is None) == (label in {"good", "misfit"}), problem


def test_the_labelled_set_holds_every_kind_of_name() -> None:
    kinds = {entry["label"] for entry in NAMES}
    assert kinds == {"good", "fragment", "repeated", "lone_name", "copied", "misfit"}


@pytest.mark.parametrize("entry", SUMMARIES, ids=[e["summary"][:40] for e in SUMMARIES])
def test_a_summary_saying_more_than_its_sources_is_refused_and_no_other(
    entry: dict[str, Any],
) -> None:
    item = ITEMS[entry["item"]]
    shown = [*item["sentences"], ", ".join(item["keywords"])]
    name, summary, label = entry["name"], entry["summary"], entry["label"]
    assert bool(unsupported_words(f"{name} {summary}", shown)) == (label == "unsupported")
    assert defines_name(name, summary) == (label == "defining")
    assert restates_name(name, summary) == (label == "restating")
    assert (said_beyond(name, summary, shown) is None) == (label == "good")
    assert (naming_problem(name, summary, shown, item["keywords"]) is None) == (label == "good")


def test_the_labelled_summaries_hold_every_kind() -> None:
    kinds = {entry["label"] for entry in SUMMARIES}
    assert kinds == {"good", "unsupported", "defining", "restating"}
