"""Context → CSV: the form's values as plain rows, for a spreadsheet or another program.

UTF-8 with a byte-order mark, so Excel reads the Chinese right when the file is opened with a
double click; lines end in CRLF and every value is quoted as the csv module sees fit (commas,
quotes and line breaks in values come back intact through any CSV reader).

First the title and the document's numbers, then a `label,value` line per field of the layout's
grids and text boxes (and a signature's name, when no grid shows it), then each row table: an
empty line, a line with the table's label, a line of column labels, a line per row and the
totals line. Values are the display context's, exactly — choices by label, dates ISO — with one
exception: a number is written without its thousands separators ("12,345.60" → "12345.60"), as
Excel then reads it as a number rather than as text.

Values are written as they are: one that starts with "=", "+", "-" or "@" is what the user typed,
and a spreadsheet that opens the file may read it as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form

NUMERIC_TYPES = ("money", "integer", "number", "float")
GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def _plain(text: str, numeric: bool) -> str:
    """A number's display string without thousands separators; anything else as it is."""
    return text.replace(",", "") if numeric and GROUPED.fullmatch(text) else text


def _numeric(form: Form) -> set[str]:
    """The keys of the form's fields (and computed fields) that hold numbers."""
    keys = {key for key, fld in form.fields.items()
            if fld.type in NUMERIC_TYPES and not fld.choices}
    return keys | {key for key, spec in form.computed.items() if "capital" not in spec}


def _tables(form: Form) -> list[dict[str, Any]]:
    """The row tables the layout shows, in order: its `table:` items, then a chart's table
    that no `table:` item shows (with all its columns)."""
    items = [item for item in form.layout if "table" in item]
    shown = {item["table"] for item in items}
    for item in form.layout:
        if "chart" in item and item["chart"] not in shown:
            shown.add(item["chart"])
            items.append({"table": item["chart"]})
    return items


def render_csv(form: Form, ctx: dict[str, Any]) -> bytes:
    """The form filled with `ctx` (from build_context) as CSV bytes."""
    words, values, labels = ctx["M"], ctx["f"], ctx["L"]
    numeric = _numeric(form)
    lines: list[list[str]] = [
        [ctx["form"]["title"]],
        [words["code"], ctx["form"]["code"]],
        [words["record_no"], ctx["record_no"]],
    ]
    if form.ticket_mode != "none":
        lines.append([words["ticket"], ctx["ticket"]])
    written: set[str] = set()
    for item in form.layout:
        if "grid" in item:
            keys = [key for row in item["grid"] for key in row]
        elif "text" in item:
            keys = [item["text"]]
        elif "signatures" in item:
            keys = [sig["field"] for sig in item["signatures"] if sig.get("field")]
        else:
            continue
        for key in keys:
            if key not in written:
                written.add(key)
                lines.append([labels[key], _plain(values[key], key in numeric)])
    for item in _tables(form):
        key = item["table"]
        fields = form.fields[key].columns
        columns = item.get("columns") or list(fields)
        numbers = {c for c in columns if fields[c].type in NUMERIC_TYPES and not fields[c].choices}
        lines += [[], [labels[key]], [labels[f"{key}_columns"][c] for c in columns]]
        lines += [[_plain(row[c], c in numbers) for c in columns] for row in ctx["rows"][key]]
        totals = item.get("totals")
        if totals and not ctx["blank"]:
            lines.append([
                _plain(values[totals[c]], True) if c in totals
                else (words["total"] if i == 0 else "")
                for i, c in enumerate(columns)
            ])
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(lines)
    return buffer.getvalue().encode("utf-8-sig")
