"""The `ftm` entry point itself: how it ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# A command that blocks until stopped and records whether its cleanup ran, run through the
# real entry point (as `ftm smoke` runs: servers stopped in a `finally`).
BLOCKING_COMMAND = textwrap.dedent(
    """
    import sys, time
    from ftm_ops import cli

    marker = sys.argv[1]

    @cli.main.command("block")
    def block() -> None:
        try:
            print("started", flush=True)
            time.sleep(120)
        finally:
            open(marker, "w").write("stopped")

    sys.argv = ["ftm", "block"]
    cli.entrypoint()
    """
)


@pytest.mark.unit
def test_sigterm_runs_the_commands_cleanup_like_ctrl_c(tmp_path: Path) -> None:
    cleaned = tmp_path / "cleaned"
    process = subprocess.Popen(
        [sys.executable, "-c", BLOCKING_COMMAND, str(cleaned)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "started"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert cleaned.read_text() == "stopped"
    assert process.returncode == 130
    assert "Aborted." in err
