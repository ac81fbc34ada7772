"""`vllm-server`: print or exec the vLLM launch command built from the settings."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import click

from ftm_shared.cli_support import run_cli
from ftm_shared.config import read_settings
from vllm_server.config import VllmServerSettings
from vllm_server.weights import sync_from_s3


@click.group()
def group() -> None:
    """The vLLM OpenAI-compatible server's settings (FTM_VLLM_* environment variables)."""


@group.command("args")
def args_command() -> None:
    """Print the `vllm serve` command line the settings give."""
    click.echo(shlex.join(read_settings(VllmServerSettings).serve_args()))


@group.command("serve")
def serve_command() -> None:
    """Replace this process with `vllm serve` (the container's entrypoint)."""
    settings = read_settings(VllmServerSettings)
    args = settings.serve_args()
    if shutil.which(args[0]) is None:
        raise click.ClickException("vllm is not installed here; this runs in the vLLM image")
    if settings.model_s3_uri and settings.model_path:
        import boto3

        sync_from_s3(settings.model_s3_uri, Path(settings.model_path), boto3.client("s3"))
    os.execvp(args[0], args)  # noqa: S606 (arguments come from validated settings)


def main() -> None:
    # Settings errors and weights that cannot be synced are one line each (the library's
    # format, exit 2); anything else keeps its traceback.
    run_cli(group)
