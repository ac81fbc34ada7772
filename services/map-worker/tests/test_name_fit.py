"""The name-fit check, with the bundled MiniLM, on the hand-labelled names of
shared/lib/tests/data (the one labelled set every name measure is tested on): a name that fits
another topic better ("misfit") is refused, a good name is kept, and the keyword name chosen
for an item fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ftm_shared.embedding import embed
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.llm.fit import NameGate

pytestmark = pytest.mark.integration

LABELLED_FILE = Path(__file__).parents[3] / "shared/lib/tests/data/labelled_names.json"
LABELLED = json.loads(LABELLED_FILE.read_text(encoding="utf-8"))
ITEMS: list[dict[str, Any]] = LABELLED["items"]
OWN = {item["key"]: n for n, item in enumerate(ITEMS)}
WELL_FORMED = [e for e in LABELLED["names"] if e["label"] in {"good", "misfit"}]


@pytest.fixture(scope="module")
def gate() -> NameGate:
    centroids = np.stack([embed(item["sentences"]).mean(axis=0) for item in ITEMS])
    return NameGate(embed, centroids)


@pytest.mark.parametrize("entry", WELL_FORMED, ids=[e["name"] for e in WELL_FORMED])
def test_the_fit_check_refuses_exactly_the_misfits(gate: NameGate, entry: dict[str, Any]) -> None:
    own = OWN[entry["item"]]
    summary = ITEMS[own]["sentences"][0]
    if entry["label"] == "good":
        gate.check(entry["name"], summary, own)
    else:
        with pytest.raises(AnswerRejectedError, match="fits"):
            gate.check(entry["name"], summary, own)


def test_each_items_keyword_name_fits_it(gate: NameGate) -> None:
    for own, item in enumerate(ITEMS):
        name = gate.keyword_name(item["keywords"], own)
        assert gate.ranks([name], own) == [1], (item["key"], name)
