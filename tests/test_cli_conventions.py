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


# Every command that takes a form name, with what else it needs to get as far as the form.
WITH_A_FORM = {
    ("fill",): ["fill", "nosuch", "--no-prompt"],
    ("batch",): ["batch", "nosuch", "--data", "rows.csv"],
    ("forms", "show"): ["forms", "show", "nosuch"],
    ("forms", "template"): ["forms", "template", "nosuch"],
    ("forms", "blank"): ["forms", "blank", "nosuch"],
    ("templates", "check"): ["templates", "check", "nosuch"],
    ("index", "list"): ["index", "list", "--form", "nosuch"],
}


def test_every_command_taking_a_form_name_is_checked_here():
    taking = {words for words, command in COMMANDS
              if any(param.name == "form_name" for param in command.params)}
    assert taking == set(WITH_A_FORM)


@pytest.mark.parametrize("args", WITH_A_FORM.values(), ids=" ".join)
def test_an_unknown_form_name_is_bad_usage_everywhere(args, run):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "unknown form 'nosuch'; known forms: acceptance-slip," in result.output


@pytest.mark.parametrize("kind", ["complaint", "packet", "packet-signed", "rulebook"])
def test_index_list_takes_forms_and_the_documents_no_form_fills(kind, run):
    result = run("index", "list", "--form", kind)
    assert (result.exit_code, result.output) == (0, "no documents\n")


def test_index_list_refuses_a_name_no_form_could_have(run):
    result = run("index", "list", "--form", "../complaint")
    assert result.exit_code == 2
    assert "form: '../complaint' is refused" in result.output
