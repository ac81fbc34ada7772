"""`ftm quarter run --quarters`: the quarters in calendar order, stopping at the first that
fails, and a re-run after a fix resuming there. The command is the real one; each quarter's
stages are a stand-in that fails where told and, as the real plan does, finds a quarter
finished before again (its stages then no-ops). The stages themselves: tests/quarter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ftm_ops.cli import main
from ftm_ops.quarter import cli as quarter_cli
from ftm_ops.quarter import local as quarter_local
from ftm_ops.quarter.local import QuarterRun
from ftm_ops.quarter.processes import ServiceRun
from ftm_ops.quarter.several import run_in_order
from ftm_shared import pipeline, runs
from ftm_shared.plan import Plan, ShardPlan, record_execution
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.unit

FIRMS, THEMES = 3, 7


def _plan(store: ObjectStore, quarter: str) -> Plan:
    run_id, shards = f"20260101T000000Z-{quarter.lower()}", [ShardPlan("00000", ["A", "B", "C"])]
    plan = Plan(quarter, run_id, "f", "2026-01-01T00:00:00", shards, {}, {"shards_in_flight": 1},
                5.0)  # fmt: skip
    plan.save(store)
    return plan


class Stages:
    """What `run_quarter` does to the bucket, without the processes: the stages of a quarter
    in `failing` stop at the stage and exit code given there (a failed plan plans no run)."""

    def __init__(self, store: ObjectStore, failing: Mapping[str, tuple[str, int]]) -> None:
        self.store, self.failing = store, dict(failing)
        self.calls: list[tuple[str, bool]] = []

    def __call__(
        self, store: ObjectStore, _bucket: str, quarter: str, *, new_run: bool = False
    ) -> QuarterRun:
        self.calls.append((quarter, new_run))
        stop, exit_code = self.failing.get(quarter, ("", 0))
        ran: dict[str, ServiceRun] = {}
        for stage in pipeline.STAGES:
            ran[stage.name] = ServiceRun([stage.name], exit_code if stage.name == stop else 0, "")
            if stage.name == stop:
                break
        if stop == "plan":
            return QuarterRun(quarter, "exec", None, ran)
        plan = _plan(store, quarter)
        before = runs.read_manifest(store, quarter, plan.run_id).get("state")
        if not stop:
            runs.update_manifest(
                store, plan, state=runs.REDUCED, reduce={"counts": {"themes": THEMES}}
            )
        return QuarterRun(quarter, "exec", plan.run_id, ran, reduced_before=before == runs.REDUCED)


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ObjectStore:
    store = ObjectStore(str(tmp_path / "bucket"))
    monkeypatch.setenv("S3_BUCKET", "ftm-test")
    monkeypatch.setattr(quarter_cli, "ready_store", lambda settings=None: store)
    return store


def _stages(
    monkeypatch: pytest.MonkeyPatch, store: ObjectStore, **failing: tuple[str, int]
) -> Stages:
    stages = Stages(store, failing)
    monkeypatch.setattr(quarter_cli, "run_quarter", stages)
    return stages


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["quarter", "run", *args])


def _row(output: str, quarter: str) -> list[str]:
    """The summary table's row of `quarter`, cell by cell (cells are apart by 2+ spaces)."""
    rows = (line for line in output.splitlines() if line.startswith(f"{quarter} "))
    return re.split(r"\s{2,}", next(rows).strip())


def test_quarters_run_in_calendar_order_whatever_the_spec_order(
    monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore
) -> None:
    stages = _stages(monkeypatch, bucket)

    result = _run("--quarters", "2017Q4,2017Q1..2017Q2", "--new-run")

    assert result.exit_code == 0, result.output
    assert stages.calls == [("2017Q1", True), ("2017Q2", True), ("2017Q4", True)]
    assert "quarter 2/3: 2017Q2" in result.output
    assert "quarter 2017Q4 run 20260101T000000Z-2017q4: finished in" in result.output
    run_id, state, firms, themes = "20260101T000000Z-2017q2", "finished", FIRMS, THEMES
    assert _row(result.output, "2017Q2")[:-1] == ["2017Q2", run_id, state, str(firms), str(themes)]
    assert "stopped" not in result.output


def test_the_first_quarter_that_fails_stops_the_rest_naming_stage_and_fix(
    monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore
) -> None:
    stages = _stages(monkeypatch, bucket, **{"2017Q2": ("collect", pipeline.EXIT_POLICY_FAILED)})

    result = _run("--quarters", "2017Q1..2017Q4")

    assert result.exit_code == pipeline.EXIT_POLICY_FAILED, result.output
    assert [quarter for quarter, _ in stages.calls] == ["2017Q1", "2017Q2"]
    lines = result.output.splitlines()
    stop, then = lines[-3:-1]
    assert stop.startswith("stopped at 2017Q2: collect exited 3; more firms failed than ")
    assert "PIPELINE_TOLERATED_FAILURE_PCT" in stop
    assert then == (
        "then run the same command again: 2017Q2 resumes where it stopped, and the quarters "
        "before it are no-ops."
    )
    assert lines[-1] == "finished: 2017Q1; already done: -; not started: 2017Q3, 2017Q4"
    assert _row(result.output, "2017Q2")[2] == "FAILED at collect (exit 3)"
    assert _row(result.output, "2017Q3") == ["2017Q3", "-", "not started"]


def test_a_rerun_after_the_fix_resumes_at_the_failed_quarter(
    monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore
) -> None:
    stages = _stages(monkeypatch, bucket, **{"2017Q3": ("reduce", pipeline.EXIT_POLICY_FAILED)})
    assert _run("--quarters", "2017Q1..2017Q4").exit_code == pipeline.EXIT_POLICY_FAILED
    stages.failing.clear()
    stages.calls.clear()

    result = _run("--quarters", "2017Q1..2017Q4")

    assert result.exit_code == 0, result.output
    assert [quarter for quarter, _ in stages.calls] == ["2017Q1", "2017Q2", "2017Q3", "2017Q4"]
    states = {q: _row(result.output, q)[2] for q in ("2017Q1", "2017Q2", "2017Q3")}
    assert states == {"2017Q1": "already done", "2017Q2": "already done", "2017Q3": "finished"}
    assert "quarter 2017Q1 run 20260101T000000Z-2017q1: already done in" in result.output


def test_a_failed_plan_exits_with_its_code_and_says_to_fix_the_input(
    monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore
) -> None:
    _stages(monkeypatch, bucket, **{"2017Q1": ("plan", pipeline.EXIT_INPUT_ERROR)})

    result = _run("--quarters", "2017Q1,2017Q2")

    assert result.exit_code == pipeline.EXIT_INPUT_ERROR
    assert "stopped at 2017Q1: plan exited 2; fix what its `error:` line names." in result.output
    assert _row(result.output, "2017Q1") == ["2017Q1", "-", "FAILED at plan (exit 2)", "0"]
    assert result.output.splitlines()[-1] == "finished: -; already done: -; not started: 2017Q2"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--quarters", "2017Q4..2017Q1"], "Invalid value for '--quarters': quarter range "),
        (["--quarters", "2017Q1..2017Q5"], "Invalid value for '--quarters': quarter must look"),
        (["--quarter", "2017Q1", "--quarters", "2017Q2"], "give one of --quarter 2017Q1 or"),
        ([], "give one of --quarter 2017Q1 or --quarters 2017Q1..2017Q4"),
    ],
    ids=["backwards", "no such quarter", "both", "neither"],
)
def test_a_bad_spec_is_a_one_line_usage_error(
    monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore, args: list[str], error: str
) -> None:
    stages = _stages(monkeypatch, bucket)

    result = _run(*args)

    assert result.exit_code == 2
    said = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(said) == 1 and said[0].startswith(f"Error: {error}"), result.output
    assert not stages.calls


def test_the_estimate_counts_only_quarters_that_did_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    took = {"2017Q1": 120.0, "2017Q2": 5.0, "2017Q3": 60.0, "2017Q4": 60.0}
    passed = {stage.name: ServiceRun([stage.name], 0, "") for stage in pipeline.STAGES}
    now = [0.0]

    def run_one(quarter: str) -> QuarterRun:
        now[0] += took[quarter]
        return QuarterRun(quarter, "exec", "r", dict(passed), reduced_before=quarter == "2017Q2")

    run_in_order(list(took), run_one, clock=lambda: now[0])

    progress = [line for line in capsys.readouterr().out.splitlines() if "/4:" in line]
    assert progress == [
        "quarter 1/4: 2017Q1",
        "quarter 2/4: 2017Q2 (about 6m00s left: 3 at 2m00s each)",
        "quarter 3/4: 2017Q3 (about 4m00s left: 2 at 2m00s each)",  # 2017Q2 took 5 s: no work
        "quarter 4/4: 2017Q4 (about 1m30s left: 1 at 1m30s each)",
    ]


@pytest.mark.parametrize(("state", "done_before"), [(runs.REDUCED, True), (runs.MAPPED, False)])
def test_the_quarter_run_says_already_done_where_its_plan_found_a_reduced_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state: str, done_before: bool
) -> None:
    store = ObjectStore(str(tmp_path / "bucket"))
    plan = _plan(store, "2017Q1")
    runs.update_manifest(store, plan, state=state)

    def stage(module: str, *args: str, env: Mapping[str, str] | None = None) -> ServiceRun:
        if args[0] == "plan":  # the plan found `plan` again and recorded it for the execution
            record_execution(store, plan, args[args.index("--execution") + 1])
        return ServiceRun([module, *args], 0, "")

    monkeypatch.setattr(quarter_local, "run_service", stage)

    done = quarter_local.run_quarter(store, "ftm-test", "2017Q1")

    assert done.passed and done.run_id == plan.run_id
    assert done.reduced_before is done_before
