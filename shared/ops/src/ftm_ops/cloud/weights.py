"""`ftm cloud upload-weights`: put vLLM's weights where its task reads them (VLLM_MODEL_S3_URI).

vLLM runs offline: at start the vllm-server image syncs VLLM_MODEL_S3_URI to local disk and
serves that folder. On a fresh account nothing is there, so this uploads a model folder from
this machine: one given with `--from`, else the Hugging Face cache's snapshot of
VLLM_SERVED_MODEL (what `hf download <model>` leaves). Files already uploaded with the same
size are skipped, so an interrupted upload resumes where it stopped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from ftm_shared.errors import InputError

# A folder vLLM can serve has the model's config and at least one weights file.
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt")
TRANSFER = TransferConfig(multipart_chunksize=64 * 2**20, max_concurrency=8)
GB = 1e9


def hf_hub_cache() -> Path:
    """Where the Hugging Face libraries keep downloads (their own settings, then default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    return Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"


def cached_snapshot(model: str, cache: Path) -> Path:
    """The folder of `model`'s main revision in a Hugging Face cache."""
    repo = cache / f"models--{model.replace('/', '--')}"
    ref = repo / "refs" / "main"
    snapshot = repo / "snapshots" / ref.read_text().strip() if ref.is_file() else None
    if snapshot is None or not snapshot.is_dir():
        raise InputError(
            f"{model} is not in the Hugging Face cache ({repo} has no main snapshot): download "
            f"it on this machine (`hf download {model}`) or pass the model folder with --from"
        )
    return snapshot


def model_files(folder: Path) -> dict[str, Path]:
    """Every file under `folder` by its key below the prefix; links (the HF cache's) followed."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    files = {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }
    if "config.json" not in files or not any(
        Path(key).match(pattern) for key in files for pattern in WEIGHT_PATTERNS
    ):
        raise InputError(
            f"{folder} is not a model folder vLLM can serve: it needs config.json and weights "
            f"({', '.join(WEIGHT_PATTERNS)})"
        )
    return files


@dataclass
class ByteProgress:
    """Bytes sent of the total, echoed at most every `every_s` seconds (boto3 calls back from
    its transfer threads; a float add is safe enough for a progress line)."""

    total: int
    echo: Callable[[str], None]
    every_s: float = 5.0
    now: Callable[[], float] = time.monotonic
    sent: int = 0
    started: float = field(default=0.0)
    _last: float = 0.0

    def __post_init__(self) -> None:
        self.started = self._last = self.now()

    def __call__(self, chunk: int) -> None:
        self.sent += chunk
        if self.now() - self._last >= self.every_s:
            self._last = self.now()
            self.echo(f"  {self.line()}")

    def line(self) -> str:
        elapsed = max(self.now() - self.started, 1e-9)
        rate = self.sent / elapsed
        left = (self.total - self.sent) / rate if rate > 0 else None
        eta = time.strftime("%H:%M:%S", time.gmtime(left)) if left is not None else "?"
        percent = 100 * self.sent / self.total if self.total else 100
        return (
            f"{self.sent / GB:.2f}/{self.total / GB:.2f} GB ({percent:.0f}%), "
            f"{rate / 1e6:.0f} MB/s, ETA {eta}"
        )


@dataclass(frozen=True)
class Uploaded:
    files: int
    skipped: int
    bytes: int


def upload_weights(
    folder: Path, uri: str, s3: Any, echo: Callable[[str], None], *, dry_run: bool = False
) -> Uploaded:
    """Upload `folder` under `uri`, skipping objects already there with the same size."""
    parsed = urlparse(uri)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        raise InputError(
            f"bucket {bucket} of VLLM_MODEL_S3_URI is not reachable ({error}): "
            "`nox -s deploy` creates the data bucket; use a prefix of it"
        ) from None
    present = {
        item["Key"]: item["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    }
    files = model_files(folder)
    todo = {
        key: path for key, path in files.items() if present.get(prefix + key) != path.stat().st_size
    }
    size = sum(path.stat().st_size for path in todo.values())
    echo(
        f"{folder} -> {uri}: {len(files)} files, {len(todo)} to upload ({size / GB:.2f} GB), "
        f"{len(files) - len(todo)} already there"
    )
    progress = ByteProgress(size, echo)
    for key, path in todo.items():
        echo(f"{'[dry run] ' if dry_run else ''}{key} ({path.stat().st_size / GB:.2f} GB)")
        if not dry_run:
            s3.upload_file(str(path), bucket, prefix + key, Callback=progress, Config=TRANSFER)
    if todo and not dry_run:
        echo(f"  {progress.line()}")
    return Uploaded(len(todo), len(files) - len(todo), size)
