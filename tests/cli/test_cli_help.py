"""Meta-test: every command has help text with an example, and `--help` works for each."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from sweep.cli.main import _register, app

_register()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_documented_commands_are_registered():
    assert {"launch", "resume", "refine", "ls", "show", "export", "validate", "sample", "train"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help and "Example:" in command.help, f"`sweep {name}` needs a docstring with an Example: line"
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
