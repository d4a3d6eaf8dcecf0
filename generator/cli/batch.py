"""`aftersales batch`: many records of one form from a sheet."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator.cli.common import FORMATS_HELP, echo_json, open_workspace, workspace_options
from generator.cli.completion import complete_forms


@click.command()
@click.argument("form_name", metavar="FORM", shell_complete=complete_forms)
@click.option("--data", "source", required=True, metavar="FILE|-",
              help="The sheet: CSV (UTF-8, or GB18030/GBK as Chinese Excel saves it), XLSX, "
                   "JSON Lines, or - for a table pasted on standard input (tab-separated, "
                   "headers first). Headers are field keys or their labels.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes filing at once (default: the machine's cores).")
@click.option("--resume", is_flag=True,
              help="File the rows a stopped or killed run of the same sheet left; nothing is "
                   "filed twice.")
@click.option("--combine", is_flag=True,
              help="Also write the whole batch as one PDF to print, a bookmark per record.")
@click.option("--group-by", metavar="COLUMN",
              help="For forms with line items: the column whose equal values on consecutive "
                   "rows make one record.")
@click.option("--format", "formats", metavar="LIST", help=f"{FORMATS_HELP}.")
@workspace_options(json_output=True)
def batch(form_name: str, source: str, jobs: int | None, resume: bool, combine: bool,
          group_by: str | None, formats: str | None, home: str | None, as_json: bool) -> None:
    """File every record of a sheet: good rows are filed, bad rows listed with their row,
    field and reason in an error report (batches/…-errors.csv and .txt); exit code 2 when any
    row was refused. Stopped or killed part-way? Run it again with --resume.

    \b
      aftersales batch warranty-card --data 交付清单.xlsx --jobs 2 --combine
      aftersales batch repair-register --data 维修登记.csv
      aftersales batch warranty-card --data units.xlsx --resume
    """
    from generator.batch.run import run_batch

    workspace = open_workspace(home)
    # a bar on a terminal (the sheet is streamed, so its length is unknown: the bar pulses and
    # counts), nothing when piped
    show = sys.stderr.isatty() and not as_json
    unknown_length = (_ for _ in ())  # click's bar pulses for an iterable of no length
    with click.progressbar(unknown_length, label="filing", file=sys.stderr, show_pos=True,
                           hidden=not show, item_show_func=_tally) as bar:
        def progress(result) -> None:
            bar.update(1, result)

        result = run_batch(workspace, form_name, "-" if source == "-" else Path(source),
                           jobs=jobs, formats=formats, resume=resume, combine=combine,
                           group_by=group_by, progress=progress)
    if as_json:
        echo_json(result.as_json())
    else:
        click.echo(f"batch {result.batch}: {result.rows} records read, {result.filed} filed"
                   + (f", {result.earlier} filed before" if result.earlier else "")
                   + f", {result.failed} refused")
        for path in result.reports:
            click.echo(f"  refused rows: {path}")
        if result.combined:
            click.echo(f"  to print: {result.combined}")
    if result.failed:
        sys.exit(2)


def _tally(result) -> str:
    if result is None:
        return ""
    return f"{result.filed + result.earlier} filed, {result.failed} refused"
