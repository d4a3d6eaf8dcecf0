"""`aftersales demo`: the main job on built-in sample data."""

from __future__ import annotations

import click

from generator.cli.common import FORMATS_HELP, echo_json, open_workspace, workspace_options


@click.command()
@click.option("--format", "formats", metavar="LIST",
              help=f"{FORMATS_HELP}.")
@click.option("--packet", "with_packet", is_flag=True,
              help="Also build the sample agreement's packet (with the ticket's site survey).")
@workspace_options(json_output=True)
def demo(formats: str | None, with_packet: bool, home: str | None, as_json: bool) -> None:
    """Fill every form with its built-in sample data under one new ticket; with --packet, also
    build the sample agreement's packet to sign.

    The samples tell one case, complaint to archive: the builder does not come within its
    warranty notice, the outsourced contractor repairs at the builder's cost, the owner is
    called back and the ticket archived; the month's register, settlement sheet, charge-back
    list and summaries carry the same amounts.

    \b
      aftersales demo --packet
    """
    from generator.documents.demo import run_demo
    from generator.packets.packet import sample_packet

    workspace = open_workspace(home)
    results = run_demo(workspace, formats=formats)
    packet = sample_packet(workspace, results) if with_packet else None
    if packet is not None:
        results.append(packet.result)
    if as_json:
        echo_json([r.as_json() for r in results])
        return
    click.echo(f"Sample ticket {results[0].ticket}: {sum(len(r.documents) for r in results)} "
               f"documents in {workspace.output_dir}")
    for result in results:
        for document in result.documents:
            click.echo(f"  {document.path}")
