"""boto3 clients pointed at the configured endpoint: the moto server locally, AWS otherwise."""

from __future__ import annotations

from typing import Any, Protocol

import boto3
from botocore.config import Config

_RETRIES = Config(retries={"max_attempts": 5, "mode": "standard"})


def client(
    service: str,
    *,
    region: str,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
    profile: str | None = None,
) -> Any:
    """A client on its own session (boto3's default session is not thread-safe)."""
    keys = {key.lower(): value for key, value in (credentials or {}).items()}
    session = boto3.session.Session(**keys, profile_name=profile)
    return session.client(
        service, region_name=region, endpoint_url=endpoint_url or None, config=_RETRIES
    )


class AwsTarget(Protocol):
    """Where to reach AWS: what `FtmSettings` carries, without this module importing it."""

    @property
    def aws_region(self) -> str: ...
    @property
    def aws_endpoint_url(self) -> str | None: ...
    @property
    def s3_bucket(self) -> str: ...


def client_for(service: str, settings: AwsTarget) -> Any:
    return client(service, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


class DependencyNotReadyError(RuntimeError):
    pass


def wait_for_bucket(settings: AwsTarget, timeout_s: float = 30.0, poll_s: float = 1.0) -> None:
    """Readiness probe: return once the bucket answers, else say what did not answer."""
    import time

    from botocore.exceptions import BotoCoreError, ClientError

    s3 = client_for("s3", settings)
    where = settings.aws_endpoint_url or f"AWS ({settings.aws_region})"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            s3.head_bucket(Bucket=settings.s3_bucket)
            return
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"404", "NoSuchBucket", "403", "AccessDenied"}:
                raise DependencyNotReadyError(
                    f"bucket {settings.s3_bucket!r} at {where}: {code} — check S3_BUCKET"
                    " and the credentials"
                ) from None
            last = f"{code}: {error}"
        except BotoCoreError as error:
            last = str(error)
        if time.monotonic() >= deadline:
            raise DependencyNotReadyError(
                f"S3 at {where} did not answer within {timeout_s:.0f}s ({last})"
            )
        time.sleep(poll_s)
