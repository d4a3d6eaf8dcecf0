"""`aftersales packet`: agreement packets both parties sign: build, verify, file the signed one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from generator.cli.common import echo_json, open_workspace, read_passphrase, workspace_options
from generator.cli.completion import complete_tickets


@click.group()
def packet() -> None:
    """Agreement packets: the agreement, its attachments and a manifest in one PDF to sign.

    \b
      aftersales packet build --agreement LX-2026-0001 --attach survey:XK-2026-0003 \\
          --attach qty.xlsx --attach site1.jpg --attach quote.pdf
      aftersales packet build --agreement LX-2026-0001 --sign company.p12
      aftersales packet verify output/SH-2026-000001/packet_PK-2026-0001.pdf
      aftersales packet file-signed PK-2026-0001 --scan signed.pdf
    """


@packet.command("build")
@click.option("--agreement", required=True, metavar="RECORD",
              help="The agreement's record number (LX-2026-0001, WB-2026-0001); it must have "
                   "been filled with a PDF.")
@click.option("--ticket", metavar="NO", shell_complete=complete_tickets,
              help="The ticket (default: the agreement's); an agreement of another ticket is "
                   "refused.")
@click.option("--attach", "attachments", multiple=True, metavar="FILE|RECORD",
              help="A part after the agreement (part 1), in order (repeatable): a PDF, DOCX "
                   "(converted with LibreOffice), PNG/JPEG photo, XLSX or CSV file, or an "
                   "indexed record's number, optionally with its form: survey:XK-2026-0003.")
@click.option("--seal", type=click.Path(dir_okay=False, path_type=Path), metavar="IMAGE",
              help="A company seal (PNG with transparency, or JPEG) placed on the signature "
                   "page over party A's seal line.")
@click.option("--sign", "p12", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.p12",
              help="Sign the packet (PAdES) with this PKCS#12 certificate; the passphrase comes "
                   "from AFTERSALES_SIGN_PASSPHRASE or a prompt. Needs aftersales[sign].")
@workspace_options(json_output=True)
def packet_build(agreement: str, ticket: str | None, attachments: tuple[str, ...],
                 seal: Path | None, p12: Path | None, home: str | None, as_json: bool) -> None:
    """Build an agreement packet: a cover sheet with its contents, the agreement, every
    attachment and a manifest of SHA-256 hashes, each page stamped with the ticket, the packet
    number and its page number; filed under the agreement's ticket.

    \b
      aftersales packet build --agreement LX-2026-0001 --attach survey:XK-2026-0003 \\
          --attach qty.xlsx --attach site1.jpg --sign company.p12
    """
    from generator.packets.packet import build

    workspace = open_workspace(home)
    signer = None
    if p12 is not None:
        from generator.packets.signing import load_signer

        signer = load_signer(p12, read_passphrase(os.environ, prompt=f"Passphrase for {p12}",
                                                  confirm=False))
    built = build(workspace, agreement=agreement, attachments=list(attachments),
                  ticket=ticket, seal=seal, signer=signer)
    if as_json:
        echo_json({**built.result.as_json(), "pages": built.pages, "signed": built.signed,
                   "parts": built.parts})
        return
    result = built.result
    click.echo(f"packet {result.record_no} (ticket {result.ticket or '—'}), {built.pages} pages"
               f"{', signed' if built.signed else ''}:")
    for part in built.parts:
        first, last = part["pages"]
        click.echo(f"  {part['number']:>2}. {part['title']}  pages {first}–{last}  "
                   f"sha256 {part['sha256'][:16]}…")
    for document in result.documents:
        click.echo(f"  {document.path}")


@packet.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@workspace_options(json_output=True)
def packet_verify(path: Path, home: str | None, as_json: bool) -> None:
    """Check a packet: identical to the one filed (intact) or modified, every signature valid
    and covering the whole file, and every part in its manifest matching the index. Exit code 1
    on any mismatch.

    \b
      aftersales packet verify output/SH-2026-000001/packet_PK-2026-0001.pdf
    """
    from generator.packets.packet import check

    report = check(open_workspace(home), path)
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo(f"{report.path}: packet {report.packet_no or '?'} (ticket "
                   f"{report.ticket or '—'})")
        for line in report.findings:
            click.echo(f"  ok       {line}")
        for line in report.problems:
            click.echo(f"  PROBLEM  {line}")
        click.echo("OK: intact" if report.ok else f"FAILED: {len(report.problems)} problem(s)")
    if not report.ok:
        sys.exit(1)


@packet.command("file-signed")
@click.argument("packet_no", metavar="PACKET")
@click.option("--scan", "scans", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The signed copy: a PDF, or one PNG/JPEG per page in order (repeatable).")
@workspace_options(json_output=True)
def packet_file_signed(packet_no: str, scans: tuple[Path, ...], home: str | None,
                       as_json: bool) -> None:
    """File the copy both parties signed and sealed, with its SHA-256, under the packet's
    number and ticket (`ticket show` and `index list` show it).

    \b
      aftersales packet file-signed PK-2026-0001 --scan signed.pdf
    """
    from generator.packets.packet import file_signed

    result = file_signed(open_workspace(home), packet_no, list(scans))
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(f"signed copy of {packet_no} filed (ticket {result.ticket or '—'}):")
    for document in result.documents:
        click.echo(f"  {document.path}  sha256 {document.sha256[:16]}…")
