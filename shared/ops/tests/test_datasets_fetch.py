"""`ftm data fetch` against local git repositories (file://): the pinned commit, only the paths
read, the counts checked before writing, and clear errors naming the source."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ftm_ops.cli import main
from ftm_ops.datasets import git, ncbi
from ftm_ops.datasets.fetch import fetch
from ftm_ops.datasets.registry import DATASETS
from ftm_ops.datasets.source import Dataset, DatasetError

pytestmark = pytest.mark.unit

CORPUS = (
    "1|t|Gene one.\n1|a|Causes Wilson disease.\n"
    "1\t17\t31\tWilson disease\tSpecificDisease\tD006527\n"
)


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git("add", "-A", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message, cwd=repo)
    return _git("rev-parse", "HEAD", cwd=repo)


@pytest.fixture
def ncbi_repo(tmp_path: Path) -> tuple[Path, str]:
    """`<tmp>/repos/spyysalo/ncbi-disease`: the pinned commit, then a later one that changes it."""
    repo = tmp_path / "repos" / "spyysalo" / "ncbi-disease"
    repo.mkdir(parents=True)
    _git("init", "-q", cwd=repo)
    files = {name: CORPUS if split == "train" else "" for split, name in ncbi.SPLIT_FILES.items()}
    files |= {"original-data/LICENSE": "PUBLIC DOMAIN NOTICE\n", "big/media.bin": "x" * 1000}
    pinned = _commit(repo, files, "release")
    _commit(repo, {ncbi.SPLIT_FILES["train"]: "", "README.md": "later"}, "later")
    return repo, pinned


def _pinned(commit: str, **expected: int) -> Dataset:
    source = dataclasses.replace(ncbi.SOURCE, commit=commit, expected=expected)
    return dataclasses.replace(ncbi.DATASET, source=source)


def test_checkout_takes_the_pinned_commit_and_only_the_listed_paths(
    ncbi_repo: tuple[Path, str], tmp_path: Path
) -> None:
    repo, pinned = ncbi_repo
    # Patterns as the real sources use them (MAEC: `/MAEC_Dataset/2017*/text.txt`).
    paths = ("/original-data/LICENSE", "/original-data/tr*/*_corpus.txt")
    source = dataclasses.replace(_pinned(pinned).source, paths=paths)
    into = git.checkout(source, f"file://{repo}", tmp_path / "checkout")
    assert (into / ncbi.SPLIT_FILES["train"]).read_text(encoding="utf-8") == CORPUS
    assert (into / "original-data" / "LICENSE").is_file()
    assert not (into / ncbi.SPLIT_FILES["test"]).exists()
    assert not (into / "big").exists() and not (into / "README.md").exists()


def test_fetch_writes_the_normalised_file_when_the_counts_match(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    done = fetch(_pinned(pinned, rows=1, mentions=1), tmp_path / "data")
    assert done.files == [tmp_path / "data" / ncbi.OUTPUT]
    [row] = pq.read_table(done.files[0]).to_pylist()
    assert row["text"] == "Gene one. Causes Wilson disease."
    assert row["entities"][0]["text"] == row["text"][17:31] == "Wilson disease"


def test_counts_that_differ_from_the_release_write_nothing(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    with pytest.raises(DatasetError, match=r"ncbi: .*rows 1 \(expected 792\).*Nothing was written"):
        fetch(_pinned(pinned, rows=792, mentions=1), tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_a_failed_download_names_the_source_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{tmp_path / 'nothing-here'}")
    with pytest.raises(DatasetError) as failed:
        fetch(ncbi.DATASET, tmp_path / "data")
    message = str(failed.value)
    assert "could not download ncbi (NCBI disease corpus)" in message
    assert f"file://{tmp_path / 'nothing-here'}/spyysalo/ncbi-disease" in message
    assert ncbi.SOURCE.commit in message
    assert "ftm data fetch --dataset ncbi --checkout" in message


def test_ftm_data_fetch_writes_the_files_and_their_licences(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    monkeypatch.setitem(DATASETS, "ncbi", _pinned(pinned, rows=1, mentions=1))
    target = tmp_path / "data"

    result = CliRunner().invoke(main, ["data", "fetch", "--dataset", "ncbi", "--to", str(target)])

    assert result.exit_code == 0, result.output
    assert "1 rows, 1 mentions (as expected)" in result.output
    assert pq.read_table(target / ncbi.OUTPUT).num_rows == 1
    notice = (target / "medical" / "NOTICE.md").read_text(encoding="utf-8")
    assert "`ncbi_disease.parquet`" in notice and "Public domain" in notice
    assert (
        (target / "medical" / "LICENSE.ncbi.txt")
        .read_text(encoding="utf-8")
        .startswith("PUBLIC DOMAIN NOTICE")
    )


def test_ftm_data_fetch_failure_is_one_error_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{tmp_path / 'nothing-here'}")
    result = CliRunner().invoke(main, ["data", "fetch", "--dataset", "ncbi", "--to", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: could not download ncbi" in result.output


def test_ftm_data_fetch_reads_a_local_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    for split, name in ncbi.SPLIT_FILES.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(CORPUS if split == "test" else "", encoding="utf-8")
    monkeypatch.setitem(DATASETS, "ncbi", _pinned(ncbi.SOURCE.commit, rows=1, mentions=1))
    args = [
        "data",
        "fetch",
        "--dataset",
        "ncbi",
        "--checkout",
        str(checkout),
        "--to",
        str(tmp_path / "d"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "d" / ncbi.OUTPUT)["split"].to_pylist() == ["test"]
    both = CliRunner().invoke(main, ["data", "fetch", "--checkout", str(checkout)])
    assert both.exit_code == 2 and "exactly one --dataset" in both.output
