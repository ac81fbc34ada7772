"""The environment each of the smoke run's processes gets, built from typed settings.

The smoke run never writes its own `os.environ`. It reads the caller's settings once
(`SmokeStageSettings`), starts its local cloud, and hands every stage process an explicit
environment: the caller's, then the local cloud's endpoint, bucket and credentials and the local
LLM server's (its env file), then each quarter's own shard size and concurrency. Every quarter's
values are computed from the caller's settings afresh, so one quarter's shard size can never
become the next quarter's (`ftm smoke --quarter 2017Q1 --quarter 2017Q2`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_local.cloud import LocalCloud
from ftm_local.llm_server import LocalLlmSettings
from ftm_shared.config import ENV_FILE_NAME, FtmSettings, read_env_file, read_settings, setting_name

# Never inherited from the caller: the smoke run's substrate is its own local cloud, so it can
# never read settings from (or write outputs to) a real account's SSM and bucket.
DROPPED = ("FTM_USE_SSM",)


class SmokeStageSettings(BaseSettings):
    """What a caller may set for the smoke run's stages; unset, the run sets them per quarter."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_ignore_empty=True)

    map_shard_firms: int | None = Field(
        None,
        ge=1,
        description="Firms per map shard in the smoke run; unset: half the quarter's firms, "
        "rounded up (two shards, so that every smoke run exercises the fan-out)",
    )
    vllm_concurrency_per_instance: int | None = Field(
        None,
        ge=1,
        description="The fleet's slots in the smoke run; unset: the local LLM server's "
        "(LLM_PARALLEL)",
    )
    llm_max_concurrent: int | None = Field(
        None,
        ge=1,
        description="Requests in flight per shard in the smoke run; unset: half the local LLM "
        "server's slots, so that both shards are in flight at once",
    )
    # The 270M CPU model now and then gives no schema-valid answer in all its asks; a real run
    # (vLLM) fails that firm, the smoke run names the topic by its keyword phrases, marked
    # `keyword_fallback`, as every run does with an answer that does not fit.
    naming_keyword_fallback: bool = Field(
        True,
        description="The smoke run names a topic by its keyword phrases (`keyword_fallback`) "
        "where the small LLM gives no schema-valid answer, instead of failing its firm",
    )
    ftm_gx_dir: Path | None = Field(
        None,
        description="The smoke run's Great Expectations project and data docs; unset: its "
        "state folder's gx/",
    )


def local_settings(local: LocalCloud) -> FtmSettings:
    """The smoke process's own settings: its local cloud's bucket and endpoint, never SSM."""
    return read_settings(
        FtmSettings,
        s3_bucket=local.bucket,
        aws_region=local.region,
        aws_endpoint_url=local.endpoint_url,
        ftm_use_ssm=False,
    )


def _rendered(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class StageEnvironment:
    """The environment of the smoke run's processes: `base` for every one of them,
    `for_quarter` for a quarter's stages. Nothing here changes once built."""

    base: Mapping[str, str]
    settings: SmokeStageSettings
    slots: int
    """Requests the local LLM server decodes together (LLM_PARALLEL)."""

    @classmethod
    def build(
        cls,
        caller: Mapping[str, str],
        local: LocalCloud,
        state: Path,
        settings: SmokeStageSettings | None = None,
        slots: int | None = None,
    ) -> StageEnvironment:
        """The caller's environment with the local cloud `local` (started in `state`) in it.

        `settings` and `slots` default to what the caller's environment sets (read here, once).
        """
        settings = settings or read_settings(SmokeStageSettings)
        env_file = state / ENV_FILE_NAME
        base = {
            **caller,
            # The smoke run's own substrate wins over anything in the caller's environment.
            **local.env(),
            **(read_env_file(env_file) if env_file.is_file() else {}),
            "FTM_STATE_DIR": str(state),
            "FTM_GX_DIR": str(settings.ftm_gx_dir or state.resolve() / "gx"),
        }
        for name in DROPPED:
            base.pop(name, None)
        slots = slots or read_settings(LocalLlmSettings).llm_parallel
        return cls(MappingProxyType(base), settings, slots)

    @property
    def gx_dir(self) -> Path:
        return Path(self.base["FTM_GX_DIR"])

    def for_services(self) -> dict[str, str]:
        """A process outside a quarter's pipeline (the model-tester demo)."""
        return dict(self.base)

    def quarter_settings(self, n_firms: int) -> dict[str, Any]:
        """A quarter's stage settings: the caller's where set, else sized for `n_firms`."""
        chosen = self.settings
        return {
            "map_shard_firms": chosen.map_shard_firms or max(1, math.ceil(n_firms / 2)),
            "vllm_concurrency_per_instance": chosen.vllm_concurrency_per_instance or self.slots,
            "llm_max_concurrent": chosen.llm_max_concurrent or max(1, self.slots // 2),
            "naming_keyword_fallback": chosen.naming_keyword_fallback,
        }

    def for_quarter(self, n_firms: int) -> dict[str, str]:
        """The environment of one quarter's stages (plan, map, collect, reduce)."""
        values = self.quarter_settings(n_firms)
        return {
            **self.base,
            **{setting_name(SmokeStageSettings, k): _rendered(v) for k, v in values.items()},
        }
