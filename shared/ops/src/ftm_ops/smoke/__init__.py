"""`make smoke`: the whole pipeline on the embedded local cloud, judged criterion by criterion."""

from __future__ import annotations

import os

import click

from ftm_ops.smoke.run import SmokeOptions, run_smoke

DEFAULT_QUARTER = "2017Q1"
DEFAULT_FIRMS = 25

__all__ = ["DEFAULT_FIRMS", "DEFAULT_QUARTER", "SmokeOptions", "run_smoke", "smoke_firms"]


def smoke_firms() -> int | None:
    """SMOKE_FIRMS: how many firms of the quarter to run (default 25), or `all`."""
    raw = os.environ.get("SMOKE_FIRMS", str(DEFAULT_FIRMS)).strip().lower()
    if raw == "all":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise click.BadParameter(f"SMOKE_FIRMS must be a positive number or 'all', got {raw!r}")
    return int(raw)
