"""Where the data is found: FTM_DATA_DIR, ../shared/data, what `ftm data fetch` built, then
the sample committed in the repository, in that order."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ftm_shared import data

pytestmark = pytest.mark.unit


def _data_folder(path: Path) -> Path:
    (path / "earnings_calls").mkdir(parents=True)
    return path


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working folder with no ../shared/data, no FTM_DATA_DIR and an empty cache."""
    project = tmp_path / "clone" / "project"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.delenv("FTM_DATA_DIR", raising=False)
    monkeypatch.setenv("FTM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_without_any_data_folder_the_bundled_sample_is_used_and_said(
    nowhere: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data._say_sample_once.cache_clear()
    with caplog.at_level(logging.WARNING, logger="ftm_shared.data"):
        location = data.data_location()
        data.data_location()
    assert location.is_sample
    assert location.path == data.bundled_sample()
    assert location.path.parts[-2:] == ("shared", "sample-data")
    assert (location.path / "medical" / "glaucoma_med_segments.parquet").is_file()
    said = [r.getMessage() for r in caplog.records if "bundled sample" in r.getMessage()]
    assert len(said) == 1 and "ftm data fetch" in said[0]


def test_fetched_sets_win_over_the_sample(nowhere: Path) -> None:
    fetched = _data_folder(nowhere / "cache" / "data")
    assert data.data_location() == data.DataLocation(fetched, "ftm data fetch")


def test_shared_data_beside_the_project_wins_over_fetched_sets(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_folder(nowhere / "cache" / "data")
    shared = _data_folder(nowhere / "clone" / "shared" / "data")
    inside = nowhere / "clone" / "project" / "services"
    inside.mkdir()
    monkeypatch.chdir(inside)  # from any folder inside the project
    assert data.data_location() == data.DataLocation(shared.resolve(), "../shared/data")


def test_ftm_data_dir_wins_and_must_be_a_folder(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data_folder(nowhere / "clone" / "shared" / "data")
    chosen = _data_folder(nowhere / "mine")
    monkeypatch.setenv("FTM_DATA_DIR", str(chosen))
    assert data.data_dir() == chosen
    monkeypatch.setenv("FTM_DATA_DIR", str(nowhere / "absent"))
    with pytest.raises(data.DataNotFoundError, match=r"FTM_DATA_DIR=.*absent is not a folder"):
        data.data_dir()


def test_a_missing_file_names_the_path_and_how_to_get_the_full_sets(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_DATA_DIR", str(_data_folder(nowhere / "mine")))
    with pytest.raises(data.DataNotFoundError) as missing:
        data.data_file("medical", "bc5cdr.parquet")
    message = str(missing.value)
    assert "mine/medical/bc5cdr.parquet is missing (data from FTM_DATA_DIR)" in message
    assert "ftm data fetch" in message
