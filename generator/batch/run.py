"""Running a batch: every record of a sheet filed as its own, by several processes at once,
resumable after Ctrl-C or a kill.

A batch is named by its form and the SHA-256 of its sheet (`warranty-card-3f2a…`), and each of
its rows by the batch and the row's number: the index refuses to file a row twice (a
reservation's `batch_key`), so running the same sheet again with `--resume` files exactly the
rows that are missing — a row whose filing was killed half-way was voided, and is filed again.

Rows are read as a stream and handed to the workers a few at a time, so memory stays flat
whatever the sheet's length; a bad row is reported (row, field, reason) in an error report
written as it goes, and the good rows are filed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from generator.batch.sheets import SheetRow, read_sheet
from generator.documents.fill import fill, parse_formats
from generator.documents.forms import Form, load_form
from generator.errors import Interrupted, RowTaken, UsageError, ValidationFailed
from generator.files import WriteFailed, inside, write_atomically
from generator.records.index import index_of
from generator.workspace import Workspace

REPORTS = "batches"  # beside output/: error reports and combined PDFs are not records
IN_FLIGHT_PER_JOB = 4  # rows handed to each worker ahead, to keep it busy without a backlog
# "联系电话 (phone): a mobile number like …" → the field's label and key, and the reason
PROBLEM = re.compile(r"^(?P<field>[^:：]*?\((?P<key>[\w.\[\]]+)\))[:：]?\s*(?P<reason>.*)$",
                     re.S)


@dataclass
class BatchResult:
    form: str
    batch: str
    rows: int = 0  # records read from the sheet
    filed: int = 0  # filed by this run
    earlier: int = 0  # filed by an earlier run of the same sheet (--resume)
    failed: int = 0  # records refused (each listed in the error report)
    reports: list[str] = field(default_factory=list)  # error report files
    combined: str | None = None  # the whole batch as one PDF (--combine)
    records: list[tuple[int, str]] = field(default_factory=list)  # (row, record_no), --combine

    def as_json(self) -> dict[str, Any]:
        return {"form": self.form, "batch": self.batch, "rows": self.rows, "filed": self.filed,
                "earlier": self.earlier, "failed": self.failed, "reports": self.reports,
                "combined": self.combined}


def sheet_digest(source: Path | str, stdin: TextIO | None) -> tuple[str, TextIO | None]:
    """The sheet's SHA-256, and standard input as read (it can be read only once)."""
    digest = hashlib.sha256()
    if str(source) == "-":
        text = (stdin or sys.stdin).read()
        digest.update(text.encode("utf-8"))
        return digest.hexdigest(), io.StringIO(text)
    try:
        with open(source, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise UsageError(f"--data {source}: cannot read it: {exc.strerror}") from None
    return digest.hexdigest(), None


def run_batch(workspace: Workspace, form_name: str, source: Path | str, *,
              stdin: TextIO | None = None, jobs: int | None = None,
              formats: str | list[str] | None = None, resume: bool = False,
              combine: bool = False, group_by: str | None = None,
              progress: Callable[[BatchResult], None] | None = None) -> BatchResult:
    """File every record of the sheet at `source` ("-": a table pasted on standard input)."""
    form = load_form(workspace, form_name)
    if form.ticket_mode == "requires":
        raise UsageError(f"batch {form.name}: each of its records belongs to a ticket of its "
                         f"own; batches file forms that open a ticket or need none")
    chosen = parse_formats(formats, workspace)
    if combine and "pdf" not in chosen:
        raise UsageError("--combine puts the batch's PDFs into one: add pdf to --format")
    digest, stdin = sheet_digest(source, stdin)
    result = BatchResult(form.name, f"{form.name}-{digest[:16]}")
    done = index_of(workspace).batch_rows(result.batch)
    if done and not resume:
        raise UsageError(f"this sheet was run before as batch {result.batch} ({len(done)} "
                         f"records filed); run the same command with --resume to file the rest")
    rows = read_sheet(source, form, stdin=stdin, group_by=group_by)
    report = ErrorReport(workspace.root / REPORTS / result.batch, workspace.root)
    try:
        with rows:
            for kind, number, detail in _file_all(workspace, form, rows, done, result, chosen,
                                                  jobs or os.cpu_count() or 1):
                _count(result, report, kind, number, detail, combine)
                if progress is not None:
                    progress(result)
    except (KeyboardInterrupt, Interrupted):
        report.close()
        raise Interrupted(f"stopped: {result.filed} records filed by this run, "
                          f"{result.failed} refused; run the same command with --resume to "
                          f"file the rest (nothing is filed twice)") from None
    result.reports = report.close()
    if combine:
        result.combined = _combine(workspace, form, result)
    return result


def _count(result: BatchResult, report: ErrorReport, kind: str, number: int, detail: Any,
           combine: bool) -> None:
    """One record's outcome added to the result (and the error report)."""
    if kind == "failed":
        result.failed += 1
        report.add(number, detail)
        return
    if kind == "filed":
        result.filed += 1
    else:
        result.earlier += 1
    if combine:  # only then kept: the record numbers of a million rows need not be
        result.records.append((number, detail))


def _file_all(workspace: Workspace, form: Form, rows: Iterator[SheetRow], done: dict[int, str],
              result: BatchResult, formats: list[str], jobs: int) -> Iterator[tuple]:
    """(kind, row, detail) for every record: ("filed", row, record_no), ("earlier", row,
    record_no) or ("failed", row, [problem, …]), as they finish."""
    root, batch = str(workspace.root), result.batch
    if jobs <= 1:
        for row in rows:
            result.rows += 1
            yield _settled(row, done) or file_row(root, form.name, row.number, row.data,
                                                  formats, batch, workspace)
        return
    context = get_context("spawn")  # no inherited database connections in the workers
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_open_worker,
                             initargs=(root,)) as pool:
        pending: set[Future] = set()
        try:
            for row in rows:
                result.rows += 1
                settled = _settled(row, done)
                if settled:
                    yield settled
                    continue
                pending.add(pool.submit(file_row, root, form.name, row.number, row.data,
                                        formats, batch))
                if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in finished)
            for future in _as_finished(pending):
                yield future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _settled(row: SheetRow, done: dict[int, str]) -> tuple | None:
    """What is known of a row before filing it: filed by an earlier run, or unreadable."""
    if row.number in done:
        return ("earlier", row.number, done[row.number])
    if row.problems:
        return ("failed", row.number, row.problems)
    return None


def _as_finished(pending: set[Future]) -> Iterator[Future]:
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from finished


_WORKER: dict[str, Workspace] = {}


def _open_worker(root: str) -> None:
    import threading

    # Ctrl-C reaches every process of the terminal: the worker stops its filing cleanly (the
    # row's numbers voided, its files removed) and the parent reports. A parent that is
    # killed outright leaves its workers waiting for rows that never come: they go too.
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _WORKER[root] = Workspace.open(root)


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone. A row it is filing then is left as a kill
    leaves one: the next writing command voids it, and --resume files it again."""
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def file_row(root: str, form: str, number: int, data: dict[str, Any], formats: list[str],
             batch: str, workspace: Workspace | None = None) -> tuple[str, int, Any]:
    """File one record of the batch (in a worker, or in the parent when jobs is 1)."""
    workspace = workspace or _WORKER.get(root) or Workspace.open(root)
    try:
        filed = fill(workspace, form, data, formats=formats, batch_key=f"{batch}:{number}")
    except RowTaken as exc:
        return ("earlier", number, exc.record_no)
    except ValidationFailed as exc:
        return ("failed", number, exc.problems)
    except UsageError as exc:
        return ("failed", number, [exc.message])
    return ("filed", number, filed.record_no)


class ErrorReport:
    """The refused records, written as they come: `<batch>-errors.csv` (UTF-8 with a BOM, so
    Excel opens it) and `<batch>-errors.txt`, one line per problem: row, field, reason."""

    def __init__(self, stem: Path, workspace_root: Path) -> None:
        self.stem = stem
        self.workspace_root = workspace_root
        self._csv = self._text = None
        self._writer = None

    def add(self, row: int, problems: list[str]) -> None:
        try:
            self._add(row, problems)
        except OSError as exc:
            raise WriteFailed(f"cannot write the error report {self.stem}-errors.*: "
                              f"{exc.strerror or exc}") from None

    def _add(self, row: int, problems: list[str]) -> None:
        if self._writer is None:
            for suffix in ("csv", "txt"):
                inside(Path(f"{self.stem}-errors.{suffix}"), self.workspace_root,
                       "the error report")
            self.stem.parent.mkdir(parents=True, exist_ok=True)
            self._csv = open(f"{self.stem}-errors.csv", "w", encoding="utf-8-sig", newline="")
            self._text = open(f"{self.stem}-errors.txt", "w", encoding="utf-8")
            self._writer = csv.writer(self._csv)
            self._writer.writerow(["row", "field", "reason"])
        for problem in problems:
            match = PROBLEM.match(problem)
            field_name, reason = (match["field"], match["reason"]) if match else ("", problem)
            self._writer.writerow([row, field_name, reason])
            self._text.write(f"row {row}: {problem}\n")

    def close(self) -> list[str]:
        if self._writer is None:
            return []
        self._writer = None
        try:
            self._csv.close()
            self._text.close()
        except OSError as exc:
            raise WriteFailed(f"cannot write the error report {self.stem}-errors.*: "
                              f"{exc.strerror or exc}") from None
        return [f"{self.stem}-errors.csv", f"{self.stem}-errors.txt"]


def _combine(workspace: Workspace, form: Form, result: BatchResult) -> str:
    """The batch's PDFs in row order as one file to print, a bookmark per record."""
    from pypdf import PdfReader, PdfWriter

    wanted = {record: row for row, record in result.records}
    index = index_of(workspace)
    paths = {row["record_no"]: row["path"] for row in index.documents(form=form.name)
             if row["format"] == "pdf" and row["record_no"] in wanted}
    writer = PdfWriter()
    for row, record in sorted(result.records):
        writer.append(PdfReader(index.store.path(index.store.key(paths[record]))),
                      outline_item=f"{record} (row {row})", import_outline=False)
    target = workspace.root / REPORTS / f"{result.batch}.pdf"
    write_atomically(target, writer.write, within=workspace.root)
    return str(target)
