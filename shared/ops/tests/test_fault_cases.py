"""Bad input and faults as a careless user meets them, as one table: the command, what it must
exit with, the first line it must say, and that the bucket is unchanged after a refusal. Every
case runs `ftm` as a process against the moto bucket; no case may print a traceback.

Add a case here for every fault found by hand. The slow ones (a killed run, a second mapper,
an LLM restarted mid-run) are in tests/quarter and services/map-worker/tests/test_runner.py.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import run_module
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parent / "fixtures" / "ingest"
CSV_HEADER = "call_id,firm_id,call_date,para_idx,text\n"


@dataclass(frozen=True)
class Case:
    args: list[str]
    """`ftm` arguments; `{tmp}` is the case's folder."""
    exit_code: int
    first_line: str
    """What the first line of stderr (of stdout, for exit 0) starts with, after `{tmp}`."""
    setup: Callable[[Path, ObjectStore], None] = lambda _tmp, _store: None
    says: str = ""
    """Said somewhere in the output, too."""


def _csv(name: str, *rows: str) -> Callable[[Path, ObjectStore], None]:
    def write(tmp: Path, _store: ObjectStore) -> None:
        (tmp / name).write_text(CSV_HEADER + "".join(f"{row}\n" for row in rows))

    return write


def _copy(name: str) -> Callable[[Path, ObjectStore], None]:
    def copy(tmp: Path, _store: ObjectStore) -> None:
        source = EXAMPLES / name
        if source.is_dir():
            shutil.copytree(source, tmp / name)
        else:
            shutil.copy(source, tmp / name)

    return copy


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _folder_with_a_folder_for_a_text(tmp: Path, store: ObjectStore) -> None:
    _copy("calls")(tmp, store)
    (tmp / "calls" / "20170301_BOLT.txt").unlink()
    (tmp / "calls" / "20170301_BOLT.txt").mkdir()


def _damaged_manifest(tmp: Path, store: ObjectStore) -> None:
    run = "runs/quarter=2017Q1/run=20260101T000000Z-aaaa/"
    plan = {
        "quarter": "2017Q1", "run_id": "20260101T000000Z-aaaa", "fingerprint": "f",
        "created_at": "2026-01-01T00:00:00", "shards": [{"shard": "00000", "firms": ["A"]}],
        "settings": {}, "concurrency": {"shards_in_flight": 1}, "tolerated_failure_pct": 5.0,
    }  # fmt: skip
    store.put_bytes(run + "plan.json", json.dumps(plan).encode())
    store.put_bytes(run + "manifest.json", b'{"state": "redu')


CASES = {
    "ingest: no such file": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/missing.csv"],
        2,
        "error: {tmp}/missing.csv: no such file",
    ),
    "ingest: a malformed quarter": Case(
        ["ingest", "--quarter", "2017-1", "{tmp}/calls.csv"],
        2,
        "Usage: ",
        _copy("calls.csv"),
    ),
    "ingest: para_idx true": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/bad.jsonl"],
        2,
        "error: {tmp}/bad.jsonl: column 'para_idx' holds values that are not whole numbers",
        lambda tmp, _store: (tmp / "bad.jsonl").write_text(
            '{"call_id": "c", "firm_id": "F", "quarter": "2017Q1", "para_idx": true, '
            '"text": "Revenue grew in every region."}\n'
        ),
    ),
    "ingest: a gvkey that is not one": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/bad.csv"],
        2,
        "error: {tmp}/bad.csv: column 'gvkey' holds values that are not gvkeys",
        lambda tmp, _store: (tmp / "bad.csv").write_text(
            "call_id,firm_id,call_date,para_idx,text,gvkey\nc,F,2017-01-05,0,Revenue grew.,ABC\n"
        ),
    ),
    "ingest: a quarter the date disagrees with": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/bad.csv"],
        2,
        "error: {tmp}/bad.csv: column 'quarter' disagrees with 'call_date'",
        lambda tmp, _store: (tmp / "bad.csv").write_text(
            "call_id,firm_id,call_date,quarter,para_idx,text\nc,F,2017-05-15,2017Q1,0,Revenue.\n"
        ),
    ),
    "ingest: a file name that cannot be a key": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/my calls.csv"],
        2,
        "error: {tmp}/my calls.csv: the source name 'my calls' cannot be part of an object key",
        lambda tmp, _store: shutil.copy(EXAMPLES / "calls.csv", tmp / "my calls.csv"),
    ),
    "ingest: --source with two files": Case(
        ["ingest", "--quarter", "2017Q1", "--source", "x", "{tmp}/calls.csv", "{tmp}/calls.csv"],
        2,
        "Usage: ",
        _copy("calls.csv"),
    ),
    "ingest: a folder with a folder for a text": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/calls"],
        2,
        "error: {tmp}/calls/metadata.csv: column 'call_id' names calls without a text file",
        _folder_with_a_folder_for_a_text,
    ),
    "ingest: a repeated paragraph": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/bad.csv"],
        2,
        "error: {tmp}/bad.csv: column(s) 'call_id', 'para_idx' repeat",
        _csv("bad.csv", "c,F,2017-01-05,0,Revenue grew.", "c,F,2017-01-05,0,Costs fell."),
    ),
    "ingest: a shape it cannot tell": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/calls.xlsx"],
        2,
        "error: {tmp}/calls.xlsx: cannot tell its shape from '.xlsx'",
        lambda tmp, _store: (tmp / "calls.xlsx").write_bytes(b"PK"),
    ),
    "ingest: --firms 0": Case(
        ["ingest", "--quarter", "2017Q1", "--firms", "0", "{tmp}/calls.csv"],
        2,
        "error: --firms must be at least 1, got 0",
        _copy("calls.csv"),
    ),
    "ingest: a --column without its file column": Case(
        ["ingest", "--quarter", "2017Q1", "--column", "text", "{tmp}/calls.csv"],
        2,
        "error: --column 'text': write it as NAME=COLUMN",
        _copy("calls.csv"),
    ),
    "ingest: not UTF-8": Case(
        ["ingest", "--quarter", "2017Q1", "{tmp}/bad.csv"],
        2,
        "error: {tmp}/bad.csv: not UTF-8 text",
        lambda tmp, _store: (tmp / "bad.csv").write_bytes(
            CSV_HEADER.encode() + b"c,F,2017-01-05,0,Umsatz \xfcber Plan\n"
        ),
    ),
    "quarter run: a malformed quarter": Case(
        ["quarter", "run", "--quarter", "2017Q5"], 2, "Usage: "
    ),
    "local status: a broken server record": Case(
        ["local", "status"],
        0,
        "moto     {tmp}/state/moto.json is not a server record ftm wrote",
        lambda tmp, _store: _write(tmp / "state" / "moto.json", '{"name": "moto", "pid": 1'),
    ),
    "local down: a stray file and a broken record": Case(
        ["local", "down"],
        0,
        "moto: {tmp}/state/moto.json is not a server record ftm wrote",
        lambda tmp, _store: (
            _write(tmp / "state" / "moto.json", "[]"),
            _write(tmp / "state" / "notes.json", '{"any": "thing"}'),
        ),
        says="removed it, stopped nothing",
    ),
    "llm down: nothing running": Case(["llm", "down"], 0, "the LLM server was not running"),
    "summary: a quarter without transcripts": Case(
        ["summary", "--quarter", "2016Q4"],
        2,
        "error: no object at s3://",
        says="raw/transcripts/quarter=2016Q4/ (run `ftm ingest` first)",
    ),
    "runs: none yet": Case(["runs", "--quarter", "2017Q1"], 0, "no runs of 2017Q1 under"),
    "runs: a damaged manifest hides no run": Case(
        ["runs", "--quarter", "2017Q1"],
        0,
        "  run ",
        _damaged_manifest,
        says="unknown (manifest unreadable)",
    ),
    "export: --to under a file": Case(
        ["export", "--quarters", "2017Q1", "--to", "{tmp}/file/export"],
        2,
        "Usage: ",
        lambda tmp, _store: (tmp / "file").write_text(""),
    ),
    "export: a malformed quarter": Case(
        ["export", "--quarters", "2017Q5", "--to", "{tmp}/export"], 2, "Usage: "
    ),
    "validate: a malformed quarter": Case(["validate", "--quarter", "17Q1"], 2, "Usage: "),
}


def _objects(store: ObjectStore) -> dict[str, bytes]:
    return {key: store.get_bytes(key) for key in store.list_keys("")}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES)
def test_each_fault_is_one_line_and_loses_nothing(
    case: Case, local_cloud: LocalCloud, store: ObjectStore, tmp_path: Path
) -> None:
    case.setup(tmp_path, store)
    before = _objects(store)

    args = [arg.format(tmp=tmp_path) for arg in case.args]
    done = run_module("ftm_ops", *args, env={**os.environ, "FTM_GX_DIR": str(tmp_path / "gx")})

    output = done.stdout if case.exit_code == 0 else done.stderr
    assert done.returncode == case.exit_code, done.stdout + done.stderr
    assert output.splitlines()[0].startswith(case.first_line.format(tmp=tmp_path)), output
    assert case.says in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    if case.exit_code:
        assert _objects(store) == before, "a refused command changed the bucket"
