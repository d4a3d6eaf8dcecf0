"""The `aftersales` command: thin click commands over the library, one module per command group.

Each command parses its options, calls one library function and prints the result. Heavy
libraries (reportlab, docxtpl, lxml, SQLAlchemy) are imported inside the commands that need them,
so `aftersales --help` stays fast.
"""

from __future__ import annotations

import click

from generator import __version__
from generator.cli.batch import batch
from generator.cli.common import JsonErrorsGroup
from generator.cli.demo import demo
from generator.cli.doctor import doctor
from generator.cli.fill import fill
from generator.cli.forms import forms
from generator.cli.index import index
from generator.cli.init import init
from generator.cli.packet import packet
from generator.cli.rulebook import rulebook
from generator.cli.settlement import settlement
from generator.cli.sign import sign
from generator.cli.summary import summary
from generator.cli.templates import templates
from generator.cli.ticket import ticket


@click.group(cls=JsonErrorsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aftersales")
def cli() -> None:
    """Documents of a residential developer's after-sales service centre.

    Fill the centre's record forms from data files or prompts, get Word (DOCX) and PDF documents
    tied to a ticket number, and keep a tamper-evident index of every document.

    \b
      aftersales init --copy templates                  # a workspace, with templates to edit
      aftersales demo                                   # a sample ticket's full set of records
      aftersales fill complaint --data complaint.yaml   # opens a ticket
      aftersales fill followup --ticket SH-2026-000001  # prompts for each field
      aftersales index verify
      aftersales templates check                        # after customising a template
      aftersales doctor                                 # what this machine lacks, and the fix
    """


for command in (init, forms, fill, batch, ticket, packet, sign, settlement, summary, index,
                rulebook, demo, templates, doctor):
    cli.add_command(command)


def main() -> None:
    import signal

    from generator.errors import Interrupted

    def stop(signum, frame):
        # unwind like Ctrl-C, so a fill in progress voids its numbers and removes its files
        # (the filing says how it ended; records.index defers this during a transaction)
        raise Interrupted("stopped (SIGTERM); anything left half-done is settled by the next "
                          "writing command (`aftersales index verify` shows it)")

    signal.signal(signal.SIGTERM, stop)
    cli(prog_name="aftersales")
