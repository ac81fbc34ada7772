"""A benchmark's own local cloud (moto + the LLM server) in a temporary state folder, never a
developer's: `llm_up` would reuse a LLM_BASE_URL found in the environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ftm_local import cloud
from ftm_shared.config import ENV_FILE_NAME, read_env_file

FOREIGN = ("LLM_BASE_URL", "LLM_MODEL", "LLM_RESPONSE_FORMAT", "FTM_ENV_FILE", "FTM_USE_SSM")


@contextmanager
def own_local_cloud(prefix: str) -> Iterator[Path]:
    """Up for the block, down and removed after it; yields a `results` folder inside it (not
    the state folder itself: `cloud.down` reads every JSON file there as a server record)."""
    state = Path(tempfile.mkdtemp(prefix=prefix))
    for key in FOREIGN:
        os.environ.pop(key, None)
    os.environ["FTM_STATE_DIR"] = str(state)
    try:
        cloud.up(directory=state)
        os.environ.update(read_env_file(state / ENV_FILE_NAME))
        work = state / "results"
        work.mkdir()
        yield work
    finally:
        cloud.down(state)
        shutil.rmtree(state, ignore_errors=True)
