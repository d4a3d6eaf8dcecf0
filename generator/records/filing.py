"""Filing: the one way a document enters the records, for every kind of document.

    with filing(workspace, form=..., record=Numbering(...), paths=...) as job:
        job.write(job.paths[0], content, fmt="pdf", data=..., source=(...))

Entering takes the numbers (a short transaction); the body renders and writes with no lock
held; leaving records the rows (a second short transaction). If the body fails, or the process
is told to stop, the reservation is voided and its files removed; if the process is killed
outright, the next writing command does that (`Index.recover`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from generator.errors import Interrupted
from generator.records.index import DocumentRow, Index, Numbering, Opening, index_of


@dataclass
class WrittenDocument:
    id: int
    path: str  # as people see it
    format: str
    sha256: str
    size: int


class Filing:
    """One record being filed: its numbers, the files it writes, the rows it will record."""

    def __init__(self, index: Index, reservation) -> None:
        self.index = index
        self.reservation = reservation
        self.rows: list[DocumentRow] = []
        self.opening: Opening | None = None
        self.changes: list = []  # what filing does to the ticket (records.index.Change)
        self.expect_state: str | None = None  # the ticket's state they were planned from
        self.documents: list[WrittenDocument] = []

    @property
    def ticket(self) -> str | None:
        return self.reservation.ticket

    @property
    def record_no(self) -> str:
        return self.reservation.record_no

    @property
    def paths(self) -> list[str]:
        """The store paths reserved for this record, in the order `paths()` gave them."""
        return self.reservation.paths

    @property
    def stamp(self) -> str:
        return self.reservation.stamp

    def write(self, path: str, content: bytes, *, fmt: str, data: str,
              source: tuple[str, str]) -> None:
        """Write one document to the store. `source` is what it was made from: (identity,
        SHA-256) of its template, layout or sources."""
        if path not in self.paths:
            raise ValueError(f"{path} was not reserved (reserved: {self.paths})")
        self.index.store.write(path, content, self.reservation.id)
        self.rows.append(DocumentRow(
            ticket=self.ticket, form=self.reservation.form, record_no=self.record_no,
            format=fmt, path=path, sha256=hashlib.sha256(content).hexdigest(),
            size=len(content), created_at=self.stamp, data=data, template=source[0],
            template_sha256=source[1],
        ))


@contextmanager
def filing(workspace, *, form: str, record: Numbering | str,
           paths: Callable[[str | None, str], list[str]], ticket: str | None = None,
           new_ticket: Numbering | None = None, stamp: str | None = None,
           batch_key: str | None = None) -> Iterator[Filing]:
    index = index_of(workspace, write=True)
    job = Filing(index, index.reserve(form=form, record=record, ticket=ticket,
                                      new_ticket=new_ticket, paths=paths, stamp=stamp,
                                      batch_key=batch_key))
    try:
        yield job
        ids = index.record(job.reservation, job.rows, job.opening, job.changes,
                           job.expect_state)
    except BaseException as exc:
        _give_up(index, job, exc)
        raise
    store = index.store
    job.documents = [WrittenDocument(i, store.display(row.path), row.format, row.sha256,
                                     row.size) for i, row in zip(ids, job.rows, strict=True)]


def _give_up(index: Index, job: Filing, exc: BaseException) -> None:
    what = f"{job.reservation.form} {job.record_no}"
    if isinstance(exc, Interrupted | KeyboardInterrupt):
        reason = "interrupted: the process was told to stop before the record was complete"
    else:
        reason = f"failed: {type(exc).__name__}: {str(exc)[:300]}"
    try:
        state = index.void(job.reservation, reason)
    except Exception:  # noqa: BLE001 — the first error is the one to report
        # The database may be what failed, so whether the record was committed is unknown:
        # leave its files alone. If it was not, the next writing command voids it (this
        # process is gone by then) and removes them.
        outcome = ("its outcome is unknown; the next writing command settles it (`aftersales "
                   "index verify` shows how)")
    else:
        outcome = ("it was recorded after all" if state == "filed"
                   else "its number was voided and its files removed")
    if isinstance(exc, Interrupted):
        exc.message = f"stopped while filing {what}: {outcome}"
