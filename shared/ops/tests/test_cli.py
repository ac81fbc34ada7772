"""The `ftm` entry point itself: how it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import run_module

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


COMMANDS_ON_THE_BUCKET = {
    "ingest": ["ingest", "--quarter", "2017Q1", "calls.csv"],
    "summary": ["summary", "--quarter", "2017Q1"],
    "runs": ["runs", "--quarter", "2017Q1"],
    "quarter run": ["quarter", "run", "--quarter", "2017Q1"],
    "export": ["export", "--quarters", "2017Q1", "--to", "{tmp}/export"],
    "validate": ["validate", "--quarter", "2017Q1"],
}


@pytest.mark.integration
@pytest.mark.parametrize("args", COMMANDS_ON_THE_BUCKET.values(), ids=COMMANDS_ON_THE_BUCKET)
def test_a_missing_bucket_is_one_line_naming_the_setting(
    local_cloud: LocalCloud, tmp_path: Path, args: list[str]
) -> None:
    env = {**os.environ, "S3_BUCKET": "ftm-no-such-bucket", "FTM_GX_DIR": str(tmp_path / "gx")}
    done = run_module("ftm_ops", *[a.format(tmp=tmp_path) for a in args], env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: bucket 'ftm-no-such-bucket' at http://127.0.0.1:")
    assert "check S3_BUCKET" in done.stderr
    assert "Traceback" not in done.stderr
