"""`vllm-server`: print or exec the vLLM launch command built from the settings."""

from __future__ import annotations

import os
import shlex
import shutil

import click

from ftm_shared.cli_support import run_cli
from ftm_shared.config import SettingsError, describe_validation_error
from vllm_server.config import VllmServerSettings


def _settings() -> VllmServerSettings:
    from pydantic import ValidationError

    try:
        return VllmServerSettings()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(VllmServerSettings, error)) from None


@click.group()
def group() -> None:
    """The vLLM OpenAI-compatible server's settings (VLLM_* environment variables)."""


@group.command("args")
def args_command() -> None:
    """Print the `vllm serve` command line the settings give."""
    click.echo(shlex.join(_settings().serve_args()))


@group.command("serve")
def serve_command() -> None:
    """Replace this process with `vllm serve` (the container's entrypoint)."""
    args = _settings().serve_args()
    if shutil.which(args[0]) is None:
        raise click.ClickException("vllm is not installed here; this runs in the vLLM image")
    os.execvp(args[0], args)  # noqa: S606 (arguments come from validated settings)


def main() -> None:
    run_cli(group)
