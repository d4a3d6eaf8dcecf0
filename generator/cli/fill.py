"""`aftersales fill`: one record, from a data file, --set and prompts."""

from __future__ import annotations

import sys

import click

from generator.cli.common import FORMATS_HELP, echo_json, open_workspace, say, workspace_options
from generator.cli.completion import complete_forms, complete_tickets
from generator.errors import UsageError, quote


def _parse_set(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value, got {quote(item)}")
        pairs[key.strip()] = value
    return pairs


@click.command()
@click.argument("form_name", metavar="FORM", shell_complete=complete_forms)
@click.option("--data", "data_source", metavar="FILE|-",
              help="YAML or JSON file of field values (- for standard input). Keys may be field "
                   "keys or their Chinese labels.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Set one field; repeatable; wins over --data.")
@click.option("--ticket", metavar="NO", shell_complete=complete_tickets,
              help="Attach to this ticket (a complaint without it "
                                             "opens a new one).")
@click.option("--format", "formats", metavar="LIST",
              help=f"{FORMATS_HELP} (default from aftersales.toml: docx,pdf).")
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

    \b
      aftersales fill complaint --data complaint.yaml          # opens a ticket
      aftersales fill followup --ticket SH-2026-000001         # prompts for each field
      aftersales fill site-survey --ticket SH-2026-000001 --set surveyors=王工 --format pdf
    """
    import datetime as dt

    from generator.documents import fill as filling
    from generator.documents.datafile import load_data
    from generator.documents.forms import load_form
    from generator.documents.prompts import ask_missing

    workspace = open_workspace(home)
    if data_source == "-" and prompt:
        raise UsageError("--data - reads standard input, so it cannot also answer prompts")
    data = load_data(data_source) if data_source is not None else {}
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
            say=lambda text: say(text, err=True),
            language=language,
        )
    result = filling.fill(workspace, form_name, data, ticket=ticket, formats=formats,
                          language=lang)
    from generator.records.index import index_of

    for voided in index_of(workspace).recovered:
        click.echo(f"note: voided {voided}, left half-filed by a process that was killed "
                   f"(its number is not reused)", err=True)
    if as_json:
        echo_json(result.as_json())
        return
    if result.opened_ticket:
        click.echo(f"Opened ticket {result.ticket}")
    where = f"ticket {result.ticket}" if result.ticket else "no ticket"
    click.echo(f"{result.form} {result.record_no} ({where}):")
    for document in result.documents:
        click.echo(f"  {document.path}")
