"""What every command shares: the workspace options, opening the workspace, JSON output, the
end of a checking command and reading a signing passphrase."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click

from generator.errors import AftersalesError, UsageError, escape_invisible

# --format's help: the formats every filing command writes (documents.fill.FORMATS)
FORMATS_HELP = "Comma-separated formats: docx, pdf, xlsx, csv"


def workspace_options(json_output: bool = False):
    """--home (and --json) for every command that works in a workspace."""

    def decorate(command):
        command = click.option(
            "--home", type=click.Path(file_okay=False), envvar="AFTERSALES_HOME",
            help="Workspace directory (default: the current directory; env AFTERSALES_HOME).",
        )(command)
        if json_output:
            command = click.option("--json", "as_json", is_flag=True,
                                   help="Print machine-readable JSON.")(command)
        return command

    return decorate


class JsonErrorsGroup(click.Group):
    """The `aftersales` command: when the command line asks for --json, an error is a JSON
    object on standard output, {"error": message, "fields": [...], "exit_code": n}, with the
    exit code it would have had; a program reading the output never has to parse plain text.
    Caught here, at the root, so errors of parsing options are JSON too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_JSON_WANTED] = "--json" in args  # meta is shared by every subcommand's context
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            if not ctx.meta.get(_JSON_WANTED):
                raise
            echo_json({**_error_json(error), "exit_code": error.exit_code})
            ctx.exit(error.exit_code)


def _error_json(error: click.ClickException) -> dict[str, Any]:
    if isinstance(error, AftersalesError):
        return error.as_json()
    if isinstance(error, click.BadParameter) and error.param is not None:
        # a bad or missing option or argument: named as the help shows it (--at, NO)
        param = error.param
        shown = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        return {"error": error.format_message(),
                "fields": [{"field": shown, "key": param.name, "label": None,
                            "message": error.message or error.format_message()}]}
    return {"error": error.format_message(), "fields": []}


_JSON_WANTED = "aftersales.json_wanted"


def open_workspace(home: str | None):
    """The command's workspace, closed (its index connection released) when the command ends."""
    from generator.workspace import Workspace

    workspace = Workspace.open(home)
    click.get_current_context().call_on_close(workspace.close)
    return workspace


def say(text: str = "", **options: Any) -> None:
    """click.echo for lines that hold what people typed or named (notes, names, file names):
    control and format characters shown as \\u escapes, as error messages show them, so a
    listing cannot recolour, rewrite or reorder the terminal."""
    click.echo(escape_invisible(text), **options)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def write_to_stdout(content: bytes) -> None:
    """A file's bytes to standard output (`-o -`): click.echo writes bytes to the binary stream
    beneath, so a DOCX or PDF arrives intact (no newline translation, on Windows either)."""
    click.echo(content, nl=False)


def report_problems(problems: list[str], where: str, ok: str, as_json: bool,
                    **facts: Any) -> None:
    """The end of a checking command: exit 0 with `ok`, or exit 1 naming every problem."""
    if as_json:
        echo_json({"ok": not problems, **facts, "problems": problems})
        if problems:
            sys.exit(1)
    elif problems:
        raise AftersalesError(f"{len(problems)} problem(s) in {where}:\n"
                              + "\n".join(f"  - {p}" for p in problems))
    else:
        click.echo(ok)


PASSPHRASE_VARIABLE = "AFTERSALES_SIGN_PASSPHRASE"


def read_passphrase(environ: Mapping[str, str], *, prompt: str, confirm: bool) -> bytes:
    """A signing key's passphrase: from AFTERSALES_SIGN_PASSPHRASE when set, else typed at a
    hidden prompt (twice when `confirm`). Never an option: command lines end up in shell
    histories and process lists."""
    if PASSPHRASE_VARIABLE in environ:
        return environ[PASSPHRASE_VARIABLE].encode("utf-8")
    if not sys.stdin.isatty():
        raise UsageError(f"no passphrase: set {PASSPHRASE_VARIABLE}, or run the command in a "
                         f"terminal to type it")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm).encode("utf-8")
