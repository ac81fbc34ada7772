"""`ftm cloud upload-weights` against the moto server: a model folder or the Hugging Face
cache's snapshot goes to VLLM_MODEL_S3_URI, and a second run uploads only what changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_ops.cloud.weights import ByteProgress, cached_snapshot, model_files, upload_weights
from ftm_shared.errors import InputError

ACCOUNT = "123456789012"  # moto's account
MODEL = "Qwen/Qwen3-8B"


def model_folder(root: Path) -> Path:
    (root / "tokenizer").mkdir(parents=True)
    (root / "config.json").write_text('{"model_type": "qwen3"}')
    (root / "model-00001-of-00002.safetensors").write_bytes(b"\0" * 3000)
    (root / "model-00002-of-00002.safetensors").write_bytes(b"\1" * 2000)
    (root / "tokenizer" / "tokenizer.json").write_text("{}")
    (root / ".cache").mkdir()
    (root / ".cache" / "lock").write_text("")  # a download tool's own files stay here
    return root


def hf_cache(root: Path) -> Path:
    """The Hugging Face cache layout: snapshot files are links into blobs/."""
    repo = root / "models--Qwen--Qwen3-8B"
    source = model_folder(root / "source")
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd\n")
    snapshot = repo / "snapshots" / "0123abcd"
    for key, path in model_files(source).items():
        blob = repo / "blobs" / key.replace("/", "_")
        blob.write_bytes(path.read_bytes())
        (snapshot / key).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / key).symlink_to(os.path.relpath(blob, (snapshot / key).parent))
    return root


def stored(cloud: LocalCloud, prefix: str) -> dict[str, int]:
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.bucket, Prefix=prefix)
    return {item["Key"].removeprefix(prefix): item["Size"] for item in listed.get("Contents", [])}


@pytest.mark.integration
def test_a_folder_is_uploaded_then_only_changes(local_cloud: LocalCloud, tmp_path: Path) -> None:
    folder, uri = model_folder(tmp_path / "m"), f"s3://{local_cloud.bucket}/models/qwen3-8b/"
    lines: list[str] = []
    first = upload_weights(folder, uri, local_cloud.client("s3"), lines.append)
    assert (first.files, first.skipped, first.bytes) == (4, 0, 5000 + 2 + 23)
    assert stored(local_cloud, "models/qwen3-8b/") == {
        "config.json": 23,
        "model-00001-of-00002.safetensors": 3000,
        "model-00002-of-00002.safetensors": 2000,
        "tokenizer/tokenizer.json": 2,
    }
    (folder / "config.json").write_text('{"model_type": "qwen3", "v": 2}')
    again = upload_weights(folder, uri, local_cloud.client("s3"), lines.append)
    assert (again.files, again.skipped) == (1, 3)
    assert any(": 4 files, 1 to upload" in line for line in lines)


@pytest.mark.integration
def test_the_command_uploads_the_hf_cache_snapshot(local_cloud: LocalCloud, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCOUNT_ID": ACCOUNT,
        "VLLM_MODEL_S3_URI": f"s3://{local_cloud.bucket}/models/qwen3-8b/",
        "VLLM_SERVED_MODEL": MODEL,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_CACHE": str(hf_cache(tmp_path / "hub")),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ftm_ops", "cloud", "upload-weights"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "uploaded 4 files" in done.stdout
    assert stored(local_cloud, "models/qwen3-8b/")["model-00001-of-00002.safetensors"] == 3000


@pytest.mark.unit
def test_a_model_missing_from_the_cache_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"hf download Qwen/Qwen3-8B.*--from"):
        cached_snapshot(MODEL, tmp_path)


@pytest.mark.unit
def test_a_folder_without_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputError, match="not a model folder vLLM can serve"):
        model_files(tmp_path)


@pytest.mark.unit
def test_progress_says_bytes_rate_and_eta() -> None:
    clock = iter([0.0, 10.0, 10.0, 10.0])
    lines: list[str] = []
    progress = ByteProgress(4 * 10**9, lines.append, now=lambda: next(clock))
    progress(10**9)
    assert lines == ["  1.00/4.00 GB (25%), 100 MB/s, ETA 00:00:30"]
