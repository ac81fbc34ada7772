"""Every source shape `ftm ingest` reads, from the tiny examples under fixtures/ingest/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ftm_ops.ingest import IngestError, ingest, parse_mapping
from ftm_ops.ingest.turns import Paragraph, split_paragraphs
from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).parent / "fixtures" / "ingest"
RENAMED = ["call_id=event", "firm_id=ticker", "call_date=date", "para_idx=paragraph", "text=body"]


@pytest.fixture
def bucket(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


def _written(store: ObjectStore, key: str) -> pd.DataFrame:
    table = store.read_parquet(key)
    assert table.schema.equals(schemas.RAW_TRANSCRIPTS, check_metadata=False)
    return table.to_pandas()


def _firms(store: ObjectStore) -> pd.DataFrame:
    return store.read_parquet(layout.firm_metadata_key()).to_pandas().set_index("firm_id")


def test_csv_quarter_comes_from_the_call_date_and_ids_keep_their_zeros(
    bucket: ObjectStore,
) -> None:
    result = ingest(EXAMPLES / "calls.csv", "2017Q1", bucket)
    assert result.key == layout.raw_transcripts_key("2017Q1", "calls")
    assert (result.n_rows, result.n_calls, result.n_firms) == (5, 2, 2)
    frame = _written(bucket, result.key)
    assert set(frame["quarter"]) == {"2017Q1"}
    acme = frame[frame.firm_id == "ACME"]
    assert list(acme["para_idx"]) == [0, 1, 2]
    assert acme["text"].iloc[1] == "Widget demand rose in every region.\nMargins held steady."
    assert (acme["permno"].iloc[0], acme["gvkey"].iloc[0]) == (10001, "001001")
    assert frame[frame.firm_id == "BOLT"]["speaker"].isna().all()
    firms = _firms(bucket)
    assert (firms.loc["ACME", "firm_name"], firms.loc["ACME", "gvkey"]) == (
        "Acme Widgets",
        "001001",
    )


def test_json_lines_keep_only_the_quarter_asked_for(bucket: ObjectStore) -> None:
    first = _written(bucket, ingest(EXAMPLES / "calls.jsonl", "2017Q1", bucket).key)
    assert list(first["call_id"]) == ["20170215_ACME", "20170215_ACME", "20170301_BOLT"]
    assert first["speaker"].tolist()[:2] == ["Operator", "Jane Roe"]
    assert first["speaker"].isna().tolist()[2]
    second = _written(bucket, ingest(EXAMPLES / "calls.jsonl", "2017Q2", bucket).key)
    assert list(second["earnings_call_date"].astype(str)) == ["2017-04-12"]


def test_mapped_columns_are_read_under_our_names(bucket: ObjectStore) -> None:
    result = ingest(EXAMPLES / "renamed.csv", "2017Q1", bucket, columns=parse_mapping(RENAMED))
    frame = _written(bucket, result.key)
    assert list(frame["text"]) == [
        "Widget demand rose in every region.",
        "Margins held steady.",
        "Steel costs went up again this quarter.",
    ]
    assert list(frame["firm_id"]) == ["ACME", "ACME", "BOLT"]


def test_unmapped_columns_are_named_as_missing(bucket: ObjectStore) -> None:
    with pytest.raises(
        IngestError, match=r"renamed\.csv: missing column\(s\) call_id, firm_id.*found: event"
    ):
        ingest(EXAMPLES / "renamed.csv", "2017Q1", bucket)


def test_text_folder_splits_paragraphs_and_speaker_turns(bucket: ObjectStore) -> None:
    result = ingest(EXAMPLES / "calls", "2017Q1", bucket)
    assert result.key == layout.raw_transcripts_key("2017Q1", "calls")
    frame = _written(bucket, result.key)
    acme = frame[frame.call_id == "20170215_ACME"]
    assert list(zip(acme["para_idx"], acme["speaker"], acme["text"], strict=True)) == [
        (0, "Operator", "Good morning, and welcome to the Acme Widgets call."),
        (1, "Jane Roe", "Widget demand rose in every region. Margins held steady."),
        (2, "Jane Roe", "Here are the highlights: the new plant opens next year."),
    ]
    bolt = frame[frame.call_id == "20170301_BOLT"]
    assert bolt["speaker"].isna().tolist() == [True, False]
    assert bolt["speaker"].iloc[1] == "SPEAKER 2"
    assert set(frame["earnings_call_date"].astype(str)) == {"2017-02-15", "2017-03-01"}
    assert _firms(bucket).loc["ACME", "permno"] == 10001


def test_the_same_source_name_again_replaces_its_object(bucket: ObjectStore) -> None:
    ingest(EXAMPLES / "calls.csv", "2017Q1", bucket)
    ingest(EXAMPLES / "calls.csv", "2017Q1", bucket, firms=1)
    assert bucket.list_keys("raw/") == [layout.raw_transcripts_key("2017Q1", "calls")]
    assert set(_written(bucket, layout.raw_transcripts_key("2017Q1", "calls")).firm_id) == {"ACME"}


def test_speaker_rule() -> None:
    text = (
        "Before anyone speaks.\n\n"
        "Jane Roe — Chief Financial Officer:\nCosts fell.\n"
        "Unidentified Analyst:\nWhy?\nBecause.\n\n"
        "Results were as follows:\nup.\n\n\n"
        "OPERATOR:\nThank you."
    )
    assert split_paragraphs(text) == [
        Paragraph(None, "Before anyone speaks."),
        Paragraph("Jane Roe", "Costs fell."),
        Paragraph("Unidentified Analyst", "Why? Because."),
        Paragraph("Unidentified Analyst", "Results were as follows: up."),
        Paragraph("OPERATOR", "Thank you."),
    ]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["text"], r"--column 'text': write it as NAME=COLUMN"),
        (["body=text"], r"--column 'body=text': 'body' is not a column ingest reads"),
        (["text=a", "text=b"], r"--column 'text=b': 'text' or 'b' is mapped twice"),
    ],
)
def test_bad_column_options_are_refused(specs: list[str], message: str) -> None:
    with pytest.raises(IngestError, match=message):
        parse_mapping(specs)


GVKEY_HELD_AS = {
    "parquet text": ["001234", "001234", None],
    "parquet integers": [1234, 1234, 77],
    "parquet integers with a null (float)": [1234.0, 1234.0, None],
    "text without its zeros": ["1234", "1234", "77"],
}


@pytest.mark.parametrize("held", list(GVKEY_HELD_AS.values()), ids=list(GVKEY_HELD_AS))
def test_gvkey_is_six_zero_padded_digits_however_the_file_held_it(
    bucket: ObjectStore, tmp_path: Path, held: list[object]
) -> None:
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str).head(3)
    source = tmp_path / "calls.parquet"
    calls.assign(gvkey=pd.Series(held, dtype=object)).to_parquet(source, index=False)
    written = _written(bucket, ingest(source, "2017Q1", bucket).key)
    assert written["gvkey"].tolist() == ["001234"] * 3
    assert _firms(bucket).loc["ACME", "gvkey"] == "001234"


def test_a_firm_metadata_table_with_integer_gvkeys_keeps_the_zeros(
    bucket: ObjectStore, tmp_path: Path
) -> None:
    table = tmp_path / "firms.parquet"
    pd.DataFrame({"firm_id": ["ACME", "BOLT"], "gvkey": [1234, None]}).to_parquet(table)
    ingest(EXAMPLES / "calls.csv", "2017Q1", bucket, metadata_file=table)
    firms = _firms(bucket)
    assert firms.loc["ACME", "gvkey"] == "001234"
    assert pd.isna(firms.loc["BOLT", "gvkey"])


@pytest.mark.parametrize("bad", ["12.5", "ABC123", "1234567", "1234.0"])
def test_a_value_that_is_no_gvkey_is_refused_naming_it(
    bucket: ObjectStore, tmp_path: Path, bad: str
) -> None:
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str).assign(gvkey=bad)
    source = tmp_path / "calls.csv"
    calls.to_csv(source, index=False)
    with pytest.raises(
        IngestError, match=rf"column 'gvkey' holds values that are not gvkeys .*{bad!r}"
    ):
        ingest(source, "2017Q1", bucket)


def test_a_quarter_that_disagrees_with_the_call_date_is_refused(
    bucket: ObjectStore, tmp_path: Path
) -> None:
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str).assign(quarter="2017Q1")
    calls.loc[calls.firm_id == "BOLT", "call_date"] = "2017-05-15"
    source = tmp_path / "calls.csv"
    calls.to_csv(source, index=False)
    with pytest.raises(
        IngestError,
        match=r"column 'quarter' disagrees with 'call_date', the call's calendar quarter "
        r"\('2017Q1' for a call on 2017-05-15; drop the quarter column .*\) in line\(s\) 6, 7",
    ):
        ingest(source, "2017Q1", bucket)


def test_calls_in_no_quarter_are_named_never_dropped_unsaid(
    bucket: ObjectStore, tmp_path: Path
) -> None:
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str).drop(columns="call_date")
    calls["quarter"] = calls["firm_id"].map({"ACME": "2017Q1", "BOLT": "17Q1"})
    source = tmp_path / "calls.csv"
    calls.to_csv(source, index=False)

    result = ingest(source, "2017Q1", bucket)

    assert (result.n_calls, result.unplaced) == (1, (("20170301_BOLT", "17Q1"),))
    assert result.unplaced_line() == (
        "left out: 1 call(s) whose quarter is no quarter like 2017Q1 ('17Q1'): 20170301_BOLT; "
        "give them a year to ingest them"
    )


def _batch(tmp_path: Path, folder: str, firm: str) -> Path:
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str)
    (tmp_path / folder).mkdir()
    path = tmp_path / folder / "calls.csv"
    calls[calls.firm_id == firm].to_csv(path, index=False)
    return path


def test_the_same_file_name_again_says_which_calls_it_replaces(
    bucket: ObjectStore, tmp_path: Path
) -> None:
    first = ingest(_batch(tmp_path, "batch1", "ACME"), "2017Q1", bucket)
    assert first.replaced is None and first.replaced_line() is None

    second = ingest(_batch(tmp_path, "batch2", "BOLT"), "2017Q1", bucket)

    assert second.replaced_line() == (
        "replaces the 1 call(s) ingested before as 'calls': 1 of them are not in this file and "
        "are gone (20170215_ACME); to keep both, ingest each under its own name with --source NAME"
    )


def test_a_source_kept_under_its_own_name_keeps_both(bucket: ObjectStore, tmp_path: Path) -> None:
    ingest(_batch(tmp_path, "batch1", "ACME"), "2017Q1", bucket)
    second = ingest(_batch(tmp_path, "batch2", "BOLT"), "2017Q1", bucket, name="batch2")
    assert second.replaced is None
    assert second.key == layout.raw_transcripts_key("2017Q1", "batch2")
    assert len(bucket.list_keys(layout.raw_transcripts_prefix("2017Q1"))) == 2


def test_a_file_name_that_cannot_be_a_key_names_the_file_and_the_fix(
    bucket: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "my calls.csv"
    source.write_text((EXAMPLES / "calls.csv").read_text())
    with pytest.raises(IngestError, match=r"my calls\.csv: the source name 'my calls' .*--source"):
        ingest(source, "2017Q1", bucket)
    assert ingest(source, "2017Q1", bucket, name="my_calls").n_calls == 2
