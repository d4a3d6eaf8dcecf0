"""The records index: tickets, documents and events, and the numbers handed out for them.

A document is filed in three steps, so that no lock is held while it is drawn:

1. `reserve` takes the ticket and record numbers in one short transaction and records the
   reservation (who is filing, which files it may write);
2. the caller renders and writes the files (`DocumentStore.write`), holding nothing;
3. `record` adds the document rows and events to the ticket's hash chain in a second short
   transaction, or `void` gives the reservation up and removes its files.

A process killed between 1 and 3 leaves a reservation whose owner is gone: the next writing
command voids it (`recover`), removes what it wrote, and records the void in the ticket's
history, so the number is never reused and never a silent gap.

Only this package speaks SQL, through SQLAlchemy Core, so the same statements run on SQLite
(the default, in the workspace) and on a shared PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from generator import names
from generator.errors import (
    IndexUnavailable,
    NumberTaken,
    RowTaken,
    UnknownTicket,
    UsageError,
    shorten,
)
from generator.records import database, ledger, owners, schema
from generator.records.database import LOCK_SPACE, Location
from generator.records.schema import (
    HEAD,
    chains,
    counters,
    documents,
    events,
    reservations,
    tickets,
)
from generator.records.store import DocumentStore

# A reservation on another machine, whose liveness SQLite cannot check, is taken for abandoned
# after this long (no fill takes hours; PostgreSQL knows at once, see `owner_alive`).
FOREIGN_OWNER_HOURS = 6


@dataclass
class DocumentRow:
    """A document as it is recorded: where it is, its hash, and what made it."""

    ticket: str | None
    form: str
    record_no: str
    format: str
    path: str  # in the store
    sha256: str
    size: int
    created_at: str
    data: str
    template: str
    template_sha256: str


@dataclass(frozen=True)
class Numbering:
    """A number made from a counter: `prefix` and the counter's value in `digits` digits
    (Numbering("record:TS:2026", "TS-2026-", 4) makes TS-2026-0001, TS-2026-0002, …)."""

    counter: str
    prefix: str
    digits: int

    def make(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.digits}d}"


@dataclass
class Reservation:
    id: int
    form: str
    record_no: str
    ticket: str | None
    opens_ticket: bool
    paths: list[str]
    stamp: str


@dataclass(frozen=True)
class Opening:
    """A ticket opened by the record being filed: its data, first state and first facts."""

    data: str
    state: str
    facts: dict[str, Any] = field(default_factory=dict)


class Change(Protocol):
    """An event in a ticket's history other than its opening and filings: a move (`to`) or an
    update of its facts (generator.tickets.procedure.Change)."""

    to: str | None
    sets: dict[str, Any]
    detail: dict[str, Any]

    @property
    def kind(self) -> str: ...


class TicketMoved(UsageError):
    """The ticket was not in the state the change was planned from (someone moved it meanwhile),
    or does not exist."""


def now_stamp() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="seconds")


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block; one that arrived meanwhile is delivered as
    it ends. Only where signals can be masked (POSIX) and only in the main thread, which is
    where Python runs its handlers."""
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class Index:
    """The index of one workspace. Holds its connections for the life of the command (opening
    one per document would cost more than filing it)."""

    def __init__(self, location: Location, store: DocumentStore, busy_seconds: float) -> None:
        self.location = location
        self.store = store
        self.busy_seconds = busy_seconds
        self._writer: sa.Connection | None = None
        self._reader: sa.Engine | None = None
        self._writer_engine: sa.Engine | None = None
        self._recovered = False
        self.recovered: list[str] = []  # what recover() voided in this command, for its notes
        # set by commands that write (fill, rulebook build, checkpoint…): their reads go
        # through the writer, which creates or upgrades the schema first
        self.may_write = False

    @property
    def is_postgresql(self) -> bool:
        return not self.location.is_sqlite

    # --- connections -----------------------------------------------------------------------

    def _explained(self):
        return database.explained(self.location, self.busy_seconds)

    def writer(self) -> sa.Connection:
        """The connection writes go through, the schema brought up to date on first use."""
        if self._writer is None:
            with self._explained():
                engine = database.create_engine(self.location, write=True,
                                                busy_seconds=self.busy_seconds)
                try:
                    connection = engine.connect()
                    try:
                        database.upgrade(connection, self.location, self.store.display(""))
                    except BaseException:
                        connection.close()
                        raise
                except BaseException:
                    engine.dispose()
                    raise
            self._writer_engine, self._writer = engine, connection
        return self._writer

    def reader(self) -> sa.Engine | None:
        """An engine for reading, or None when there is no index yet (reading never creates
        one). Readers never write: not the schema, not SQLite's -wal and -shm files."""
        if self._reader is None:
            engine, found = self._revision()
            if engine is None:
                return None
            if found is None:
                engine.dispose()
                return None
            try:
                database.check_readable(found, self.location)
            except BaseException:
                engine.dispose()
                raise
            self._reader = engine
        return self._reader

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One short write transaction. Ctrl-C and SIGTERM wait until it has ended: a signal
        that cut a driver off mid-command would leave the connection unusable and the outcome
        unknown, while after the commit (or rollback) the caller knows what happened."""
        conn = self.writer()
        with signals_deferred(), self._explained():
            conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self, snapshot: bool = False) -> Iterator[sa.Connection | None]:
        """A read transaction (one consistent snapshot when `snapshot`); None: no index yet.
        Uses the writer's connection when this process writes, so it sees its own writes."""
        if (self._writer is not None or self.may_write) and not snapshot:
            self.writer()
            with self._explained():
                self._writer.execution_options(immediate=False)
                with self._writer.begin():
                    yield self._writer
            return
        engine = self.reader() if self._writer is None else self._writer_engine
        if engine is None:
            yield None
            return
        with self._explained(), engine.connect() as conn:
            if snapshot and self.is_postgresql:
                conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                              postgresql_readonly=True)
            with conn.begin():
                yield conn

    def _revision(self) -> tuple[sa.Engine | None, str | None]:
        """A reading engine and the schema revision it finds; (None, None) where a SQLite index
        does not exist yet (reading never creates one)."""
        if self.location.is_sqlite and not self.location.sqlite_path.exists():
            return None, None
        with self._explained():
            engine = database.create_engine(self.location, write=False,
                                            busy_seconds=self.busy_seconds)
            try:
                with engine.connect() as conn:
                    found = database.revision(conn)
                    conn.rollback()
            except BaseException:
                engine.dispose()
                raise
        return engine, found

    def schema_revision(self) -> str | None:
        """The index's schema revision (database.LEGACY before Alembic; None: no index yet),
        read without creating or changing anything."""
        engine, found = self._revision()
        if engine is not None:
            engine.dispose()
        return found

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema up to date (`index upgrade`): the revisions before and after."""
        before = self.schema_revision()
        database.check_known(before, self.location)
        self.writer()
        return before, HEAD

    def quick_check(self) -> list[str] | None:
        """SQLite's own quick check of the index file, read-only: [] when it is sound, else
        what SQLite found. None where there is nothing to check here: no index yet, or a
        PostgreSQL server (which keeps its own pages sound)."""
        if self.is_postgresql:
            return None
        engine, _ = self._revision()
        if engine is None:
            return None
        try:
            with self._explained(), engine.connect() as conn:
                found = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
                conn.rollback()
        finally:
            engine.dispose()
        return [] if found == ["ok"] else found

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer_engine.dispose()
            self._writer = self._writer_engine = None
        if self._reader is not None:
            self._reader.dispose()
            self._reader = None

    # --- numbers ---------------------------------------------------------------------------

    def _insert(self, table: sa.Table):
        # the dialect's module is imported here: loading the PostgreSQL one costs a SQLite
        # workspace ~20 ms on every command (its engine has imported the SQLite one already)
        if self.is_postgresql:
            from sqlalchemy.dialects import postgresql as dialect
        else:
            from sqlalchemy.dialects import sqlite as dialect
        return dialect.insert(table)

    def _next(self, conn: sa.Connection, counter: str) -> int:
        """The counter's next value, taken atomically (one statement, on both databases), so
        two processes — or two machines — never take the same number."""
        statement = self._insert(counters).values(name=counter, value=1)
        statement = statement.on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        ).returning(counters.c.value)
        return conn.execute(statement).scalar_one()

    def reserve(self, *, form: str, record: Numbering | str, ticket: str | None = None,
                new_ticket: Numbering | None = None,
                paths: Callable[[str | None, str], list[str]],
                stamp: str | None = None, batch_key: str | None = None) -> Reservation:
        """Take the numbers for one record and reserve them (step 1). `record` is a numbering,
        or a number the user chose (a rulebook version); `paths(ticket, record_no)` says which
        files the record will write, so a kill can be cleaned up. `batch_key` names the batch
        row it files: a row already filed, or being filed, is refused (RowTaken)."""
        if ticket is not None:
            names.TICKET.check(ticket, "ticket")
        if not isinstance(record, Numbering):
            names.RECORD_NO.check(record, f"{form} number")
        self.recover()
        stamp = stamp or now_stamp()
        with self.writing() as conn:
            if new_ticket is not None:
                ticket = new_ticket.make(self._next(conn, new_ticket.counter))
            elif ticket is not None and conn.execute(
                    sa.select(tickets.c.number).where(tickets.c.number == ticket)).first() is None:
                raise UnknownTicket(f"unknown ticket {shorten(ticket)}")
            if isinstance(record, Numbering):
                record_no = record.make(self._next(conn, record.counter))
            else:
                record_no = record
                taken = conn.execute(
                    sa.select(reservations.c.state).where(
                        reservations.c.form == form, reservations.c.record_no == record_no,
                        reservations.c.state != "voided")).scalar()
                if taken:
                    raise NumberTaken(form, record_no, "filed" if taken == "filed"
                                      else "being filed by another process")
            if batch_key is not None:
                taken = conn.execute(sa.select(reservations.c.record_no).where(
                    reservations.c.batch_key == batch_key)).scalar()
                if taken:
                    raise RowTaken(batch_key, taken)
            planned = [names.check_store_path(path, f"{form} {record_no}:")
                       for path in paths(ticket, record_no)]
            try:
                reservation_id = conn.execute(reservations.insert().values(
                    form=form, record_no=record_no, ticket=ticket,
                    opens_ticket=new_ticket is not None, state="reserved",
                    owner=owners.this_process(), reserved_at=stamp, paths=json.dumps(planned),
                    batch_key=batch_key,
                ).returning(reservations.c.id)).scalar_one()
            except sa.exc.IntegrityError:  # another process reserved the same row just now
                if batch_key is None:
                    raise
                raise RowTaken(batch_key, "a record being filed by another process") from None
            if self.is_postgresql:
                # held for as long as this connection lives: if the process dies, the server
                # lets go, and the next writer knows the reservation is abandoned
                conn.execute(sa.select(sa.func.pg_advisory_lock(LOCK_SPACE, reservation_id)))
        return Reservation(reservation_id, form, record_no, ticket, new_ticket is not None,
                           planned, stamp)

    # --- recording -------------------------------------------------------------------------

    def record(self, reservation: Reservation, rows: list[DocumentRow],
               opening: Opening | None = None, changes: list[Change] = (),
               expect_state: str | None = None) -> list[int]:
        """Record the written documents (step 3): their rows and events, and the moves filing
        them makes (`changes`, planned from `expect_state`), appended to the ticket's chain in
        one transaction. Returns the documents' ids."""
        ticket = reservation.ticket
        with self.writing() as conn:
            settled = conn.execute(reservations.update().where(
                reservations.c.id == reservation.id, reservations.c.state == "reserved",
            ).values(state="filed", settled_at=now_stamp()))
            if settled.rowcount != 1:
                raise IndexUnavailable(
                    f"{reservation.form} {reservation.record_no} was voided by another process "
                    f"while it was being written (it took it for abandoned); nothing was filed"
                )
            entries: list[tuple[str, dict[str, Any]]] = []
            what = {"form": reservation.form, "record_no": reservation.record_no}
            if opening is not None:
                conn.execute(tickets.insert().values(
                    number=ticket, state=opening.state, opened_at=reservation.stamp,
                    data=opening.data, facts=ledger.facts_text(opening.facts),
                    **schema.fact_columns(opening.facts, reservation.stamp)))
                digest = ledger.ticket_digest(ticket, reservation.stamp, opening.data,
                                              opening.state)
                entries.append(("event", self._event(ticket, reservation.stamp, "opened", {
                    **what, "state": opening.state, "ticket_sha256": digest,
                    "set": opening.facts})))
            entries += [("document", asdict(row)) for row in rows]
            if ticket is not None:
                entries.append(("event", self._event(ticket, reservation.stamp, "filed", {
                    **what, "documents": [row.path for row in rows]})))
            if changes:
                state = opening.state if opening is not None else expect_state
                entries += self._changes(conn, ticket, changes, state, what)
            ids = self._append(conn, ticket, entries, new_chain=opening is not None)
            self._release(reservation.id, conn)
        return [i for (kind, _), i in zip(entries, ids, strict=True) if kind == "document"]

    def append_event(self, ticket: str | None, kind: str, detail: dict[str, Any]) -> None:
        """Append one event to a ticket's history, or to the index's own (`ticket` None)."""
        with self.writing() as conn:
            self._append(conn, ticket, [("event", self._event(ticket, now_stamp(), kind,
                                                              detail))])

    def change(self, ticket: str, changes: list[Change], expect_state: str) -> None:
        """Record a person's moves or updates of a ticket, planned from `expect_state`."""
        with self.writing() as conn:
            entries = self._changes(conn, ticket, changes, expect_state, {})
            self._append(conn, ticket, entries)

    def _changes(self, conn: sa.Connection, ticket: str, changes: list[Change],
                 expect_state: str | None, what: dict[str, str]) -> list[tuple[str, dict]]:
        """The events of `changes`, with the ticket's row brought up to date — refused if the
        ticket is not where the changes were planned from."""
        row = conn.execute(sa.select(tickets.c.state, tickets.c.facts, tickets.c.opened_at)
                           .where(tickets.c.number == ticket).with_for_update()).first()
        if row is None:
            raise UnknownTicket(f"unknown ticket {shorten(ticket)}")
        state, facts = row.state, json.loads(row.facts)
        if expect_state is not None and state != expect_state:
            raise TicketMoved(f"ticket {ticket} moved meanwhile: it is {state} now, not "
                              f"{expect_state}; nothing was changed — look again and retry")
        events_ = []
        at = now_stamp()
        for change in changes:
            if change.to:
                state = change.to
            facts = ledger.fold(facts, change.sets)
            events_.append(("event", self._event(ticket, at, change.kind, {
                **what, **{k: v for k, v in change.detail.items() if v is not None},
                "set": change.sets})))
        conn.execute(tickets.update().where(tickets.c.number == ticket).values(
            state=state, facts=ledger.facts_text(facts),
            **schema.fact_columns(facts, row.opened_at)))
        return events_

    @staticmethod
    def _event(ticket: str | None, at: str, kind: str, detail: dict) -> dict[str, Any]:
        return {"ticket": ticket, "at": at, "kind": kind,
                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                      allow_nan=False)}

    def _append(self, conn: sa.Connection, ticket: str | None,
                entries: list[tuple[str, dict[str, Any]]], new_chain: bool = False) -> list[int]:
        """Append rows to a chain, holding its head row locked (FOR UPDATE) meanwhile so that
        two processes filing on one ticket take turns."""
        name = ledger.chain_name(ticket)
        if new_chain:  # a ticket opened in this transaction: nobody else can see its chain
            conn.execute(chains.insert().values(name=name, entries=0, head=ledger.GENESIS))
            found = (0, ledger.GENESIS)
        else:
            head_of = sa.select(chains.c.entries, chains.c.head).where(chains.c.name == name)
            found = conn.execute(head_of.with_for_update()).first()
            if found is None:
                conn.execute(self._insert(chains).values(
                    name=name, entries=0, head=ledger.GENESIS).on_conflict_do_nothing())
                found = conn.execute(head_of.with_for_update()).first()
        count, head = found
        for kind, values in entries:
            count += 1
            head = ledger.link(kind, values, count, head)
        # one statement per table (a round trip each on a server), ids in the rows' order
        ids: dict[int, int] = {}
        for kind, table in (("document", documents), ("event", events)):
            rows = [(place, values) for place, (k, values) in enumerate(entries) if k == kind]
            if rows:
                if kind == "document":
                    rows = [(place, {**values, **schema.period_columns(values["data"])})
                            for place, values in rows]
                inserted = conn.execute(
                    table.insert().returning(table.c.id, sort_by_parameter_order=True),
                    [values for _, values in rows]).scalars().all()
                ids.update(zip((place for place, _ in rows), inserted, strict=True))
        conn.execute(chains.update().where(chains.c.name == name).values(entries=count,
                                                                           head=head))
        return [ids[place] for place in range(len(entries))]

    def void(self, reservation: Reservation, reason: str) -> str:
        """Give a reservation up: mark it voided, record that in history and remove its files.
        Returns its state afterwards: "voided", or "filed" when its record was committed
        after all (its files are then kept)."""
        with self.writing() as conn:
            voided = self._void(conn, reservation.id, reason)
            state = "voided" if voided else conn.execute(sa.select(reservations.c.state).where(
                reservations.c.id == reservation.id)).scalar_one()
            self._release(reservation.id, conn)
        if state == "voided":
            self.store.remove(reservation.paths, reservation.id)
        return state

    def _void(self, conn: sa.Connection, reservation_id: int, reason: str) -> bool:
        row = conn.execute(sa.select(reservations).where(
            reservations.c.id == reservation_id, reservations.c.state == "reserved",
        ).with_for_update()).mappings().first()
        if row is None:
            return False
        stamp = now_stamp()
        # a voided row of a batch is free to be filed again: it lets go of its key
        conn.execute(reservations.update().where(reservations.c.id == reservation_id)
                     .values(state="voided", settled_at=stamp, note=reason, batch_key=None))
        detail = {"form": row["form"], "record_no": row["record_no"], "reason": reason,
                  "reserved_at": row["reserved_at"]}
        # a number taken for a ticket that never came to be is voided in the index's own chain
        chain_ticket = None if row["opens_ticket"] else row["ticket"]
        if row["opens_ticket"]:
            detail["ticket"] = row["ticket"]
        self._append(conn, chain_ticket, [("event", self._event(chain_ticket, stamp, "voided",
                                                                detail))])
        return True

    def _release(self, reservation_id: int, conn: sa.Connection | None = None) -> None:
        """Let go of the reservation's advisory lock (PostgreSQL): within the transaction that
        settles it when there is one (no extra round trip), else on its own."""
        if not self.is_postgresql or self._writer is None:
            return
        unlock = sa.select(sa.func.pg_advisory_unlock(LOCK_SPACE, reservation_id))
        if conn is not None:
            conn.execute(unlock)
            return
        with self._explained():
            self._writer.execute(unlock)
            self._writer.commit()

    # --- recovery --------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Void every reservation whose process is gone and remove its files (once per
        command). Returns what was voided, as "form record_no"."""
        if self._recovered:
            return []
        self._recovered = True
        conn = self.writer()
        with self._explained():
            with conn.begin():
                pending = conn.execute(sa.select(reservations).where(
                    reservations.c.state == "reserved")).mappings().all()
        voided = []
        for row in pending:
            # on PostgreSQL, winning the owner's advisory lock proves it gone; we then hold the
            # lock until the void is done, so two recovering processes never both act
            if self.owner_alive(row, conn, keep_lock=True) is not False:
                continue
            with self.writing() as tx:
                done = self._void(tx, row["id"], "interrupted: the process filing it stopped "
                                                 "before its documents were recorded")
            if done:
                self.store.remove(json.loads(row["paths"]), row["id"])
                voided.append(f"{row['form']} {row['record_no']}")
            self._release(row["id"])
        self.recovered += voided
        return voided

    def owner_alive(self, row: Any, conn: sa.Connection, keep_lock: bool = False
                    ) -> bool | None:
        """Whether the process that reserved `row` still runs (None: cannot tell)."""
        if self.is_postgresql:
            # the owner holds the advisory lock while its connection lives, on any machine
            with self._explained():
                got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(
                    LOCK_SPACE, row["id"]))).scalar()
                if got and not keep_lock:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(LOCK_SPACE, row["id"])))
                if keep_lock:
                    conn.commit()  # end the statement's transaction; the lock stays
            return not got
        alive = owners.alive(row["owner"])
        if alive is None:
            reserved = dt.datetime.fromisoformat(row["reserved_at"])
            if dt.datetime.now() - reserved > dt.timedelta(hours=FOREIGN_OWNER_HOURS):
                return False
        return alive

    # --- reading ---------------------------------------------------------------------------

    def _shown(self, row: Any) -> dict[str, Any]:
        """A document row as people see it: its path from the workspace."""
        shown = dict(row)
        shown["path"] = self.store.display(shown["path"])
        return shown

    def ticket(self, number: str) -> dict[str, Any] | None:
        with self.reading() as conn:
            if conn is None:
                return None
            row = conn.execute(sa.select(tickets).where(tickets.c.number == number)).first()
            return dict(row._mapping) if row else None

    def tickets(self, state: str | None = None) -> Iterator[dict[str, Any]]:
        """Tickets in number order, streamed; only those in `state` when given."""
        query = sa.select(tickets).order_by(tickets.c.number)
        if state is not None:
            query = query.where(tickets.c.state == state)
        yield from self.stream(query)

    def ticket_numbers(self, starting: str = "", limit: int | None = None) -> list[str]:
        """Ticket numbers beginning with `starting`, in order, at most `limit` of them (for
        shell completion: one indexed query, however many tickets there are)."""
        query = (sa.select(tickets.c.number)
                 .where(tickets.c.number.startswith(starting, autoescape=True))
                 .order_by(tickets.c.number).limit(limit))
        with self.reading() as conn:
            return [] if conn is None else list(conn.execute(query).scalars())

    def batch_rows(self, batch: str) -> dict[int, str]:
        """The rows of `batch` filed so far: row number → record number."""
        query = sa.select(reservations.c.batch_key, reservations.c.record_no).where(
            reservations.c.batch_key.startswith(f"{batch}:", autoescape=True),
            reservations.c.state == "filed")
        return {int(row["batch_key"].rpartition(":")[2]): row["record_no"]
                for row in self.stream(query)}

    def documents(self, ticket: str | None = None, form: str | None = None,
                  record_no: str | None = None) -> Iterator[dict[str, Any]]:
        """Documents in the order they were filed, streamed."""
        query = sa.select(documents).order_by(documents.c.id)
        if ticket is not None:
            query = query.where(documents.c.ticket == ticket)
        if form is not None:
            query = query.where(documents.c.form == form)
        if record_no is not None:
            query = query.where(documents.c.record_no == record_no)
        yield from self.stream(query, self._shown)

    def stream(self, query, shape=dict, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """The query's rows, `shape`d, `batch` at a time (a million rows need no more memory
        than one batch); none when there is no index yet."""
        with self.reading() as conn:
            if conn is None:
                return
            result = conn.execute(query.execution_options(stream_results=True, yield_per=batch))
            for row in result.mappings():
                yield shape(row)

    def count(self, table: sa.Table | None = None) -> int:
        """Rows in `table` (default: documents)."""
        table = schema.documents if table is None else table
        with self.reading() as conn:
            if conn is None:
                return 0
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    def document(self, ref: str) -> dict[str, Any] | None:
        """A document by its id, or its path as shown, as stored, or on this machine."""
        if ref.isascii() and ref.isdigit() and len(ref) <= 18:
            condition = documents.c.id == int(ref)
        else:
            condition = documents.c.path == self.store.key(ref)
        with self.reading() as conn:
            if conn is None:
                return None
            row = conn.execute(sa.select(documents).where(condition)).mappings().first()
            return self._shown(row) if row else None

    def form_names(self) -> set[str]:
        with self.reading() as conn:
            if conn is None:
                return set()
            return set(conn.execute(sa.select(documents.c.form).distinct()).scalars())

    def events(self, ticket: str) -> list[dict[str, Any]]:
        with self.reading() as conn:
            if conn is None:
                return []
            query = sa.select(events).where(events.c.ticket == ticket).order_by(events.c.entry)
            return [dict(r) for r in conn.execute(query).mappings()]


def index_of(workspace, write: bool = False) -> Index:
    """The workspace's index, opened once per command and closed with the workspace. A command
    that will write says so (`write=True`) before it first reads."""
    index = workspace.shared("index", lambda: open_index(workspace.root, workspace.config,
                                                         workspace.output_dir))
    index.may_write = index.may_write or write
    return index


def open_index(root: Path, config: dict, output: Path) -> Index:
    location = database.locate(root, config)
    # the SQLite index is no document, even when the index has moved to a server since
    ignore = {root / config["index"]["path"], *([location.sqlite_path] if location.is_sqlite
                                                 else [])}
    return Index(location, DocumentStore(output, root, ignore),
                 float(config["index"]["busy_timeout"]))
