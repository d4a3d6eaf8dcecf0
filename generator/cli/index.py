"""`aftersales index`: list, show and verify the records index; sign its history; upgrade it or
move it to a shared server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from generator.cli.common import echo_json, open_workspace, say, workspace_options
from generator.cli.completion import complete_forms, complete_tickets
from generator.errors import AftersalesError, UnknownForm, UnknownTicket, UsageError, quote, shorten

DEFAULT_KEY = Path("~/.config/aftersales/signing.key")
LISTED = ("id", "ticket", "entry", "form", "record_no", "format", "path", "sha256", "size",
          "created_at", "template", "template_sha256", "prev_hash", "row_hash")


def _index(home: str | None, write: bool = False):
    from generator.records.index import index_of

    workspace = open_workspace(home)
    return workspace, index_of(workspace, write=write)


@click.group()
def index() -> None:
    """List, show and verify the documents in the records index; sign its history
    (checkpoint); upgrade it in place or copy it to a shared PostgreSQL server (migrate).

    \b
    The index is SQLite in the workspace (output/index.sqlite3) unless [index] url in
    aftersales.toml, or AFTERSALES_INDEX_URL, names a PostgreSQL server. list, show and verify
    only read: they work on a read-only workspace or with a read-only database role.

    \b
      aftersales index list --ticket SH-2026-000001
      aftersales index verify
      aftersales index migrate --to postgresql://aftersales@db/centre
    """


@index.command("list")
@click.option("--ticket", metavar="NO", shell_complete=complete_tickets,
              help="Only this ticket's documents.")
@click.option("--form", "form_name", metavar="FORM", shell_complete=complete_forms,
              help="Only documents of this form.")
@workspace_options(json_output=True)
def index_list(ticket: str | None, form_name: str | None, home: str | None,
               as_json: bool) -> None:
    """List indexed documents, oldest first (streamed: any number of rows in little memory).

    \b
      aftersales index list --ticket SH-2026-000001
      aftersales index list --form complaint --json
    """
    workspace, records = _index(home)
    if ticket and records.ticket(ticket) is None:
        raise UnknownTicket(f"unknown ticket {shorten(ticket)}")
    if form_name is not None:
        _check_indexed_form(workspace, form_name)
    rows = records.documents(ticket=ticket, form=form_name)
    if as_json:
        # one row at a time, so a million documents need no more memory than one
        first = True
        say("[", nl=False)
        for row in rows:
            say(("\n  " if first else ",\n  ")
                       + json.dumps({k: row[k] for k in LISTED}, ensure_ascii=False), nl=False)
            first = False
        say("]" if first else "\n]")
        return
    empty = True
    for row in rows:
        empty = False
        say(f"{row['id']:>5}  {row['ticket'] or '-':<16} {row['form']:<16} "
                   f"{row['record_no']:<14} {row['format']:<5} {row['created_at']}  {row['path']}")
    if empty:
        say("no documents")


def _check_indexed_form(workspace, name: str) -> None:
    """--form names a form, or a document the index files that no form fills (packets, the
    rulebook); anything else would list nothing and look like an empty index."""
    from generator import names
    from generator.documents.forms import list_forms
    from generator.packets.packet import FORM as PACKET
    from generator.packets.packet import SIGNED_FORM as SIGNED_PACKET
    from generator.rulebook.model import FORM_NAME as RULEBOOK

    without_form = (PACKET, SIGNED_PACKET, RULEBOOK)
    if name in without_form:
        return
    names.FORM.check(name, "form", UnknownForm)
    known = list_forms(workspace)
    if name not in known:
        raise UnknownForm(f"unknown form {quote(name)}; known forms: {', '.join(known)}; and "
                          f"documents no form fills: {', '.join(without_form)}")


@index.command("show")
@click.argument("document", metavar="DOC")
@workspace_options(json_output=True)
def index_show(document: str, home: str | None, as_json: bool) -> None:
    """Show one document's index row: DOC is its id or its path in the workspace.

    \b
      aftersales index show 12
      aftersales index show 12 --json
    """
    _, records = _index(home)
    row = records.document(document)
    if row is None:
        raise UsageError(f"no document {quote(document)} in the index; see `aftersales index list`")
    row["data"] = json.loads(row["data"])
    if as_json:
        echo_json(row)
        return
    for key, value in row.items():
        if key != "data":
            say(f"{key:<16} {value}")
    say("data:")
    say(json.dumps(row["data"], ensure_ascii=False, indent=2))


@index.command("verify")
@workspace_options(json_output=True)
def index_verify(home: str | None, as_json: bool) -> None:
    """Check that every indexed file exists unchanged, every file in the document store is
    indexed, every ticket's hash chain is whole and every row is as the latest checkpoint
    signed it. Exit code 1 names each problem.

    \b
    Without the key (or its public half) verify proves only that the chains are whole: anyone
    who can write the database could rebuild them. With it, nothing signed by a checkpoint can
    change or disappear unnoticed; what came after the newest checkpoint rests on the chains.
    Fills in flight are not problems; voided numbers and interrupted fills are noted.

    \b
      aftersales index verify --json
    """
    from generator.records.signing import load_keys
    from generator.records.verify import verify

    workspace, records = _index(home)
    report = verify(records, load_keys(workspace.root, workspace.config))
    if as_json:
        echo_json({"ok": report.ok, "documents": report.documents, "problems": report.problems,
                   "notes": report.notes, "checkpoint": report.checkpoint})
        if not report.ok:
            sys.exit(1)
        return
    notes = "".join(f"\nnote: {note}" for note in report.notes)
    if not report.ok:
        raise AftersalesError(f"{len(report.problems)} problem(s) in {records.location.shown()}"
                              f" and {workspace.output_dir}:\n"
                              + "\n".join(f"  - {p}" for p in report.problems) + notes)
    signed = ""
    if report.checkpoint:
        signed = (f"; history signed up to checkpoint {report.checkpoint['id']} "
                  f"({report.checkpoint['at']})")
    say(f"OK: {report.documents} documents verified, nothing unindexed{signed}{notes}")


@index.command("checkpoint")
@workspace_options(json_output=True)
def index_checkpoint(home: str | None, as_json: bool) -> None:
    """Sign the current state of the whole index with the Ed25519 key named by [index]
    signing_key (or AFTERSALES_SIGNING_KEY). `index verify` then names any row changed, removed
    or added before this point, even by someone who recomputes the hashes. Refuses to sign a
    history that does not verify.

    \b
      aftersales index checkpoint
    """
    from generator.records.checkpoint import take
    from generator.records.signing import load_keys

    workspace, records = _index(home, write=True)
    taken = take(records, load_keys(workspace.root, workspace.config))
    if as_json:
        echo_json({"checkpoint": taken.id, "at": taken.at, "hash": taken.hash,
                   "key": taken.key_id, "documents": taken.documents, "events": taken.events,
                   "signed_rows": taken.entries, "log": str(taken.log) if taken.log else None})
        return
    say(f"checkpoint {taken.id} signed with key {taken.key_id}: {taken.documents} "
               f"documents, {taken.events} events ({taken.entries} rows new since the last "
               f"checkpoint)")
    if taken.log:
        say(f"recorded in {taken.log} (keep it: it shows if checkpoints are removed)")


@index.command("keygen")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def index_keygen(path: str | None) -> None:
    """Make an Ed25519 signing key for checkpoints at PATH (default
    ~/.config/aftersales/signing.key), readable by its owner only, and its public half at
    PATH.pub for auditors. Never overwrites a key.

    \b
      aftersales index keygen ~/.config/aftersales/signing.key
    """
    from generator.records.signing import keygen

    target = Path(path).expanduser() if path else DEFAULT_KEY.expanduser()
    private, public, key_id = keygen(target.resolve())
    say(f"wrote {private} (mode 0600) and {public}; key id {key_id}")
    say("name it in aftersales.toml, and keep it off the machine that holds the index "
               "if you can:")
    say(f'  [index]\n  signing_key = "{private}"')
    say(f"auditors who only check need the public half: public_key = \"{public}\"")


@index.command("upgrade")
@workspace_options()
def index_upgrade(home: str | None) -> None:
    """Bring the index's layout up to date in place (writing commands do this by themselves;
    reading commands never write, so they ask for it).

    \b
      aftersales index upgrade
    """
    _, records = _index(home, write=True)
    before, after = records.upgrade()
    where = records.location.shown()
    if before == after:
        say(f"the index at {where} is up to date (revision {after})")
    else:
        say(f"upgraded the index at {where} from {before or 'nothing'} to revision "
                   f"{after}")


@index.command("migrate")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty database to copy the index to, like "
                   "postgresql://aftersales@db/centre.")
@workspace_options(json_output=True)
def index_migrate(target: str, home: str | None, as_json: bool) -> None:
    """Copy this workspace's index, every row as it is, to another database — a shared
    PostgreSQL server that every machine of a centre then uses. The original is not changed.
    Afterwards set [index] url in aftersales.toml (or AFTERSALES_INDEX_URL) to the new URL.

    \b
      aftersales index migrate --to postgresql://aftersales@db/centre
    """
    from generator.records.migrate import migrate

    workspace, records = _index(home, write=True)
    copied = migrate(records, target, workspace.root, workspace.config)
    if as_json:
        echo_json({"target": copied.target, "rows": copied.rows})
        return
    say(f"copied the index to {copied.target}: "
               + ", ".join(f"{count} {name}" for name, count in copied.rows.items()))
    say("point this workspace (and every machine of the centre) at it in aftersales.toml:")
    say(f'  [index]\n  url = "{copied.target}"')
    say("(with the password, if it needs one), or set AFTERSALES_INDEX_URL; keep the "
               "documents' folder ([documents] output) where every machine can reach it")
