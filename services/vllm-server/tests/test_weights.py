"""The weights sync on moto (in-process): it resumes, and a killed sync leaves nothing kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from vllm_server.weights import STAGING, WeightsError, parse_s3_uri, sync_from_s3

pytestmark = pytest.mark.unit

SHARD = "qwen/shards/model-1.safetensors"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="weights")
        client.put_object(Bucket="weights", Key="qwen/config.json", Body=b"{}")
        client.put_object(Bucket="weights", Key=SHARD, Body=b"x" * 1024)
        yield client


class Client:
    """The S3 client, its download replaced by what a test needs to happen."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


class KilledMidway(Client):
    """A download that dies after writing half the file, as a killed task does."""

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        Path(filename).write_bytes(body[: len(body) // 2])
        raise KeyboardInterrupt


def test_uri_parsing() -> None:
    assert parse_s3_uri("s3://b/models/qwen") == ("b", "models/qwen/")
    with pytest.raises(ValueError, match="FTM_VLLM_MODEL_S3_URI must look like s3://"):
        parse_s3_uri("https://example.invalid/x")


def test_a_second_sync_downloads_nothing(s3: Any, tmp_path: Path) -> None:
    assert sync_from_s3("s3://weights/qwen", tmp_path, s3) == 2
    assert (tmp_path / "shards" / "model-1.safetensors").read_bytes() == b"x" * 1024
    assert sync_from_s3("s3://weights/qwen/", tmp_path, s3) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "shards"]


def test_a_truncated_file_is_downloaded_again(s3: Any, tmp_path: Path) -> None:
    sync_from_s3("s3://weights/qwen", tmp_path, s3)
    shard = tmp_path / "shards" / "model-1.safetensors"
    shard.write_bytes(b"x" * 512)
    assert sync_from_s3("s3://weights/qwen", tmp_path, s3) == 1
    assert shard.read_bytes() == b"x" * 1024


def test_a_local_copy_older_than_the_object_is_downloaded_again(s3: Any, tmp_path: Path) -> None:
    sync_from_s3("s3://weights/qwen", tmp_path, s3)
    shard = tmp_path / "shards" / "model-1.safetensors"
    stamp = shard.stat().st_mtime
    os.utime(shard, (stamp - 3600, stamp - 3600))  # the object is newer than the local copy
    assert sync_from_s3("s3://weights/qwen", tmp_path, s3) == 1


def test_a_killed_sync_leaves_no_file_a_later_sync_keeps(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        sync_from_s3("s3://weights/qwen", tmp_path, KilledMidway(s3))
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and STAGING not in p.parts]
    assert sync_from_s3("s3://weights/qwen", tmp_path, s3) == 2
    assert (tmp_path / "shards" / "model-1.safetensors").read_bytes() == b"x" * 1024
    assert not (tmp_path / STAGING).exists()


class ReadOnlyFolder(Client):
    """A download into a folder this user may not write (boto3 raises what `open` does)."""

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        raise PermissionError(13, "Permission denied", filename)


def test_a_folder_it_cannot_write_is_named_with_the_fix(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(WeightsError) as error:
        sync_from_s3("s3://weights/qwen", tmp_path, ReadOnlyFolder(s3))
    assert str(error.value).startswith(f"cannot write the weights under {tmp_path} as uid")
    assert f"make the folder writable by uid {os.getuid()}" in str(error.value)


def test_empty_prefix_is_an_error(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no model files under s3://weights/nothing"):
        sync_from_s3("s3://weights/nothing/", tmp_path, s3)
