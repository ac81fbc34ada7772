"""The state directory's server records: `down` stops only the programs it started, and no
stray or broken file there stops `status` or `down`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftm_local import cloud
from ftm_local.process import ServerRecord, ServerRecordError, free_port, pid_alive, stop_process

pytestmark = pytest.mark.unit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    yield process
    stop_process(process.pid, grace_s=2)


def _record(state: Path, name: str, pid: int, command: list[str]) -> Path:
    path = cloud.record_path(name, state)
    ServerRecord(name, pid, "http://127.0.0.1:9", "x.log", time.time(), tuple(command)).save(path)
    return path


def test_down_stops_a_recorded_server_that_still_runs_its_command(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    _record(tmp_path, cloud.MOTO, sleeper.pid, SLEEPER)

    assert cloud.down(tmp_path) == [cloud.Stopped(cloud.MOTO, True)]
    assert sleeper.wait(timeout=10) is not None
    assert not cloud.record_path(cloud.MOTO, tmp_path).exists()


def test_down_leaves_alone_a_pid_that_now_runs_another_program(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    # After a crash, the recorded pid was given to an unrelated process.
    _record(tmp_path, cloud.MOTO, sleeper.pid, [sys.executable, "-m", "moto.server"])

    (outcome,) = cloud.down(tmp_path)

    assert not outcome.stopped
    assert f"pid {sleeper.pid} now runs another program: left alone" in outcome.note
    assert pid_alive(sleeper.pid) and sleeper.poll() is None
    assert not cloud.record_path(cloud.MOTO, tmp_path).exists()


def test_stray_and_broken_files_stop_neither_status_nor_down(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    (tmp_path / "notes.json").write_text('{"anything": "else"}')
    cloud.record_path(cloud.MOTO, tmp_path).write_text('{"name": "moto", "pid": 1')
    _record(tmp_path, "llm", sleeper.pid, SLEEPER)

    moto, llm = cloud.status(tmp_path)
    assert (moto.name, moto.record) == (cloud.MOTO, None)
    assert "moto.json is not a server record ftm wrote" in moto.problem
    assert llm.record is not None and llm.process_alive

    broken, stopped = cloud.down(tmp_path)
    assert not broken.stopped and "stopped nothing" in broken.note
    assert stopped == cloud.Stopped("llm", True)
    assert (tmp_path / "notes.json").exists()


@pytest.mark.parametrize(
    "text", ["", "[]", '{"name": "moto"}', '{"name": "moto", "pid": "x", "url": 1}']
)
def test_a_file_that_is_no_record_is_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "moto.json"
    path.write_text(text)
    with pytest.raises(ServerRecordError, match=r"moto\.json is not a server record ftm wrote"):
        ServerRecord.load(path)


def test_an_llm_server_started_again_takes_its_last_port_while_free(tmp_path: Path) -> None:
    port_file = tmp_path / cloud.LLM_PORT_FILE
    assert cloud._port_to_reuse(port_file) is None
    port = free_port()
    port_file.write_text(str(port))
    assert cloud._port_to_reuse(port_file) == port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert cloud._port_to_reuse(port_file) is None
    port_file.write_text("not a port")
    assert cloud._port_to_reuse(port_file) is None


def test_a_record_removed_while_read_is_none_and_a_folder_is_named(tmp_path: Path) -> None:
    # `down` removes records while `status` or a test lists them.
    assert ServerRecord.load(tmp_path / "moto.json") is None
    (tmp_path / "llm.json").mkdir()
    with pytest.raises(ServerRecordError, match=r"llm\.json cannot be read"):
        ServerRecord.load(tmp_path / "llm.json")
