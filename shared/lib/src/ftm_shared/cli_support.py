"""What every ftm command line shares: settings errors as one clear message, a `check` command."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

import click

from ftm_shared.aws import DependencyNotReadyError, wait_for_bucket
from ftm_shared.config import FtmSettings, SettingsError, load_settings
from ftm_shared.data import DataNotFoundError
from ftm_shared.errors import InputError
from ftm_shared.logs import configure_logging
from ftm_shared.parent import die_with_parent
from ftm_shared.storage import CorruptObjectError, ObjectNotFoundError, StorageUnavailableError

# Errors that are the user's to fix: print the message, not a traceback. Nothing broader: a
# ValueError from numpy or pyarrow is a bug and keeps its traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    InputError,
    SettingsError,
    DependencyNotReadyError,
    DataNotFoundError,
    ObjectNotFoundError,
    CorruptObjectError,
    StorageUnavailableError,
)


def stop_on_sigterm(_signum: int, _frame: FrameType | None) -> NoReturn:
    """SIGTERM (`kill`, a stage whose parent died, a Batch job stopped, a CI job cancelled)
    stops a command as Ctrl-C does: its cleanup runs (servers stopped, a downloaded adapter
    removed, Ray shut down), and it exits 130."""
    raise KeyboardInterrupt


def run_cli(group: click.Group, user_errors: tuple[type[Exception], ...] = ()) -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    die_with_parent()
    try:
        # Without standalone mode click returns (not raises) a `click.exceptions.Exit` code.
        exit_code = group.main(standalone_mode=False)
        if isinstance(exit_code, int) and exit_code:
            sys.exit(exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except (*USER_ERRORS, *user_errors) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def check_command(settings_cls: type[FtmSettings]) -> click.Command:
    """`<service> check`: load the settings, wait for the bucket, print what was resolved."""

    @click.command("check")
    @click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for S3.")
    def check(timeout: float) -> None:
        """Validate settings and wait until the bucket answers (a readiness probe)."""
        settings = load_settings(settings_cls)
        configure_logging(settings.ftm_log_format)
        for name, value in sorted(settings.model_dump().items()):
            click.echo(f"{name.upper():28} {value}")
        wait_for_bucket(settings, timeout_s=timeout)
        click.echo(f"ok: {settings.storage_url} answers")

    return check


def service_group(
    name: str, help_text: str, settings_cls: type[FtmSettings]
) -> Callable[[Callable[..., Any]], click.Group]:
    """Decorator for a service's click group; adds the shared `check` command."""

    def decorate(function: Callable[..., Any]) -> click.Group:
        group = click.group(name=name, help=help_text)(function)
        group.add_command(check_command(settings_cls))
        return group

    return decorate
