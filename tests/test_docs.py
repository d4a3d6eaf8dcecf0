"""Every command is documented: it has help text and the README names it."""

from __future__ import annotations

import click
import pytest

from generator.cli import cli
from tests.conftest import REPO


def commands(group: click.Group, prefix: str = "aftersales"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


@pytest.mark.parametrize("path, command", list(commands(cli)), ids=lambda v: str(v))
def test_command_is_documented(path, command):
    assert command.help, f"{path} has no help text"
    assert f"`{path}" in (REPO / "README.md").read_text("utf-8"), f"README lacks {path}"
