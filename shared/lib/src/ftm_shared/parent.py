"""A stage process that ends with the process that started it.

`ftm quarter run` and the smoke run start each stage in a process group of its own (so that a
Ctrl-C can stop it with its Ray processes) and name themselves in FTM_PARENT_PID. Killed with
-9, they would leave the stage running under PID 1: a second mapper on the same run once the
user starts again. A stage that finds FTM_PARENT_PID asks Linux to send it SIGTERM when its
parent dies (PR_SET_PDEATHSIG); Ray's own processes share the fate of the stage that started
them. Elsewhere (macOS, a Batch job: no FTM_PARENT_PID) nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_PID_ENV = "FTM_PARENT_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Arrange SIGTERM on the death of the process FTM_PARENT_PID names (Linux only)."""
    # Popped: a process the stage starts in turn has another parent.
    parent = os.environ.pop(PARENT_PID_ENV, None)
    if not parent or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not allowed here (a seccomp sandbox): the stage runs as before
    # The parent may have died before the request took effect: then it never will.
    if os.getppid() != int(parent):
        os.kill(os.getpid(), signal.SIGTERM)
