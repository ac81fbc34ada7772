"""A checkout of one commit of a public repository, with only the paths we read: a shallow,
blob-less fetch of that commit plus a sparse checkout, so large media in the same repository
(Earnings-21's audio, MAEC's feature files) are never downloaded."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_ops.datasets.source import DatasetError, Source
from ftm_shared.config import read_settings


class GitSettings(BaseSettings):
    """Where `ftm data fetch` clones the data sets' sources from, from the environment."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_ignore_empty=True)

    ftm_data_git_url: str = Field(
        "https://github.com",
        description="Where the sources' repositories are: <url>/<owner>/<name>(.git)",
    )


def repository_url(source: Source) -> str:
    return f"{read_settings(GitSettings).ftm_data_git_url.rstrip('/')}/{source.repository}"


def _git(*args: str, cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=3600
        )
    except FileNotFoundError:
        raise DatasetError(
            "git is not installed: `ftm data fetch` clones the sources with git"
        ) from None
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


def checkout(source: Source, url: str, into: Path) -> Path:
    """Check out `source.commit` of `url` into the empty folder `into`; return `into`."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        _git("init", "--quiet", cwd=into)
        _git("remote", "add", "origin", url, cwd=into)
        _git("config", "core.sparseCheckout", "true", cwd=into)
        sparse = into / ".git" / "info" / "sparse-checkout"
        sparse.parent.mkdir(parents=True, exist_ok=True)
        sparse.write_text("\n".join(source.paths) + "\n", encoding="utf-8")
        _git(
            "fetch", "--quiet", "--depth=1", "--filter=blob:none", "origin", source.commit, cwd=into
        )
        _git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=into)
    except subprocess.CalledProcessError as failed:
        said = (failed.stderr or failed.stdout or "").strip().splitlines()
        # git's first "fatal:" line says what went wrong; the lines after it give advice.
        fatal = [line for line in said if line.startswith(("fatal:", "error:"))]
        reason = (fatal or said or ["no output"])[0].rstrip(".")
        raise DatasetError(
            f"could not download {source.name} ({source.title}) from {url} at commit "
            f"{source.commit}: git {failed.cmd[0]} failed: {reason}. "
            "Check that this machine reaches the repository (network, proxy: https_proxy), or "
            f"clone it yourself, check out {source.commit} and run "
            f"`ftm data fetch --dataset {source.name} --checkout <that folder>`."
        ) from None
    return into
