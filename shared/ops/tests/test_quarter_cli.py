"""`ftm quarter run`'s last lines: the run it ran (or that none was planned), and a note when
reduce found no themes. The stages themselves: tests/quarter."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ftm_ops.cli import main
from ftm_ops.quarter import cli as quarter_cli
from ftm_ops.quarter.local import QuarterRun
from ftm_ops.quarter.processes import ServiceRun
from ftm_shared import pipeline, runs
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.unit

RUN_ID = "20260101T000000Z-aaaa"


def _quarter_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, done: QuarterRun) -> ObjectStore:
    """`ftm quarter run` with `done` as what the stages did, on a bucket in a folder."""
    store = ObjectStore(str(tmp_path / "bucket"))
    monkeypatch.setenv("S3_BUCKET", "ftm-test")
    monkeypatch.setattr(quarter_cli, "ready_store", lambda settings=None: store)
    monkeypatch.setattr(quarter_cli, "run_quarter", lambda *args, **kwargs: done)
    return store


def test_a_plan_that_failed_names_no_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    done = QuarterRun("2017Q1", "exec", None, {"plan": ServiceRun(["plan"], 2, "")})
    _quarter_run(monkeypatch, tmp_path, done)

    result = CliRunner().invoke(main, ["quarter", "run", "--quarter", "2017Q1"])

    assert result.exit_code == 2
    assert "quarter 2017Q1 (no run planned): FAILED in" in result.output
    assert "run None" not in result.output


def test_a_run_without_themes_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ran = {stage.name: ServiceRun([stage.name], 0, "") for stage in pipeline.STAGES}
    store = _quarter_run(monkeypatch, tmp_path, QuarterRun("2017Q1", "exec", RUN_ID, ran))
    planned = Plan("2017Q1", RUN_ID, "f", "2026-01-01T00:00:00", [ShardPlan("00000", ["A"])], {},
                   {"shards_in_flight": 1}, 5.0)  # fmt: skip
    runs.update_manifest(store, planned, state=runs.REDUCED, reduce={"counts": {"themes": 0}})

    result = CliRunner().invoke(main, ["quarter", "run", "--quarter", "2017Q1"])

    assert result.exit_code == 0, result.output
    assert "note: reduce found no themes: the quarter's firms share no subject" in result.output
    assert f"quarter 2017Q1 run {RUN_ID}: finished in" in result.output
