from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_local.cloud import LocalCloud
from ftm_shared.config import (
    FtmSettings,
    SettingsError,
    env_file_path,
    load_settings,
    local_paths,
    read_settings,
    require_settings,
    ssm_parameter_name,
)
from ftm_shared.models import cache_dir


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("S3_BUCKET", "AWS_ENDPOINT_URL", "FTM_USE_SSM", "FTM_SSM_PREFIX", "FTM_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTM_STATE_DIR", str(tmp_path))
    # load_settings exports the env file into os.environ, outside monkeypatch's reach.
    saved = dict(os.environ)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.unit
def test_missing_setting_is_named_with_where_to_set_it(clean_env: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(FtmSettings)
    message = str(error.value)
    assert "S3_BUCKET: missing" in message
    assert "Bucket that holds" in message
    assert "FTM_SSM_PREFIX" in message


@pytest.mark.unit
def test_invalid_setting_is_named(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_BUCKET", "bucket")
    monkeypatch.setenv("FTM_SSM_PREFIX", "no-leading-slash")
    with pytest.raises(SettingsError, match="FTM_SSM_PREFIX: String should match pattern"):
        load_settings(FtmSettings)


@pytest.mark.unit
def test_env_file_fills_unset_values_and_environment_wins(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / "local.env").write_text("S3_BUCKET=from-file\nAWS_REGION=eu-west-1\n")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    settings = load_settings(FtmSettings)
    assert settings.s3_bucket == "from-file"
    assert settings.aws_region == "us-west-2"


@pytest.mark.unit
def test_local_paths_come_from_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_CACHE_DIR", str(clean_env / "cache"))
    monkeypatch.setenv("FTM_DATA_DIR", "")  # empty: unset, as in a shell script
    monkeypatch.setenv("FTM_REQUIRE_DATA", "1")
    monkeypatch.setenv("FTM_REQUIRE_TERRAFORM", "false")
    paths = local_paths()
    assert paths.ftm_state_dir == clean_env
    assert env_file_path() == clean_env / "local.env"
    assert cache_dir() == clean_env / "cache"
    assert paths.ftm_data_dir is None
    assert paths.ftm_require_data is True
    assert paths.ftm_require_terraform is False


@pytest.mark.unit
def test_a_bad_local_path_setting_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_REQUIRE_DATA", "perhaps")
    with pytest.raises(SettingsError, match="FTM_REQUIRE_DATA: Input should be a valid boolean"):
        local_paths()


class _Prefixed(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")

    port: int = Field(8000, le=65535, description="HTTP port")


@pytest.mark.unit
def test_a_prefixed_setting_is_named_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PORT", "70000")
    with pytest.raises(SettingsError) as error:
        read_settings(_Prefixed)
    lines = str(error.value).splitlines()
    assert lines[1] == "  DEMO_PORT: Input should be less than or equal to 65535 — HTTP port"
    assert lines[-1] == "Set them in the environment."


class _Optional(FtmSettings):
    remote_image: str | None = Field(None, description="The image the box runs")


@pytest.mark.unit
def test_an_optional_setting_one_command_needs_is_named(clean_env: Path) -> None:
    settings = _Optional(s3_bucket="bucket")
    with pytest.raises(SettingsError) as error:
        require_settings(settings, "remote_image")
    assert "  REMOTE_IMAGE: missing — The image the box runs" in str(error.value)
    require_settings(_Optional(s3_bucket="bucket", remote_image="image"), "remote_image")


@pytest.mark.integration
def test_ssm_fills_settings_under_the_prefix(
    local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("S3_BUCKET")
    monkeypatch.setenv("FTM_USE_SSM", "true")
    monkeypatch.setenv("FTM_SSM_PREFIX", "/ftm-test/")
    local_cloud.client("ssm").put_parameter(
        Name=ssm_parameter_name("/ftm-test/", "s3_bucket"), Value="from-ssm", Type="String"
    )
    assert load_settings(FtmSettings).s3_bucket == "from-ssm"
    monkeypatch.setenv("S3_BUCKET", "from-env")
    assert load_settings(FtmSettings).s3_bucket == "from-env"


@pytest.mark.integration
def test_ssm_is_not_read_unless_asked(
    local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("S3_BUCKET")
    with pytest.raises(SettingsError, match="S3_BUCKET: missing"):
        load_settings(FtmSettings)
