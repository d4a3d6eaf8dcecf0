"""`aftersales summary`: the centre's weekly, monthly, quarterly and annual summaries, computed
from the records."""

from __future__ import annotations

import click

from generator.cli.common import FORMATS_HELP, echo_json, open_workspace, workspace_options

EXAMPLES = {"weekly": "2026-W48", "monthly": "2026-11", "quarterly": "2026-Q4",
            "annual": "2026"}


@click.group()
def summary() -> None:
    """Compute the centre's summaries from the records: received, closed and carried over; by
    kind, category, building and responsible party; promises kept on time; response and
    completion times; follow-up and satisfaction rates; repeat complaints; costs advanced and
    to recover — each beside the previous period and the same period a year earlier, with
    charts, and filed under the period (a period summarised again is a new version).

    \b
      aftersales summary weekly --period 2026-W48
      aftersales summary monthly --period 2026-11 --format pdf,docx,xlsx,csv
      aftersales summary quarterly --period 2026-Q4
      aftersales summary annual --period 2026 --unmasked
    """


def _command(kind: str):
    @summary.command(kind, help=(
        f"The {kind} summary for --period (like {EXAMPLES[kind]}; default: the last complete "
        f"one). Owners' names and phones are masked (张*, 138****5678) unless --unmasked, which "
        f"the index records with who asked and when.\n\n\b\n"
        f"  aftersales summary {kind} --period {EXAMPLES[kind]} --format pdf,xlsx"))
    @click.option("--period", metavar="PERIOD", help=f"The period, like {EXAMPLES[kind]}.")
    @click.option("--format", "formats", metavar="LIST",
                  help=f"{FORMATS_HELP} (default from aftersales.toml: docx,pdf).")
    @click.option("--unmasked", is_flag=True,
                  help="Print owners' names and phones in full (recorded in the index).")
    @click.option("--by", metavar="NAME", help="Compiled by (default: AFTERSALES_USER, else your "
                                               "login name).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the document.")
    @workspace_options(json_output=True)
    def command(period: str | None, formats: str | None, unmasked: bool, by: str | None,
                lang: str | None, home: str | None, as_json: bool) -> None:
        from generator.reports import periods
        from generator.reports.summary import build
        from generator.tickets.service import who

        workspace = open_workspace(home)
        label = period or periods.latest(kind).label
        result = build(workspace, kind, label, formats=formats, unmasked=unmasked,
                       by=by or who(), language=lang)
        data, filed = result.data, result.filed
        if as_json:
            echo_json({"period": result.period.label, "record_no": filed.record_no,
                       "empty": result.empty, "unmasked": unmasked,
                       "figures": {row["key"]: row for row in result.figures},
                       "documents": filed.as_json()["documents"]})
            return
        what = "nothing happened in it (the summary says so)" if result.empty else (
            f"received {data['received']}, closed {data['closed']}, carried over "
            f"{data['carried_over']}, overdue {data['overdue']}")
        click.echo(f"{kind} summary {result.period.label} ({filed.record_no}): {what}")
        for document in filed.documents:
            click.echo(f"  {document.path}")
        if unmasked:
            click.echo("note: owners' names and phones are unmasked; the index records that "
                       "you printed them", err=True)

    return command


for _kind in EXAMPLES:
    _command(_kind)
