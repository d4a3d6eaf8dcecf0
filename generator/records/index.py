"""The records index: tickets, documents and events in one SQLite file.

This is the only module that speaks SQL. The statements are portable (no SQLite-only syntax
outside `_connect` and `transaction`), so a shared PostgreSQL server can take its place later.

Each document row carries `row_hash`, a SHA-256 over its own fields and the previous row of the
same ticket, so an edited or deleted row breaks the ticket's chain and `index verify` says so.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    number    TEXT PRIMARY KEY,
    state     TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    data      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id              INTEGER PRIMARY KEY,
    ticket          TEXT REFERENCES tickets(number),
    form            TEXT NOT NULL,
    record_no       TEXT NOT NULL,
    format          TEXT NOT NULL,
    path            TEXT NOT NULL UNIQUE,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    data            TEXT NOT NULL,
    template        TEXT NOT NULL,
    template_sha256 TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    row_hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_ticket ON documents (ticket);
CREATE TABLE IF NOT EXISTS events (
    id     INTEGER PRIMARY KEY,
    ticket TEXT NOT NULL REFERENCES tickets(number),
    at     TEXT NOT NULL,
    kind   TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

SCHEMA_VERSION = 1
GENESIS = "0" * 64
# The fields a row's hash covers, in order: everything but its id and the hash itself.
HASHED = ("ticket", "form", "record_no", "format", "path", "sha256", "size", "created_at",
          "data", "template", "template_sha256", "prev_hash")


@dataclass
class DocumentRow:
    ticket: str | None
    form: str
    record_no: str
    format: str
    path: str
    sha256: str
    size: int
    created_at: str
    data: str
    template: str
    template_sha256: str


def row_hash(row: dict[str, Any]) -> str:
    canonical = json.dumps([row[k] for k in HASHED], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Transaction:
    """Writes, inside one locked transaction (see `Index.transaction`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    def next_number(self, counter: str) -> int:
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
        value = (row[0] if row else 0) + 1
        if row:
            self.db.execute("UPDATE counters SET value = ? WHERE name = ?", (value, counter))
        else:
            self.db.execute("INSERT INTO counters (name, value) VALUES (?, ?)", (counter, value))
        return value

    def open_ticket(self, number: str, opened_at: str, data: str, state: str) -> None:
        self.db.execute(
            "INSERT INTO tickets (number, state, opened_at, data) VALUES (?, ?, ?, ?)",
            (number, state, opened_at, data),
        )

    def ticket_exists(self, number: str) -> bool:
        found = self.db.execute("SELECT 1 FROM tickets WHERE number = ?", (number,)).fetchone()
        return found is not None

    def add_document(self, document: DocumentRow) -> int:
        row = asdict(document)
        last = self.db.execute(
            "SELECT row_hash FROM documents WHERE ticket IS ? ORDER BY id DESC LIMIT 1",
            (document.ticket,),
        ).fetchone()
        row["prev_hash"] = last[0] if last else GENESIS
        row["row_hash"] = row_hash(row)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = self.db.execute(
            f"INSERT INTO documents ({columns}) VALUES ({marks})", tuple(row.values())
        )
        return cursor.lastrowid

    def add_event(self, ticket: str, at: str, kind: str, detail: str) -> None:
        self.db.execute(
            "INSERT INTO events (ticket, at, kind, detail) VALUES (?, ?, ?, ?)",
            (ticket, at, kind, detail),
        )


def _retry_while_locked(action, seconds: float = 60.0):
    """Switching a new database to WAL needs it to itself, and SQLite answers "locked" at once
    there rather than waiting (the busy timeout does not apply): when several processes create
    the index together, wait and try again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Index:
    """The index of one workspace. Holds one connection for the life of the process (opening
    and closing per document would checkpoint the WAL each time, most of a fill's cost)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are begun explicitly, as BEGIN IMMEDIATE, so
            # two processes never both read a counter before either writes it.
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.row_factory = sqlite3.Row
            _retry_while_locked(lambda: db.execute("PRAGMA journal_mode = WAL"))
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commit,
            # and `index verify` then names the documents it left unindexed.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                db.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _query(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        if self._db is None and not self.path.exists():
            return []  # reading never creates an index
        return [dict(row) for row in self._connection().execute(sql, params)]

    def ticket(self, number: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM tickets WHERE number = ?", (number,))
        return rows[0] if rows else None

    def documents(self, ticket: str | None = None, form: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM documents WHERE 1 = 1", []
        if ticket is not None:
            sql += " AND ticket = ?"
            params.append(ticket)
        if form is not None:
            sql += " AND form = ?"
            params.append(form)
        return self._query(sql + " ORDER BY id", tuple(params))

    def document(self, key: str) -> dict[str, Any] | None:
        """A document by its id or its path relative to the workspace."""
        if key.isdigit():
            rows = self._query("SELECT * FROM documents WHERE id = ?", (int(key),))
        else:
            rows = self._query("SELECT * FROM documents WHERE path = ?", (key,))
        return rows[0] if rows else None

    def events(self, ticket: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM events WHERE ticket = ? ORDER BY id", (ticket,))


def index_of(workspace) -> Index:
    """The workspace's index, opened once per command."""
    return workspace.shared("index", lambda: Index(workspace.index_path))
