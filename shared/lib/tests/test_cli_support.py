from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ftm_shared.cli_support import run_cli
from ftm_shared.errors import InputError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("args", "expected"), [(["fails"], 1), (["aborts"], 130)])
def test_a_command_exit_code_reaches_the_shell(
    args: list[str], expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    def fails() -> None:
        raise click.exceptions.Exit(1)

    @group.command()
    def aborts() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("sys.argv", ["prog", *args])
    with pytest.raises(SystemExit) as exited:
        run_cli(group)
    assert exited.value.code == expected


def _raising(error: Exception) -> click.Group:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    def go() -> None:
        raise error

    return group


def test_an_input_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["prog", "go"])
    with pytest.raises(SystemExit) as exited:
        run_cli(_raising(InputError("firm X: no sentences")))
    assert exited.value.code == 2
    assert capsys.readouterr().err == "error: firm X: no sentences\n"


def test_a_plain_value_error_is_a_bug_and_keeps_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As numpy or pyarrow raise it: not the user's to fix, so it is not turned into "error: ...".
    monkeypatch.setattr("sys.argv", ["prog", "go"])
    with pytest.raises(ValueError, match="operands could not be broadcast"):
        run_cli(_raising(ValueError("operands could not be broadcast together")))


# A service command that holds a temporary folder (as model-tester holds a downloaded adapter)
# and blocks until stopped.
HOLDING_A_FOLDER = """
import sys, tempfile, time
import click
from ftm_shared.cli_support import run_cli

root = sys.argv[1]

@click.group()
def group() -> None:
    pass

@group.command()
def hold() -> None:
    with tempfile.TemporaryDirectory(dir=root) as folder:
        print(folder, flush=True)
        time.sleep(120)

sys.argv = ["prog", "hold"]
run_cli(group)
"""


def test_sigterm_stops_a_service_command_as_ctrl_c_does(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDING_A_FOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    held = Path(process.stdout.readline().strip())
    assert held.is_dir()

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130, err
    assert not held.exists()
