"""`aftersales sign`: signing agreement packets with PAdES signatures."""

from __future__ import annotations

import os
from pathlib import Path

import click

from generator.cli.common import read_passphrase, workspace_options


@click.group()
def sign() -> None:
    """Sign agreement packets with PAdES signatures (needs the sign extra:
    pip install 'aftersales[sign]').

    \b
      aftersales sign make-test-cert --out test.p12
      aftersales packet build --agreement LX-2026-0001 --sign test.p12
    """


@sign.command("make-test-cert")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="The PKCS#12 file to write (relative paths: in the workspace).")
@click.option("--name", default="aftersales test signer", show_default=True,
              help="The certificate's common name (CN).")
@click.option("--organisation", metavar="ORG", help="The certificate's organisation (O).")
@click.option("--days", default=365, show_default=True, type=click.IntRange(min=1),
              help="How many days the certificate is valid.")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@workspace_options()
def sign_make_test_cert(out: str, name: str, organisation: str | None, days: int, force: bool,
                        home: str | None) -> None:
    """Make a self-signed certificate and EC P-256 key in a PKCS#12 file (mode 0600), to try
    signing with. Nobody trusts a self-signed certificate: sign real agreements with one from a
    certificate authority both parties trust.

    The passphrase comes from AFTERSALES_SIGN_PASSPHRASE, or is typed twice at a hidden prompt.

    \b
      aftersales sign make-test-cert --out test.p12 --organisation 示例置业有限公司
    """
    from generator.packets.signing import make_test_cert, refuse_overwrite

    target = Path(out).expanduser()
    if not target.is_absolute():
        target = Path(home or ".") / target
    refuse_overwrite(target, force)  # before asking for a passphrase it would not use
    passphrase = read_passphrase(os.environ, prompt="Passphrase for the new key", confirm=True)
    written = make_test_cert(target, passphrase, name=name, organisation=organisation,
                             days=days, force=force)
    click.echo(f"wrote {written.resolve()} (mode 0600): a self-signed certificate for {name}, "
               f"valid {days} days")
    click.echo("it is for trying signing only: self-signed, so no one's check will trust it")
