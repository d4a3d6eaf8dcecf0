"""The CLI as people expect it: an example in every command's help, `-o -` to standard output,
errors as JSON under --json, unknown form names refused everywhere."""

from __future__ import annotations

import io
import json
import re
import shlex

import click
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.cli.reference import REGENERATE, reference
from tests.conftest import REPO, docx_text


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


def examples() -> list[str]:
    """Every example line of every command's help, as shown."""
    lines = set()
    for words, _ in [((), cli), *COMMANDS]:
        shown = CliRunner().invoke(cli, [*words, "--help"], catch_exceptions=False).output
        shown = shown.partition("\nOptions:")[0]  # the options' help may quote a default
        lines.update(re.findall(r"^\s+(aftersales .*)$", shown, re.MULTILINE))
    return sorted(lines)


@pytest.mark.parametrize("line", examples())
def test_every_example_names_real_commands_and_options(line):
    words = shlex.split(line.rstrip("\\"), comments=True)
    for end in (">", "|"):  # the shell's part of the line
        words = words[:words.index(end)] if end in words else words
    # --help is eager: click still refuses an unknown command or option, then shows the help
    result = CliRunner().invoke(cli, [*words[1:], "--help"])
    assert result.exit_code == 0, result.output


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


WITH_JSON = [words for words, command in COMMANDS
             if any(param.name == "as_json" for param in command.params)]


def json_error(result) -> dict:
    """The error a --json run printed: standard output is one JSON object and nothing else."""
    return json.loads(result.stdout)


def test_a_validation_failure_under_json_names_every_field(run):
    result = run("fill", "complaint", "--no-prompt", "--set", "phone=abc", "--json")
    assert result.exit_code == 2
    error = json_error(result)
    assert error["error"] == "complaint: 9 fields failed validation; nothing was written."
    assert error["exit_code"] == 2
    assert {"field": "联系电话 (phone)", "key": "phone", "label": "联系电话",
            "message": "a mobile number like 13812345678 or a landline like 0571-88888888; "
                       "got 'abc'"} in error["fields"]
    assert {"field": "房号 (room)", "key": "room", "label": "房号",
            "message": "required field"} in error["fields"]
    assert len(error["fields"]) == 9


def test_a_row_problem_names_the_row_and_its_column(run, tmp_path):
    data = tmp_path / "register.json"
    data.write_text('{"repairs": [{"date": "x"}]}')
    result = run("fill", "repair-register", "--no-prompt", "--data", str(data), "--json")
    assert result.exit_code == 2
    assert {"field": "日期 (repairs[1].date)", "key": "repairs[1].date", "label": "日期",
            "message": "must be a date like 2026-11-28; got 'x'"} in json_error(result)["fields"]


@pytest.mark.parametrize("args, message", [
    (["index", "list", "--form", "nosuch", "--json"], "unknown form 'nosuch'; known forms: "),
    (["ticket", "show", "SH-2026-999999", "--json"], "unknown ticket SH-2026-999999"),
])
def test_a_usage_error_under_json_is_json_with_exit_code_2(args, message, run):
    result = run(*args)
    assert result.exit_code == 2
    error = json_error(result)
    assert error["error"].startswith(message)
    assert (error["fields"], error["exit_code"]) == ([], 2)


def test_a_bad_option_value_under_json_names_the_option(run):
    result = run("ticket", "move", "SH-2026-000001", "verifying", "--at", "tomorrow", "--json")
    assert result.exit_code == 2
    assert json_error(result)["fields"] == [{
        "field": "--at", "key": "when", "label": None,
        "message": "'tomorrow' does not match the formats '%Y-%m-%d %H:%M', '%Y-%m-%d'."}]


@pytest.mark.parametrize("words", WITH_JSON, ids=" ".join)
def test_every_command_with_json_answers_a_parse_error_in_json(words, run):
    result = run(*words, "--no-such-option", "--json")
    assert result.exit_code == 2
    assert json_error(result) == {"error": "No such option '--no-such-option'.", "fields": [],
                                  "exit_code": 2}


def test_without_json_an_error_stays_plain_text(run):
    result = run("index", "list", "--form", "nosuch")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: unknown form 'nosuch'")


def test_a_starting_template_to_standard_output(run, home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("forms", "template", "complaint", "-o", "-")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists() and not (home / "-").exists()
    streamed = tmp_path / "streamed.docx"
    streamed.write_bytes(result.stdout_bytes)
    assert run("forms", "template", "complaint", "-o", str(tmp_path / "file.docx")).exit_code == 0
    assert docx_text(streamed) == docx_text(tmp_path / "file.docx")
    assert "{{ f.owner_name }}" in docx_text(streamed)


def test_a_blank_form_to_standard_output(run, home):
    result = run("forms", "blank", "site-survey", "--format", "pdf", "-o", "-")
    assert result.exit_code == 0, result.output
    assert "现场勘查记录" in PdfReader(io.BytesIO(result.stdout_bytes)).pages[0].extract_text()
    assert not (home / "blank-forms").exists()


def test_several_files_are_not_written_to_standard_output(run, home):
    result = run("forms", "blank", "site-survey", "--format", "pdf,docx", "-o", "-")
    assert result.exit_code == 2
    assert result.output == (
        "Error: -o - writes one file to standard output, and site-survey blank in pdf,docx is 2 "
        "files: choose one with --format (like --format pdf), or write them to a directory with "
        "-o DIR\n")
    assert not (home / "blank-forms").exists()


def test_the_cli_reference_is_up_to_date():
    written = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == reference(), (
        f"docs/cli.md is out of date: regenerate it with `{REGENERATE}` in {REPO}")


def test_the_cli_reference_holds_every_commands_help():
    text = reference()
    for words, _ in COMMANDS:
        command = "aftersales " + " ".join(words)
        assert f"\n## {command}\n\n```text\nUsage: {command} " in text
    assert "  -h, --help" in text


def complete(home, *words: str) -> str:
    """What `aftersales WORDS<TAB>` offers in bash, the way bash asks: the command line in
    COMP_WORDS, the word under the cursor in COMP_CWORD (the last, maybe empty, word)."""
    line = " ".join(("aftersales", *words))
    result = CliRunner().invoke(cli, [], prog_name="aftersales", env={
        "_AFTERSALES_COMPLETE": "bash_complete", "COMP_WORDS": line,
        "COMP_CWORD": str(len(words)), "AFTERSALES_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.output


def test_form_names_complete_from_the_bundled_forms_and_the_workspaces_own(home):
    (home / "forms").mkdir()
    (home / "forms" / "house-check.yaml").write_text("code: FJ-01\n", "utf-8")
    assert complete(home, "fill", "co") == "plain,complaint\n"
    assert complete(home, "index", "list", "--form", "ho") == "plain,house-check\n"
    assert complete(home, "templates", "check", "warranty-") == (
        "plain,warranty-card\nplain,warranty-notice\n")


def test_ticket_numbers_complete_from_the_index(backend, home, ticket):
    assert complete(home, "ticket", "show", "") == f"plain,{ticket}\n"
    assert complete(home, "fill", "followup", "--ticket", ticket[:3]) == f"plain,{ticket}\n"
    assert complete(home, "index", "list", "--ticket", "XX") == "\n"  # nothing offered
    # typed text is a prefix, not a pattern: _ and % match only themselves
    assert complete(home, "ticket", "show", ticket[:2] + "_") == "\n"
    assert complete(home, "ticket", "show", "%") == "\n"


def test_completing_a_ticket_never_creates_an_index(home):
    assert complete(home, "ticket", "close", "") == "\n"  # nothing offered
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("words", [words for words, command in COMMANDS
                                   if any(p.name == "form_name" for p in command.params)],
                         ids=" ".join)
def test_every_form_name_completes(words, home):
    option = ["--form"] if words == ("index", "list") else []
    assert "plain,complaint\n" in complete(home, *words, *option, "compl")


@pytest.mark.parametrize("words", [words for words, command in COMMANDS
                                   if any(p.metavar == "NO" for p in command.params)],
                         ids=" ".join)
def test_every_ticket_number_completes(words, home, ticket):
    takes_option = any(p.name == "ticket" for p in dict(COMMANDS)[words].params)
    offered = complete(home, *words, *(["--ticket"] if takes_option else []), ticket[:4])
    assert f"plain,{ticket}\n" in offered


@pytest.mark.parametrize("shell, registers", [
    ("bash", "complete -o nosort -F _aftersales_completion aftersales"),
    ("zsh", "compdef _aftersales_completion aftersales"),
    ("fish", "complete --no-files --command aftersales"),
    ("powershell", "Register-ArgumentCompleter -Native -CommandName aftersales"),
])
def test_each_shell_gets_its_completion_script(shell, registers):
    result = CliRunner().invoke(cli, [], prog_name="aftersales",
                                env={"_AFTERSALES_COMPLETE": f"{shell}_source"})
    assert result.exit_code == 0
    assert registers in result.output
    assert "_AFTERSALES_COMPLETE" in result.output
