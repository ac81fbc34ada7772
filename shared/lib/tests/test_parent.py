"""A stage started with FTM_PARENT_PID ends when that process dies, even by kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ftm_shared.parent import PARENT_PID_ENV

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"),
]

# A parent that starts a "stage" naming it in FTM_PARENT_PID, prints the stage's pid, waits.
PARENT = textwrap.dedent(
    f"""
    import os, subprocess, sys, time
    stage = subprocess.Popen(
        [sys.executable, "-c", sys.argv[1]],
        start_new_session=True,
        env={{**os.environ, "{PARENT_PID_ENV}": str(os.getpid())}},
    )
    print(stage.pid, flush=True)
    time.sleep(120)
    """
)
STAGE = textwrap.dedent(
    """
    import os, time
    from ftm_shared.parent import die_with_parent
    die_with_parent()
    assert "FTM_PARENT_PID" not in os.environ  # not passed on to what the stage starts
    time.sleep(120)
    """
)


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_stage_ends_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, STAGE], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    stage = int(parent.stdout.readline())
    time.sleep(2)  # the stage has set itself up
    assert not _gone(stage, within_s=0.5)

    parent.send_signal(signal.SIGKILL)
    parent.wait()

    assert _gone(stage, within_s=10)


def test_without_the_variable_nothing_changes() -> None:
    env = {k: v for k, v in os.environ.items() if k != PARENT_PID_ENV}
    done = subprocess.run(
        [sys.executable, "-c", "from ftm_shared.parent import die_with_parent; die_with_parent()"],
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
