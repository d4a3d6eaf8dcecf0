"""One character policy for every format, and messages that stay readable whatever a user
typed: values cut to a readable length, control and format characters shown as \\u escapes,
odd document ids answered with a message instead of a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import escape_invisible, quote
from tests.test_bad_input import as_input, assert_nothing_written, sample

ESC = "\x1b"


def raw(home: Path, *args: str, input: str | None = None):
    """The CLI in-process with colour kept: click strips escape sequences from output that is
    not a terminal, which would hide what a terminal shows."""
    return CliRunner().invoke(cli, [*args, "--home", str(home)], input=input, color=True,
                              catch_exceptions=False)


@pytest.mark.parametrize("char, name", [
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2067", "U+2067 RIGHT-TO-LEFT ISOLATE"),
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\u200d", "U+200D ZERO WIDTH JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u2028", "U+2028 LINE SEPARATOR"),
    ("😀", "U+1F600 GRINNING FACE"),
])
@pytest.mark.parametrize("formats", ["docx", "pdf", "docx,pdf", "csv", "xlsx"])
def test_one_character_policy_for_every_format(run, home, char, name, formats):
    """The issue's example: U+202E, zero-width characters and emoji were accepted with
    --format docx and refused with PDF. Now every format refuses them, by field and name."""
    result = run("fill", "complaint", "--format", formats, "--data", "-",
                 input=as_input(sample() | {"description": f"墙面{char}渗水"}))
    assert result.exit_code == 2, result.output
    assert "问题描述 (description): cannot print" in result.output
    assert name in result.output
    assert_nothing_written(run, home)


def test_invisible_characters_are_named_as_such(run, home):
    result = run("fill", "complaint", "--format", "docx", "--data", "-",
                 input=as_input(sample() | {"owner_name": "张\u202e三"}))
    assert result.exit_code == 2
    assert ("业主姓名 (owner_name): cannot print U+202E RIGHT-TO-LEFT OVERRIDE (invisible: it "
            "changes how the text prints without being seen)") in result.output


def test_a_ten_megabyte_value_is_quoted_short(run, home):
    """The issue's example: a 10 MB value was echoed whole inside the error. A file that
    large is refused as a whole now (more than a record's data can be); a value as long as a
    file may be is quoted short."""
    huge = "1" * 10_000_000
    result = run("fill", "complaint", "--data", "-", input=as_input(sample() | {"phone": huge}))
    assert result.exit_code == 2
    assert "standard input holds more than 4,000,000 characters" in result.output
    assert len(result.output) < 1000

    long = "1" * 3_000_000
    result = run("fill", "complaint", "--data", "-", input=as_input(sample() | {"phone": long}))
    assert result.exit_code == 2
    assert f"联系电话 (phone): a mobile number like 13812345678 or a landline like " \
           f"0571-88888888; got '{'1' * 60}'… (3,000,000 characters)" in result.output
    assert len(result.output) < 1000
    assert_nothing_written(run, home)


def test_long_values_and_keys_are_cut_wherever_they_are_quoted(run, home):
    data = sample() | {"channel": "x" * 100_000, "k" * 1000: "v"}
    result = run("fill", "complaint", "--data", "-", input=as_input(data))
    assert result.exit_code == 2
    assert f"got '{'x' * 60}'… (100,000 characters)" in result.output
    assert f"  - {'k' * 60}… (1,000 characters): unknown field" in result.output
    assert len(result.output) < 1500
    assert_nothing_written(run, home)


def test_escape_sequences_in_keys_and_values_are_shown_escaped(run, home):
    """The issue's example: terminal escape sequences in unknown keys were printed raw."""
    data = sample() | {f"{ESC}[31mcolour": "red", "channel": f"{ESC}]0;owned{chr(7)}pho\rne"}
    result = raw(home, "fill", "complaint", "--data", "-", input=as_input(data))
    assert result.exit_code == 2
    assert ESC not in result.output and "\r" not in result.output and "\x07" not in result.output
    assert r"  - \u001b[31mcolour: unknown field" in result.output
    assert r"got '\u001b]0;owned\u0007pho\u000dne'" in result.output
    assert_nothing_written(run, home)


def test_stray_file_names_are_shown_escaped(home, complaint):
    (home / "output" / f"{ESC}[2Jgone\u202egpj.pdf").write_bytes(b"%PDF-")
    result = raw(home, "index", "verify")
    assert result.exit_code == 1
    assert ESC not in result.output and "\u202e" not in result.output
    assert r"unindexed: output/\u001b[2Jgone\u202egpj.pdf" in result.output


def test_ticket_notes_are_listed_escaped(home, ticket):
    """Notes are typed on the command line and printed by `ticket show`."""
    moved = raw(home, "ticket", "move", ticket, "verifying", "--note",
                f"{ESC}[2Jcleared")
    assert moved.exit_code == 0, moved.output
    shown = raw(home, "ticket", "show", ticket)
    assert shown.exit_code == 0
    assert ESC not in shown.output
    assert r"\u001b[2Jcleared" in shown.output


@pytest.mark.parametrize("document", ["²", "12345678901234567890123", "a" * 5000, "/" + "a" * 5000,
                                      "../../etc/passwd"])
def test_any_document_id_gets_an_answer(run, home, complaint, document):
    """The issue's examples: `index show ²`, ids of 23 digits (and names too long for a path)
    were tracebacks."""
    result = run("index", "show", document)
    assert result.exit_code == 2
    assert result.output.startswith("Error: no document ")
    assert "in the index; see `aftersales index list`" in result.output
    assert len(result.output) < 200


def test_escaping_keeps_chinese_and_line_breaks_and_names_the_rest():
    assert escape_invisible("业主：张三\n第二行") == "业主：张三\n第二行"
    assert escape_invisible("a\tb\x00c\u200bd\U000e0001") == r"a\u0009b\u0000c\u200bd\U000e0001"
    assert escape_invisible("\ud800") == r"\ud800"  # a lone surrogate cannot even be printed
    assert quote("it's") == '"it\'s"'
    assert quote("两行\n文字") == r"'两行\n文字'"
    assert quote(12) == "12"
    assert quote(["x" * 100]) == f"['{'x' * 58}… (104 characters)"


def test_json_output_is_unchanged_data(run, home):
    """Scripts read --json: it carries values as stored, escaped only as JSON escapes them."""
    result = run("fill", "complaint", "--data", "-", "--json",
                 input=as_input(sample() | {"description": "甲 & 乙 <丙>"}))
    assert result.exit_code == 0, result.output
    shown = run("index", "show", json.loads(result.output)["documents"][0]["path"], "--json")
    assert json.loads(shown.output)["data"]["description"] == "甲 & 乙 <丙>"
