"""Sheets in: a CSV, XLSX or JSON Lines file, or a table pasted from Excel, as a form's records.

`read_sheet` checks the whole file first — its kind, its encoding, its header — and raises
`UsageError` before yielding anything; then it streams one `SheetRow` per record, so memory stays
flat whatever the number of rows. A problem of one row (a formula cell, a line that is not a JSON
object) travels with that row: it is reported, not filed, and the rows around it still are.

A sheet's header names fields by key or by label (zh or en), as a YAML input does. A form with a
row table (a register's repairs) takes one sheet row per table row: consecutive rows with the same
group key (`group_by`; by default the form's first required field outside its tables) form one
record, whose other fields come from the group's first row — later rows repeat them or leave them
blank. A table's column is headed by its key or label, or `TABLE.COLUMN` (key or label of each)
when its name is also a top-level field's.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import difflib
import itertools
import re
import sys
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.parsers import expat

import openpyxl
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from generator.documents.datafile import MAX_CHARS, read_json
from generator.documents.forms import Field, Form
from generator.documents.validate import key_lookup
from generator.errors import QUOTED_LENGTH, UsageError, quote, shorten

SUPPORTED = (".csv", ".tsv", ".xlsx", ".jsonl")
ZIP_MAGIC = b"PK\x03\x04"
# Compound File Binary (OLE2): a legacy .xls, or an XLSX that Excel encrypted with a password.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 64 * 1024
# Bytes no text sheet holds (tab, line feed and carriage return aside); neither UTF-8 nor GB18030
# uses them inside a multi-byte character, so they betray a binary file in either encoding.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class SheetRow:
    """One record read from a sheet, with where the user finds it and what was wrong reading it."""

    number: int  # the sheet's row number (header = 1), a JSON Lines file's line number; for a
    #              grouped record, the first row of its group
    data: dict[str, Any]  # field key → value, ready for documents.validate
    problems: list[str] = field(default_factory=list)  # a row with problems is not filed


def read_sheet(source: Path | str, form: Form, *, stdin: TextIO | None = None,
               group_by: str | None = None) -> Records:
    """The records of `source` for `form`: a path, or "-" for a TSV table on `stdin` (the
    process's standard input by default). Raises UsageError for a problem of the whole file
    before yielding anything."""
    if str(source) == "-":
        table = _text_table(stdin or sys.stdin, "\t", "standard input")
        return Records(_records(form, table, "standard input", group_by))
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".xls", ".et"):
        raise UsageError(f"{path.name}: {suffix} workbooks cannot be read; open it in Excel or "
                         f"WPS and save it as an Excel workbook (.xlsx)")
    if suffix not in SUPPORTED:
        raise UsageError(f"{path.name}: cannot read a {suffix or 'file without an extension'} "
                         f"as a sheet; supported: {', '.join(SUPPORTED)}")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if suffix == ".jsonl" and group_by is not None:
        raise UsageError("group_by applies to sheets; in JSON Lines give a table's rows as a "
                         "list inside the record's object")
    opener = {".xlsx": _xlsx_table, ".jsonl": _json_lines}.get(suffix, _csv_table)
    resource, table = opener(path)
    try:  # the whole-file checks read the header and the first row before returning
        if suffix == ".jsonl":
            records = _json_records(table, path.name)
        else:
            records = _records(form, table, path.name, group_by)
    except BaseException:
        resource.close()
        raise
    return Records(records, resource)


class Records(Iterator[SheetRow]):
    """A sheet's records, read as they are asked for. The file is closed when they run out, on
    `close()` (or leaving a `with` block), or when the reader is dropped part-way."""

    def __init__(self, records: Iterator[SheetRow], resource: Any = None) -> None:
        self._records = records
        self._resource = resource

    def __next__(self) -> SheetRow:
        try:
            return next(self._records)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._resource is not None:
            self._resource.close()
            self._resource = None

    __del__ = close

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# --- cells from each kind of file ------------------------------------------------------------
# A table is an iterator of (row number, cell values, {column index: problem}) from the header on.

Table = Iterator[tuple[int, list[Any], dict[int, tuple[str, str]]]]  # problem: (cell, reason)


def _sniff_encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM), else GB18030 (GBK, as Chinese Excel saves CSV): decided on
    the first chunk holding a non-ASCII byte, since an ASCII start fits both."""
    with path.open("rb") as stream:
        chunk = stream.read(CHUNK)
        bom = chunk.startswith(codecs.BOM_UTF8)
        while chunk:
            if BINARY_BYTES.search(chunk):
                raise UsageError(f"{path.name}: not a text file (it holds binary bytes); save "
                                 f"the sheet as CSV UTF-8")
            if bom:
                return "utf-8-sig"
            if not chunk.isascii():
                for encoding in ("utf-8", "gb18030"):
                    try:  # a character cut at the chunk's end is not an error (final=False)
                        codecs.getincrementaldecoder(encoding)().decode(chunk, final=False)
                    except UnicodeDecodeError:
                        continue
                    return encoding
                raise UsageError(f"{path.name}: neither UTF-8 nor GB18030 (GBK) text; save the "
                                 f"sheet as CSV UTF-8")
            chunk = stream.read(CHUNK)
    return "utf-8"


def _csv_table(path: Path) -> tuple[TextIO, Table]:
    encoding = _sniff_encoding(path)
    stream = path.open(encoding=encoding, newline="")
    try:
        header = stream.readline()
    except UnicodeDecodeError:
        stream.close()
        raise UsageError(f"{path.name}: the header is not {encoding} text") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(header)
    lines = itertools.chain([header], stream)
    return stream, _text_table(lines, delimiter, path.name, encoding)


def _delimiter(header: str) -> str:
    """A comma, unless the header plainly uses a tab or a semicolon (some European Excels)."""
    used = [delimiter for delimiter in (",", "\t", ";") if delimiter in header]
    return used[0] if used else ","


def _text_table(lines: Iterable[str], delimiter: str, name: str,
                encoding: str = "text") -> Table:
    reader = csv.reader(lines, delimiter=delimiter)
    try:  # a row's number is Excel's, where a cell holding line breaks is still one row
        for number, values in enumerate(reader, start=1):
            yield number, values, {}
    except UnicodeDecodeError:
        raise UsageError(f"{name}: after line {reader.line_num}, bytes that are not {encoding}; "
                         f"save the sheet as CSV UTF-8") from None
    except csv.Error as exc:
        raise UsageError(f"{name}: line {reader.line_num}: {exc}") from None


def _xlsx_table(path: Path) -> tuple[Any, Table]:
    with path.open("rb") as stream:
        magic = stream.read(8)
    if magic == OLE2_MAGIC:
        raise UsageError(f"{path.name}: a password-protected workbook (or an old .xls renamed "
                         f".xlsx); remove the password, or save it as .xlsx, and try again")
    if not magic.startswith(ZIP_MAGIC):
        raise UsageError(f"{path.name}: not an Excel workbook (.xlsx files are zip archives)")
    try:
        with _quiet_openpyxl():
            # data_only=False: a formula shows as its text, so it can be refused, not guessed at
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, InvalidFileException, ValueError) as exc:
        raise UsageError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        merged = _merged_ranges(sheet)
        if merged:
            raise UsageError(f"{path.name}: sheet '{sheet.title}' has merged cells "
                             f"({', '.join(merged)}); unmerge them and fill every cell")
        # dimensions written by some programs are wrong; read every row there is instead
        sheet.reset_dimensions()
    except BaseException:
        workbook.close()
        raise
    return workbook, _xlsx_rows(sheet)


@contextlib.contextmanager
def _quiet_openpyxl() -> Iterator[None]:
    """openpyxl warns of the parts it drops (data validation and conditional formatting
    extensions, a missing default style); none of them changes a cell's value, and Excel writes
    them into everyday sheets."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        yield


def _merged_ranges(sheet) -> list[str]:
    """The merged ranges of a read-only worksheet. openpyxl reads them only in full mode, and
    only after the cells (they follow sheetData in the XML), so a bare expat pass over the
    sheet's part finds them before any row is handed out, building no tree."""
    found = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if name.endswith("}mergeCell"):
            found.append(attributes.get("ref", "?"))

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    with sheet._get_source() as xml:  # openpyxl's own opener of the sheet's part
        parser.ParseFile(xml)
    return found


def _xlsx_rows(sheet) -> Table:
    rows = sheet.iter_rows()
    for number in itertools.count(1):
        with _quiet_openpyxl():  # each row read is a step of openpyxl's parse of the sheet
            cells = next(rows, None)
        if cells is None:
            return
        values, problems = [], {}
        for index, cell in enumerate(cells):
            value = cell.value
            if cell.data_type == "f":
                problems[index] = (f"{get_column_letter(index + 1)}{number}",
                                   "a formula; paste values instead")
                value = None
            elif cell.data_type == "e":
                problems[index] = (f"{get_column_letter(index + 1)}{number}",
                                   f"an error value {value}; correct it or paste values")
                value = None
            elif isinstance(value, dt.datetime) and is_datetime(cell.number_format) == "date":
                value = value.date()  # Excel stores every date as a date-time
            elif isinstance(value, float) and value.is_integer():
                value = int(value)  # 1203.0 is room 1203
            values.append(value)
        yield number, values, problems


def _json_lines(path: Path) -> tuple[TextIO, Iterator[tuple[int, str]]]:
    with path.open("rb") as stream:
        if BINARY_BYTES.search(stream.read(CHUNK)):
            raise UsageError(f"{path.name}: not a text file (it holds binary bytes)")
    stream = path.open(encoding="utf-8-sig")
    return stream, ((number, line) for number, line in enumerate(_bounded_lines(stream), start=1)
                    if line.strip())


def _bounded_lines(stream: TextIO) -> Iterator[str]:
    """The stream's lines, each cut after MAX_CHARS + 1 characters (the rest skipped), so one
    enormous line costs no more memory than a row read_json refuses by its size."""
    while line := stream.readline(MAX_CHARS + 1):
        if len(line) > MAX_CHARS and not line.endswith("\n"):
            while (rest := stream.readline(CHUNK)) and not rest.endswith("\n"):
                pass
        yield line


def _json_records(lines: Iterator[tuple[int, str]], name: str) -> Iterator[SheetRow]:
    """The records of the non-blank lines, once the first is known to exist."""
    try:
        first = next(lines, None)
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not UTF-8 text; JSON Lines are UTF-8") from None
    if first is None:
        raise UsageError(f"{name}: empty; JSON Lines hold one JSON object per line")
    return _json_objects(itertools.chain([first], lines), name)


def _json_objects(lines: Iterator[tuple[int, str]], name: str) -> Iterator[SheetRow]:
    number = 0
    try:
        for number, line in lines:
            try:
                value = read_json(line, "", first_line=number)
            except UsageError as exc:
                yield SheetRow(number, {}, [exc.message])
                continue
            if not isinstance(value, dict):
                yield SheetRow(number, {}, [f"line {number}: a JSON {type(value).__name__}, "
                                            f"not an object of field: value"])
                continue
            yield SheetRow(number, {k: v for k, v in value.items() if v is not None})
    except UnicodeDecodeError:
        raise UsageError(f"{name}: after line {number}, bytes that are not UTF-8") from None


# --- from cells to records -------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _data_rows(table: Table, name: str) -> tuple[list[str], Table]:
    """The header and the data rows, once both are known to exist (blank rows are skipped)."""
    rows = ((number, values, problems) for number, values, problems in table
            if problems or not all(_blank(v) for v in values))
    header = next(rows, None)
    if header is None:
        raise UsageError(f"{name}: the sheet is empty; its first row must name the columns")
    first = next(rows, None)
    if first is None:
        raise UsageError(f"{name}: no data rows under the header")
    headers = ["" if _blank(v) else str(v).strip() for v in header[1]]
    return headers, itertools.chain([first], rows)


@dataclass(frozen=True)
class Column:
    """What a header names: a top-level field, or a column of a row table (`table` its key)."""

    field: Field
    table: str | None = None

    @property
    def key(self) -> str:
        return f"{self.table}.{self.field.key}" if self.table else self.field.key

    def describe(self) -> str:
        return f"{self.field.label()} ({self.key})"


def _known_columns(form: Form) -> dict[str, Column]:
    """Every header a sheet may use → its column. A table column's bare name stands only when
    no top-level field and no other table has it."""
    columns: dict[str, Column] = {name: Column(form.fields[key])
                                  for name, key in key_lookup(form.fields).items()
                                  if not form.fields[key].columns}
    bare: dict[str, list[Column]] = {}
    for table, fld in form.fields.items():
        if not fld.columns:
            continue
        for column_name, column_key in key_lookup(fld.columns).items():
            column = Column(fld.columns[column_key], table)
            for table_name in (table, *fld.meta.get("label", {}).values()):
                columns[f"{table_name}.{column_name}"] = column
            bare.setdefault(column_name, []).append(column)
    for name, candidates in bare.items():
        if name not in columns and len({c.key for c in candidates}) == 1:
            columns[name] = candidates[0]
    return columns


def _columns(form: Form, headers: list[str], name: str) -> list[Column | None]:
    known = _known_columns(form)
    unknown = [h for h in headers if h and h not in known]
    if unknown:
        # a header is whatever the sheet's first row holds: cut it before comparing or quoting
        guesses = [f"{shorten(h)} (did you mean {' or '.join(close)}?)" if close else shorten(h)
                   for h in unknown
                   for close in [difflib.get_close_matches(h[:QUOTED_LENGTH], known, n=2)]]
        listed = ", ".join(dict.fromkeys(c.describe() for c in known.values()))
        raise UsageError(f"{name}: unknown columns: {', '.join(guesses)}; the form "
                         f"'{form.name}' has: {listed}")
    columns = [known[h] if h else None for h in headers]
    seen: dict[str, str] = {}
    for header, column in zip(headers, columns, strict=True):
        if column is not None and column.key in seen:
            raise UsageError(f"{name}: columns '{seen[column.key]}' and '{header}' both give "
                             f"{column.describe()}; keep one")
        if column is not None:
            seen[column.key] = header
    missing = [c.describe() for c in _required_columns(form, {c.table for c in columns if c})
               if c.key not in seen]
    if missing:
        raise UsageError(f"{name}: missing required columns: {', '.join(missing)}")
    return columns


def _required_columns(form: Form, tables_given: set[str | None]) -> list[Column]:
    """Columns a sheet must have: the required fields, less those the pipeline fills itself
    (a default such as today, a value inherited from the ticket); and the required columns of
    each row table that is required or that the sheet gives."""
    required = []
    for key, fld in form.fields.items():
        if fld.columns:
            if fld.required or key in tables_given:
                required += [Column(col, key) for col in fld.columns.values() if col.required]
        elif fld.required and "default" not in fld.meta and key not in form.inherit:
            required.append(Column(fld))
    return required


def _records(form: Form, table: Table, name: str, group_by: str | None) -> Iterator[SheetRow]:
    headers, rows = _data_rows(table, name)
    columns = _columns(form, headers, name)
    tables = {c.table for c in columns if c and c.table}
    if not tables:
        if group_by is not None:
            raise UsageError(f"group_by: the sheet has no column of a row table of form "
                             f"'{form.name}', so each row is a record of its own")
        return (SheetRow(number, *_row(columns, number, values, problems))
                for number, values, problems in rows)
    return _grouped(form, columns, rows, _group_key(form, columns, group_by))


def _row(columns: list[Column | None], number: int, values: list[Any],
         cell_problems: dict[int, tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """One sheet row as data: top-level fields, and one row of each table it gives cells of."""
    data: dict[str, Any] = {}
    problems = []
    for index, value in enumerate(values):
        column = columns[index] if index < len(columns) else None
        if index in cell_problems:
            where, reason = cell_problems[index]
            named = f" ({column.field.label()}, {column.key})" if column else ""
            problems.append(f"{where}{named}: {reason}")
        if _blank(value):
            continue
        if column is None:
            problems.append(f"{get_column_letter(index + 1)}{number}: a value under no header; "
                            f"name the column or clear the cell")
            continue
        value = _cell_value(column.field, value)
        if column.table:
            data.setdefault(column.table, [{}])[0][column.field.key] = value
        else:
            data[column.field.key] = value
    return data, problems


def _cell_value(fld: Field, value: Any) -> Any:
    """Text stripped; a number in a text field (Excel's room 1203) as its digits."""
    if isinstance(value, str):
        return value.strip()
    if fld.type == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _group_key(form: Form, columns: list[Column | None], group_by: str | None) -> str:
    """The top-level field whose value tells which record a row belongs to."""
    given = {c.field.key for c in columns if c and not c.table}
    if group_by is not None:
        key = key_lookup(form.fields).get(group_by.strip())
        if key not in given:
            raise UsageError(f"group_by: '{group_by}' is not a column of the sheet outside a "
                             f"table; give one of {', '.join(sorted(given)) or 'none'}")
        return key
    for key, fld in form.fields.items():
        if fld.required and not fld.columns and key in given:
            return key
    raise UsageError(f"the sheet has table columns but no column to group its rows into "
                     f"records by; give group_by (one of {', '.join(sorted(given)) or 'none'})")


def _grouped(form: Form, columns: list[Column | None], rows: Table, key: str
             ) -> Iterator[SheetRow]:
    """Consecutive rows with the same `key` (or a blank one) as one record each."""
    fld = form.fields[key]
    named = f"{fld.label()} ({key})"
    current: SheetRow | None = None
    started: dict[Any, int] = {}  # key value → first row of its record
    for number, values, cell_problems in rows:
        data, problems = _row(columns, number, values, cell_problems)
        value = data.get(key)
        if current is not None and (value is None or value == current.data[key]):
            current.problems += problems + _merge(form, current, data, number)
            continue
        if current is not None:
            yield current
        if value is None:
            yield SheetRow(number, data, [*problems, f"row {number}: {named} is blank, and there "
                                                    f"is no record above to continue"])
            current = None
            continue
        if value in started:
            problems.append(f"row {number}: {named} {quote(value)} began a record on row "
                            f"{started[value]} already; rows of one record must be "
                            f"consecutive (sort the sheet by {fld.label()})")
        started.setdefault(value, number)
        current = SheetRow(number, data, problems)
    if current is not None:
        yield current


def _merge(form: Form, record: SheetRow, data: dict[str, Any], number: int) -> list[str]:
    """Add a later row of a group to its record: table rows appended, other fields the same."""
    problems = []
    for key, value in data.items():
        fld = form.fields[key]
        if fld.columns:
            record.data.setdefault(key, []).extend(value)
        elif key not in record.data:
            record.data[key] = value
        elif record.data[key] != value:
            problems.append(f"row {number}: {fld.label()} ({key}) is {quote(value)} here but "
                            f"{quote(record.data[key])} on row {record.number}; a record's rows "
                            f"repeat its fields or leave them blank")
    return problems

