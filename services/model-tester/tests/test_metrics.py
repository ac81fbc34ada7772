from __future__ import annotations

import pytest

from model_tester.medical_data import Entity
from model_tester.metrics import OVERALL, exact_match, percentile, relaxed_match, score

pytestmark = pytest.mark.unit
LABELS = ("drug", "route")


def test_hand_checked_counts() -> None:
    # Example 1: drug found exactly, route missed, one false drug.
    # Example 2: "timolol 0.5%" vs gold "Timolol" (relaxed only), route exact.
    pairs = [
        (
            [Entity("drug", "Timolol"), Entity("drug", "OU")],
            [Entity("drug", "Timolol"), Entity("route", "OU")],
        ),
        (
            [Entity("drug", "timolol 0.5%"), Entity("route", "OU")],
            [Entity("drug", "Timolol"), Entity("route", "OU")],
        ),
    ]
    exact = score(pairs, LABELS, exact_match)
    # drug: tp 1 (Timolol), predicted 3, gold 2; route: tp 1, predicted 1, gold 2.
    assert exact["drug"].as_dict() == {
        "precision": 0.3333, "recall": 0.5, "f1": 0.4, "tp": 1, "predicted": 3, "gold": 2,
    }  # fmt: skip
    assert (exact["route"].precision, exact["route"].recall) == (1.0, 0.5)
    overall = exact[OVERALL]
    assert (overall.true_positives, overall.predicted, overall.gold) == (2, 4, 4)
    assert overall.f1 == pytest.approx(0.5)
    relaxed = score(pairs, LABELS, relaxed_match)
    assert relaxed["drug"].true_positives == 2
    assert relaxed[OVERALL].f1 == pytest.approx(0.75)


def test_label_must_agree() -> None:
    counts = score(
        [([Entity("route", "Timolol")], [Entity("drug", "Timolol")])], LABELS, exact_match
    )
    assert counts[OVERALL].true_positives == 0
    assert counts[OVERALL].precision == 0.0 and counts[OVERALL].recall == 0.0


def test_each_gold_entity_is_matched_once() -> None:
    predicted = [Entity("drug", "Timolol"), Entity("drug", "Timolol")]
    counts = score([(predicted, [Entity("drug", "Timolol")])], LABELS, exact_match)
    assert counts["drug"].true_positives == 1
    assert counts["drug"].precision == 0.5


def test_relaxed_prefers_exact_partners() -> None:
    # "Timolol gel" relaxed-matches both gold entities; it must not take the one that the
    # exact prediction "Timolol" needs.
    predicted = [Entity("drug", "Timolol gel"), Entity("drug", "Timolol")]
    gold = [Entity("drug", "Timolol"), Entity("drug", "Timolol gel forte")]
    assert score([(predicted, gold)], LABELS, relaxed_match)["drug"].true_positives == 2


def test_nothing_predicted_nothing_gold_scores_zero_not_nan() -> None:
    counts = score([([], [])], LABELS, exact_match)
    assert counts[OVERALL].f1 == 0.0


@pytest.mark.parametrize(
    ("predicted", "gold", "exact", "relaxed"),
    [
        ("Timolol", "Timolol", True, True),
        ("Timolol  qAM", "Timolol qAM", True, True),
        ("timolol", "Timolol", False, True),
        ("Timolol", "Timolol 0.5%", False, True),
        ("Xalatan", "Timolol", False, False),
        ("", "Timolol", False, False),
    ],
)
def test_matchers(predicted: str, gold: str, exact: bool, relaxed: bool) -> None:
    assert exact_match(predicted, gold) is exact
    assert relaxed_match(predicted, gold) is relaxed


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) == 0.0
