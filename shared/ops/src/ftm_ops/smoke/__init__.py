"""`make smoke`: the whole pipeline on the embedded local cloud, judged criterion by criterion."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_ops.smoke.run import SmokeOptions, run_smoke
from ftm_shared.config import read_settings

DEFAULT_QUARTER = "2017Q1"
DEFAULT_FIRMS = 25

__all__ = [
    "DEFAULT_FIRMS",
    "DEFAULT_QUARTER",
    "LocalSmokeSettings",
    "SmokeOptions",
    "run_smoke",
    "smoke_firms",
]


class LocalSmokeSettings(BaseSettings):
    """The local smoke run's size, from the environment (`make smoke SMOKE_FIRMS=all`)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    smoke_firms: Annotated[int, Field(ge=1)] | Literal["all"] = Field(
        DEFAULT_FIRMS, description="Firms of the quarter to run, or `all`"
    )

    @field_validator("smoke_firms", mode="before")
    @classmethod
    def _words_in_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def smoke_firms() -> int | None:
    """SMOKE_FIRMS: how many firms of the quarter to run (default 25); None for `all`."""
    firms = read_settings(LocalSmokeSettings).smoke_firms
    return None if firms == "all" else firms
