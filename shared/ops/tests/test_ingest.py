from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ftm_local.testing import RAW_SOURCE, raw_quarter
from ftm_ops.ingest import IngestError, ingest
from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def maec(data_dir: Path) -> Path:
    return data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet"


@pytest.fixture(scope="module")
def earnings21(data_dir: Path) -> Path:
    return data_dir / "earnings_calls" / "earnings21_turns.parquet"


def test_maec_quarter_lands_in_the_contract(maec: Path, store: ObjectStore) -> None:
    result = ingest(maec, "2017Q1", store, firms=3)
    table = store.read_parquet(result.key)
    assert result.key == layout.raw_transcripts_key("2017Q1", maec.stem)
    assert table.schema.equals(schemas.RAW_TRANSCRIPTS, check_metadata=False)
    frame = table.to_pandas()
    assert frame["firm_id"].nunique() == result.n_firms == 3
    assert set(frame["quarter"]) == {"2017Q1"}
    assert frame["earnings_call_date"].notna().all()
    source = pd.read_parquet(maec)
    expected = source[(source.quarter == "2017Q1") & source.firm_id.isin(frame.firm_id.unique())]
    assert len(frame) == len(expected)


def test_the_members_test_quarter_is_what_ingest_writes(maec: Path, store: ObjectStore) -> None:
    # The other members test on ftm_local's committed copy instead of running ingest; when this
    # fails, ingest's output changed: write `store.read_parquet(result.key)` over the copy.
    result = ingest(maec, "2017Q1", store, firms=12)
    assert result.key == layout.raw_transcripts_key("2017Q1", RAW_SOURCE)
    assert store.read_parquet(result.key).equals(raw_quarter())


def test_earnings21_names_go_to_the_firm_metadata(
    earnings21: Path, store: ObjectStore, tmp_path: Path
) -> None:
    ids = tmp_path / "ids.csv"
    ids.write_text("firm_id,permno,gvkey\nmonro_inc,12345,001234\n")
    result = ingest(earnings21, "2020Q3", store, metadata_file=ids)
    # Earnings-21 gives some calls a fiscal quarter without its year ("Q2"): said, not dropped.
    assert result.unplaced and {value for _, value in result.unplaced} <= {"Q2", "Q3"}
    frame = store.read_parquet(layout.raw_transcripts_key("2020Q3", earnings21.stem)).to_pandas()
    assert frame["firm_name"].notna().all()
    monro = frame[frame.firm_id == "monro_inc"].iloc[0]
    assert (monro.firm_name, monro.permno, monro.gvkey) == ("Monro Inc", 12345, "001234")
    metadata = store.read_parquet(layout.firm_metadata_key()).to_pandas().set_index("firm_id")
    assert metadata.loc["monro_inc", "sector"] == "Consumer Goods"


def test_unknown_quarter_lists_the_quarters_present(maec: Path, store: ObjectStore) -> None:
    with pytest.raises(
        IngestError, match=r"maec.*'quarter' has no rows for 2019Q1.*2017Q1, 2017Q2"
    ):
        ingest(maec, "2019Q1", store)


def test_malformed_quarter_is_refused(maec: Path, store: ObjectStore) -> None:
    with pytest.raises(IngestError, match="--quarter: quarter must look like 2017Q1"):
        ingest(maec, "2017-1", store)


def _broken_copy(maec: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    frame = pd.read_parquet(maec)
    frame = frame[frame.quarter == "2017Q1"].head(200).reset_index(drop=True)
    path = tmp_path / "broken.parquet"
    change(frame).to_parquet(path)
    return path


def test_missing_column_names_file_and_column(
    maec: Path, store: ObjectStore, tmp_path: Path
) -> None:
    path = _broken_copy(maec, tmp_path, lambda f: f.drop(columns=["text"]))
    with pytest.raises(IngestError, match=r"broken.parquet: missing column\(s\) text"):
        ingest(path, "2017Q1", store)


def test_empty_text_names_column_and_rows(maec: Path, store: ObjectStore, tmp_path: Path) -> None:
    def blank(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[[7, 9], "text"] = "  "
        return frame

    path = _broken_copy(maec, tmp_path, blank)
    with pytest.raises(
        IngestError, match=r"broken.parquet: column 'text' is empty in row\(s\) 7, 9"
    ):
        ingest(path, "2017Q1", store)
    assert store.list_keys("raw/") == []


def test_unsafe_firm_id_is_refused(maec: Path, store: ObjectStore, tmp_path: Path) -> None:
    def slash(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "firm_id"] = "../etc"
        return frame

    path = _broken_copy(maec, tmp_path, slash)
    with pytest.raises(IngestError, match=r"column 'firm_id': firm_id '../etc' cannot be used"):
        ingest(path, "2017Q1", store)


def test_not_parquet_names_the_file(store: ObjectStore, tmp_path: Path) -> None:
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"\xff\xfe not parquet")
    with pytest.raises(IngestError, match=r"garbage\.parquet: not a readable Parquet file"):
        ingest(path, "2017Q1", store)


def _ftm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftm_ops", *args], capture_output=True, text=True, timeout=120
    )


def test_command_keeps_what_it_ingested_before_a_bad_source(
    store: ObjectStore, tmp_path: Path
) -> None:
    examples = Path(__file__).parent / "fixtures" / "ingest"
    bad = tmp_path / "bad.csv"
    bad.write_text("call_id,firm_id,call_date,para_idx,text\nc1,F,2017-01-05,x,a\n")
    done = _ftm("ingest", "--quarter", "2017Q1", str(examples / "calls"), str(bad))
    assert done.returncode == 2, done.stderr
    assert "calls: 5 rows, 2 calls, 2 firms" in done.stdout
    assert done.stderr.strip().startswith(f"error: {bad}: column 'para_idx'")
    assert store.list_keys("raw/") == [layout.raw_transcripts_key("2017Q1", "calls")]

    mapped = ["--column", "call_id=event", "--column", "firm_id=ticker", "--column"]
    mapped += ["call_date=date", "--column", "para_idx=paragraph", "--column", "text=body"]
    again = _ftm("ingest", "--quarter", "2017Q1", *mapped, str(examples / "renamed.csv"))
    assert again.returncode == 2
    assert "renamed.csv: column 'call_id': call(s) 20170215_ACME, 20170301_BOLT" in again.stderr
    assert "quarter=2017Q1/calls.parquet" in again.stderr
    assert "Traceback" not in again.stderr
