"""`nox -s cloud_smoke` stopped by a signal, as an operator stops it: the whole chain (uv, nox,
`ftm cloud smoke`) gets Ctrl-C (SIGINT), a closed terminal (SIGHUP) or a stop from CI or
`kill` (SIGTERM), and the fleet still ends at zero.

This is the real chain, through nox exactly as the README runs it, against the moto server;
the first run creates the session's virtualenv (reused afterwards).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ftm_ops.cloud import images

if TYPE_CHECKING:
    from conftest import FakeAws

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def nox_command() -> tuple[str, ...]:
    if not (REPO / "noxfile.py").is_file():
        pytest.skip(f"no noxfile.py at {REPO}: the package is installed outside the repository")
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: nox runs through `uv tool run` (make installs uv)")
    # The nox that make and CI run (pins.env).
    nox = f"nox[uv]=={images.read_pins(REPO)['NOX_VERSION']}"
    return (uv, "tool", "run", "--from", nox, "nox")


def alive(chain: subprocess.Popen[bytes]) -> bool:
    """Is any process of the chain's group still running (uv, nox or the smoke)?"""
    chain.poll()  # reaps uv once it has exited, so it no longer counts
    try:
        os.killpg(chain.pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_stopped_nox_cloud_smoke_still_scales_to_zero(
    aws: FakeAws, health_url: str, nox_command: tuple[str, ...], tmp_path: Path, signum: int
) -> None:
    stack = aws.deploy("slow")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {
        "VLLM_HEALTH_URL": health_url,
        "SMOKE_POLL_S": "0.2",
        "PYTHONUNBUFFERED": "1",
        "FTM_STATE_DIR": str(tmp_path / "state"),
    }
    log = tmp_path / "nox.log"
    with log.open("wb") as out:
        chain = subprocess.Popen(
            [*nox_command, "-s", "cloud_smoke", "--", "--quarter", "2017Q1"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a terminal's job is
        )
    try:
        # The first run installs the session's virtualenv before the smoke starts.
        aws.wait_for_running_execution(stack, timeout_s=600)
        assert aws.desired(stack) == (1, 1)
        os.killpg(chain.pid, signum)
        deadline = time.monotonic() + 180
        while alive(chain) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(chain), (
            "the chain did not exit within 180 s of the signal:\n"
            + (log.read_text(errors="replace")[-3000:])
        )
    finally:
        if alive(chain):
            os.killpg(chain.pid, signal.SIGKILL)
        chain.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert aws.desired(stack) == (0, 0), output[-3000:]
    assert [e["status"] for e in aws.executions(stack)] == ["ABORTED"], output[-3000:]
    assert "vLLM scaled to zero (ASG desired 0, service desired 0)" in output, output[-3000:]
    assert f"stopped by {signal.Signals(signum).name}" in output, output[-3000:]
