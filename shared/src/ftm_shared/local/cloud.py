"""`ftm local up|down|status`: a moto server on 127.0.0.1 standing in for S3 and SSM.

`up` starts the server on a free port, creates the bucket, writes the SSM parameters and the
env file every service and test reads (see `ftm_shared.config`). It is idempotent: a second
`up` reuses the running server.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from ftm_shared import aws
from ftm_shared.config import ENV_FILE_NAME, ssm_parameter_name, state_dir
from ftm_shared.local.process import (
    LOOPBACK,
    ServerRecord,
    free_port,
    http_ok,
    start_server,
    stop_process,
)

DEFAULT_BUCKET = "ftm-local"
DEFAULT_REGION = "us-east-1"
DEFAULT_SSM_PREFIX = "/ftm/"
# moto accepts any credentials; these dummies keep boto3 from looking for real ones.
MOTO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MOTO = "moto"


class LocalCloudError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalCloud:
    endpoint_url: str
    bucket: str
    region: str = DEFAULT_REGION
    ssm_prefix: str = DEFAULT_SSM_PREFIX

    def env(self) -> dict[str, str]:
        """The environment a process needs to use this local cloud instead of AWS."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **MOTO_CREDENTIALS,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "S3_BUCKET": self.bucket,
            "FTM_SSM_PREFIX": self.ssm_prefix,
        }

    def client(self, service: str):  # type: ignore[no-untyped-def]
        return aws.client(
            service,
            region=self.region,
            endpoint_url=self.endpoint_url,
            credentials=MOTO_CREDENTIALS,
        )


def record_path(name: str, directory: Path | None = None) -> Path:
    return (directory or state_dir()) / f"{name}.json"


def start_moto(directory: Path, timeout_s: float = 60.0) -> ServerRecord:
    if importlib.util.find_spec("moto") is None:
        raise LocalCloudError(
            "the moto server is not installed: install ftm-shared[local] "
            "(`uv sync` in the repository does it)"
        )
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    return start_server(
        MOTO,
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        url=url,
        ready=lambda: http_ok(f"{url}/moto-api/"),
        log_file=directory / "moto.log",
        timeout_s=timeout_s,
    )


def provision(cloud: LocalCloud, parameters: dict[str, str] | None = None) -> None:
    """Create the bucket and the SSM parameters a service reads with FTM_USE_SSM=true."""
    s3 = cloud.client("s3")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if cloud.bucket not in existing:
        s3.create_bucket(Bucket=cloud.bucket)
    ssm = cloud.client("ssm")
    values = {"s3_bucket": cloud.bucket, "aws_region": cloud.region, **(parameters or {})}
    for name, value in values.items():
        ssm.put_parameter(
            Name=ssm_parameter_name(cloud.ssm_prefix, name),
            Value=value,
            Type="String",
            Overwrite=True,
        )


def write_env_file(cloud: LocalCloud, path: Path, extra: dict[str, str] | None = None) -> None:
    lines = ["# Written by `ftm local up`; removed by `ftm local down`."]
    lines += [f"{key}={value}" for key, value in {**cloud.env(), **(extra or {})}.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def up(bucket: str = DEFAULT_BUCKET, directory: Path | None = None) -> LocalCloud:
    directory = directory or state_dir()
    record = ServerRecord.load(record_path(MOTO, directory))
    if record is None or not (record.alive and http_ok(f"{record.url}/moto-api/")):
        record = start_moto(directory)
        record.save(record_path(MOTO, directory))
    cloud = LocalCloud(endpoint_url=record.url, bucket=bucket)
    provision(cloud)
    write_env_file(cloud, directory / ENV_FILE_NAME)
    return cloud


def down(directory: Path | None = None) -> list[str]:
    """Stop every server `up` recorded; return their names."""
    directory = directory or state_dir()
    stopped = []
    for path in sorted(directory.glob("*.json")):
        record = ServerRecord.load(path)
        if record is None:
            continue
        if record.alive:
            stop_process(record.pid)
        stopped.append(record.name)
        path.unlink()
    (directory / ENV_FILE_NAME).unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class ServerStatus:
    record: ServerRecord
    process_alive: bool
    answering: bool


def status(directory: Path | None = None) -> list[ServerStatus]:
    directory = directory or state_dir()
    found = []
    for path in sorted(directory.glob("*.json")):
        record = ServerRecord.load(path)
        if record is not None:
            found.append(ServerStatus(record, record.alive, http_ok(record.url)))
    return found
