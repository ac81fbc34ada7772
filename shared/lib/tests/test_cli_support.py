from __future__ import annotations

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
