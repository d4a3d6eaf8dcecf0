"""`aftersales settlement`: the monthly settlement sheet and charge-back lists."""

from __future__ import annotations

import click

from generator.cli.common import FORMATS_HELP, echo_json, open_workspace, workspace_options


@click.group()
def settlement() -> None:
    """Settle the month's repair costs: what the property company advanced, to claim from the
    developer, and per builder what to recover (cost plus handling fee).

    \b
      aftersales settlement monthly --period 2026-11
    """


@settlement.command("monthly")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month, like 2026-11.")
@click.option("--format", "formats", metavar="LIST",
              help=f"{FORMATS_HELP} (default from aftersales.toml).")
@workspace_options(json_output=True)
def settlement_monthly(period: str, formats: str | None, home: str | None,
                       as_json: bool) -> None:
    """Compute the month's settlement sheet (月度结算单) and one charge-back list (追偿清单) per
    builder from the repair registers, and file them numbered by the month (JS-2026-11,
    ZC-2026-11-01, …). A month with nothing to settle gives a sheet that says so. A month
    once settled is not settled again.

    \b
      aftersales settlement monthly --period 2026-11 --format pdf,xlsx
    """
    from generator.reports.settlement import monthly

    result = monthly(open_workspace(home), period, formats)
    sheet = result.settlement
    claim = sum((item["amount"] for item in sheet["items"]), 0)
    if as_json:
        echo_json({"period": period, "items": len(sheet["items"]), "claim_total": str(claim),
                   "builder_share": str(sheet["builder_share"]),
                   "developer_share": str(sheet["developer_share"]),
                   "owner_share": str(sheet["owner_share"]),
                   "charge_backs": {b: str(sum((i["amount"] for i in d["items"]), 0))
                                    for b, d in result.charge_backs.items()},
                   "documents": [r.as_json() for r in result.documents]})
        return
    if not sheet["items"]:
        click.echo(f"{period}: no advanced repair costs to settle (the sheet says so)")
    else:
        click.echo(f"{period}: {len(sheet['items'])} repairs, {claim:,.2f} yuan to claim from "
                   f"the developer (builders' share {sheet['builder_share']:,.2f})")
    for builder, data in result.charge_backs.items():
        total = sum((i["amount"] for i in data["items"]), 0)
        click.echo(f"  charge back from {builder}: {total:,.2f} yuan ({len(data['items'])} "
                   f"repairs, with a {data['fee_percent']}% handling fee)")
    for filed in result.documents:
        for document in filed.documents:
            click.echo(f"  {document.path}")
