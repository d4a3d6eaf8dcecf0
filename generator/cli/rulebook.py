"""`aftersales rulebook`: build and check the centre's full rulebook."""

from __future__ import annotations

import click

from generator.cli.common import echo_json, open_workspace, report_problems, workspace_options


@click.group()
def rulebook() -> None:
    """Build and check the centre's full rulebook (handbook).

    \b
      aftersales rulebook check
      aftersales rulebook build --version 2.1 --effective 2027-01-01
    """


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
    as one controlled document, recorded in the index with its version.

    \b
      aftersales rulebook build --version 2.1 --effective 2027-01-01 --format pdf
    """
    from generator.rulebook.build import build

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
    referenced form and figure exists. Exit code 1 names each problem.

    \b
      aftersales rulebook check --json
    """
    from generator.rulebook.model import check

    problems = check(open_workspace(home))
    report_problems(problems, "the rulebook",
                    "OK: every chapter present, every placeholder filled, every form and figure "
                    "found", as_json)
