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
ENVIRONMENT_ONLY = "Set them in the environment."


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names it and says where to set it."""


class LocalPaths(BaseSettings):
    """Where this machine keeps ftm's files. Read from the process environment only: the env
    file's own location is one of them, and none of them means anything inside SSM."""

    # An empty variable (`FTM_DATA_DIR=`) means unset, as it did in the shell scripts.
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_ignore_empty=True)

    ftm_state_dir: Path = Field(
        DEFAULT_STATE_DIR, description="`ftm local up`'s env file, pid files and logs"
    )
    ftm_env_file: Path | None = Field(
        None, description="The env file services read; default: FTM_STATE_DIR/local.env"
    )
    ftm_cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "ftm",
        description="Assembled models, built servers, trained demo adapters; default ~/.cache/ftm",
    )
    ftm_data_dir: Path | None = Field(
        None,
        description="The data sets; unset: ../shared/data beside the project, else what "
        "`ftm data fetch` built, else the bundled sample (ftm_shared.data)",
    )
    ftm_require_data: bool = Field(
        False, description="Tests that need the data sets fail instead of skipping (CI)"
    )
    ftm_require_terraform: bool = Field(
        False,
        description="Tests that need terraform and a local AWS provider fail instead of "
        "skipping (CI)",
    )


def local_paths() -> LocalPaths:
    """The paths as the environment sets them now (read on every call: tests and the smoke
    run change them)."""
    return read_settings(LocalPaths)


def state_dir() -> Path:
    """Where `ftm local up` keeps its env file, pid files and logs (FTM_STATE_DIR)."""
    return local_paths().ftm_state_dir


def env_file_path() -> Path:
    paths = local_paths()
    return paths.ftm_env_file or paths.ftm_state_dir / ENV_FILE_NAME


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
    ftm_ssm_prefix: str = Field(
        "/ftm/",
        description="Prefix of the SSM parameters, each named after its setting in lower "
        "case (e.g. /ftm/s3_bucket)",
        pattern=r"^/.*/$",
    )
    ftm_log_format: Literal["text", "json"] = Field(
        "text", description="Log line format: readable `text`, or `json` (the images set it)"
    )
    s3_recovery_timeout_s: float = Field(
        300.0,
        ge=0,
        description="How long a process waits for S3 that stopped answering mid-work (one "
        "shared wait, as for the LLM) before it gives up on what it was writing or reading",
    )

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


def setting_name(settings_cls: type[BaseSettings], field_name: str) -> str:
    """The variable a field is set by, e.g. `S3_BUCKET`, or `FTM_VLLM_PORT` with an
    `FTM_VLLM_` prefix."""
    return (str(settings_cls.model_config.get("env_prefix") or "") + field_name).upper()


def _describe(
    settings_cls: type[BaseSettings], problems: list[tuple[str | None, str]], where: str
) -> str:
    lines = [f"Invalid or missing settings for {settings_cls.__name__}:"]
    for field_name, what in problems:
        if field_name is None:  # a check across fields: its message names them
            lines.append(f"  {what}")
            continue
        field = settings_cls.model_fields.get(field_name)
        description = f" — {field.description}" if field and field.description else ""
        lines.append(f"  {setting_name(settings_cls, field_name)}: {what}{description}")
    lines.append(where)
    return "\n".join(lines)


def _where_to_set() -> str:
    return (
        "Set them in the environment, in the env file written by `ftm local up` "
        f"({env_file_path()}), or (with FTM_USE_SSM=true) as SSM parameters "
        "named {FTM_SSM_PREFIX}<setting name in lower case>."
    )


def describe_validation_error(
    settings_cls: type[BaseSettings], error: ValidationError, where: str | None = None
) -> str:
    problems: list[tuple[str | None, str]] = [
        (
            str(problem["loc"][0]) if problem["loc"] else None,
            "missing" if problem["type"] == "missing" else problem["msg"],
        )
        for problem in error.errors()
    ]
    return _describe(settings_cls, problems, where or _where_to_set())


def require_settings(settings: BaseSettings, *field_names: str) -> None:
    """Raise a `SettingsError` in the same format when optional settings that one command
    needs are unset."""
    missing = [name for name in field_names if getattr(settings, name) in (None, "")]
    if missing:
        problems: list[tuple[str | None, str]] = [(name, "missing") for name in missing]
        raise SettingsError(_describe(type(settings), problems, _where_to_set()))


def read_settings(
    settings_cls: type[SettingsT], *, where: str = ENVIRONMENT_ONLY, **overrides: Any
) -> SettingsT:
    """Build settings from what their sources hold now; raise `SettingsError` naming every bad
    setting and saying `where` to set them."""
    try:
        return settings_cls(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(settings_cls, error, where)) from None


def load_settings(settings_cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings once at start-up, the env file applied first; raise `SettingsError`
    naming every bad setting."""
    apply_env_file()
    return read_settings(settings_cls, where=_where_to_set(), **overrides)
