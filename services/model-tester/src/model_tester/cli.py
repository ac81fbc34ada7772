"""`model-tester` (also `python -m model_tester`, the container's entrypoint)."""

from __future__ import annotations

import click

from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import load_settings
from ftm_shared.storage import ObjectStore
from model_tester.adapters import list_adapters
from model_tester.config import ModelTesterSettings


@service_group(
    "model-tester",
    "Test a LoRA adapter from S3 on medical extraction. `test`/`evaluate` arrive with its issue.",
    ModelTesterSettings,
)
def group() -> None:
    pass


@group.command("models")
def models_command() -> None:
    """List the adapters under models/{S3_PREFIX}/ in the bucket, newest first."""
    settings = load_settings(ModelTesterSettings)
    versions = list_adapters(ObjectStore.from_settings(settings), settings.s3_prefix)
    if not versions:
        click.echo(f"no adapters under s3://{settings.s3_bucket}/models/{settings.s3_prefix}/")
        return
    for version in versions:
        click.echo(f"{version.timestamp}  {len(version.files)} file(s): {', '.join(version.files)}")


def main() -> None:
    run_cli(group)
