"""Typed settings, read from the environment, the local env file and SSM Parameter Store.

Precedence (highest first): explicit arguments, process environment, the env file written by
`ftm local up`, SSM parameters under `FTM_SSM_PREFIX` (only when `FTM_USE_SSM=true`), defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_STATE_DIR = Path(".ftm")
ENV_FILE_NAME = "local.env"


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names it and says where to set it."""


def state_dir() -> Path:
    """Where `ftm local up` keeps its env file, pid files and logs."""
    return Path(os.environ.get("FTM_STATE_DIR", DEFAULT_STATE_DIR))


def env_file_path() -> Path:
    return Path(os.environ.get("FTM_ENV_FILE", state_dir() / ENV_FILE_NAME))


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def apply_env_file(path: Path | None = None) -> Path | None:
    """Export the local env file's values into the process environment, as `source` would.

    Going through `os.environ` (rather than only into the settings object) lets boto3 see the
    same endpoint and credentials. Values already set in the environment win.
    """
    path = path or env_file_path()
    if not path.is_file():
        return None
    for key, value in read_env_file(path).items():
        os.environ.setdefault(key, value)
    return path


def ssm_parameter_name(prefix: str, field_name: str) -> str:
    return prefix.rstrip("/") + "/" + field_name


class SsmSettingsSource(PydanticBaseSettingsSource):
    """Fills settings from SSM parameters named `{prefix}{field_name}`, e.g. `/ftm/s3_bucket`.

    Only parameters for declared fields are read, in one paginated `GetParametersByPath`.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every parameter at once

    def __call__(self) -> dict[str, Any]:
        state = self.current_state
        if str(state.get("ftm_use_ssm", "false")).lower() not in {"1", "true", "yes"}:
            return {}
        from ftm_shared.aws import client  # imported lazily: boto3 is slow to import

        prefix = str(
            state.get("ftm_ssm_prefix") or FtmSettings.model_fields["ftm_ssm_prefix"].default
        )
        ssm = client(
            "ssm",
            region=str(state.get("aws_region") or "us-east-1"),
            endpoint_url=state.get("aws_endpoint_url"),
        )
        found: dict[str, Any] = {}
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path=prefix.rstrip("/") + "/", Recursive=False, WithDecryption=True
        )
        for page in pages:
            for parameter in page["Parameters"]:
                name = parameter["Name"].rsplit("/", 1)[-1]
                if name in self.settings_cls.model_fields and name not in state:
                    found[name] = parameter["Value"]
        return found


class FtmSettings(BaseSettings):
    """Settings every ftm process needs. Services subclass this and add their own fields."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    s3_bucket: str = Field(
        description="Bucket that holds every stage's inputs and outputs (S3_BUCKET)",
        min_length=3,
    )
    aws_region: str = Field("us-east-1", description="AWS region (AWS_REGION)")
    aws_endpoint_url: str | None = Field(
        None, description="S3/SSM endpoint; the moto server locally, unset on AWS"
    )
    ftm_use_ssm: bool = Field(False, description="Fill unset settings from SSM Parameter Store")
    ftm_ssm_prefix: str = Field("/ftm/", description="SSM parameter prefix", pattern=r"^/.*/$")
    ftm_log_format: Literal["text", "json"] = Field("text", description="Log line format")

    @property
    def storage_url(self) -> str:
        return f"s3://{self.s3_bucket}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SsmSettingsSource(settings_cls))


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def describe_validation_error(settings_cls: type[BaseSettings], error: ValidationError) -> str:
    lines = [f"Invalid or missing settings for {settings_cls.__name__}:"]
    for problem in error.errors():
        field_name = str(problem["loc"][0]) if problem["loc"] else "?"
        field = settings_cls.model_fields.get(field_name)
        description = f" — {field.description}" if field and field.description else ""
        what = "missing" if problem["type"] == "missing" else problem["msg"]
        lines.append(f"  {field_name.upper()}: {what}{description}")
    lines.append(
        "Set them in the environment, in the env file written by `ftm local up` "
        f"({env_file_path()}), or (with FTM_USE_SSM=true) as SSM parameters "
        "named {FTM_SSM_PREFIX}<setting name in lower case>."
    )
    return "\n".join(lines)


def load_settings(settings_cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings once at start-up; raise `SettingsError` naming every bad setting."""
    apply_env_file()
    try:
        return settings_cls(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(settings_cls, error)) from None
