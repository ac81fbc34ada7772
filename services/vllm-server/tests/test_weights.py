from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from vllm_server.weights import WeightsError, parse_s3_uri, sync_from_s3


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A moto server over HTTP on 127.0.0.1 (this service stands alone, without ftm-shared)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="weights")
    yield client
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.unit
def test_uri_parsing() -> None:
    assert parse_s3_uri("s3://b/models/qwen") == ("b", "models/qwen/")
    with pytest.raises(ValueError, match="must look like s3://"):
        parse_s3_uri("https://example.invalid/x")


@pytest.mark.integration
def test_sync_downloads_once_and_skips_what_is_there(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="weights", Key="qwen/config.json", Body=b"{}")
    s3.put_object(Bucket="weights", Key="qwen/shards/model-1.safetensors", Body=b"x" * 1024)
    assert sync_from_s3("s3://weights/qwen", tmp_path, s3) == 2
    assert (tmp_path / "shards" / "model-1.safetensors").stat().st_size == 1024
    assert sync_from_s3("s3://weights/qwen/", tmp_path, s3) == 0
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.integration
def test_empty_prefix_is_an_error(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no model files under s3://weights/nothing"):
        sync_from_s3("s3://weights/nothing/", tmp_path, s3)
