"""`aftersales index`: list, show and verify the records index."""

from __future__ import annotations

import json

import click

from generator.cli.common import echo_json, open_workspace, report_problems, workspace_options
from generator.errors import UsageError
from generator.records.index import index_of


@click.group()
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
    if ticket and index_of(workspace).ticket(ticket) is None:
        from generator.errors import UnknownTicket

        raise UnknownTicket(f"unknown ticket {ticket}")
    rows = index_of(workspace).documents(ticket=ticket, form=form_name)
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
    row = index_of(workspace).document(document)
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
    from generator.records.verify import verify

    workspace = open_workspace(home)
    problems = verify(workspace)
    count = len(index_of(workspace).documents())
    report_problems(problems, str(workspace.output_dir),
                    f"OK: {count} documents verified, nothing unindexed", as_json,
                    documents=count)
