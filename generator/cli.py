"""The `aftersales` command: thin click commands over the library.

Each command parses its options, calls one library function and prints the result. Heavy
libraries (reportlab, docxtpl, lxml) are imported inside the commands that need them, so
`aftersales --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from generator import __version__
from generator.errors import AftersalesError, UsageError


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


def open_workspace(home: str | None):
    """The command's workspace, closed (its index connection released) when the command ends."""
    from generator.workspace import Workspace

    workspace = Workspace.open(home)
    click.get_current_context().call_on_close(workspace.close)
    return workspace


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aftersales")
def cli() -> None:
    """Documents of a residential developer's after-sales service centre.

    Fill the centre's record forms from data files or prompts, get Word (DOCX) and PDF documents
    tied to a ticket number, and keep a tamper-evident index of every document.

    \b
      aftersales demo                                   # a sample ticket's full set of records
      aftersales fill complaint --data complaint.yaml   # opens a ticket
      aftersales fill followup --ticket SH-2026-000001  # prompts for each field
      aftersales index verify
    """


# --- forms -----------------------------------------------------------------------------------


@cli.group()
def forms() -> None:
    """List the document types and show their fields."""


@forms.command("list")
@workspace_options(json_output=True)
def forms_list(home: str | None, as_json: bool) -> None:
    """List every form: name, code and title."""
    from generator.forms import list_forms, load_form

    workspace = open_workspace(home)
    rows = []
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        rows.append({"form": name, "code": form.code, "title": form.title(workspace.language),
                     "ticket": form.ticket_mode})
    if as_json:
        echo_json(rows)
        return
    width = max((len(row["form"]) for row in rows), default=0)
    for row in rows:
        click.echo(f"{row['form']:<{width}}  {row['code']:<10} {row['title']}")


@forms.command("show")
@click.argument("form_name", metavar="FORM")
@workspace_options(json_output=True)
def forms_show(form_name: str, home: str | None, as_json: bool) -> None:
    """Show every field of FORM: key, label, type, required, allowed values."""
    from generator.forms import load_form

    workspace = open_workspace(home)
    form = load_form(workspace, form_name)
    language = workspace.language
    if as_json:
        echo_json({"form": form.name, "title": form.title(language), "schema": form.schema})
        return
    click.echo(f"{form.title(language)}  ({form.name}, {form.code}; ticket: {form.ticket_mode})")
    for fld in form.fields.values():
        _show_field(fld, language, indent="  ")
        for column in fld.columns.values():
            _show_field(column, language, indent="      ")


def _show_field(fld, language: str, indent: str) -> None:
    need = "required" if fld.required else "optional"
    line = f"{indent}{fld.key:<20} {fld.label(language)}  [{fld.type}, {need}]"
    if fld.choices:
        line += "  one of: " + ", ".join(
            f"{code} ({fld.choice_label(code, language)})" for code in fld.choices
        )
    if fld.meta.get("hint"):
        line += f"  format: {fld.meta['hint']}"
    click.echo(line)


@forms.command("template")
@click.argument("form_name", metavar="FORM")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write (default: templates/FORM.docx in the workspace).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@workspace_options()
def forms_template(form_name: str, output: str | None, force: bool, home: str | None) -> None:
    """Write a starting DOCX template for FORM, made from its layout.

    Restyle the result in Word; keep the {{ ... }} tags. A template in the workspace's
    templates/ overrides the bundled one.
    """
    from pathlib import Path

    from generator.docx_template import build_template
    from generator.forms import load_form

    workspace = open_workspace(home)
    form = load_form(workspace, form_name)
    target = Path(output) if output else workspace.root / "templates" / form.template_name
    if target.exists() and not force:
        raise UsageError(f"{target} exists; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_template(form))
    click.echo(f"wrote {target}")


@forms.command("blank")
@click.argument("form_name", metavar="FORM")
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False),
              help="Directory to write to (default: blank-forms/ in the workspace).")
@click.option("--format", "formats", metavar="LIST", help="Comma-separated formats: docx, pdf.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the labels.")
@workspace_options()
def forms_blank(form_name: str, directory: str | None, formats: str | None, lang: str | None,
                home: str | None) -> None:
    """Write FORM blank, for filling in by hand (not indexed: it is no record)."""
    from pathlib import Path

    from generator.fill import render_blank

    workspace = open_workspace(home)
    target = Path(directory) if directory else workspace.root / "blank-forms"
    target.mkdir(parents=True, exist_ok=True)
    for fmt, content in render_blank(workspace, form_name, formats, lang).items():
        path = target / f"{form_name}.{fmt}"
        path.write_bytes(content)
        click.echo(f"wrote {path}")


# --- fill ------------------------------------------------------------------------------------


def _parse_set(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def _load_data(source: str | None) -> dict[str, Any]:
    if source is None:
        return {}
    import yaml

    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        data = yaml.safe_load(text)
    except OSError as exc:
        raise UsageError(f"--data: cannot read {source}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"--data: {source} is not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"--data: {source} is neither YAML nor JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--data: {source} must hold a mapping of field: value")
    return data


@cli.command()
@click.argument("form_name", metavar="FORM")
@click.option("--data", "data_source", metavar="FILE|-",
              help="YAML or JSON file of field values (- for standard input). Keys may be field "
                   "keys or their Chinese labels.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Set one field; repeatable; wins over --data.")
@click.option("--ticket", metavar="NO", help="Attach to this ticket (a complaint without it "
                                             "opens a new one).")
@click.option("--format", "formats", metavar="LIST",
              help="Comma-separated formats: docx, pdf (default from aftersales.toml: both).")
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="Language of the document's labels (default from aftersales.toml: zh).")
@click.option("--prompt/--no-prompt", default=None,
              help="Ask for missing fields (default: only when standard input is a terminal).")
@workspace_options(json_output=True)
def fill(form_name: str, data_source: str | None, assignments: tuple[str, ...],
         ticket: str | None, formats: str | None, lang: str | None, prompt: bool | None,
         home: str | None, as_json: bool) -> None:
    """Fill FORM with data, write its DOCX and PDF, and index them under a ticket.

    Invalid input is refused with every failing field named (exit code 2); nothing is written.
    """
    import datetime as dt

    from generator import fill as filling
    from generator.forms import load_form
    from generator.prompts import ask_missing

    workspace = open_workspace(home)
    if data_source == "-" and prompt:
        raise UsageError("--data - reads standard input, so it cannot also answer prompts")
    data = _load_data(data_source)
    data.update(_parse_set(assignments))
    if prompt is None:
        prompt = data_source != "-" and sys.stdin.isatty()
    if prompt:
        form = load_form(workspace, form_name)
        language = lang or workspace.language
        data = filling.prefill(workspace, form, data, ticket, dt.datetime.now())
        data = ask_missing(
            form, data,
            ask=lambda text, default: click.prompt(text, default=default, show_default=bool(
                default), err=True),
            say=lambda text: click.echo(text, err=True),
            language=language,
        )
    result = filling.fill(workspace, form_name, data, ticket=ticket, formats=formats,
                          language=lang)
    if as_json:
        echo_json(result.as_json())
        return
    if result.opened_ticket:
        click.echo(f"Opened ticket {result.ticket}")
    where = f"ticket {result.ticket}" if result.ticket else "no ticket"
    click.echo(f"{result.form} {result.record_no} ({where}):")
    for document in result.documents:
        click.echo(f"  {document.path}")


# --- index -----------------------------------------------------------------------------------


@cli.group()
def index() -> None:
    """List, show and verify the documents in the records index."""


@index.command("list")
@click.option("--ticket", metavar="NO", help="Only this ticket's documents.")
@click.option("--form", "form_name", metavar="FORM", help="Only documents of this form.")
@workspace_options(json_output=True)
def index_list(ticket: str | None, form_name: str | None, home: str | None,
               as_json: bool) -> None:
    """List indexed documents, oldest first."""
    workspace = open_workspace(home)
    if ticket and workspace.index.ticket(ticket) is None:
        from generator.errors import UnknownTicket

        raise UnknownTicket(f"unknown ticket {ticket}")
    rows = workspace.index.documents(ticket=ticket, form=form_name)
    if as_json:
        echo_json([{k: v for k, v in row.items() if k != "data"} for row in rows])
        return
    if not rows:
        click.echo("no documents")
    for row in rows:
        click.echo(f"{row['id']:>5}  {row['ticket'] or '-':<16} {row['form']:<16} "
                   f"{row['record_no']:<14} {row['format']:<5} {row['created_at']}  {row['path']}")


@index.command("show")
@click.argument("document", metavar="DOC")
@workspace_options(json_output=True)
def index_show(document: str, home: str | None, as_json: bool) -> None:
    """Show one document's index row: DOC is its id or its path in the workspace."""
    workspace = open_workspace(home)
    row = workspace.index.document(document)
    if row is None:
        raise UsageError(f"no document {document!r} in the index; see `aftersales index list`")
    row["data"] = json.loads(row["data"])
    if as_json:
        echo_json(row)
        return
    for key, value in row.items():
        if key != "data":
            click.echo(f"{key:<16} {value}")
    click.echo("data:")
    click.echo(json.dumps(row["data"], ensure_ascii=False, indent=2))


@index.command("verify")
@workspace_options(json_output=True)
def index_verify(home: str | None, as_json: bool) -> None:
    """Check that every indexed file exists unchanged, every file in output/ is indexed and
    every ticket's hash chain is whole. Exit code 1 names each problem."""
    from generator.audit import verify

    workspace = open_workspace(home)
    problems = verify(workspace)
    count = len(workspace.index.documents())
    report_problems(problems, str(workspace.output_dir),
                    f"OK: {count} documents verified, nothing unindexed", as_json,
                    documents=count)


# --- rulebook --------------------------------------------------------------------------------


@cli.group()
def rulebook() -> None:
    """Build and check the centre's full rulebook (handbook)."""


@rulebook.command("build")
@click.option("--version", "version", required=True, metavar="V",
              help="The edition's version, like 2.1; a built version is never rebuilt.")
@click.option("--effective", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              metavar="YYYY-MM-DD", help="The date the edition takes effect.")
@click.option("--format", "formats", metavar="LIST",
              help="Comma-separated formats: docx, pdf (default from aftersales.toml: both).")
@workspace_options(json_output=True)
def rulebook_build(version: str, effective, formats: str | None, home: str | None,
                   as_json: bool) -> None:
    """Build the whole rulebook — cover, approvals, contents, every chapter, every blank form —
    as one controlled document, recorded in the index with its version."""
    from generator.rulebook import build

    workspace = open_workspace(home)
    result = build(workspace, version, effective.date(), formats)
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(f"rulebook {version} (effective {effective.date().isoformat()}):")
    for document in result.documents:
        click.echo(f"  {document.path}")


@rulebook.command("check")
@workspace_options(json_output=True)
def rulebook_check(home: str | None, as_json: bool) -> None:
    """Check the rulebook's sources: every chapter present, every placeholder filled, every
    referenced form and figure exists. Exit code 1 names each problem."""
    from generator.rulebook import check

    problems = check(open_workspace(home))
    report_problems(problems, "the rulebook",
                    "OK: every chapter present, every placeholder filled, every form and figure "
                    "found", as_json)


# --- demo ------------------------------------------------------------------------------------


@cli.command()
@click.option("--format", "formats", metavar="LIST", help="Comma-separated formats: docx, pdf.")
@workspace_options(json_output=True)
def demo(formats: str | None, home: str | None, as_json: bool) -> None:
    """Fill every form with its built-in sample data under one new ticket."""
    from generator.demo import run_demo

    workspace = open_workspace(home)
    results = run_demo(workspace, formats=formats)
    if as_json:
        echo_json([r.as_json() for r in results])
        return
    click.echo(f"Sample ticket {results[0].ticket}: {sum(len(r.documents) for r in results)} "
               f"documents in {workspace.output_dir}")
    for result in results:
        for document in result.documents:
            click.echo(f"  {document.path}")


def main() -> None:
    cli(prog_name="aftersales")

