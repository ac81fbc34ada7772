from __future__ import annotations

import pytest

from ftm_ops.smoke.budget import BUDGET_FIRMS, MachineLoad, stage_budget_s


@pytest.mark.unit
def test_the_default_warm_run_is_budgeted_465_seconds() -> None:
    stages = [
        "local up", "ingest", "plan", "map", "collect", "reduce", "validate", "copy outputs",
        "model-tester", "local down",
    ]  # fmt: skip
    budgets = [stage_budget_s(stage, BUDGET_FIRMS) for stage in stages]
    assert None not in budgets
    assert sum(b for b in budgets if b is not None) == pytest.approx(465.0)


@pytest.mark.unit
def test_firm_bound_stages_scale_with_the_firms_and_quarters_keep_their_budget() -> None:
    assert stage_budget_s("map", 50) == pytest.approx(2 * stage_budget_s("map", 25))  # type: ignore[operator]
    assert stage_budget_s("2017Q2 reduce", 25) == stage_budget_s("reduce", 25)
    assert stage_budget_s("2017Q2 validate", 25) == stage_budget_s("validate", 1)
    assert stage_budget_s("something new", 25) is None


@pytest.mark.unit
@pytest.mark.parametrize(("load", "busy"), [(0.4, False), (1.0, False), (1.3, True), (4.1, True)])
def test_a_busy_machine_is_named_so(load: float, busy: bool) -> None:
    machine = MachineLoad(cpus=2, load_1min=load)
    assert machine.busy is busy
    assert ("busy" in machine.describe()) is busy
    assert f"{load:.2f} on 2 CPU(s)" in machine.describe()
