"""Tamper evidence: signed checkpoints against someone who can write the index's database but does
not hold the signing key.

The issue: "`index checkpoint` signs the head of the whole index with an Ed25519 key kept outside
the database … `index verify` checks against the latest checkpoint and names: a rewritten row even
with recomputed hashes, a deleted newest row with its file, a deleted ticket, an edited event, a
missing or changed file", and "someone who can write to the index database, but does not hold the
signing key, cannot change or remove history without `index verify` saying so".

Every forgery here is made by `Forger`: plain SQL on the database (as `index_sql` runs it, on
SQLite and on PostgreSQL alike), followed by recomputing every hash the way someone who read
generator/records/ledger.py would, so that the hash chains are whole again. What must still give
the forger away is the checkpoint. Keys live in tmp_path, outside the workspace.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from generator.cli import cli
from generator.records import ledger
from generator.records.signing import KEY_ENV, checkpoint_hash, key_id, statement_bytes
from tests.conftest import index_sql, sample_forms, ticketless_forms, write_sample

FORMS = sample_forms()
NO_TICKET = ticketless_forms()  # filed by the demo without a ticket: no ticket events
pytestmark = pytest.mark.usefixtures("backend")


# --- the forger ------------------------------------------------------------------------------


class Forger:
    """Someone with write access to the index's database who has read the source, but holds no
    signing key. Each change is made with SQL; then the affected chain is re-linked in entry
    order with `ledger.link` and its head in `chains` set to match, so every hash checks out."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def sql(self, statement: str, **params):
        return index_sql(self.home, statement, **params)

    def row(self, table: str, row_id: int) -> dict:
        return self.sql(f"SELECT * FROM {table} WHERE id = :id", id=row_id)[0]

    def file(self, document: dict) -> Path:
        return self.home / "output" / document["path"]

    @staticmethod
    def _in_chain(name: str) -> str:
        return "ticket IS NULL" if name == ledger.NO_TICKET else "ticket = :name"

    def chain(self, name: str) -> list[tuple[str, dict]]:
        """The chain's rows as (kind, row), in entry order."""
        where = self._in_chain(name)
        rows = [("document", r) for r in self.sql(f"SELECT * FROM documents WHERE {where}",
                                                   name=name)]
        rows += [("event", r) for r in self.sql(f"SELECT * FROM events WHERE {where}",
                                                name=name)]
        return sorted(rows, key=lambda kind_row: (kind_row[1]["entry"], kind_row[0],
                                                  kind_row[1]["id"]))

    def relink(self, name: str) -> None:
        """Number the chain's rows 1, 2, … in entry order, recompute every prev_hash and
        row_hash, and make its recorded head say so."""
        head, rows = ledger.GENESIS, self.chain(name)
        for entry, (kind, row) in enumerate(rows, start=1):
            before = (row["entry"], row["prev_hash"], row["row_hash"])
            head = ledger.link(kind, row, entry, head)
            if (row["entry"], row["prev_hash"], row["row_hash"]) != before:
                self.sql(f"UPDATE {kind}s SET entry = :entry, prev_hash = :prev_hash, "
                         f"row_hash = :row_hash WHERE id = :id", **row)
        if rows:
            self.sql("UPDATE chains SET entries = :entries, head = :head WHERE name = :name",
                     entries=len(rows), head=head, name=name)
        else:
            self.sql("DELETE FROM chains WHERE name = :name", name=name)

    def chain_of(self, kind: str, row_id: int) -> str:
        return ledger.chain_name(self.row(f"{kind}s", row_id)["ticket"])

    # the forgeries

    def rewrite_document(self, doc_id: int, data: dict) -> None:
        """Change a document's data and its file to match, so that the file's SHA-256 agrees."""
        document = self.row("documents", doc_id)
        file = self.file(document)
        content = file.read_bytes() + b"\n% forged"
        file.write_bytes(content)
        self.sql("UPDATE documents SET data = :data, sha256 = :sha256, size = :size "
                 "WHERE id = :id", id=doc_id, data=json.dumps(data, ensure_ascii=False),
                 sha256=hashlib.sha256(content).hexdigest(), size=len(content))
        self.relink(self.chain_of("document", doc_id))

    def edit_event(self, event_id: int, **detail) -> None:
        event = self.row("events", event_id)
        changed = {**json.loads(event["detail"]), **detail}
        self.sql("UPDATE events SET detail = :detail WHERE id = :id", id=event_id,
                 detail=json.dumps(changed, ensure_ascii=False, sort_keys=True))
        self.relink(self.chain_of("event", event_id))

    def edit_ticket(self, number: str, data: dict) -> None:
        """Change a ticket's data, and make its 'opened' event vouch for the new row."""
        ticket = self.sql("SELECT * FROM tickets WHERE number = :n", n=number)[0]
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        self.sql("UPDATE tickets SET data = :data WHERE number = :n", data=text, n=number)
        opened = self.sql("SELECT * FROM events WHERE ticket = :n AND kind = 'opened'",
                          n=number)[0]
        detail = json.loads(opened["detail"])
        digest = ledger.ticket_digest(number, ticket["opened_at"], text, detail["state"])
        self.edit_event(opened["id"], ticket_sha256=digest)

    def delete(self, kind: str, row_id: int) -> None:
        """Remove a row (and a document's file), leaving a whole chain behind."""
        row = self.row(f"{kind}s", row_id)
        if kind == "document":
            self.file(row).unlink()
        self.sql(f"DELETE FROM {kind}s WHERE id = :id", id=row_id)
        self.relink(ledger.chain_name(row["ticket"]))

    def delete_ticket(self, number: str) -> None:
        """Remove a ticket and everything of it: rows, chain head, reservations and files."""
        for document in self.sql("SELECT * FROM documents WHERE ticket = :n", n=number):
            self.file(document).unlink()
        (self.home / "output" / number).rmdir()
        for table in ("documents", "events", "reservations"):
            self.sql(f"DELETE FROM {table} WHERE ticket = :n", n=number)
        self.sql("DELETE FROM chains WHERE name = :n", n=number)
        self.sql("DELETE FROM tickets WHERE number = :n", n=number)

    def insert_event(self, name: str, entry: int, kind: str, detail: dict, at: str) -> int:
        """Slip an event into the chain at `entry`, moving the rows from there on one place
        later. Returns its id."""
        where = self._in_chain(name)
        for table in ("documents", "events"):
            self.sql(f"UPDATE {table} SET entry = entry + 1 WHERE {where} AND entry >= :entry",
                     name=name, entry=entry)
        self.sql("INSERT INTO events (ticket, entry, at, kind, detail, prev_hash, row_hash) "
                 "VALUES (:ticket, :entry, :at, :kind, :detail, '', '')",
                 ticket=name or None, entry=entry, at=at, kind=kind,
                 detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))
        self.relink(name)
        return self.sql("SELECT max(id) AS id FROM events")[0]["id"]


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch):
    """Only the key a test configures counts."""
    monkeypatch.delenv(KEY_ENV, raising=False)


def keygen(path: Path):
    """`aftersales index keygen PATH` (a command with no workspace)."""
    return CliRunner().invoke(cli, ["index", "keygen", str(path)], catch_exceptions=False)


def make_key(path: Path) -> Path:
    result = keygen(path)
    assert result.exit_code == 0, result.output
    return path


def configure(home: Path, **index) -> None:
    """Write aftersales.toml with these [index] settings."""
    lines = "".join(f'{name} = "{value}"\n' for name, value in index.items())
    (home / "aftersales.toml").write_text(f"[index]\n{lines}", "utf-8")


def the_key_id(path: Path) -> str:
    """The key id of a key file, private or public, computed here from the key itself."""
    data = path.read_bytes()
    if b"PRIVATE" in data:
        public = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        public = serialization.load_pem_public_key(data)
    return key_id(public)


def checkpoint_rows(home: Path) -> list[dict]:
    return index_sql(home, "SELECT id, statement, hash, signature FROM checkpoints ORDER BY id")


def verify(run) -> tuple[int, str]:
    result = run("index", "verify")
    return result.exit_code, result.output


def checkpoint(run) -> dict:
    result = run("index", "checkpoint", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def key(tmp_path) -> Path:
    """A signing key made by `index keygen`, outside the workspace."""
    return make_key(tmp_path / "keys" / "signing.key")


@pytest.fixture
def demo(run, home) -> dict:
    """`aftersales demo`: one ticket, every form but those of no ticket filed under it."""
    result = run("demo", "--json")
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)
    documents = index_sql(home, "SELECT id, path, entry, ticket FROM documents ORDER BY id")
    events = index_sql(home, "SELECT id, kind, entry FROM events ORDER BY id")
    return {"ticket": results[0]["ticket"], "documents": documents, "events": events,
            "ticket_documents": [d for d in documents if d["ticket"]],
            "paths": [d["path"] for r in results for d in r["documents"]]}


@pytest.fixture
def signed(run, home, key, demo) -> dict:
    """The demo's history, signed by checkpoint 1 with `key` (named in aftersales.toml)."""
    configure(home, signing_key=key)
    return {**demo, "checkpoint": checkpoint(run)}


@pytest.fixture
def forger(home) -> Forger:
    return Forger(home)


def shown(document: dict) -> str:
    """How verify names a document: its id and its path from the workspace."""
    return f"document {document['id']} (output/{document['path']})"


# --- 1. keygen -------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_for_its_owner_and_a_public_half(tmp_path):
    previous = os.umask(0o022)
    try:
        path = tmp_path / "keys" / "signing.key"
        result = keygen(path)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    public = Path(f"{path}.pub")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert b"PRIVATE KEY" in path.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    assert the_key_id(path) == the_key_id(public)
    assert f"key id {the_key_id(path)}" in result.output
    assert str(path) in result.output and str(public) in result.output
    assert f'signing_key = "{path}"' in result.output


def test_keygen_is_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        result = keygen(tmp_path / "signing.key")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600


@pytest.mark.parametrize("existing", ["signing.key", "signing.key.pub"])
def test_keygen_never_overwrites_a_key(tmp_path, existing):
    path = tmp_path / "signing.key"
    (tmp_path / existing).write_bytes(b"the key that matters")
    result = keygen(path)
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / existing} exists" in result.output
    assert "never overwritten" in result.output
    assert (tmp_path / existing).read_bytes() == b"the key that matters"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]

    make_key(tmp_path / "other.key")
    before = (tmp_path / "other.key").read_bytes(), (tmp_path / "other.key.pub").read_bytes()
    again = keygen(tmp_path / "other.key")
    assert again.exit_code == 2, again.output
    assert ((tmp_path / "other.key").read_bytes(),
            (tmp_path / "other.key.pub").read_bytes()) == before


def test_signing_key_from_the_environment(run, home, complaint, tmp_path, monkeypatch):
    in_toml = make_key(tmp_path / "toml.key")
    in_env = make_key(tmp_path / "env.key")
    monkeypatch.setenv(KEY_ENV, str(in_env))
    taken = checkpoint(run)
    assert taken["key"] == the_key_id(in_env)
    assert taken["log"] == f"{in_env}.checkpoints"
    # the environment wins over aftersales.toml
    configure(home, signing_key=in_toml)
    assert checkpoint(run)["key"] == the_key_id(in_env)
    assert not Path(f"{in_toml}.checkpoints").exists()
    code, output = verify(run)
    assert code == 0 and "signed up to checkpoint 2" in output, output


# --- 2. no key, or not a key -----------------------------------------------------------------


def assert_nothing_signed(home: Path, tmp_path: Path) -> None:
    assert checkpoint_rows(home) == []
    assert not list(tmp_path.rglob("*.checkpoints"))


def test_checkpoint_without_a_key(run, home, complaint, tmp_path):
    result = run("index", "checkpoint")
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert "[index] signing_key" in message and KEY_ENV in message
    assert "aftersales index keygen" in message
    assert_nothing_signed(home, tmp_path)


@pytest.mark.parametrize(("problem", "where"), [
    ("missing", "toml"), ("not a key", "toml"), ("public half", "toml"), ("not Ed25519", "toml"),
    ("missing", "env"), ("not a key", "env"),
])
def test_checkpoint_with_a_bad_key_file(run, home, complaint, tmp_path, monkeypatch, problem,
                                        where):
    path = tmp_path / "keys" / "signing.key"
    path.parent.mkdir()
    if problem == "not a key":
        path.write_text("hello\n", "utf-8")
    elif problem == "public half":
        make_key(tmp_path / "keys" / "real.key")
        path.write_bytes((tmp_path / "keys" / "real.key.pub").read_bytes())
    elif problem == "not Ed25519":
        from cryptography.hazmat.primitives.asymmetric import ec

        path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    if where == "toml":
        configure(home, signing_key=path)
        setting = "[index] signing_key"
    else:
        monkeypatch.setenv(KEY_ENV, str(path))
        setting = KEY_ENV
    result = run("index", "checkpoint")
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"Error: {setting}: {path} ")
    assert "aftersales index keygen" in message
    assert_nothing_signed(home, tmp_path)
    # verify cannot check with it either, and says so the same way
    result = run("index", "verify")
    assert result.exit_code == 2, result.output
    assert f"{setting}: {path} " in result.output


def test_checkpoint_with_another_key_than_the_one_that_signed_before(run, home, signed,
                                                                   tmp_path):
    """The issue's "wrong signing key … nothing written": a checkpoint signed with another key
    than the newest one's would leave an index that verifies with neither key."""
    other = make_key(tmp_path / "other.key")
    configure(home, signing_key=other)
    result = run("index", "checkpoint")
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert "[index] signing_key" in message
    assert signed["checkpoint"]["key"] in message and the_key_id(other) in message
    assert [r["id"] for r in checkpoint_rows(home)] == [1]
    assert not Path(f"{other}.checkpoints").exists()


def test_public_key_setting_that_is_missing(run, home, complaint, tmp_path):
    path = tmp_path / "signing.key.pub"
    configure(home, public_key=path)
    result = run("index", "verify")
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert f"[index] public_key: {path} does not exist" in message


# --- 3. a clean checkpoint -------------------------------------------------------------------


def test_checkpoint_signs_the_demo_and_verify_checks_it(run, home, key, demo):
    configure(home, signing_key=key)
    taken = checkpoint(run)
    log = Path(f"{key}.checkpoints")
    assert set(taken) == {"checkpoint", "at", "hash", "key", "documents", "events",
                          "signed_rows", "log"}
    assert taken["checkpoint"] == 1
    assert taken["key"] == the_key_id(key)
    assert taken["documents"] == len(demo["documents"]) == 2 * len(FORMS)
    # opened, one per form filed under the ticket, and the moves and updates filing them made
    moves = index_sql(home, "SELECT count(*) AS n FROM events WHERE kind IN "
                            "('moved', 'updated')")[0]["n"]
    assert moves > 0
    assert taken["events"] == len(demo["events"]) == 1 + len(FORMS) - len(NO_TICKET) + moves
    assert taken["signed_rows"] == taken["documents"] + taken["events"]
    assert taken["log"] == str(log)
    assert re.fullmatch(r"[0-9a-f]{64}", taken["hash"])
    [row] = checkpoint_rows(home)
    assert row["hash"] == taken["hash"]
    statement = json.loads(row["statement"])
    assert statement["checkpoint"] == 1 and statement["key"] == taken["key"]
    assert statement["previous"] == ledger.GENESIS
    logged = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert [(e["checkpoint"], e["hash"]) for e in logged] == [(1, taken["hash"])]

    code, output = verify(run)
    assert code == 0, output
    assert f"OK: {len(demo['paths'])} documents verified" in output
    assert f"signed up to checkpoint 1 ({taken['at']})" in output
    report = json.loads(run("index", "verify", "--json").output)
    assert report["ok"] is True and report["problems"] == []
    assert report["checkpoint"]["id"] == 1 and report["checkpoint"]["key"] == taken["key"]
    assert report["checkpoint"]["last_document"] == demo["documents"][-1]["id"]
    assert report["checkpoint"]["last_event"] == demo["events"][-1]["id"]

    human = run("index", "checkpoint")
    assert human.exit_code == 0, human.output
    assert f"checkpoint 2 signed with key {taken['key']}" in human.output
    assert "(0 rows new since the last checkpoint)" in human.output
    assert f"recorded in {log}" in human.output
    code, output = verify(run)
    assert code == 0 and "signed up to checkpoint 2" in output, output


# --- 4. a rewritten row ----------------------------------------------------------------------


def test_rewritten_document_is_named(run, home, signed, forger):
    document = signed["documents"][2]
    forger.rewrite_document(document["id"], {"owner_name": "someone else"})
    code, output = verify(run)
    assert code == 1, output
    assert (f"{shown(document)}, entry {document['entry']} of ticket {signed['ticket']}, was "
            f"rewritten after checkpoint 1 signed it") in output
    # the forger left nothing else to find: the chain is whole and the file matches its row
    assert "does not continue the hash chain" not in output
    assert "changed:" not in output and "recorded head" not in output
    assert "1 problem(s)" in output


def test_rewritten_document_before_any_checkpoint_goes_unnoticed(run, home, demo, forger):
    """The limit that checkpoints exist for: hash chains alone cannot catch a forger who
    recomputes them. Before the first checkpoint the same rewrite as above verifies clean (and
    verify's note says why)."""
    forger.rewrite_document(demo["documents"][2]["id"], {"owner_name": "someone else"})
    code, output = verify(run)
    assert code == 0, output
    assert f"OK: {len(demo['paths'])} documents verified" in output
    assert "note: no checkpoint yet" in output


def test_missing_and_changed_files_are_named_after_a_checkpoint(run, home, signed, forger):
    changed, missing = signed["documents"][1], signed["documents"][6]
    with open(forger.file(changed), "ab") as handle:
        handle.write(b"\0")
    forger.file(missing).unlink()
    code, output = verify(run)
    assert code == 1, output
    assert f"changed: output/{changed['path']} (document {changed['id']})" in output
    assert f"missing: output/{missing['path']} (document {missing['id']})" in output
    assert "2 problem(s)" in output


# --- 5. a deleted newest row -----------------------------------------------------------------


def test_deleted_newest_filing_with_its_files_is_named(run, home, signed, forger):
    """The last form filed on the ticket — its two documents, their files and its 'filed'
    event — removed with the ticket's archiving that followed it, and the chain's head moved
    back to the row before; the ticket's own row still says archived."""
    *_, docx, pdf = signed["ticket_documents"]
    *_, filed, archived = signed["events"]
    for kind, row in (("event", archived), ("event", filed), ("document", pdf),
                      ("document", docx)):
        forger.delete(kind, row["id"])
    code, output = verify(run)
    assert code == 1, output
    ticket = signed["ticket"]
    for row in (docx, pdf):
        assert (f"{shown(row)}, entry {row['entry']} of ticket {ticket}, signed by "
                f"checkpoint 1, is gone") in output
    for event in (filed, archived):
        assert (f"event {event['id']} ({event['kind']}), entry {event['entry']} of ticket "
                f"{ticket}, signed by checkpoint 1, is gone") in output
    # the forger left the ticket's row archived: its state, facts and columns give it away too
    assert (f"ticket {ticket}: its state is 'closed', but its history leaves it "
            f"'followed_up'") in output
    assert "7 problem(s)" in output


@pytest.mark.parametrize("which", ["newest", "in the middle"])
def test_deleted_document_with_its_file_is_named(run, home, signed, forger, which):
    """One document and its file removed, and the rows after it (at least the 'filed' event
    that follows every filing) moved up one place: it is that document verify must name."""
    document = signed["ticket_documents"][-1 if which == "newest" else 4]
    forger.delete("document", document["id"])
    code, output = verify(run)
    assert code == 1, output
    assert (f"{shown(document)}, entry {document['entry']} of ticket {signed['ticket']}, "
            f"signed by checkpoint 1, is gone") in output
    assert "missing:" not in output and "unindexed:" not in output


def test_deleted_newest_document_of_no_ticket(run, home, key, tmp_path, forger):
    """A repair registered without a ticket: its documents form the chain named ''."""
    opened = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")  # the ticket its rows name
    result = run("fill", "repair-register", "--data",
                 str(write_sample(tmp_path, "repair-register",
                                  ticket=json.loads(opened.output)["ticket"])),
                 "--no-prompt", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ticket"] is None
    configure(home, signing_key=key)
    checkpoint(run)
    docx, pdf = index_sql(home, "SELECT id, path, entry FROM documents WHERE ticket IS NULL "
                                "ORDER BY id")
    forger.delete("document", pdf["id"])
    code, output = verify(run)
    assert code == 1, output
    assert (f"{shown(pdf)}, entry 2 of the documents of no ticket, signed by checkpoint 1, "
            f"is gone") in output
    assert "1 problem(s)" in output


# --- 6. a deleted ticket ---------------------------------------------------------------------


def test_deleted_ticket_is_named(run, home, signed, forger, tmp_path):
    other = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                "--json")
    assert other.exit_code == 0, other.output
    checkpoint(run)
    forger.delete_ticket(signed["ticket"])
    assert not (home / "output" / signed["ticket"]).exists()
    code, output = verify(run)
    assert code == 1, output
    assert (f"ticket {signed['ticket']}, signed by checkpoint 1 with "
            f"{len(signed['ticket_documents'])} documents and {len(signed['events'])} events, "
            f"is gone") in output
    assert json.loads(other.output)["ticket"] not in output
    assert "1 problem(s)" in output


# --- 7. an edited event ----------------------------------------------------------------------


def test_edited_event_is_named(run, home, signed, forger):
    event = signed["events"][2]  # the site survey filed
    forger.edit_event(event["id"], record_no="FORGED-0001")
    code, output = verify(run)
    assert code == 1, output
    assert (f"event {event['id']} (filed), entry {event['entry']} of ticket "
            f"{signed['ticket']}, was rewritten after checkpoint 1 signed it") in output
    assert "1 problem(s)" in output


# --- 8. an edited ticket ---------------------------------------------------------------------


def test_edited_ticket_with_its_opening_recomputed_is_caught(run, home, signed, forger):
    number = signed["ticket"]
    data = json.loads(index_sql(home, "SELECT data FROM tickets WHERE number = :n",
                                n=number)[0]["data"])
    forger.edit_ticket(number, {**data, "owner_name": "someone else"})
    code, output = verify(run)
    assert code == 1, output
    opened = signed["events"][0]
    assert (f"event {opened['id']} (opened), entry 1 of ticket {number}, was rewritten after "
            f"checkpoint 1 signed it") in output
    assert "1 problem(s)" in output


def test_edited_ticket_state_is_caught(run, home, signed):
    index_sql(home, "UPDATE tickets SET state = 'followed_up' WHERE number = :n",
              n=signed["ticket"])
    code, output = verify(run)
    assert code == 1, output
    assert (f"ticket {signed['ticket']}: its state is 'followed_up', but its history leaves "
            f"it 'closed'") in output
    assert "1 problem(s)" in output


def test_edited_fact_columns_are_caught(run, home, signed):
    """The columns the summaries count by must say what the ticket's history says: a forger who
    backdates when a ticket was closed, to flatter a quarter, is named."""
    index_sql(home, "UPDATE tickets SET f_closed = '2020-01-01 00:00', f_ended = "
                    "'2020-01-01 00:00' WHERE number = :n", n=signed["ticket"])
    code, output = verify(run)
    assert code == 1, output
    assert (f"ticket {signed['ticket']}: its columns f_closed, f_ended are not what its history "
            f"says (the summaries count by them)") in output
    assert "1 problem(s)" in output


def test_edited_period_columns_are_caught(run, home, signed):
    """A record's period, kept beside its data for finding a quarter's registers, must say what
    the data says: a register moved into another quarter is named."""
    register = next(d for d in signed["documents"] if "repair-register" in d["path"])
    index_sql(home, "UPDATE documents SET d_period_from = '2020-01-01' WHERE id = :id",
              id=register["id"])
    code, output = verify(run)
    assert code == 1, output
    assert (f"{shown(register)}: its columns d_period_from are not what its data "
            f"says") in output
    assert "1 problem(s)" in output


# --- 9. an inserted row ----------------------------------------------------------------------


def test_row_inserted_into_signed_history_is_caught(run, home, signed, forger):
    number = signed["ticket"]
    opened_at = index_sql(home, "SELECT opened_at FROM tickets WHERE number = :n",
                          n=number)[0]["opened_at"]
    fake = forger.insert_event(number, 5, "moved", {"from": "received", "to": "received",
                                                    "note": "backdated"}, at=opened_at)
    code, output = verify(run)
    assert code == 1, output
    assert (f"event {fake} (moved), entry 5 of ticket {number}, was added into history that "
            f"checkpoint 1 signed") in output


# --- 10. checkpoints themselves --------------------------------------------------------------


def test_altered_checkpoint_is_named(run, home, signed):
    [row] = checkpoint_rows(home)
    statement = json.loads(row["statement"])
    statement["documents"] -= 2
    index_sql(home, "UPDATE checkpoints SET statement = :s WHERE id = 1",
              s=statement_bytes(statement).decode("utf-8"))
    code, output = verify(run)
    assert code == 1, output
    assert "checkpoint 1 was altered after it was signed" in output


def test_altered_checkpoint_with_its_hash_recomputed_fails_the_signature(run, home, signed):
    [row] = checkpoint_rows(home)
    statement = json.loads(row["statement"])
    statement["documents"] -= 2
    body = statement_bytes(statement)
    index_sql(home, "UPDATE checkpoints SET statement = :s, hash = :h WHERE id = 1",
              s=body.decode("utf-8"), h=checkpoint_hash(body, row["signature"]))
    code, output = verify(run)
    assert code == 1, output
    assert ("checkpoint 1 has a signature that does not match its statement: it was altered "
            "after it was signed") in output


def test_deleted_newest_checkpoint_is_caught_by_the_keys_log(run, home, signed, tmp_path):
    other = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                "--json")
    assert other.exit_code == 0, other.output
    second = checkpoint(run)
    index_sql(home, "DELETE FROM checkpoints WHERE id = 2")
    code, output = verify(run)
    assert code == 1, output
    assert (f"checkpoint 2 (taken {second['at']}, recorded in {second['log']}) is missing from "
            f"the index") in output
    assert "1 problem(s)" in output


def test_verify_with_another_key_names_both(run, home, signed, tmp_path):
    other = make_key(tmp_path / "other.key")
    configure(home, signing_key=other)
    code, output = verify(run)
    assert code == 1, output
    assert (f"checkpoint 1 was signed by key {signed['checkpoint']['key']}, not by the "
            f"configured key {the_key_id(other)} ([index] signing_key)") in output


def test_forger_resigning_with_a_key_of_their_own_is_caught(run, home, signed, tmp_path,
                                                            forger):
    """The forger rewrites a row, deletes the checkpoints and signs the result with a key of
    their own; verify, configured with the real key (here only its public half), names it."""
    real = tmp_path / "keys" / "signing.key"
    forger.rewrite_document(signed["documents"][0]["id"], {"owner_name": "someone else"})
    index_sql(home, "DELETE FROM checkpoints")
    configure(home, signing_key=make_key(tmp_path / "forger" / "own.key"))
    checkpoint(run)
    configure(home, public_key=f"{real}.pub")
    code, output = verify(run)
    assert code == 1, output
    assert (f"checkpoint 1 was signed by key {the_key_id(tmp_path / 'forger' / 'own.key')}, "
            f"not by the configured key {the_key_id(real)} ([index] public_key)") in output


# --- 11. checkpoint refuses a broken history -------------------------------------------------


def test_checkpoint_refuses_a_history_that_does_not_verify(run, home, key, demo, tmp_path):
    configure(home, signing_key=key)
    index_sql(home, "UPDATE documents SET data = '{}' WHERE id = :id",
              id=demo["documents"][3]["id"])
    result = run("index", "checkpoint")
    assert result.exit_code == 1, result.output
    assert "the history does not verify, so it was not signed" in result.output
    assert f"tampered index row: document {demo['documents'][3]['id']}" in result.output
    assert_nothing_signed(home, tmp_path)


@pytest.mark.parametrize("forgery", ["altered", "removed"])
def test_checkpoint_refuses_to_sign_over_a_forged_checkpoint(run, home, signed, tmp_path,
                                                            forgery):
    """Signing on top of an altered or removed checkpoint would bless the forgery: the new
    checkpoint would chain onto whatever the forger left."""
    log = Path(signed["checkpoint"]["log"])
    if forgery == "altered":
        [row] = checkpoint_rows(home)
        statement = json.loads(row["statement"])
        statement["documents"] -= 2
        index_sql(home, "UPDATE checkpoints SET statement = :s WHERE id = 1",
                  s=statement_bytes(statement).decode("utf-8"))
    else:
        checkpoint(run)
        index_sql(home, "DELETE FROM checkpoints WHERE id = 2")
    before = [r["hash"] for r in checkpoint_rows(home)], log.read_text("utf-8")
    result = run("index", "checkpoint")
    assert result.exit_code == 1, result.output
    assert "so it was not signed" in result.output
    assert ([r["hash"] for r in checkpoint_rows(home)], log.read_text("utf-8")) == before


# --- 12. verify without the private key ------------------------------------------------------


def test_verify_without_a_key_notes_that_checkpoints_were_not_checked(run, home, signed):
    configure(home)
    code, output = verify(run)
    assert code == 0, output
    assert "signed up to checkpoint 1" in output
    assert "note: 1 checkpoint(s) not checked against a key" in output


def test_verify_with_only_the_public_key_checks_signatures(run, home, signed, tmp_path):
    public = tmp_path / "keys" / "signing.key.pub"
    configure(home, public_key=public)
    code, output = verify(run)
    assert code == 0, output
    assert "signed up to checkpoint 1" in output and "not checked" not in output
    [row] = checkpoint_rows(home)
    statement = json.loads(row["statement"])
    statement["documents"] += 1
    body = statement_bytes(statement)
    index_sql(home, "UPDATE checkpoints SET statement = :s, hash = :h WHERE id = 1",
              s=body.decode("utf-8"), h=checkpoint_hash(body, row["signature"]))
    code, output = verify(run)
    assert code == 1, output
    assert "checkpoint 1 has a signature that does not match its statement" in output
    # and the public half cannot sign
    result = run("index", "checkpoint")
    assert result.exit_code == 2, result.output
    assert "no signing key" in result.output


# --- 13. the honest limit --------------------------------------------------------------------


def test_rows_after_the_newest_checkpoint_rest_on_the_chains_only(run, home, signed, forger,
                                                                 tmp_path):
    """The honest limit, which the README must state: a checkpoint protects the history up to
    it, and nothing after. A forger who rewrites a row filed after the newest checkpoint and
    recomputes the hashes is NOT caught: `index verify` stays OK (and the next checkpoint would
    sign the forgery). Checkpoints must therefore be taken often — after every batch of
    filings, from cron — to keep that window short."""
    later = run("fill", "feedback", "--data", str(write_sample(tmp_path, "feedback")),
                "--ticket", signed["ticket"], "--json")
    assert later.exit_code == 0, later.output
    newest = index_sql(home, "SELECT id FROM documents ORDER BY id DESC LIMIT 1")[0]
    forger.rewrite_document(newest["id"], {"owner_name": "someone else"})
    code, output = verify(run)
    assert code == 0, output
    assert "signed up to checkpoint 1" in output
