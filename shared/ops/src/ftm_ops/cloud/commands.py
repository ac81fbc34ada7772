"""External commands (docker, terraform) as values: printed always, run unless a dry run."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ftm_ops.cloud.errors import CloudError


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    cwd: Path | None = None
    # Secrets go through stdin so they never show in `ps`, logs or the printed command.
    stdin: str | None = field(default=None, repr=False)
    env: Mapping[str, str] = field(default_factory=dict)

    def display(self) -> str:
        where = f"(cd {self.cwd}) " if self.cwd else ""
        return where + shlex.join(self.argv) + (" <<< ****" if self.stdin is not None else "")


@dataclass
class Runner:
    """Prints every command; runs it unless `dry_run` (read-only ones may run anyway)."""

    echo: Callable[[str], None]
    dry_run: bool = False

    def run(self, command: Command, *, read_only: bool = False, capture: bool = False) -> str:
        will_run = read_only or not self.dry_run
        self.echo(("$ " if will_run else "[dry run] $ ") + command.display())
        if not will_run:
            return ""
        try:
            done = subprocess.run(
                command.argv,
                cwd=command.cwd,
                input=command.stdin,
                env={**os.environ, **command.env},
                text=True,
                capture_output=capture,
                check=False,
            )
        except FileNotFoundError:
            raise CloudError(
                f"{command.argv[0]} is not installed (needed for: {command.display()})"
            ) from None
        if done.returncode != 0:
            detail = (done.stderr or "").strip().splitlines()[-3:] if capture else []
            raise CloudError(
                f"`{command.display()}` failed with exit code {done.returncode}"
                + (": " + " / ".join(detail) if detail else "")
            )
        return done.stdout or ""
