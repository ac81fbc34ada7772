"""`ftm export`: two hand-built quarters in the moto bucket, written as Parquet and CSV with
the documented columns, prevalence counted by hand, a missing panel said."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ftm_ops.cli import main
from ftm_ops.export import COLUMNS, ExportError, collect, over_quarters
from ftm_ops.export_command import parse_quarters
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

# The data dictionary researchers read: the docs page that documents every exported column.
DATA_DICTIONARY = Path(__file__).parents[3] / "docs" / "research-outputs.md"


@pytest.fixture
def two_quarters(store: ObjectStore, reduced_quarter: Callable[..., str]) -> ObjectStore:
    put_quarter = reduced_quarter
    put_quarter(store, "2017Q1", ["F1", "F2", "F3", "F4"], {"t1": ["F1", "F2", "F3"],
                "t2": ["F3", "F4"]}, lineage=[])  # fmt: skip
    put_quarter(
        store,
        "2017Q2",
        ["F1", "F2", "F3", "F4", "F5"],
        {"u1": ["F1", "F2"], "u2": ["F4", "F5"]},
        lineage=[("t1", "u1", 0.8, "continuing"), (None, "u2", None, "new"),
                 ("t2", None, None, "vanished")],
        exposure={("F1", "u1"): 0.3, ("F2", "u1"): 0.2, ("F4", "u2"): 0.5},
    )  # fmt: skip
    return store


def test_prevalence_lineage_and_what_is_missing(two_quarters: ObjectStore) -> None:
    exported = collect(two_quarters, ["2017Q1", "2017Q2"])
    prevalence = {
        row["theme_id"]: (row["n_calls"], row["share_calls"], row["share_firms"],
                          row["mean_exposure"])
        for row in exported.tables["prevalence"].iter_rows(named=True)
    }  # fmt: skip
    assert prevalence == {
        "t1": (3, 0.75, 0.75, None),
        "t2": (2, 0.5, 0.5, None),
        "u1": (2, 0.4, 0.4, pytest.approx(0.1)),
        "u2": (2, 0.4, 0.4, pytest.approx(0.1)),
    }
    assert exported.notes == [
        "2017Q1: no exposure panel in run run-2017Q1 (reduced before reduce wrote it)",
        "2017Q1: no lineage (no run of the quarter before when reduced)",
    ]
    links = over_quarters(exported.tables).select(
        "previous_theme_name", "previous_share_calls", "theme_name", "share_calls", "status"
    )
    assert links.rows() == [
        ("Name of t1", 0.75, "Name of u1", 0.4, "continuing"),
        (None, None, "Name of u2", 0.4, "new"),
        ("Name of t2", 0.5, None, None, "vanished"),
    ]


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_the_command_writes_every_table_with_its_documented_columns(
    two_quarters: ObjectStore, tmp_path: Path, file_format: str
) -> None:
    target = tmp_path / "export"
    result = CliRunner().invoke(
        main,
        ["export", "--quarters", "2017Q2,2017Q1", "--to", str(target), "--format", file_format],
    )
    assert result.exit_code == 0, result.output
    assert "export of 2017Q1, 2017Q2" in result.output
    assert "'Name of t1' 75.0% -> u1 'Name of u1' 40.0%  (continuing, similarity 0.80)" in (
        result.output
    )
    read = pl.read_parquet if file_format == "parquet" else pl.read_csv
    for name, columns in COLUMNS.items():
        table = read(target / f"{name}.{file_format}")
        assert table.columns == columns, name
        assert table.height > 0, name
    themes = read(target / f"themes.{file_format}")
    keywords = themes["keywords"].to_list()[0]
    assert keywords == (["t1", "growth"] if file_format == "parquet" else "t1; growth")
    exposure = read(target / f"exposure.{file_format}")
    assert exposure["permno"].to_list() == [10001, 10002, 10004]


def test_every_exported_column_is_in_the_docs_data_dictionary() -> None:
    text = DATA_DICTIONARY.read_text(encoding="utf-8")
    section = text[text.index("## Exported tables (data dictionary)") :]
    section = section.split("\n## ", 1)[0]  # up to the next section, if any
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    for name, columns in COLUMNS.items():
        assert f"`{name}.parquet`" in section, name
        assert set(columns) <= documented, (name, sorted(set(columns) - documented))


def test_a_quarter_without_a_run_is_named(store: ObjectStore) -> None:
    with pytest.raises(ExportError, match="quarter 2016Q4 has no reduced run"):
        collect(store, ["2016Q4"])
    assert parse_quarters(" 2017Q2, 2017Q1,2017Q2") == ["2017Q1", "2017Q2"]


def test_a_table_no_quarter_has_is_written_empty_with_its_columns(
    store: ObjectStore, reduced_quarter: Callable[..., str]
) -> None:
    reduced_quarter(store, "2017Q1", ["F1", "F2"], {"t1": ["F1", "F2"]})
    exported = collect(store, ["2017Q1"])
    for name in ("exposure", "lineage"):
        assert exported.tables[name].height == 0
        assert exported.tables[name].columns == COLUMNS[name]


@pytest.mark.unit
def test_a_folder_that_cannot_be_written_is_one_line_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "export"
    # No bucket is set: the folder is checked before the settings are read.
    result = CliRunner().invoke(main, ["export", "--quarters", "2017Q1", "--to", str(target)])
    assert result.exit_code == 2
    assert f"Invalid value for --to: cannot write into {target}: Not a directory" in result.output
