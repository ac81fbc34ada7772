from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import run_module
from ftm_shared.llm import LlmStats
from map_worker.cli import render_summary
from map_worker.fanout import MapSummary
from map_worker.runner import ShardSummary

map_worker = partial(run_module, "map_worker")


@pytest.mark.unit
def test_help_lists_the_commands() -> None:
    result = map_worker("--help")
    assert all(command in result.stdout for command in ("plan", "run", "collect", "check"))
    assert result.returncode == 0
    assert "check" in result.stdout and "embed" in result.stdout


@pytest.mark.integration
def test_check_waits_for_the_bucket(pipeline_env: LocalCloud) -> None:
    result = map_worker("check", "--timeout", "10")
    assert result.returncode == 0, result.stderr
    assert f"ok: s3://{pipeline_env.bucket} answers" in result.stdout


@pytest.mark.integration
def test_check_names_a_missing_bucket(pipeline_env: LocalCloud) -> None:
    result = map_worker("check", env={**os.environ, "S3_BUCKET": "no-such-bucket"})
    assert result.returncode == 2
    assert "bucket 'no-such-bucket'" in result.stderr


@pytest.mark.unit
def test_missing_settings_fail_fast(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "S3_BUCKET"}
    result = map_worker("check", env={**env, "FTM_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "S3_BUCKET: missing" in result.stderr


@pytest.mark.unit
def test_the_summary_carries_the_llm_counters_line() -> None:
    llm = LlmStats(requests=5, attempts=6, retries=1, latencies_s=[0.2, 0.4]).as_dict()
    shards = [
        ShardSummary("2017Q1", "r", "00000", skipped=True),
        ShardSummary("2017Q1", "r", "00001", firms_done=2, firms_resumed=1, llm=llm),
    ]
    text = render_summary(MapSummary("2017Q1", "r", shards))
    assert "  shard 00000  complete before: skipped" in text
    assert "  shard 00001  2 firm(s) done now, 1 resumed, 0 failed" in text
    assert "    LLM        5 requests (6 attempts, 1 retries, 0 failed), 0 recoveries" in text
