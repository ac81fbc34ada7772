"""Bring the served model's weights from S3 to local disk before vLLM starts.

vLLM then loads a local folder: nothing is fetched from a model hub at run time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ftm_shared.errors import InputError

log = logging.getLogger(__name__)


class WeightsError(InputError):
    """The weights under VLLM_MODEL_S3_URI cannot be synced; the message says why."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"VLLM_MODEL_S3_URI must look like s3://bucket/prefix/, got {uri!r}")
    prefix = parsed.path.lstrip("/")
    return parsed.netloc, prefix if not prefix or prefix.endswith("/") else prefix + "/"


def sync_from_s3(uri: str, destination: Path, s3: Any) -> int:
    """Download every object under `uri` into `destination`, skipping files already there
    with the same size (a restarted container does not download 16 GB again)."""
    bucket, prefix = parse_s3_uri(uri)
    downloaded = 0
    found = False
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found = True
            relative = item["Key"][len(prefix) :]
            if not relative or relative.endswith("/"):
                continue
            target = (destination / relative).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise WeightsError(f"object key {item['Key']!r} escapes {destination}")
            if target.is_file() and target.stat().st_size == item["Size"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            s3.download_file(bucket, item["Key"], str(partial))
            partial.replace(target)
            downloaded += 1
    if not found:
        raise WeightsError(f"no model files under {uri} (VLLM_MODEL_S3_URI)")
    log.info("model weights: %d file(s) downloaded from %s to %s", downloaded, uri, destination)
    return downloaded
