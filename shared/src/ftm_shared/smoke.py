"""The embedded end-to-end run behind `make smoke`: every stage, in the state machine's order.

It starts its own local cloud in a state folder of its own, so it never touches a substrate
the user started, and stops everything it started, also on failure or Ctrl-C.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from ftm_shared import data, ingest
from ftm_shared.config import ENV_FILE_NAME, FtmSettings, load_settings, read_env_file
from ftm_shared.local import cloud
from ftm_shared.raw_summary import summarise_raw
from ftm_shared.storage import ObjectStore

DEFAULT_QUARTER = "2017Q1"
DEFAULT_FIRMS = 25
NOT_BUILT = {
    "map": "`map-worker run` works on its own; the smoke run starts it once reduce exists",
    "reduce": "cross-firm themes (issue: reduce-worker)",
    "validate": "Great Expectations suites and data docs (issue: reduce-worker/expectations)",
}


@dataclass
class StageTimer:
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, action: Callable[[], None]) -> None:
        click.secho(f"\n== {name}", bold=True)
        started = time.perf_counter()
        try:
            action()
        finally:
            self.seconds[name] = time.perf_counter() - started


def smoke_firms() -> int | None:
    raw = os.environ.get("SMOKE_FIRMS", str(DEFAULT_FIRMS)).strip().lower()
    if raw == "all":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise click.BadParameter(f"SMOKE_FIRMS must be a positive number or 'all', got {raw!r}")
    return int(raw)


def run_smoke(quarter: str, firms: int | None, state: Path) -> None:
    timer = StageTimer()
    try:
        timer.run("local up", lambda: _local_up(state))
        settings = load_settings(FtmSettings)
        store = ObjectStore.from_settings(settings)
        source = data.earnings_call_file()
        timer.run(
            "ingest",
            lambda: click.echo(
                f"{ingest.ingest(source, quarter, store, firms=firms).n_rows:,} rows from "
                f"{source.name} ({'all' if firms is None else firms} firms)"
            ),
        )
        timer.run("read back", lambda: click.echo("\n".join(summarise_raw(store, quarter).lines())))
        for stage, what in NOT_BUILT.items():
            click.secho(f"\n== {stage}: not built yet — {what}", fg="yellow")
    finally:
        timer.run("local down", lambda: click.echo(f"stopped: {', '.join(cloud.down(state))}"))
        click.secho("\nTime per stage", bold=True)
        for name, seconds in timer.seconds.items():
            click.echo(f"  {name:12} {seconds:7.1f} s")


def _local_up(state: Path) -> None:
    local = cloud.up(directory=state)
    # The smoke run's own substrate wins over anything in the caller's environment, so it can
    # never write to a real bucket.
    os.environ.update(local.env())
    os.environ.update(read_env_file(state / ENV_FILE_NAME))
    os.environ["FTM_STATE_DIR"] = str(state)
    click.echo(f"moto server at {local.endpoint_url}, bucket {local.bucket}")
    click.echo(f"LLM server at {os.environ['LLM_BASE_URL']} (model {os.environ['LLM_MODEL']})")
