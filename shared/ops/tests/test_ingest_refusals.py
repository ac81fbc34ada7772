"""Each bad input gets one error naming the file, the row and the column, and writes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ftm_ops.ingest import IngestError, ingest
from ftm_shared import layout
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).parent / "fixtures" / "ingest"
HEADER = "call_id,firm_id,call_date,para_idx,text\n"


@pytest.fixture
def bucket(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


def _csv(tmp_path: Path, *rows: str, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows))
    return path


def _refused(source: Path, store: ObjectStore, match: str) -> None:
    with pytest.raises(IngestError, match=match):
        ingest(source, "2017Q1", store)
    assert store.list_keys("") == []


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (
            ["c1,F,2017-01-05,0,a", "c1,F,2017-01-05,two,b"],
            r"bad\.csv: column 'para_idx' holds values that are not whole numbers from 0 to "
            r"2147483647 \('two'\) in line\(s\) 3",
        ),
        (
            ["c1,F,2017-01-05,1.5,a"],
            r"bad\.csv: column 'para_idx' holds values that are not whole numbers.* line\(s\) 2",
        ),
        (["c1,F,2017-01-05,,a"], r"bad\.csv: column 'para_idx' is empty in line\(s\) 2"),
        (
            ["c1,F,2017-01-05,0,a", "c1,F,2017-01-05,1,b", "c1,F,2017-01-05,0,c"],
            r"bad\.csv: column\(s\) 'call_id', 'para_idx' repeat \(call_id c1, para_idx 0\) "
            r"in line\(s\) 2, 4",
        ),
        (
            ["c1,F,2017-01-05,0,a", "c1,G,2017-01-05,1,b"],
            r"bad\.csv: column 'firm_id' differs within call 'c1' in line\(s\) 2, 3",
        ),
        (
            ["c1,F,2017-01-05,0,a", "c1,F,2017-01-06,1,b"],
            r"bad\.csv: column 'call_date' differs within call 'c1' in line\(s\) 2, 3",
        ),
        (
            ["c1,F,05/01/2017,0,a"],
            r"bad\.csv: column 'call_date' holds values that are not YYYY-MM-DD dates "
            r"in line\(s\) 2",
        ),
        (["c1,F,,0,a"], r"bad\.csv: column 'call_date' is empty \(the quarter comes from it\)"),
        (["c1,F,2017-01-05,0,  "], r"bad\.csv: column 'text' is empty in line\(s\) 2"),
        (["c1,,2017-01-05,0,a"], r"bad\.csv: column 'firm_id' is empty in line\(s\) 2"),
        (["c1,../x,2017-01-05,0,a"], r"bad\.csv: column 'firm_id': firm_id '../x' cannot be used"),
        (["c1,F,2017-01-05,0"], r"bad\.csv: line 2 has 4 fields, the header has 5"),
        (['c1,F,2017-01-05,0,"a', "b,c"], r"bad\.csv: line 2: not valid CSV \(unexpected end"),
    ],
)
def test_bad_csv_rows(tmp_path: Path, bucket: ObjectStore, rows: list[str], match: str) -> None:
    _refused(_csv(tmp_path, *rows), bucket, match)


def test_permno_must_be_a_whole_number(tmp_path: Path, bucket: ObjectStore) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("call_id,firm_id,call_date,para_idx,text,permno\nc1,F,2017-01-05,0,a,12x\n")
    _refused(path, bucket, r"bad\.csv: column 'permno' holds values that are not whole numbers")


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (
            '{"call_id": "c1", "firm_id": "F", "quarter": "2017Q1", "para_idx": 0, "text": "b"',
            "not valid JSON",
        ),
        ('["c1", "F"]', "not a JSON object"),
        (
            '{"call_id": "c2", "firm_id": "F", "quarter": "2017Q1", "para_idx": "x", "text": "b"}',
            r"column 'para_idx' holds values that are not whole numbers from 0 to 2147483647 "
            r"\('x'\) in line\(s\) 3",
        ),
        (
            '{"call_id": "c2", "firm_id": "F", "quarter": "2017Q1", "para_idx": true, "text": "b"}',
            r"column 'para_idx' holds values that are not whole numbers .*\(True\) in line\(s\) 3",
        ),
        (
            '{"call_id": "c2", "firm_id": "F", "quarter": "2017Q1", "para_idx": 99999999999, '
            '"text": "b"}',
            r"column 'para_idx' holds values that are not whole numbers from 0 to 2147483647 "
            r"\(99999999999\) in line\(s\) 3",
        ),
        (
            '{"call_id": "c2", "firm_id": "F", "quarter": "2017Q1", "para_idx": 0, "text": ["b"]}',
            r"column 'text' holds values that are not strings in line\(s\) 3",
        ),
    ],
)
def test_bad_json_lines(tmp_path: Path, bucket: ObjectStore, line: str, match: str) -> None:
    good = '{"call_id": "c1", "firm_id": "F", "quarter": "2017Q1", "para_idx": 0, "text": "a"}'
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good}\n\n{line}\n")
    _refused(path, bucket, r"bad\.jsonl: (line 3: )?" + match)


def test_not_utf8_and_unknown_shapes(tmp_path: Path, bucket: ObjectStore) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "c1,F,2017-01-05,0,caf\xe9\n".encode("latin-1"))
    _refused(latin, bucket, r"latin\.csv: not UTF-8 text")
    words = tmp_path / "call.docx"
    words.write_text("hello")
    _refused(words, bucket, r"call\.docx: cannot tell its shape from '\.docx'")


def test_a_mapped_column_the_file_lacks(bucket: ObjectStore) -> None:
    with pytest.raises(IngestError, match=r"calls\.csv: --column text=body: no column 'body'"):
        ingest(EXAMPLES / "calls.csv", "2017Q1", bucket, columns={"text": "body"})


def _folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLES / "calls", tmp_path / "calls"))


def test_folder_without_metadata(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "metadata.csv").unlink()
    _refused(folder, bucket, r"calls: no metadata\.csv")


def test_folder_call_without_its_text(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "20170301_BOLT.txt").unlink()
    _refused(
        folder,
        bucket,
        r"metadata\.csv: column 'call_id' names calls without a text file "
        r"\(20170301_BOLT\.txt\) in line\(s\) 3",
    )


def test_folder_text_without_its_row(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "20170302_NEW.txt").write_text("Hello.\n")
    _refused(folder, bucket, r"20170302_NEW\.txt: no row in .*metadata\.csv \(column 'call_id'")


def test_folder_with_a_folder_for_a_text(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "20170301_BOLT.txt").unlink()
    (folder / "20170301_BOLT.txt").mkdir()
    _refused(folder, bucket, r"names calls without a text file \(20170301_BOLT\.txt\)")


def test_folder_text_that_cannot_be_read_is_named(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "20170301_BOLT.txt").unlink()
    (folder / "20170301_BOLT.txt").symlink_to(tmp_path / "gone.txt")
    _refused(folder, bucket, r"20170301_BOLT\.txt: cannot be read \(No such file or directory\)")


def test_a_paragraph_longer_than_the_csv_modules_default_limit_is_read(
    tmp_path: Path, bucket: ObjectStore
) -> None:
    long = "Revenue grew in every region this quarter. " * 5_000  # 215,000 characters
    path = _csv(tmp_path, f'c1,F,2017-01-05,0,"{long}"', name="long.csv")
    assert ingest(path, "2017Q1", bucket).n_rows == 1


def test_folder_empty_text(tmp_path: Path, bucket: ObjectStore) -> None:
    folder = _folder(tmp_path)
    (folder / "20170301_BOLT.txt").write_text("\n  \nSPEAKER 2:\n")
    _refused(folder, bucket, r"20170301_BOLT\.txt: no text")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("20170215_ACME,ACME,2017-02-16,,,", r"column\(s\) 'call_id' repeats .* line\(s\) 2, 4"),
        ("20170303_CARB,CARB,,,,", r"column 'call_date' is empty in line\(s\) 4"),
    ],
)
def test_folder_bad_metadata(tmp_path: Path, bucket: ObjectStore, row: str, match: str) -> None:
    folder = _folder(tmp_path)
    with (folder / "metadata.csv").open("a") as handle:
        handle.write(row + "\n")
    _refused(folder, bucket, r"metadata\.csv: " + match)


def test_calls_already_in_the_quarter_under_another_name(
    tmp_path: Path, bucket: ObjectStore
) -> None:
    first = ingest(EXAMPLES / "calls.csv", "2017Q1", bucket)
    before = bucket.get_bytes(first.key)
    again = shutil.copy(EXAMPLES / "calls.csv", tmp_path / "again.csv")
    with pytest.raises(
        IngestError,
        match=r"again\.csv: column 'call_id': call\(s\) 20170215_ACME, 20170301_BOLT are already "
        r"in .*quarter=2017Q1/calls\.parquet for 2017Q1, from a source named 'calls'",
    ):
        ingest(Path(again), "2017Q1", bucket)
    assert bucket.list_keys("raw/") == [first.key]
    assert bucket.get_bytes(first.key) == before
    # Other calls under another name are fine, and leave the first source as it was.
    _csv(tmp_path, "c9,NEWCO,2017-02-01,0,Fresh text.", name="more.csv")
    ingest(tmp_path / "more.csv", "2017Q1", bucket)
    assert len(bucket.list_keys("raw/")) == 2
    assert bucket.get_bytes(first.key) == before
    assert layout.raw_transcripts_key("2017Q1", "more") in bucket.list_keys("raw/")


def test_the_command_says_one_line_and_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftm_ops",
            "ingest",
            "--quarter",
            "2017Q1",
            "--column",
            "text",
            str(EXAMPLES / "calls.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --column 'text': write it as NAME=COLUMN, e.g. text=body"
    )


def test_parquet_rows_are_named_from_0(tmp_path: Path, bucket: ObjectStore) -> None:
    path = tmp_path / "bad.parquet"
    pd.DataFrame(
        {
            "call_id": ["c1", "c1", "c1"],
            "firm_id": ["F"] * 3,
            "quarter": ["2017Q1"] * 3,
            "para_idx": [0.0, 1.0, 1.5],
            "text": ["a", "b", "c"],
        }
    ).to_parquet(path)
    _refused(
        path,
        bucket,
        r"bad\.parquet: column 'para_idx' holds values that are not whole numbers from 0 to "
        r"2147483647 \(1\.5\) in row\(s\) 2",
    )
