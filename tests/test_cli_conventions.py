"""The CLI as people expect it: an example in every command's help, `-o -` to standard output,
errors as JSON under --json, unknown form names refused everywhere."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from generator.cli import cli


def every_command(group: click.Group = cli, path: tuple[str, ...] = ()):
    """(words after `aftersales`, command) for every group and leaf command of the tree."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


COMMANDS = list(every_command())


@pytest.mark.parametrize("words", [words for words, _ in COMMANDS], ids=" ".join)
def test_every_command_shows_an_example_of_itself(words):
    result = CliRunner().invoke(cli, [*words, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    command = "aftersales " + " ".join(words)
    example = re.compile(rf"^\s+{re.escape(command)}\b", re.MULTILINE)
    assert example.search(result.output), f"no example line in `{command} --help`"
