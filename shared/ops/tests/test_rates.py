"""Steady-state per-firm rates of a map run (`ftm_ops.quarter.rates`)."""

from __future__ import annotations

import pytest

from ftm_ops.quarter.rates import Spread, SteadyRates

pytestmark = pytest.mark.unit


def cost(firm: str, worker: int, nth: int, embed_s: float, topics_s: float) -> dict[str, object]:
    return {
        "firm_id": firm,
        "sentences": 100,
        "embed_s": embed_s,
        "topics_s": topics_s,
        "worker": worker,
        "nth": nth,
    }


def test_each_workers_first_firm_is_left_out_and_start_up_is_apart() -> None:
    summary = {
        "startup_s": 40.0,
        "worker_startup_s": [25.0, 27.0],
        "shards": [
            # Worker 1's first firm paid a compile: 30 s that is not a per-firm cost.
            {"firm_costs": [cost("A", 1, 1, 2.0, 30.0), cost("B", 1, 2, 2.0, 1.0)]},
            {"firm_costs": [cost("C", 2, 1, 2.5, 1.0), cost("D", 2, 2, 1.0, 1.0)]},
            {"firm_costs": [cost("E", 1, 3, 3.0, 1.0)]},
        ],
    }
    rates = SteadyRates.from_summary(summary)
    assert (rates.firms, rates.firms_left_out) == (3, 2)
    assert rates.cpu_s.median == pytest.approx(3.0)  # B 3.0, D 2.0, E 4.0
    assert rates.cpu_s.mean == pytest.approx(3.0)
    assert rates.topics_s.p90 == pytest.approx(1.0)
    assert rates.embed_sentences_per_s == pytest.approx(300 / 6.0)
    assert rates.worker_startup_s.mean == pytest.approx(26.0)
    assert rates.ray_startup_s == 40.0
    assert "steady state: 3 firms (each worker's first left out: 2)" in rates.lines()[0]


def test_the_p90_sees_the_slow_tail_the_median_does_not() -> None:
    spread = Spread.of([1.0] * 9 + [11.0])
    assert spread.median == 1.0 and spread.p90 == pytest.approx(2.0) and spread.mean == 2.0
    assert Spread.of([]) == Spread(0.0, 0.0, 0.0)


def test_a_summary_from_before_firm_costs_were_recorded_reads_as_nothing_measured() -> None:
    rates = SteadyRates.from_summary({"shards": [{"stage_seconds": {}}]})
    assert rates.firms == 0 and rates.embed_sentences_per_s == 0
