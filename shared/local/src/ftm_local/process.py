"""Start a server as a detached process, wait until it answers, stop it, know if it runs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    pass


class ServerRecordError(RuntimeError):
    """A record file that ftm did not write, or that was cut short."""


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(port: int, host: str = LOOPBACK) -> bool:
    """Nothing listens on `port`: a server may bind it (connections of a stopped one that
    linger in TIME_WAIT do not count, as servers bind with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when `url` answers with a non-5xx status (a 404 still proves the server is up)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return int(response.status) < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def runs_command(pid: int, command: Sequence[str]) -> bool:
    """True while process `pid` runs exactly `command`: after a crash and a reboot, or on a
    busy shared machine, a recorded pid may since have been given to another program."""
    if not command:
        return False
    try:
        return bool(psutil.Process(pid).cmdline() == list(command))
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


@dataclass(frozen=True)
class ServerRecord:
    """What `ftm local status` and `down` need to know about a server we started."""

    name: str
    pid: int
    url: str
    log_file: str
    started_at: float
    command: tuple[str, ...] = ()

    def save(self, path: Path) -> None:
        """Written beside the record and renamed into place: `status`, `down` and a test
        polling the records never read half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> ServerRecord | None:
        """The record at `path`, None where there is none; ServerRecordError names a file that
        is not one."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # none, or removed by `down` since it was listed
            return None
        except OSError as error:
            raise ServerRecordError(f"{path} cannot be read ({error.strerror})") from None
        try:
            raw = json.loads(text)
            return cls(
                name=str(raw["name"]),
                pid=int(raw["pid"]),
                url=str(raw["url"]),
                log_file=str(raw["log_file"]),
                started_at=float(raw["started_at"]),
                command=tuple(str(part) for part in raw.get("command", [])),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ServerRecordError(
                f"{path} is not a server record ftm wrote ({type(error).__name__}: {error})"
            ) from None

    @property
    def alive(self) -> bool:
        """The recorded server still runs (its pid runs the recorded command)."""
        return runs_command(self.pid, self.command)

    @property
    def port(self) -> int | None:
        return urllib.parse.urlsplit(self.url).port


def start_server(
    name: str,
    command: Sequence[str],
    *,
    url: str,
    ready: Callable[[], bool],
    log_file: Path,
    timeout_s: float,
    env: dict[str, str] | None = None,
) -> ServerRecord:
    """Spawn `command` in its own session (so it outlives the CLI) and wait for `ready()`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise ServerStartError(
                f"{name} exited with code {process.returncode} before answering; "
                f"last log lines ({log_file}):\n{tail}"
            )
        if ready():
            return ServerRecord(name, process.pid, url, str(log_file), time.time(), tuple(command))
        time.sleep(0.2)
    stop_process(process.pid)
    raise ServerStartError(
        f"{name} did not answer at {url} within {timeout_s:.0f}s (log: {log_file})"
    )


def stop_process(pid: int, grace_s: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        # Reap it if it is our child, else it stays a zombie and looks alive.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
