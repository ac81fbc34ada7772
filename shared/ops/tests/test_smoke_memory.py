from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from ftm_ops.smoke.memory import PeakMemory, gib, tree_rss_bytes

pytestmark = pytest.mark.unit


def test_peak_memory_counts_child_processes_per_stage() -> None:
    own = tree_rss_bytes(psutil.Process())
    hog = "x = bytearray(300 * 2**20); import time; print('ready', flush=True); time.sleep(5)"
    with PeakMemory() as memory:
        memory.stage = "hog"
        child = subprocess.Popen([sys.executable, "-c", hog], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()
        memory.sample_now()
        child.kill()
        child.wait()

    assert memory.peak_by_stage["hog"] >= own + 250 * 2**20
    assert memory.peak == max(memory.peak_by_stage.values())
    assert gib(3 * 2**29) == "1.50 GiB"
