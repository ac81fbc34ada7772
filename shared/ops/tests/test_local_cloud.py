from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.process import ServerRecord, http_ok, pid_alive
from ftm_shared.config import read_env_file

pytestmark = pytest.mark.integration


def ftm(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FTM_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "ftm_ops", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_up_status_down(tmp_path: Path) -> None:
    state = tmp_path / "state"
    started = ftm("local", "up", "--no-llm", "--bucket", "ftm-cli-test", state=state)
    try:
        assert started.returncode == 0, started.stderr
        env = read_env_file(state / "local.env")
        assert env["S3_BUCKET"] == "ftm-cli-test"
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert http_ok(env["AWS_ENDPOINT_URL"] + "/moto-api/")

        # A second `up` reuses the running server.
        again = ftm("local", "up", "--no-llm", "--bucket", "ftm-cli-test", state=state)
        assert read_env_file(state / "local.env") == env, again.stderr

        status = ftm("local", "status", state=state)
        assert "moto" in status.stdout and " up " in status.stdout

        # What the services read: the bucket exists and SSM knows it.
        cloud = LocalCloud(endpoint_url=env["AWS_ENDPOINT_URL"], bucket="ftm-cli-test")
        cloud.client("s3").head_bucket(Bucket="ftm-cli-test")
        parameter = cloud.client("ssm").get_parameter(Name="/ftm/s3_bucket")["Parameter"]
        assert parameter["Value"] == "ftm-cli-test"
        record = ServerRecord.load(state / "moto.json")
        assert record is not None
    finally:
        stopped = ftm("local", "down", state=state)
    assert "stopped: moto" in stopped.stdout
    assert not pid_alive(record.pid)
    assert not (state / "local.env").exists()
    assert "nothing running" in ftm("local", "status", state=state).stdout


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    result = ftm("ingest", "--quarter", "2017Q1", "missing.parquet", state=tmp_path)
    assert result.returncode == 2
    assert "S3_BUCKET: missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_llm_up_answers_a_chat_completion_and_down_stops_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "ftm_ops", *args],
        env={**env, "FTM_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    started = run("llm", "up")
    try:
        assert started.returncode == 0, started.stderr
        values = read_env_file(state / "local.env")
        assert values["LLM_MODEL"] == "gemma3-270m"
        assert values["LLM_BASE_URL"].startswith("http://127.0.0.1:")
        assert " up " in run("llm", "status").stdout
        answer = run("llm", "ask", "Say hello.", "--max-tokens", "8")
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip()
        assert "gemma3-270m at http://127.0.0.1:" in answer.stderr
    finally:
        stopped = run("llm", "down")
    assert "stopped: llm" in stopped.stdout
    assert "LLM_BASE_URL" not in read_env_file(state / "local.env")

    # Started again, it keeps its URL: a run in flight finds it with its health wait.
    again = run("llm", "up")
    try:
        assert again.returncode == 0, again.stderr
        assert read_env_file(state / "local.env")["LLM_BASE_URL"] == values["LLM_BASE_URL"]
    finally:
        run("llm", "down")


def test_user_llm_base_url_skips_the_launch(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ftm_ops", "llm", "up"],
        env={**os.environ, "FTM_STATE_DIR": str(tmp_path), "LLM_BASE_URL": "http://127.0.0.1:9/v1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "not started: LLM_BASE_URL=http://127.0.0.1:9/v1 is used" in result.stdout
    assert not (tmp_path / "llm.json").exists()
