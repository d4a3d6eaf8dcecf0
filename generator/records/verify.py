"""`index verify`: is every record complete and untampered?

Three passes over one consistent snapshot of the index, each a walk of sorted streams side by
side, so memory stays flat however many documents there are:

1. checkpoints: each one unaltered, signed by the configured key, following the one before, and
   none missing that the key's checkpoint log knows of;
2. history, chain by chain: every document and event row hashes to what it says, continues its
   ticket's chain, matches what a checkpoint signed for its place; every chain ends where its
   recorded head says, every ticket row matches its opening event, and nothing a checkpoint
   signed is gone;
3. files, path by path (the store walked in the order SQL sorts the paths): every indexed file
   is there with its SHA-256 and every file is indexed.

A file being written by a fill in flight is not a problem, nor are the traces of a fill that
was killed (its reservation explains them; the next writing command removes them): those, and
numbers voided, are reported as notes.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from generator.records import ledger, schema
from generator.records.index import Index
from generator.records.schema import chains, checkpoints, documents, reservations, tickets
from generator.records.signing import (
    FINGERPRINT_CHARS,
    Keys,
    SignedEntry,
    checkpoint_hash,
    history_rows,
    signed_entries,
    statement_bytes,
    streamed,
)
from generator.records.store import DocumentStore, partial_reservation
from generator.workspace import sha256_file


@dataclass
class Report:
    documents: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(index: Index, keys: Keys) -> Report:
    report = Report()
    with index.reading(snapshot=True) as conn:
        if conn is None:
            _files(index, None, report, {})  # no index yet: every file is unindexed
            return report
        signed = check_checkpoints(conn, index, keys, report)
        check_history(conn, index, report.problems, signed=signed)
        pending = _reservations(conn, index, report)
        _files(index, conn, report, pending)
    return report


# --- checkpoints -----------------------------------------------------------------------------


def check_checkpoints(conn: sa.Connection, index: Index, keys: Keys, report: Report
                      ) -> Iterator[SignedEntry]:
    """Pass 1: the checkpoints; returns what they signed, for pass 2."""
    previous_hash, previous_id, latest = ledger.GENESIS, 0, None
    rows = conn.execute(streamed(sa.select(checkpoints.c.id, checkpoints.c.at,
                                           checkpoints.c.statement, checkpoints.c.signature,
                                           checkpoints.c.hash).order_by(checkpoints.c.id)))
    problems = report.problems
    for row in rows.mappings():
        name = f"checkpoint {row['id']}"
        statement = json.loads(row["statement"])
        body = statement_bytes(statement)
        if checkpoint_hash(body, row["signature"]) != row["hash"] or \
                statement.get("checkpoint") != row["id"]:
            problems.append(f"{name} was altered after it was signed")
        if statement.get("previous") != previous_hash:
            problems.append(f"{name} does not follow checkpoint {previous_id or '-'}: a "
                            f"checkpoint between them was removed or replaced")
        if keys.public is not None:
            if statement.get("key") != keys.key_id:
                problems.append(f"{name} was signed by key {statement.get('key')}, not by the "
                                f"configured key {keys.key_id} ({keys.setting})")
            elif not _signature_holds(keys, body, row["signature"]):
                problems.append(f"{name} has a signature that does not match its statement: "
                                f"it was altered after it was signed")
        previous_hash, previous_id, latest = row["hash"], row["id"], statement
    _check_log(keys, previous_id, report, conn, index.location.shown())
    if latest is None:
        report.notes.append("no checkpoint yet: the hash chains catch edited and removed rows, "
                            "but not someone who rewrites a row and every hash after it; sign "
                            "the history with `aftersales index checkpoint`")
    else:
        report.checkpoint = {"id": previous_id, "at": latest["at"],
                             "last_document": latest["last_document"],
                             "last_event": latest["last_event"], "key": latest.get("key")}
        if keys.public is None:
            report.notes.append(
                f"{previous_id} checkpoint(s) not checked against a key (none configured: "
                f"[index] signing_key or public_key, or AFTERSALES_SIGNING_KEY): anyone who "
                f"can write the database could have re-signed them with a key of their own")
    return signed_entries(conn)


def _signature_holds(keys: Keys, body: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        keys.public.verify(bytes.fromhex(signature), body)
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_log(keys: Keys, newest: int, report: Report, conn: sa.Connection,
               where: str) -> None:
    """The key's checkpoint log knows the newest checkpoint taken with it for this index; the
    database must still have it."""
    if keys.log is None or not keys.log.is_file():
        return
    logged = None
    for line in keys.log.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("index") != where:
            continue  # a checkpoint of another index signed with the same key
        logged = entry if logged is None or entry["checkpoint"] > logged["checkpoint"] else logged
    if logged is None:
        return
    if logged["checkpoint"] > newest:
        report.problems.append(
            f"checkpoint {logged['checkpoint']} (taken {logged['at']}, recorded in {keys.log}) "
            f"is missing from the index: checkpoints were removed, and whatever changed since "
            f"checkpoint {newest or '-'} is unprotected")
        return
    stored = conn.execute(sa.select(checkpoints.c.hash).where(
        checkpoints.c.id == logged["checkpoint"])).scalar()
    if stored != logged["hash"]:
        report.problems.append(f"checkpoint {logged['checkpoint']} in the index is not the one "
                               f"recorded in {keys.log}: it was replaced")


# --- history ---------------------------------------------------------------------------------


def check_history(conn: sa.Connection, index: Index, problems: list[str],
                  signed: Iterable[SignedEntry] | None) -> None:
    """Pass 2: every chain, row by row, against its head, its ticket and its signatures. Each
    stream is read once, in step with the others: memory does not grow with the history."""
    rows = history_rows(conn)
    signatures = Cursor((e.chain, e) for e in (signed or ()))
    tickets_ = Cursor((r["number"], r) for r in conn.execute(
        streamed(sa.select(tickets).order_by(tickets.c.number))).mappings())
    heads = Cursor((r["name"], r) for r in conn.execute(
        streamed(sa.select(chains).order_by(chains.c.name))).mappings())

    def check(name: str, links: Iterable) -> None:
        ticket, head = tickets_.one(name), heads.one(name)
        _check_chain(name, links, signatures.each(name), ticket, head, index, problems)

    def orphans_before(name: str | None) -> None:
        """Chains that have a head, a ticket or signatures but no rows at all."""
        while (key := min((c.key for c in (signatures, tickets_, heads)
                           if c.key is not None), default=None)) is not None:
            if name is not None and key >= name:
                return
            check(key, ())

    for name, links in itertools.groupby(rows, key=lambda kr: ledger.chain_name(
            kr[1]["ticket"])):
        orphans_before(name)
        check(name, links)
    orphans_before(None)


class Cursor:
    """A stream of (key, item) sorted by key, read one key at a time, in increasing keys."""

    def __init__(self, stream: Iterable[tuple[Any, Any]]) -> None:
        self._stream = iter(stream)
        self._next = next(self._stream, None)

    @property
    def key(self) -> Any | None:
        return None if self._next is None else self._next[0]

    def each(self, key: Any) -> Iterator[Any]:
        """The items of `key`, lazily (items of smaller keys were read already)."""
        while self._next is not None and self._next[0] <= key:
            item_key, item = self._next
            self._next = next(self._stream, None)
            if item_key == key:
                yield item

    def one(self, key: Any) -> Any | None:
        found = list(self.each(key))
        return found[0] if found else None


def _describe(kind: str, row: Any, index: Index) -> str:
    if kind == "document":
        return f"document {row['id']} ({index.store.display(row['path'])})"
    return f"event {row['id']} ({row['kind']})"


def _check_chain(name: str, links: Iterable, signatures: Iterator[SignedEntry], ticket: Any,
                 head: Any, index: Index, problems: list[str]) -> None:
    label = f"ticket {name}" if name else "the documents of no ticket"
    # matched by table and id, not by place: a forger who removes a row renumbers the rest
    signed = {(s.kind, s.id): s for s in signatures}
    expected_head, count = ledger.GENESIS, 0
    opening_state = state = digest = None
    facts: dict[str, Any] = {}
    rewritten: list[tuple[SignedEntry, str]] = []
    unsigned: list[tuple[str, Any]] = []  # rows no checkpoint signed, since the last one signed
    for kind, row in links:
        count += 1
        own = ledger.row_hash(kind, row)
        if row["entry"] != count or row["prev_hash"] != expected_head or own != row["row_hash"]:
            problems.append(f"tampered index row: {_describe(kind, row, index)} does not "
                            f"continue the hash chain of {label}")
        expected_head = row["row_hash"]
        entry = signed.pop((kind, row["id"]), None)
        if entry is None:
            if signed:  # rows a checkpoint signed still follow: this one was slipped in
                unsigned.append((kind, row))
        else:
            for added_kind, added in unsigned:
                problems.append(f"{_describe(added_kind, added, index)}, entry {added['entry']} "
                                f"of {label}, was added into history that checkpoint "
                                f"{entry.checkpoint} signed")
            unsigned.clear()
            if own[:FINGERPRINT_CHARS] != entry.fingerprint:
                rewritten.append((entry, _describe(kind, row, index)))
        if kind == "document":
            expected = schema.period_columns(row["data"])
            changed = sorted(c for c, value in expected.items() if row.get(c) != value)
            if changed:
                problems.append(f"{_describe(kind, row, index)}: its columns "
                                f"{', '.join(changed)} are not what its data says")
        if kind == "event":
            detail = _detail(row)
            if row["kind"] == "opened":
                opening_state = detail.get("state")
            if row["kind"] in ("opened", "moved"):
                state = detail.get("state", detail.get("to", state))
                digest = detail.get("ticket_sha256", digest)
            facts = ledger.fold(facts, detail.get("set"))
    gone = sorted(signed.values(), key=lambda s: s.entry)

    if head is None:
        if count:
            problems.append(f"{label}: its chain head is gone (the chains table has no row for "
                            f"it, but {count} rows remain)")
    elif head["entries"] != count or head["head"] != expected_head:
        problems.append(f"{label}: its recorded head ({head['entries']} rows) does not match "
                        f"its rows ({count}): a row was removed, added or rewritten")

    if name:
        if ticket is None and count:
            problems.append(f"ticket {name} is gone from the tickets table, but {count} "
                            f"rows of its history remain")
        elif ticket is not None and not count:
            problems.append(f"ticket {name} has no history: its documents and events are gone")
        elif ticket is not None:
            own = ledger.ticket_digest(ticket["number"], ticket["opened_at"], ticket["data"],
                                       opening_state or ticket["state"])
            if digest is not None and own != digest:
                problems.append(f"ticket {name}: its row was changed; it no longer matches what "
                                f"its opening recorded")
            if state is not None and ticket["state"] != state:
                problems.append(f"ticket {name}: its state is {ticket['state']!r}, but its "
                                f"history leaves it {state!r}")
            if _detail({"detail": ticket["facts"]}) != facts:
                problems.append(f"ticket {name}: its facts (responsible party, promised times…) "
                                f"are not what its history says")
            columns = schema.fact_columns(facts, ticket["opened_at"])
            changed = sorted(c for c, value in columns.items() if ticket.get(c) != value)
            if changed:
                problems.append(f"ticket {name}: its columns {', '.join(changed)} are not what "
                                f"its history says (the summaries count by them)")
    _report_signatures(label, count, gone, rewritten, index, problems)


def _detail(row: Any) -> dict[str, Any]:
    try:
        detail = json.loads(row["detail"])
    except (TypeError, ValueError):
        return {}
    return detail if isinstance(detail, dict) else {}


def _report_signatures(label: str, count: int, gone: list[SignedEntry],
                       rewritten: list[tuple[SignedEntry, str]], index: Index,
                       problems: list[str]) -> None:
    if gone and not count:
        kinds = [s.kind for s in gone]
        problems.append(f"{label}, signed by checkpoint {gone[0].checkpoint} with "
                        f"{kinds.count('document')} documents and {kinds.count('event')} "
                        f"events, is gone")
        return
    for entry in gone:
        shown = index.store.display(entry.label) if entry.kind == "document" else entry.label
        problems.append(f"{entry.kind} {entry.id} ({shown}), entry {entry.entry} of {label}, "
                        f"signed by checkpoint {entry.checkpoint}, is gone")
    if rewritten:
        first, described = rewritten[0]
        more = (f" (and the {len(rewritten) - 1} later rows of {label} were re-hashed after "
                f"it)" if len(rewritten) > 1 else "")
        problems.append(f"{described}, entry {first.entry} of {label}, was rewritten after "
                        f"checkpoint {first.checkpoint} signed it{more}")


def align(*streams: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, list[list[Any]]]]:
    """Walk streams of (key, item), each sorted by key, side by side: for every key any of them
    has, the items each stream has for it (an outer join that holds one key at a time)."""
    merged = heapq.merge(*(_numbered(position, stream)
                           for position, stream in enumerate(streams)), key=lambda t: t[0])
    for key, group in itertools.groupby(merged, key=lambda t: t[0]):
        columns: list[list[Any]] = [[] for _ in streams]
        for _, position, item in group:
            columns[position].append(item)
        yield key, columns


def _numbered(position: int, stream: Iterable[tuple[str, Any]]) -> Iterator[tuple]:
    for key, item in stream:
        yield key, position, item


# --- reservations and files ------------------------------------------------------------------


def _reservations(conn: sa.Connection, index: Index, report: Report) -> dict[str, Any]:
    """Notes on voided and interrupted numbers; the files fills in flight may be writing."""
    pending: dict[str, Any] = {}
    query = sa.select(reservations).where(reservations.c.state != "filed").order_by(
        reservations.c.id)
    for row in conn.execute(streamed(query)).mappings():
        what = f"{row['form']} {row['record_no']}"
        if row["opens_ticket"] and row["ticket"]:
            what += f" (and ticket {row['ticket']})"
        elif row["ticket"]:
            what += f" (ticket {row['ticket']})"
        if row["state"] == "voided":
            report.notes.append(f"voided: {what} — {row['note'] or 'voided'} (at "
                                f"{row['settled_at']}); its number is never reused")
            continue
        alive = index.owner_alive(row, conn)
        if alive is False and _state_now(index, row["id"]) != "reserved":
            continue  # settled since the snapshot: its owner finished, it did not die
        paths = json.loads(row["paths"])
        if alive is False:
            host, _, pid, _ = (row["owner"].split("|") + ["", "", "", ""])[:4]
            report.notes.append(f"interrupted: {what} — the process filing it ({pid} on "
                                f"{host}) is gone; the next writing command voids it and "
                                f"removes {', '.join(index.store.display(p) for p in paths)}")
        entry = {"id": row["id"], "alive": alive, "what": what}
        pending[f"#{row['id']}"] = entry
        for path in paths:
            pending[path] = entry
    return pending


def _files(index: Index, conn: sa.Connection | None, report: Report,
           pending: dict[str, Any]) -> None:
    """Pass 3: the store and the documents' rows, both sorted by path."""
    store = index.store
    root = str(store.root)
    indexed: Iterable = ()
    if conn is not None:
        query = sa.select(documents.c.id, documents.c.path, documents.c.sha256).order_by(
            documents.c.path)
        indexed = conn.execute(streamed(query)).mappings()
    rows = ((row["path"], row) for row in indexed)
    files = ((path, path) for path in store.walk())
    for path, (row, found) in align(rows, files):
        full = os.path.join(root, path)
        if found and os.path.islink(full):
            report.documents += bool(row)
            report.problems.append(_symlink_problem(index, conn, path, full))
        elif row and found:
            report.documents += 1
            try:
                changed = sha256_file(full) != row[0]["sha256"]
            except OSError as exc:
                report.problems.append(f"unreadable: {store.display(path)} (document "
                                       f"{row[0]['id']}): {exc.strerror}")
                continue
            if changed:
                report.problems.append(f"changed: {store.display(path)} (document "
                                       f"{row[0]['id']}): its SHA-256 is no longer the one "
                                       f"indexed")
        elif row:
            report.documents += 1
            report.problems.append(f"missing: {store.display(path)} (document {row[0]['id']})")
        elif not _explained(index, path, pending):
            report.problems.append(f"unindexed: {store.display(path)} (not produced by "
                                   f"aftersales, or its index row is gone)")


def _symlink_problem(index: Index, conn: sa.Connection | None, path: str, full: str) -> str:
    """A link in the store, named with its target. A document is never a link: what a link
    shows can change without the link changing, so no checksum proves anything about it, and
    one that points outside the workspace lets the store reach files it should not."""
    what = _link_kind(index.store, conn, path, full)
    return (f"symlink: {index.store.display(path)} -> {os.readlink(full)}: {what}; remove it "
            f"(documents are files, never links)")


def _link_kind(store: DocumentStore, conn: sa.Connection | None, path: str, full: str) -> str:
    if not os.path.exists(full):
        return "dangling (its target cannot be reached)"
    target, store_root = Path(os.path.realpath(full)), store.root.resolve()
    inside = target.is_relative_to(store_root) or target.is_relative_to(store.workspace_root)
    if os.path.isdir(full):
        return (f"a linked folder {'inside' if inside else 'outside'} the workspace, whose files "
                f"are not checked")
    if not inside:
        return "points outside the workspace"
    if target.is_relative_to(store_root):
        key = target.relative_to(store_root).as_posix()
        if _indexed(conn, key):
            return f"a second name for the indexed document {store.display(key)}"
    if _indexed(conn, path):
        return "stands where an indexed document should be"
    return "points to a file that is not a document"


def _indexed(conn: sa.Connection | None, path: str) -> bool:
    return conn is not None and conn.execute(
        sa.select(documents.c.id).where(documents.c.path == path)).first() is not None


def _explained(index: Index, path: str, pending: dict[str, Any]) -> bool:
    """Whether a file with no row is a fill's work in progress (or a killed fill's remains,
    which the notes already name). Asked afresh, outside the snapshot, when the snapshot does
    not know it: the fill may have begun, or finished, after the snapshot was taken — and then
    its .partial-* file may have been renamed, or its files removed, since the walk saw them."""
    name = path.rsplit("/", 1)[-1]
    reservation = partial_reservation(name)
    key = f"#{reservation}" if reservation is not None else path
    if key in pending:
        return True
    # One snapshot for both questions below. Asked as two statements under PostgreSQL's READ
    # COMMITTED, a fill committing between them was in neither: not yet a document when the
    # first looked, no longer reserved when the second did — an "unindexed" file in flight.
    with index.reading(snapshot=True) as fresh:
        if fresh is None:
            return False
        if reservation is not None:
            state = fresh.execute(sa.select(reservations.c.state).where(
                reservations.c.id == reservation)).scalar()
            in_flight = state == "reserved"
        else:
            in_flight = fresh.execute(sa.select(documents.c.id).where(
                documents.c.path == path)).first() is not None or any(
                path in json.loads(paths) for paths in fresh.execute(
                    sa.select(reservations.c.paths).where(
                        reservations.c.state == "reserved")).scalars())
    return in_flight or not index.store.path(path).exists()


def _state_now(index: Index, reservation_id: int) -> str | None:
    with index.reading() as fresh:
        return fresh.execute(sa.select(reservations.c.state).where(
            reservations.c.id == reservation_id)).scalar()
