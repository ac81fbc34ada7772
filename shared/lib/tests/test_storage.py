from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest
from botocore.exceptions import EndpointConnectionError

from ftm_shared import storage
from ftm_shared.storage import (
    ContractError,
    CorruptObjectError,
    ObjectNotFoundError,
    ObjectStore,
    StorageUnavailableError,
)

TABLE = pa.table({"firm_id": ["A", "B"], "n": [1, 2]})


def _roundtrip(store: ObjectStore) -> None:
    store.write_parquet("a/one.parquet", TABLE)
    store.write_parquet("a/two.parquet", TABLE)
    store.write_json("a/meta.json", {"done": ["A"]})
    assert store.read_parquet("a/one.parquet").equals(TABLE)
    assert store.read_json("a/meta.json") == {"done": ["A"]}
    assert store.parquet_keys("a/") == ["a/one.parquet", "a/two.parquet"]
    assert store.read_parquet_prefix("a/").num_rows == 4
    assert store.exists("a/meta.json") and not store.exists("a/meta")
    store.delete("a/two.parquet")
    assert store.parquet_keys("a/") == ["a/one.parquet"]
    with pytest.raises(ObjectNotFoundError):
        store.get_bytes("a/missing.parquet")


@pytest.mark.unit
def test_local_roundtrip(tmp_path: Path) -> None:
    _roundtrip(ObjectStore(str(tmp_path)))


@pytest.mark.integration
def test_s3_roundtrip(store: ObjectStore) -> None:
    _roundtrip(store)


@pytest.mark.integration
def test_corrupt_parquet_names_the_object(store: ObjectStore) -> None:
    store.put_bytes("raw/bad.parquet", b"not parquet at all")
    with pytest.raises(CorruptObjectError, match=r"s3://.*/raw/bad.parquet"):
        store.read_parquet("raw/bad.parquet")


@pytest.mark.unit
def test_failed_local_write_keeps_the_previous_object(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    store.write_parquet("t.parquet", TABLE)

    # A write that dies half-way (here: the payload cannot be written) leaves no trace.
    with pytest.raises(TypeError):
        store.put_bytes("t.parquet", object())  # type: ignore[arg-type]
    assert store.read_parquet("t.parquet").equals(TABLE)
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


@pytest.mark.unit
def test_local_keys_cannot_escape_the_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="escapes the storage root"):
        ObjectStore(str(tmp_path / "root")).put_bytes("../outside", b"x")


CONTRACT = pa.schema([("firm_id", pa.string()), ("n", pa.int32())])


@pytest.mark.unit
def test_read_contract_selects_and_casts(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    store.write_parquet("t.parquet", TABLE.append_column("extra", pa.array([0.5, 1.5])))
    assert store.read_contract("t.parquet", CONTRACT, "demo").schema == CONTRACT
    assert store.read_parquet_prefix("", CONTRACT).num_rows == 2


@pytest.mark.unit
@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (pa.table({"firm_id": ["A"]}), r"t.parquet: missing column\(s\) n of the demo contract"),
        (
            pa.table({"firm_id": ["A"], "n": ["many"]}),
            r"t.parquet: columns do not fit the demo contract",
        ),
    ],
)
def test_read_contract_names_the_object(tmp_path: Path, table: pa.Table, expected: str) -> None:
    store = ObjectStore(str(tmp_path))
    store.write_parquet("t.parquet", table)
    with pytest.raises(ContractError, match=expected):
        store.read_contract("t.parquet", CONTRACT, "demo")


class FlakyS3:
    """An S3 client that does not answer for its first `down` calls (of any operation)."""

    def __init__(self, down: int) -> None:
        self.down, self.calls = down, 0
        self.meta = type("Meta", (), {"endpoint_url": "http://127.0.0.1:9"})()
        self.exceptions = type("Exceptions", (), {"NoSuchKey": KeyError})()

    def _answer(self) -> None:
        self.calls += 1
        if self.calls <= self.down:
            raise EndpointConnectionError(endpoint_url=self.meta.endpoint_url)

    def head_bucket(self, Bucket: str) -> None:  # noqa: N803 (boto3's name)
        self._answer()

    def get_object(self, Bucket: str, Key: str) -> dict[str, object]:  # noqa: N803
        self._answer()
        return {"Body": io.BytesIO(b"payload"), "ETag": '"tag"'}


@pytest.mark.unit
def test_a_read_waits_out_an_s3_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "OUTAGE_POLL_S", 0.01)
    s3 = FlakyS3(down=3)
    store = ObjectStore("s3://bucket", s3_client=s3, recovery_timeout_s=5)
    assert store.get_bytes("key") == b"payload"
    assert s3.calls == 5  # the read, two polls unanswered, one answered, the read again


@pytest.mark.unit
def test_an_outage_past_the_recovery_timeout_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage, "OUTAGE_POLL_S", 0.01)
    store = ObjectStore("s3://bucket", s3_client=FlakyS3(down=10_000), recovery_timeout_s=0.2)
    with pytest.raises(StorageUnavailableError, match=r"S3 \(http://127.0.0.1:9\) did not answer"):
        store.get_bytes("key")
