"""The bucket an `ftm` command works on, checked before any work: a missing bucket or an
endpoint that does not answer is one line naming the setting, not a botocore traceback."""

from __future__ import annotations

from ftm_shared.aws import wait_for_bucket
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.storage import ObjectStore

# Long enough for a moto server still starting; short enough that a wrong S3_BUCKET or
# AWS_ENDPOINT_URL is said while the user still waits for it.
BUCKET_READY_TIMEOUT_S = 10.0


def ready_store(settings: FtmSettings | None = None) -> ObjectStore:
    """The settings' bucket once it answers (settings read from the environment if not given)."""
    settings = settings or load_settings(FtmSettings)
    wait_for_bucket(settings, timeout_s=BUCKET_READY_TIMEOUT_S)
    return ObjectStore.from_settings(settings)
