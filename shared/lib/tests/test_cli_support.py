from __future__ import annotations

import click
import pytest

from ftm_shared.cli_support import run_cli

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
