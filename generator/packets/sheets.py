"""Spreadsheet attachments (XLSX, CSV) as PDF tables.

Every sheet starts a page under a title line; its first row is the header, repeated on each page.
Cells print as Excel shows them: whole numbers without ".0", the decimals and thousands
separators of simple number formats, dates as YYYY-MM-DD. A sheet too wide for a portrait page
goes on landscape pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings

from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.workbook import Workbook
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Table,
    TableStyle,
)

from generator.errors import UsageError
from generator.render.fonts import CJKFont
from generator.render.pdf import LABEL_SHADE, MARGIN, para

CELL_FONT_SIZE = 8
# A column is as wide as its longest text, within these bounds; longer text wraps.
NARROWEST_COLUMN = 1 * cm
WIDEST_COLUMN = 6 * cm
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A number format Excel applies as decimals, thousands separators and a percent sign:
# "0", "0.00", "#,##0", "#,##0.00", "0%", "0.0%" (the first section of it, for positives).
SIMPLE_FORMAT = re.compile(r"^(?P<whole>[#,]*0*)(?:\.(?P<decimals>0+))?(?P<percent>%?)$")
# Cells Excel aligns right: numbers and dates.
NUMERIC = re.compile(r"^-?[\d,]+(\.\d+)?%?$|^\d{4}-\d{2}-\d{2}( [\d:]+)?$")


def open_workbook(content: bytes, label: str) -> Workbook:
    try:
        with warnings.catch_warnings():
            # openpyxl warns of parts it does not read (data validation, conditional
            # formatting); none of them changes the values a cell prints.
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # a damaged file can fail anywhere inside openpyxl
        raise UsageError(f"{label}: not an XLSX file ({type(exc).__name__}: {exc})") from None


def decode_csv(content: bytes, label: str) -> str:
    """The CSV's text: UTF-8 (with or without a byte order mark), else GB18030 as Excel saves
    it on a Chinese Windows."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise UsageError(f"{label}: not a CSV text file (neither UTF-8 nor GB18030)") from None
    if CONTROL.search(text):
        raise UsageError(f"{label}: not a CSV text file (it holds binary data)")
    return text


def workbook_pdf(content: bytes, name: str, font: CJKFont, label: str) -> bytes:
    workbook = open_workbook(content, label)
    sheets = [(f"{name} · {sheet.title}", [[display(cell) for cell in row]
                                          for row in sheet.iter_rows()])
              for sheet in workbook.worksheets]
    return _tables_pdf(sheets, name, font)


def csv_pdf(content: bytes, name: str, font: CJKFont, label: str) -> bytes:
    text = decode_csv(content, label)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UsageError(f"{label}: not a readable CSV file ({exc})") from None
    return _tables_pdf([(name, rows)], name, font)


def display(cell: Cell) -> str:
    """The cell's value as Excel shows it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) or "h" not in cell.number_format.lower():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, int | float):
        return number(value, cell.number_format)
    return str(value)


def number(value: float, number_format: str) -> str:
    simple = SIMPLE_FORMAT.match(number_format.split(";")[0])
    if simple and number_format:
        decimals = len(simple["decimals"] or "")
        if simple["percent"]:
            value *= 100
        separator = "," if "," in simple["whole"] else ""
        return f"{value:{separator}.{decimals}f}{simple['percent']}"
    # Excel's "General": a whole number has no decimals, others up to 15 significant digits.
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Without the empty rows and columns at the end (cells only formatted count as empty)."""
    while rows and not any(rows[-1]):
        rows.pop()
    columns = max((i + 1 for row in rows for i, v in enumerate(row) if v), default=0)
    return [row[:columns] + [""] * (columns - len(row)) for row in rows]


def _column_widths(rows: list[list[str]], font: CJKFont) -> list[float]:
    """Natural widths in points: each column's longest line of text, within reason."""
    padding = 12 + 2  # a table cell's left and right padding, and some air
    widths = []
    for column in zip(*rows, strict=True):  # _trimmed made them even
        longest = max(font.width(line, CELL_FONT_SIZE)
                      for text in column for line in text.splitlines() or [""])
        widths.append(min(max(longest, NARROWEST_COLUMN), WIDEST_COLUMN) + padding)
    return widths


class _Styles:
    def __init__(self, font: str) -> None:
        self.title = ParagraphStyle("sheet", fontName=font, fontSize=11, leading=16,
                                    wordWrap="CJK", spaceAfter=6)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=CELL_FONT_SIZE,
                                   leading=CELL_FONT_SIZE * 1.25, wordWrap="CJK")
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_RIGHT)


def _table(rows: list[list[str]], widths: list[float], st: _Styles, font: str) -> Table:
    header, body = rows[0], rows[1:]
    cells = [[para(v, st.cell) for v in header]]
    cells += [[para(v, st.number if NUMERIC.match(v) else st.cell) for v in row] for row in body]
    # Rows are kept whole: reportlab 5.1 mis-draws repeated headers when it splits inside a row.
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _tables_pdf(sheets: list[tuple[str, list[list[str]]]], name: str, font: CJKFont) -> bytes:
    st = _Styles(font.name)
    portrait_width = A4[0] - 2 * MARGIN
    story: list = []
    orientations = []
    for index, (title, rows) in enumerate(sheets):
        rows = _trimmed(rows)
        natural = _column_widths(rows, font)
        wide = sum(natural) > portrait_width
        orientation = "landscape" if wide else "portrait"
        orientations.append(orientation)
        if index:
            story += [NextPageTemplate(orientation), PageBreak()]
        story += [para(title, st.title)]
        if rows:
            width = (landscape(A4)[0] if wide else A4[0]) - 2 * MARGIN
            scale = min(1.0, width / sum(natural))  # narrower when it must be, never wider
            story.append(_table(rows, [w * scale for w in natural], st, font.name))
    buffer = io.BytesIO()
    document = BaseDocTemplate(buffer, pagesize=A4, title=name, initialFontName=font.name,
                               invariant=True)
    templates = {o: PageTemplate(o, [Frame(MARGIN, MARGIN, size[0] - 2 * MARGIN,
                                           size[1] - 2 * MARGIN, id=o)], pagesize=size)
                 for o, size in (("portrait", A4), ("landscape", landscape(A4)))}
    first = orientations[0] if orientations else "portrait"
    document.addPageTemplates([templates[first]] + [t for o, t in templates.items()
                                                    if o != first])
    document.build(story)
    return buffer.getvalue()
