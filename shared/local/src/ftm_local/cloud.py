"""`ftm local up|down|status`: a moto server on 127.0.0.1 standing in for S3 and SSM.

`up` starts the server on a free port, creates the bucket, writes the SSM parameters and the
env file every service and test reads (see `ftm_shared.config`). It is idempotent: a second
`up` reuses the running server.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ftm_local import llm_server
from ftm_local.process import (
    LOOPBACK,
    ServerRecord,
    ServerRecordError,
    free_port,
    http_ok,
    pid_alive,
    port_free,
    start_server,
    stop_process,
)
from ftm_shared import aws
from ftm_shared.config import (
    ENV_FILE_NAME,
    read_env_file,
    read_settings,
    ssm_parameter_name,
    state_dir,
)

DEFAULT_BUCKET = "ftm-local"
DEFAULT_REGION = "us-east-1"
DEFAULT_SSM_PREFIX = "/ftm/"
# moto accepts any credentials; these dummies keep boto3 from looking for real ones.
MOTO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MOTO = "moto"
# The servers `up` starts, by record name: `down` and `status` read these records only.
SERVERS = (MOTO, llm_server.LLM)
LLM_PORT_FILE = "llm.port"


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
            "the moto server is not installed: install ftm-local "
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


def update_env_file(
    path: Path, values: dict[str, str] | None = None, drop: Iterable[str] = ()
) -> None:
    """Merge `values` into the env file and remove the `drop` keys; the file stays sorted."""
    current = read_env_file(path) if path.is_file() else {}
    merged = {k: v for k, v in {**current, **(values or {})}.items() if k not in set(drop)}
    lines = ["# Written by `ftm local up` / `ftm llm up`; removed by `ftm local down`."]
    lines += [f"{key}={value}" for key, value in sorted(merged.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _running(name: str, directory: Path, probe_path: str) -> ServerRecord | None:
    try:
        record = ServerRecord.load(record_path(name, directory))
    except ServerRecordError:
        return None  # `up` writes a new one over it
    if record is not None and record.alive and http_ok(record.url + probe_path):
        return record
    return None


def _port_to_reuse(port_file: Path) -> int | None:
    """The port the last LLM server here had, while it is free: a run in flight keeps the URL
    it was given, so a server started again on that port is found by the client's health
    wait, where one on a new port never would be."""
    try:
        port = int(port_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return port if 0 < port < 65536 and port_free(port) else None


def llm_up(directory: Path | None = None) -> dict[str, str]:
    """Start (or reuse) the local LLM server; return the env that points services at it.

    A user-set LLM_BASE_URL means "use that server": nothing is started.
    """
    directory = directory or state_dir()
    if read_settings(llm_server.LocalLlmSettings).llm_base_url:
        return {}
    record = _running(llm_server.LLM, directory, "/health")
    if record is None:
        port_file = directory / LLM_PORT_FILE
        record = llm_server.start_llm(directory, port=_port_to_reuse(port_file))
        record.save(record_path(llm_server.LLM, directory))
        port_file.write_text(str(record.port), encoding="utf-8")
    env = llm_server.env_for(record.url, shares_cpus=True)
    update_env_file(directory / ENV_FILE_NAME, env)
    return env


def llm_down(directory: Path | None = None) -> Stopped | None:
    directory = directory or state_dir()
    stopped = _stop(record_path(llm_server.LLM, directory))
    env_file = directory / ENV_FILE_NAME
    if env_file.is_file():
        update_env_file(env_file, drop=llm_server.env_for("", shares_cpus=True).keys())
    return stopped


def up(
    bucket: str = DEFAULT_BUCKET, directory: Path | None = None, *, with_llm: bool = True
) -> LocalCloud:
    directory = directory or state_dir()
    record = _running(MOTO, directory, "/moto-api/")
    if record is None:
        record = start_moto(directory)
        record.save(record_path(MOTO, directory))
    cloud = LocalCloud(endpoint_url=record.url, bucket=bucket)
    provision(cloud)
    update_env_file(directory / ENV_FILE_NAME, cloud.env())
    if with_llm:
        llm_env = llm_up(directory)
        provision(cloud, {key.lower(): value for key, value in llm_env.items()})
    return cloud


@dataclass(frozen=True)
class Stopped:
    """What `down` did about one recorded server: stopped it, or why it left the pid alone."""

    name: str
    stopped: bool
    note: str = ""

    def __str__(self) -> str:
        return self.name if self.stopped else f"{self.name} ({self.note})"


def _stop(path: Path) -> Stopped | None:
    """Stop the server recorded at `path` (only if its pid still runs the recorded command)
    and remove the record; None where there is no record."""
    name = path.stem
    try:
        record = ServerRecord.load(path)
    except ServerRecordError as error:
        path.unlink()
        return Stopped(name, False, f"{error}; removed it, stopped nothing")
    if record is None:
        return None
    path.unlink()
    if record.alive:
        stop_process(record.pid)
        return Stopped(name, True)
    if pid_alive(record.pid):
        return Stopped(
            name, False, f"pid {record.pid} now runs another program: left alone, record removed"
        )
    return Stopped(name, False, "had already stopped: record removed")


def down(directory: Path | None = None) -> list[Stopped]:
    """Stop every server `up` recorded; say what was done about each record."""
    directory = directory or state_dir()
    done = [_stop(record_path(name, directory)) for name in SERVERS]
    (directory / ENV_FILE_NAME).unlink(missing_ok=True)
    return [outcome for outcome in done if outcome is not None]


@dataclass(frozen=True)
class ServerStatus:
    name: str
    record: ServerRecord | None
    process_alive: bool
    answering: bool
    problem: str = ""


def status(directory: Path | None = None) -> list[ServerStatus]:
    directory = directory or state_dir()
    found = []
    for name in SERVERS:
        try:
            record = ServerRecord.load(record_path(name, directory))
        except ServerRecordError as error:
            found.append(ServerStatus(name, None, False, False, str(error)))
            continue
        if record is not None:
            found.append(ServerStatus(name, record, record.alive, http_ok(record.url)))
    return found
