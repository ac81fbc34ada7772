"""`ftm panel`: two hand-built quarters and a hand-built registry in the moto bucket, written
as Parquet, CSV and Stata on stable theme ids; zeros filled on request; the `.dta` read back."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

from ftm_ops.cli import main
from ftm_ops.export import ExportError, collect
from ftm_ops.panel import COLUMNS, build
from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

DATA_DICTIONARY = Path(__file__).parents[3] / "docs" / "research-outputs.md"
# (quarter, its theme) -> stable theme: t1 and u1 are one subject, the rest appear once.
STABLE = {
    ("2017Q1", "t1"): "stable_0001",
    ("2017Q1", "t2"): "stable_0002",
    ("2017Q2", "u1"): "stable_0001",
    ("2017Q2", "u2"): "stable_0003",
}


def put_registry(store: ObjectStore, runs_of: dict[str, str]) -> None:
    assignments = [
        {"quarter": q, "run_id": runs_of[q], "theme_id": t, "stable_theme_id": s,
         "decision": "seeded" if q == "2017Q1" else "continued"}
        for (q, t), s in STABLE.items()
    ]  # fmt: skip
    stable = [
        {"stable_theme_id": s, "name": f"Subject {s[-1]}", "description": "", "keywords": [],
         "created_quarter": "2017Q1", "created_run_id": runs_of["2017Q1"],
         "created_from_theme_id": "t1", "quarters": [], "n_quarters": 0, "anchor": [0.0]}
        for s in sorted(set(STABLE.values()))
    ]  # fmt: skip
    store.write_parquet(
        layout.THEME_ASSIGNMENTS_KEY,
        pa.Table.from_pylist(assignments, schema=schemas.THEME_ASSIGNMENTS),
    )
    store.write_parquet(
        layout.STABLE_THEMES_KEY, pa.Table.from_pylist(stable, schema=schemas.STABLE_THEMES)
    )


@pytest.fixture
def two_quarters(store: ObjectStore, reduced_quarter: Callable[..., str]) -> ObjectStore:
    first = reduced_quarter(
        store,
        "2017Q1",
        ["F1", "F2", "F3"],
        {"t1": ["F1", "F2"], "t2": ["F3"]},
        exposure={("F1", "t1"): 0.4, ("F2", "t1"): 0.1, ("F3", "t2"): 0.2},
    )
    second = reduced_quarter(
        store,
        "2017Q2",
        ["F1", "F2", "F4"],
        {"u1": ["F1"], "u2": ["F2", "F4"]},
        exposure={("F1", "u1"): 0.3, ("F2", "u2"): 0.2, ("F4", "u2"): 0.6},
    )
    put_registry(store, {"2017Q1": first, "2017Q2": second})
    return store


def cells(panel: pl.DataFrame) -> dict[tuple[str, str, str], float]:
    rows = panel.select("quarter", "firm_id", "stable_theme_id", "exposure").iter_rows()
    return {(q, f, s): e for q, f, s, e in rows}


def test_one_subject_keeps_one_id_across_quarters(two_quarters: ObjectStore) -> None:
    panel = build(two_quarters, ["2017Q1", "2017Q2"]).table
    assert panel.columns == list(COLUMNS)
    assert cells(panel) == {
        ("2017Q1", "F1", "stable_0001"): 0.4,
        ("2017Q1", "F2", "stable_0001"): 0.1,
        ("2017Q1", "F3", "stable_0002"): 0.2,
        ("2017Q2", "F1", "stable_0001"): 0.3,
        ("2017Q2", "F2", "stable_0003"): 0.2,
        ("2017Q2", "F4", "stable_0003"): 0.6,
    }
    f1 = panel.filter(pl.col("firm_id") == "F1").sort("quarter")
    assert f1["theme_id"].to_list() == ["t1", "u1"] and f1["run_id"].to_list() == [
        "run-2017Q1",
        "run-2017Q2",
    ]
    assert f1["permno"].to_list() == [10001, 10001] and f1["firm_name"][0] == "F1 Inc."
    assert set(panel["stable_theme_name"]) == {"Subject 1", "Subject 2", "Subject 3"}
    assert not panel["filled"].any() and panel["theme_in_quarter"].all()


def test_zeros_fill_every_firm_that_held_a_call(two_quarters: ObjectStore) -> None:
    panel = build(two_quarters, ["2017Q1", "2017Q2"], fill_zeros=True).table
    assert panel.height == 2 * 3 * 3, "3 firms a quarter x 3 stable themes"
    filled = panel.filter(pl.col("filled"))
    assert filled.height == 18 - 6 and set(filled["exposure"]) == {0.0}
    assert filled["sentiment"].null_count() == filled.height, "no sentences, no sentiment"
    f4 = panel.filter((pl.col("firm_id") == "F4") & (pl.col("stable_theme_id") == "stable_0001"))
    assert f4["call_id"].to_list() == ["F4-2017Q2"], "the firm's call, from its other rows"
    # stable_0002 was not found in 2017Q2 at all: its zeros there are flagged.
    absent = panel.filter(
        (pl.col("quarter") == "2017Q2") & (pl.col("stable_theme_id") == "stable_0002")
    )
    assert absent.height == 3 and not absent["theme_in_quarter"].any()


def test_a_quarter_registered_under_another_run_is_refused(
    two_quarters: ObjectStore, reduced_quarter: Callable[..., str]
) -> None:
    # 2017Q2 reduced again under a new run, not yet registered.
    reduced_quarter(two_quarters, "2017Q2", ["F1"], {"u1": ["F1"]}, exposure={("F1", "u1"): 1.0})
    from ftm_shared import runs

    runs.set_current(two_quarters, "2017Q2", "run-2017Q2-b")
    with pytest.raises(ExportError, match=r"reduce-worker register --quarter 2017Q2"):
        build(two_quarters, ["2017Q1", "2017Q2"])


def test_the_command_writes_parquet_csv_and_a_labelled_stata_file(
    two_quarters: ObjectStore, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["panel", "--quarters", "2017Q1..2017Q2", "--to", str(tmp_path), "--fill-zeros"]
    )
    assert result.exit_code == 0, result.output
    assert "18 row(s): 4 firm(s), 3 stable theme(s), 2 quarter(s)" in result.output
    parquet = pl.read_parquet(tmp_path / "panel.parquet")
    assert pl.read_csv(tmp_path / "panel.csv").height == parquet.height == 18
    with pd.io.stata.StataReader(tmp_path / "panel.dta") as reader:
        stata = reader.read()
        labels = reader.variable_labels()
    assert list(stata.columns) == list(COLUMNS) and labels == COLUMNS
    row = stata[(stata.firm_id == "F4") & (stata.stable_theme_id == "stable_0003")].iloc[0]
    assert row.exposure == pytest.approx(0.6) and row.filled == 0 and row.theme_in_quarter == 1
    assert row.earnings_call_date == pd.Timestamp("2017-05-01")
    assert stata.loc[stata.filled == 1, "sentiment"].isna().all()


def test_every_panel_column_is_in_the_docs_data_dictionary() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DATA_DICTIONARY.read_text(), re.M))
    assert set(COLUMNS) <= documented, set(COLUMNS) - documented


def test_the_exported_themes_carry_their_stable_ids(two_quarters: ObjectStore) -> None:
    themes = collect(two_quarters, ["2017Q1", "2017Q2"]).tables["themes"]
    found = {
        (q, t): s for q, t, s in themes.select("quarter", "theme_id", "stable_theme_id").iter_rows()
    }
    assert found == STABLE
