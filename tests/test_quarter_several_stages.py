"""`ftm quarter run --quarters` with the real stages on the moto bucket: a quarter that fails
stops the command before the next one is planned. Cheap: the plan that fails is the only
stage that runs, so no LLM is needed (the quarters that pass: tests/quarter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import run_module
from ftm_ops.ingest import ingest
from ftm_shared.plan import plans_of
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

# Across services (ops runs map-worker's plan): here, where the whole workspace is installed.
CALLS = Path(__file__).parents[1] / "shared/ops/tests/fixtures/ingest/calls.csv"


def test_a_quarter_without_transcripts_stops_the_command_before_the_next(
    local_cloud: LocalCloud, store: ObjectStore
) -> None:
    ingest(CALLS, "2017Q1", store)  # 2017Q1 could run; 2016Q4, before it, has nothing

    done = run_module("ftm_ops", "quarter", "run", "--quarters", "2016Q4..2017Q1")

    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "quarter 1/2: 2016Q4" in done.stdout
    assert "stopped at 2016Q4: plan exited 2; fix what its `error:` line names." in done.stdout
    assert done.stdout.splitlines()[-1] == "finished: -; already done: -; not started: 2017Q1"
    assert "quarter 2/2" not in done.stdout
    assert plans_of(store, "2017Q1") == [], "the quarter after the failed one was planned"
    assert "Traceback" not in output
