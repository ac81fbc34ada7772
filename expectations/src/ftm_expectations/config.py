"""Where the Great Expectations project lives, and keeping Great Expectations quiet."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_shared.config import read_settings

DEFAULT_GX_DIR = Path(".ftm/gx")


class GxSettings(BaseSettings):
    """Where the Great Expectations project is written, from the environment."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    ftm_gx_dir: Path = Field(
        DEFAULT_GX_DIR, description="Suites, validation results and data docs (FTM_GX_DIR)"
    )


def gx_dir() -> Path:
    """The file context root (FTM_GX_DIR): suites, run results and data docs are written here.

    The default sits under `.ftm/`, which git ignores: the suites are rewritten from code on
    every run, so nothing in this folder is a source of truth worth committing.
    """
    return read_settings(GxSettings).ftm_gx_dir


def quiet_great_expectations() -> None:
    """Import great_expectations with no analytics calls and no noise on the terminal; call it
    before any other great_expectations import."""
    # Read at import time; the default would try to send usage events on every run.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GE warns about its own future API changes on every import; they are not ours to act on.
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?")
    from great_expectations.data_context import data_context_variables

    # This one module logs under its file path, outside the "great_expectations" logger.
    logging.getLogger(data_context_variables.__file__).setLevel(logging.ERROR)
