"""The smoke run's stage processes get an explicit environment, built per quarter from typed
settings (`ftm_ops.smoke.environment`); the smoke process's own environment is never written.

`ftm smoke --quarter 2017Q1 --quarter 2017Q2` once wrote the first quarter's shard size into
`os.environ` with `setdefault`, and the second quarter inherited it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from ftm_local.cloud import MOTO_CREDENTIALS, LocalCloud
from ftm_ops.quarter import local as quarter_local
from ftm_ops.quarter.processes import ServiceRun, run_service
from ftm_ops.smoke.environment import SmokeStageSettings, StageEnvironment, local_settings
from ftm_shared.config import SettingsError

pytestmark = pytest.mark.unit

LOCAL = LocalCloud(endpoint_url="http://127.0.0.1:5999", bucket="ftm-smoke")
STAGE_SETTINGS = [
    "MAP_SHARD_FIRMS",
    "VLLM_CONCURRENCY_PER_INSTANCE",
    "LLM_MAX_CONCURRENT",
    "NAMING_KEYWORD_FALLBACK",
]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A smoke state folder after `ftm local up`, and a caller who set none of the stage
    settings (the local LLM server with 8 slots)."""
    for name in [*STAGE_SETTINGS, "FTM_GX_DIR", "LLM_BASE_URL", "LLM_MODEL", "FTM_USE_SSM"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLM_PARALLEL", "8")
    (tmp_path / "local.env").write_text(
        "AWS_ENDPOINT_URL=http://127.0.0.1:5999\n"
        "LLM_BASE_URL=http://127.0.0.1:6001/v1\n"
        "LLM_MODEL=gemma-3-270m\n"
    )
    return tmp_path


def test_each_quarter_gets_its_own_shard_size(state: Path) -> None:
    # As the smoke run builds it: from this process's environment, once, before the quarters.
    environment = StageEnvironment.build(os.environ, LOCAL, state)
    before = dict(os.environ)

    first = environment.for_quarter(25)  # 2017Q1's firms
    second = environment.for_quarter(40)  # 2017Q2's

    assert first["MAP_SHARD_FIRMS"] == "13"
    assert second["MAP_SHARD_FIRMS"] == "20"
    for quarter in (first, second):
        assert quarter["VLLM_CONCURRENCY_PER_INSTANCE"] == "8"
        assert quarter["LLM_MAX_CONCURRENT"] == "4"
        assert quarter["NAMING_KEYWORD_FALLBACK"] == "true"
    # Nothing leaked into this process's environment, nor into the environment's base.
    assert dict(os.environ) == before
    assert not set(STAGE_SETTINGS) & set(environment.base)
    assert environment.for_quarter(25) == first


def test_a_stage_setting_the_caller_set_holds_for_every_quarter(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAP_SHARD_FIRMS", "7")
    monkeypatch.setenv("NAMING_KEYWORD_FALLBACK", "false")
    environment = StageEnvironment.build(os.environ, LOCAL, state)

    for firms in (25, 40):
        quarter = environment.for_quarter(firms)
        assert quarter["MAP_SHARD_FIRMS"] == "7"
        assert quarter["NAMING_KEYWORD_FALLBACK"] == "false"
        assert quarter["LLM_MAX_CONCURRENT"] == "4"


def test_a_bad_stage_setting_is_refused_naming_it(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAP_SHARD_FIRMS", "0")
    with pytest.raises(SettingsError, match="MAP_SHARD_FIRMS"):
        StageEnvironment.build(os.environ, LOCAL, state)


def test_the_local_cloud_wins_over_the_callers_substrate(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_BUCKET", "a-real-bucket")
    monkeypatch.setenv("FTM_USE_SSM", "true")
    environment = StageEnvironment.build(os.environ, LOCAL, state)
    base = environment.base

    assert base["S3_BUCKET"] == "ftm-smoke"
    assert base["AWS_ENDPOINT_URL"] == LOCAL.endpoint_url
    assert {k: base[k] for k in MOTO_CREDENTIALS} == MOTO_CREDENTIALS
    assert "FTM_USE_SSM" not in base
    assert base["LLM_BASE_URL"] == "http://127.0.0.1:6001/v1"
    assert base["FTM_STATE_DIR"] == str(state)
    assert environment.gx_dir == state.resolve() / "gx"
    assert base["PATH"] == os.environ["PATH"]  # the rest of the caller's environment stays
    assert os.environ["S3_BUCKET"] == "a-real-bucket"  # and the caller's own is untouched
    settings = local_settings(LOCAL)
    assert (settings.s3_bucket, settings.ftm_use_ssm) == ("ftm-smoke", False)


def test_a_quarters_stages_run_with_its_environment(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = StageEnvironment.build(os.environ, LOCAL, state, SmokeStageSettings(), slots=8)
    given: list[Mapping[str, str] | None] = []

    def plan_fails(module: str, *args: str, env: Mapping[str, str] | None = None) -> ServiceRun:
        given.append(env)
        return ServiceRun([module, *args], 1, "")

    monkeypatch.setattr(quarter_local, "run_service", plan_fails)
    for firms in (25, 40):
        env = environment.for_quarter(firms)
        done = quarter_local.run_quarter(None, "ftm-smoke", "2017Q1", env=env)  # type: ignore[arg-type]
        assert list(done.ran) == ["plan"]
    assert [e and e["MAP_SHARD_FIRMS"] for e in given] == ["13", "20"]


def test_a_service_process_sees_exactly_the_environment_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "show_env.py").write_text(
        "import os\nprint(os.environ.get('MAP_SHARD_FIRMS'), os.environ.get('HOME'))\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "MAP_SHARD_FIRMS": "13", "PATH": os.environ["PATH"]}

    run = run_service("show_env", env=env)

    assert run.ok, run.output
    assert run.output.strip() == "13 None"
    assert run.command[0] == sys.executable
