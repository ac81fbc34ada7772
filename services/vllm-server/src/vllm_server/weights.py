"""Bring the served model's weights from S3 to local disk before vLLM starts.

vLLM then loads a local folder: nothing is fetched from a model hub at run time. On ECS that
folder is on the host (mounted in the task), so it outlives a task restart: a sync resumes
instead of downloading 16 GB again, and never leaves a truncated file a later sync would keep.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ftm_shared.config import setting_name
from ftm_shared.errors import InputError
from vllm_server.config import VllmServerSettings

log = logging.getLogger(__name__)

URI_SETTING = setting_name(VllmServerSettings, "model_s3_uri")
# Files being downloaded, inside the destination (same filesystem, so the move into place is
# a rename); emptied at the start of every sync, so a killed one leaves nothing behind.
STAGING = ".ftm-partial"


class WeightsError(InputError):
    """The weights under the model's S3 URI cannot be synced; the message says why."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{URI_SETTING} must look like s3://bucket/prefix/, got {uri!r}")
    prefix = parsed.path.lstrip("/")
    return parsed.netloc, prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _is_synced(target: Path, item: dict[str, Any]) -> bool:
    """Is `target` this object, as a finished sync left it? Same size, and the object's
    modification time, which a sync stamps on a file only once it is complete (as
    `aws s3 sync` does): a file that is truncated, or older than the object, is not."""
    if not target.is_file():
        return False
    stat = target.stat()
    modified = int(item["LastModified"].timestamp())
    return stat.st_size == item["Size"] and int(stat.st_mtime) == modified


def _download(s3: Any, bucket: str, item: dict[str, Any], target: Path, partial: Path) -> None:
    """Download into `partial`, stamp it, then rename it to `target`: never a torn file."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, item["Key"], str(partial))
    modified = item["LastModified"].timestamp()
    os.utime(partial, (modified, modified))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial.replace(target)


def sync_from_s3(uri: str, destination: Path, s3: Any) -> int:
    """Download every object under `uri` into `destination` that is not already there as a
    finished sync left it; return how many were downloaded."""
    try:
        downloaded = _sync(uri, destination.resolve(), s3)
    except PermissionError as error:
        uid = os.getuid()
        raise WeightsError(
            f"cannot write the weights under {destination} as uid {uid} ({error.strerror}: "
            f"{error.filename}): make the folder writable by uid {uid} (on ECS, the host's "
            "folder mounted there)"
        ) from None
    log.info("model weights: %d file(s) downloaded from %s to %s", downloaded, uri, destination)
    return downloaded


def _sync(uri: str, root: Path, s3: Any) -> int:
    bucket, prefix = parse_s3_uri(uri)
    staging = root / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    downloaded = 0
    found = False
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found = True
            relative = item["Key"][len(prefix) :]
            if not relative or relative.endswith("/"):
                continue
            target = (root / relative).resolve()
            if not target.is_relative_to(root) or target.is_relative_to(staging):
                raise WeightsError(
                    f"object key {item['Key']!r} would land outside {root} "
                    f"(or in its {STAGING} folder): rename it under {uri}"
                )
            if _is_synced(target, item):
                continue
            _download(s3, bucket, item, target, staging / target.relative_to(root))
            downloaded += 1
    shutil.rmtree(staging, ignore_errors=True)
    if not found:
        raise WeightsError(f"no model files under {uri} ({URI_SETTING})")
    return downloaded
