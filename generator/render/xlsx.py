"""Context → XLSX with openpyxl, following the form's layout as the PDF draws it.

One worksheet: the header line, the title, the form code, record and ticket numbers, then the
layout's grids, text boxes, row tables, charts, clauses and signatures. A chart is a native Excel
chart of its table's cells (a chart whose table the layout does not show gets the columns it
draws as a table of their own, just above it). A form with `xlsx: sheets` gets one more sheet
per row table: its rows alone, under a frozen header with a filter, numbers as numbers and
dates as dates, for sorting, filtering and pivoting. Every cell holds a display value
of the context exactly, so DOCX, PDF and XLSX read alike; the numbers of a row table (and its
totals) are real numbers, formatted so Excel shows them as the display context prints them.

Values are data, never formulas: every text cell is stored as a string, whatever it starts with.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from generator.render.columns import row_table_widths

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form

CM = 1 / 2.54  # page setup is in inches
MARGIN = 1.8 * CM
# The printable width in Excel column units (about 0.185 cm each: the default font's digit),
# which column widths share out as the PDF's do (render/columns.py). Fit-to-width absorbs the
# rest.
WIDTH_UNITS = {"portrait": 92.0, "landscape": 138.0}
LABEL_CM = 3.0  # a grid's label column, as in the PDF
PRINTABLE_CM = {"portrait": 21.0 - 3.6, "landscape": 29.7 - 3.6}
# How far (fractions of the width, below and above) an edge may move to fall on a column the
# sheet has already, rather than split it: a second table's column edges, and the middle of a
# grid of two pairs; a grid's label may be a quarter narrower or three quarters wider than the
# PDF's 3 cm. Beyond that the edge makes a column of its own.
SNAP_TABLE = (0.06, 0.06)
SNAP_MIDDLE = (0.15, 0.15)
SNAP_LABEL = (0.25, 0.75)  # times the label's width

LABEL_SHADE = PatternFill("solid", fgColor="EDEDED")  # the PDF's Color(0.93, 0.93, 0.93)
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SIGN_LINE = Border(bottom=THIN)
HEADER_LINE = Border(bottom=Side(style="thin", color="808080"))

BODY = 10  # font sizes, as in the PDF
POINTS = {"title": 16, "section": 11, "meta": 9, "furniture": 8}
GRID_ROW_BLANK = 25.5  # points: 0.9 cm to write in by hand, as in the PDF
TEXT_BLANK = 113.0  # 4 cm
SIGNATURE_ROW = 30.0
# Freeze the panes below the first table's header only while what stays frozen is at most
# this tall (points): more would leave too little of a laptop's window to scroll in. Repeat
# the header on every printed page only when little follows the table (a register), not on
# pages of clauses or of another table.
FREEZE_MAX = 220.0
PRINT_TITLES_MAX = 200.0
# The name Chinese Excel gives its default font (DengXian); elsewhere the viewer's fallback.
FONT = "等线"

NUMERIC_TYPES = ("money", "integer", "number", "float")
# XLSX (XML 1.0) cannot hold these; the validator refuses them upstream, so this only keeps a
# stray one from failing the whole document.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in a string as an escaped character: escape the underscore to keep it.
ESCAPE_LOOKALIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")
SHEET_NAME_SUBSTITUTES = str.maketrans("[]:*?/\\", "［］：＊？／＼")
FIXED_TIME = dt.datetime(2000, 1, 1)  # created/modified: identical data, identical bytes


def sheet_name(title: str, fallback: str = "Sheet1") -> str:
    """A worksheet name Excel accepts: its forbidden characters by their full-width forms, at
    most 31 characters, not quoted at either end, not the reserved 'History'."""
    name = UNWRITABLE.sub("", title.translate(SHEET_NAME_SUBSTITUTES)).strip().strip("'")
    while len(name.encode("utf-16-le")) > 62:  # Excel counts UTF-16 code units
        name = name[:-1]
    name = name.strip().strip("'")
    if not name or name.lower() == "history":
        return fallback
    return name


def text_value(value: str) -> str:
    """A string as XLSX can hold it and Excel will show it."""
    return ESCAPE_LOOKALIKE.sub(r"_x005F_\1", UNWRITABLE.sub("\ufffd", value))


def number_value(text: str) -> int | Decimal | None:
    """A display string of a number ("1,234.50", "12", "96.5") as a number, or None."""
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if re.fullmatch(r"-?\d+", text) else number


def number_format(text: str) -> str:
    """The format under which Excel shows the number as its display string does."""
    if re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d\d", text):
        return "#,##0.00"
    if re.fullmatch(r"-?\d+", text):
        return "0"
    return "General"


def _units(text: str, size: float) -> float:
    """The width of one line in column units: wide (CJK) characters are two."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return (2 * wide + (len(text) - wide)) * size / BODY


UNIT_POINTS = BODY / 2  # a column unit holds half a CJK character of the body text


def text_points(text: str, size: float) -> float:
    """The width of one line in points, as far as column widths are concerned."""
    return _units(text, size) * UNIT_POINTS


def _height(text: str, width: float, size: float = BODY) -> float:
    """Points a wrapped `text` needs in a cell `width` units wide. Neither Excel nor
    LibreOffice fits a merged cell's height to its text, so every row is given one."""
    usable = max(width - 1.5, 2.0)
    lines = sum(max(1, math.ceil(_units(part, size) / usable)) for part in text.split("\n"))
    return lines * size * 1.45 + 5


def drawn_items(form: Form) -> list[tuple[int, dict]]:
    """The layout's items with their positions, as the main sheet draws them: a chart whose
    table no `table:` item shows is preceded by a table of the columns it draws (its cells are
    what an Excel chart refers to)."""
    shown = {item["table"] for item in form.layout if "table" in item}
    items: list[tuple[int, dict]] = []
    for number, item in enumerate(form.layout):
        if "chart" in item and item["chart"] not in shown:
            shown.add(item["chart"])
            items.append((number, {"table": item["chart"],
                                   "columns": [item["x"], *item["series"]]}))
        items.append((number, item))
    return items


class Geometry:
    """The sheet's columns, as fractions of the width: the first row table's columns exactly
    (so it can be sorted and filtered without merged cells), other tables' where they differ,
    and what the label/value grids need."""

    def __init__(self, form: Form, orientation: str, ctx: dict[str, Any]) -> None:
        self.units = WIDTH_UNITS[orientation]
        label = LABEL_CM / PRINTABLE_CM[orientation]
        self.points: set[float] = {0.0, 1.0}
        self.table_points: list[list[float]] = []
        for _, item in drawn_items(form):
            if "table" in item:
                self.table_points.append(self._table(form, item, ctx))
        slack = (SNAP_LABEL[0] * label, SNAP_LABEL[1] * label)
        self.half = self._snap(0.5, 0.0, 1.0, SNAP_MIDDLE)
        self.pair2 = (self._snap(label, 0.0, self.half, slack),
                      self._snap(self.half + label, self.half, 1.0, slack))
        self.pair1 = self._snap(label, 0.0, 1.0, slack)
        self.edges = sorted(self.points)
        self.count = len(self.edges) - 1

    def _table(self, form: Form, item: dict, ctx: dict[str, Any]) -> list[float]:
        columns = item.get("columns") or list(form.fields[item["table"]].columns)
        widths = row_table_widths(item, columns, ctx, text_points, item.get("font_size") or 9,
                                  self.units * UNIT_POINTS)
        total = sum(widths)
        wanted = [sum(widths[:i]) / total for i in range(len(widths) + 1)]
        if not self.table_points:  # the first table sets the columns
            self.points.update(wanted)
            return wanted
        placed = [0.0]
        for x in wanted[1:-1]:
            placed.append(self._snap(x, placed[-1], 1.0, SNAP_TABLE))
        return [*placed, 1.0]

    def _snap(self, x: float, low: float, high: float, slack: tuple[float, float]) -> float:
        """The column edge nearest `x` strictly between `low` and `high`, and no more than
        `slack` below or above `x`; a new edge at `x` if there is none."""
        inside = [p for p in self.points
                  if low < p < high and x - slack[0] <= p <= x + slack[1]]
        if not inside:
            self.points.add(x)
            return x
        return min(inside, key=lambda p: abs(p - x))

    def column(self, point: float) -> int:
        """The sheet column (1-based) starting at the edge `point`."""
        return self.edges.index(point) + 1

    def spans(self, points: list[float]) -> list[tuple[int, int]]:
        """First and last sheet column of each stretch between consecutive `points`."""
        return [(self.column(a), self.column(b) - 1) for a, b in itertools.pairwise(points)]

    def width(self, first: int, last: int) -> float:
        return (self.edges[last] - self.edges[first - 1]) * self.units

    def grid_spans(self, pairs: int) -> list[tuple[int, int]]:
        """Label, value (, label, value) spans of a grid row of one or two pairs."""
        if pairs == 1:
            return self.spans([0.0, self.pair1, 1.0])
        return self.spans([0.0, self.pair2[0], self.half, self.pair2[1], 1.0])


class Sheet:
    """A worksheet written top to bottom, one row of cells at a time."""

    def __init__(self, ws: Worksheet, geometry: Geometry) -> None:
        self.ws = ws
        self.geo = geometry
        self.row = 0
        self.heights: dict[int, float] = {}

    def next_row(self, height: float = 0.0) -> int:
        self.row += 1
        self.heights[self.row] = height
        return self.row

    def put(self, span: tuple[int, int], value: Any, *, size: float = BODY, bold: bool = False,
            shade: bool = False, border: Border | None = BOX, horizontal: str | None = None,
            vertical: str = "center", fixed: float | None = None, color: str | None = None,
            ) -> Cell:
        """`value` in the cells `span` of the current row, merged; the row grows to fit it
        unless its height is `fixed`."""
        first, last = span
        cell = self.ws.cell(row=self.row, column=first)
        if isinstance(value, str):
            cell.value = text_value(value)
            cell.data_type = "s"  # a value starting with "=" is text, not a formula
            shown = value
        else:
            cell.value = value
            shown = str(value)
        cell.font = Font(name=FONT, size=size, bold=bold, color=color)
        cell.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=True)
        if shade:
            cell.fill = LABEL_SHADE
        if border is not None:
            cell.border = border
        if last > first:  # openpyxl draws the border of the merged cells from this one's
            self.ws.merge_cells(start_row=self.row, start_column=first, end_row=self.row,
                                end_column=last)
        needed = fixed if fixed is not None else _height(shown, self.geo.width(first, last), size)
        self.heights[self.row] = max(self.heights[self.row], needed)
        return cell

    def put_number(self, span: tuple[int, int], text: str, size: float = BODY) -> None:
        """A display string of a number as a number cell (text if it does not read as one)."""
        number = number_value(text)
        if number is None:
            self.put(span, text, size=size)
            return
        cell = self.put(span, number, size=size, horizontal="right")
        cell.number_format = number_format(text)

    def full(self) -> tuple[int, int]:
        return (1, self.geo.count)


def _grid(sheet: Sheet, item: dict, ctx: dict) -> None:
    for keys in item["grid"]:
        sheet.next_row(GRID_ROW_BLANK if ctx["blank"] else 0.0)
        spans = sheet.geo.grid_spans(len(keys))
        vertical = "center" if len(keys) == 2 else "top"
        for number, key in enumerate(keys):
            sheet.put(spans[2 * number], ctx["L"][key], shade=True, vertical=vertical)
            sheet.put(spans[2 * number + 1], ctx["f"][key], vertical=vertical)


def _text(sheet: Sheet, item: dict, ctx: dict) -> None:
    key = item["text"]
    sheet.next_row()
    sheet.put(sheet.full(), ctx["L"][key], shade=True, vertical="top")
    sheet.next_row(TEXT_BLANK if ctx["blank"] else 0.0)
    sheet.put(sheet.full(), ctx["f"][key], vertical="top")


def _rows_table(sheet: Sheet, form: Form, item: dict, ctx: dict,
                points: list[float]) -> tuple[int, int, dict[str, int]]:
    """The table's header row, a row per data row and the totals row: returns the rows of
    the header and of the last data row, and the sheet column of each table column."""
    key = item["table"]
    columns = item.get("columns") or list(form.fields[key].columns)
    fields = form.fields[key].columns
    numeric = {c for c in columns
               if fields[c].type in NUMERIC_TYPES and not fields[c].choices}
    spans = sheet.geo.spans(points)
    size = item.get("font_size") or 9  # the PDF's small style, or the register's own size
    header = sheet.next_row()
    for column, span in zip(columns, spans, strict=True):
        sheet.put(span, ctx["L"][f"{key}_columns"][column], size=size, shade=True)
    for row in ctx["rows"][key]:
        sheet.next_row(GRID_ROW_BLANK if ctx["blank"] else 0.0)
        for column, span in zip(columns, spans, strict=True):
            if column in numeric:
                sheet.put_number(span, row[column], size)
            else:
                sheet.put(span, row[column], size=size)
    last = sheet.row
    totals = item.get("totals")
    if totals and not ctx["blank"]:
        sheet.next_row()
        for column, span in zip(columns, spans, strict=True):
            if column in totals:
                sheet.put_number(span, ctx["f"][totals[column]], size)
            else:
                sheet.put(span, ctx["M"]["total"] if column == columns[0] else "", size=size)
    return header, last, {column: span[0] for column, span in zip(columns, spans, strict=True)}


CHART_ROW = 20.0  # points: the rows a chart covers


def _chart_room(sheet: Sheet, chart: dict) -> tuple[int, int]:
    """Rows as tall as the chart, to place it over: the first and the last."""
    sheet.next_row(6.0)
    first = sheet.row + 1
    for _ in range(math.ceil(chart["height"] / 2.54 * 72 / CHART_ROW)):
        sheet.next_row(CHART_ROW)
    return first, sheet.row


def _chart_title(text: str):
    """A chart title at the PDF's size (Excel's own is 14 pt bold)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
        RegularTextRun,
    )

    style = CharacterProperties(sz=1100, b=False)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=style),
                          r=[RegularTextRun(rPr=style, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _spanning(first_row: int, last_row: int, columns: int):
    """An anchor from the top left of `first_row` to the bottom right of `last_row` across
    `columns`: the chart is as wide as the sheet's tables in any application, whatever width
    it gives a column unit."""
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor

    return TwoCellAnchor(_from=AnchorMarker(col=0, row=first_row - 1),
                         to=AnchorMarker(col=columns, row=last_row))


def _excel_chart(ws: Worksheet, item: dict, chart: dict, cells: tuple[int, int, dict[str, int]],
                 width_cm: float):
    """A bar or line chart of the table's cells: one series per column, titled by its header
    cell, over the rows of `x`. None when the table has no rows to draw."""
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.shapes import GraphicalProperties

    from generator.render.charts import PALETTE

    header, last, columns = cells
    if last <= header:
        return None
    if item["kind"] == "bar":
        excel = BarChart()
        excel.type, excel.grouping = "col", "clustered"
        excel.gapWidth = _gap_width(len(chart["categories"]), len(item["series"]), width_cm)
    else:
        excel = LineChart()
    for column in item["series"]:
        excel.add_data(Reference(ws, min_col=columns[column], min_row=header, max_row=last),
                       titles_from_data=True)
    excel.set_categories(Reference(ws, min_col=columns[item["x"]], min_row=header + 1,
                                   max_row=last))
    for number, series in enumerate(excel.series):
        colour = PALETTE[number % len(PALETTE)].lstrip("#")
        if item["kind"] == "bar":
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        else:
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 19050  # 1.5 pt
            series.marker.symbol = "circle"
            series.marker.size = 5
            series.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
            series.marker.graphicalProperties.line.solidFill = colour
            series.smooth = False
    if chart["title"]:
        excel.title = _chart_title(chart["title"])
    numbers = [v for s in chart["series"] for v in s["values"] if v is not None]
    if min(numbers, default=0) >= 0:
        excel.y_axis.scaling.min = 0
    # openpyxl 3.1 marks both axes deleted unless told otherwise: Excel would hide them
    excel.x_axis.delete = excel.y_axis.delete = False
    excel.legend.position = "b"
    excel.width, excel.height = width_cm - 0.5, chart["height"]
    return excel


def _gap_width(categories: int, series: int, width_cm: float) -> int:
    """Excel's gap between bar groups, in % of a bar: 50, or wider when there are so few
    categories that bars would be wider than the PDF's (charts.MAX_BAR)."""
    from generator.render.charts import MAX_BAR

    slot = width_cm * 0.9 * 72 / 2.54 / max(categories, 1)  # the plot area, roughly
    return round(min(max(100 * (slot / MAX_BAR - series), 50), 500))


DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
DISPLAY_DATES = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M"}


def _cell_value(fld, text: str) -> tuple[Any, str | None]:
    """A display string as a data sheet holds it: numbers as numbers and dates as dates, each
    with its number format; anything else (and a choice's label) as text."""
    if not text or fld.choices:
        return text, None
    if fld.type in NUMERIC_TYPES:
        number = number_value(text)
        if number is not None:
            return number, number_format(text)
    if fld.type in DISPLAY_DATES:
        try:
            moment = dt.datetime.strptime(text, DISPLAY_DATES[fld.type])
        except ValueError:
            return text, None
        return (moment.date() if fld.type == "date" else moment), DATE_FORMATS[fld.type]
    return text, None


def _table_sheets(wb: Workbook, form: Form, ctx: dict, orientation: str) -> None:
    """One sheet per row table the layout shows or charts, named by the table's label."""
    columns_of: dict[str, list[str]] = {}
    for item in form.layout:
        key = item.get("table") or item.get("chart")
        if key and key not in columns_of:
            columns_of[key] = item.get("columns") if "table" in item else None
    taken = {ws.title.lower() for ws in wb.worksheets}
    for key, columns in columns_of.items():
        fields = form.fields[key].columns
        columns = columns or list(fields)
        ws = wb.create_sheet(_unique(sheet_name(ctx["L"][key], sheet_name(key)), taken))
        labels = [ctx["L"][f"{key}_columns"][c] for c in columns]
        widths = [_units(label, BODY) for label in labels]
        for number, label in enumerate(labels, start=1):
            cell = ws.cell(row=1, column=number, value=text_value(label))
            cell.data_type = "s"
            cell.font = Font(name=FONT, size=BODY, bold=True)
            cell.fill, cell.border = LABEL_SHADE, BOX
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        rows = [] if ctx["blank"] else ctx["rows"][key]
        for row_number, row in enumerate(rows, start=2):
            for number, column in enumerate(columns, start=1):
                text = row[column]
                value, shown_as = _cell_value(fields[column], text)
                cell = ws.cell(row=row_number, column=number)
                if value == "":
                    pass  # a blank cell, as Excel's filters and pivot tables count blanks
                elif isinstance(value, str):
                    cell.value = text_value(value)
                    cell.data_type = "s"  # text, never a formula
                else:
                    cell.value = value
                    cell.number_format = shown_as
                cell.font = Font(name=FONT, size=BODY)
                cell.alignment = Alignment(vertical="top", wrap_text="\n" in text)
                longest = max((_units(line, BODY) for line in text.split("\n")), default=0)
                widths[number - 1] = max(widths[number - 1], longest)
        last = get_column_letter(len(columns))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
        for number, width in enumerate(widths, start=1):  # CJK characters count two
            ws.column_dimensions[get_column_letter(number)].width = round(
                min(max(width + 2.5, 8.0), 60.0), 1)
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = orientation
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = "1:1"


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`…, whichever no sheet has (Excel ignores case)."""
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = sheet_name(name[:31 - len(suffix)] + suffix)
    taken.add(candidate.lower())
    return candidate


def _clauses(sheet: Sheet, blocks: list) -> None:
    for block in blocks:
        heading = block["kind"] == "heading"
        sheet.next_row()
        sheet.put(sheet.full(), block["text"], size=POINTS["section"] if heading else BODY,
                  bold=heading, border=None, vertical="top")


def _signatures(sheet: Sheet, signatures: list[dict], ctx: dict) -> None:
    """Per signature: 'label（签字）：', the name on a line to sign on, '日期：' and a date to
    write — the PDF's line, in cells, so the name reads back alone."""
    words = ctx["M"]
    geo = sheet.geo
    spans = geo.grid_spans(2)
    labels = [f"{sig['label']}（{words['sign']}）：" for sig in signatures]
    # The labels as wide as they need (up to the middle), leaving the rest to sign on.
    needed = max((_units(label, BODY) + 2 for label in labels), default=0)
    middle = geo.column(geo.half)
    ends = [column for column in range(2, middle) if geo.width(1, column - 1) >= needed]
    split = ends[0] if ends else middle - 1
    for sig, label in zip(signatures, labels, strict=True):
        sheet.next_row(SIGNATURE_ROW)
        sheet.put((1, split - 1), label, border=None, horizontal="right", vertical="bottom")
        sheet.put((split, middle - 1), sig["name"], border=SIGN_LINE, vertical="bottom")
        sheet.put(spans[2], f"{words['date']}：", border=None, horizontal="right",
                  vertical="bottom")
        sheet.put(spans[3], words["blank_date"], border=None, vertical="bottom")


def _header_footer_text(text: str) -> str:
    return text.replace("&", "&&")  # a lone & starts a code in Excel's header and footer


def _page_setup(ws: Worksheet, ctx: dict, orientation: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.page_margins = PageMargins(left=MARGIN, right=MARGIN, top=MARGIN, bottom=MARGIN,
                                  header=1.3 * CM, footer=1.0 * CM)
    ws.print_options.horizontalCentered = True
    company, centre, words = ctx["company"], ctx["centre"], ctx["M"]
    # The first page has the header line in its cells; later pages have it as the PDF does.
    ws.HeaderFooter.differentFirst = True
    parts = [
        (ws.oddHeader.left, f"{company['name']} · {centre['name']}"),
        (ws.oddHeader.right, f"{words['service_phone']}：{centre['phone']}"),
        (ws.oddFooter.left, f"{company['address']}　{words['phone']}：{company['phone']}"),
    ]
    # Excel refuses a header or footer over 255 characters; the sheet has the line anyway.
    if sum(len(_header_footer_text(text)) for _, text in parts) < 200:
        for part, text in parts:
            part.text = _header_footer_text(text)
            part.size = POINTS["furniture"]
    page = (f"{_header_footer_text(words['page_before'])}&P"
            f"{_header_footer_text(words['page_middle'])}&N"
            f"{_header_footer_text(words['page_after'])}")
    for footer in (ws.oddFooter, ws.firstFooter):
        footer.center.text = page
        footer.center.size = POINTS["furniture"]
    ws.firstFooter.left.text = ws.oddFooter.left.text
    ws.firstFooter.left.size = ws.oddFooter.left.size


def _top(sheet: Sheet, form: Form, ctx: dict) -> None:
    """The header line, the title, and the form code, record and ticket numbers."""
    company, centre, words = ctx["company"], ctx["centre"], ctx["M"]
    middle = sheet.geo.column(sheet.geo.half)
    sheet.next_row()
    grey = {"size": POINTS["furniture"], "border": HEADER_LINE, "color": "555555"}
    sheet.put((1, middle - 1), f"{company['name']} · {centre['name']}", **grey)
    sheet.put((middle, sheet.geo.count), f"{words['service_phone']}：{centre['phone']}",
              horizontal="right", **grey)
    sheet.next_row(30.0)
    sheet.put(sheet.full(), ctx["form"]["title"], size=POINTS["title"], border=None,
              horizontal="center")
    spans = sheet.geo.grid_spans(2)
    meta = {"size": POINTS["meta"]}
    sheet.next_row()
    sheet.put(spans[0], words["code"], shade=True, **meta)
    sheet.put(spans[1], ctx["form"]["code"], **meta)
    sheet.put(spans[2], words["record_no"], shade=True, **meta)
    sheet.put(spans[3], ctx["record_no"], **meta)
    if form.ticket_mode == "none":  # a training record or a settlement has no ticket
        return
    sheet.next_row()
    spans = sheet.geo.grid_spans(1)
    sheet.put(spans[0], words["ticket"], shade=True, **meta)
    sheet.put(spans[1], ctx["ticket"], **meta)


def _save(wb: Workbook) -> bytes:
    """The workbook's bytes, the same for the same workbook: openpyxl's own save stamps the
    time into the properties and into every member of the zip."""

    class FixedTimeZip(zipfile.ZipFile):
        def writestr(self, name, data, *args, **kwargs):
            if isinstance(name, str):
                name = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                name.compress_type = zipfile.ZIP_DEFLATED
            super().writestr(name, data, *args, **kwargs)

        def write(self, filename, arcname=None, *args, **kwargs):
            # a worksheet comes from a temporary file, which would lend the zip its time
            self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(wb, FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return buffer.getvalue()


def render_xlsx(form: Form, ctx: dict[str, Any]) -> bytes:
    """The form filled with `ctx` (from build_context) as an XLSX workbook: one sheet, and with
    `xlsx: sheets` one more per row table."""
    orientation = "landscape" if form.definition.get("orientation") == "landscape" else "portrait"
    geometry = Geometry(form, orientation, ctx)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(ctx["form"]["title"], sheet_name(ctx["form"]["code"]))
    wb.properties.title = ctx["form"]["title"]
    wb.properties.creator = ctx["company"]["name"]
    wb.properties.lastModifiedBy = ctx["company"]["name"]
    wb.properties.subject = ctx["ticket"] or ctx["record_no"]
    ws.sheet_view.showGridLines = False
    sheet = Sheet(ws, geometry)
    _top(sheet, form, ctx)
    sheet.next_row(8.0)
    first_table: tuple[int, int] | None = None
    tables = iter(geometry.table_points)
    placed: dict[str, tuple[int, int, dict[str, int]]] = {}  # table → where its cells are
    charts: list[tuple[int, tuple[int, int]]] = []  # layout position, the rows it covers
    headed: set[int] = set()  # a chart's section heads the table drawn for it, if any
    for number, item in drawn_items(form):
        if ctx["sections"][number] and number not in headed:
            headed.add(number)
            sheet.next_row(6.0)
            sheet.next_row()
            sheet.put(sheet.full(), ctx["sections"][number], size=POINTS["section"],
                      bold=True, border=None, vertical="bottom")
        if "grid" in item:
            _grid(sheet, item, ctx)
        elif "text" in item:
            _text(sheet, item, ctx)
        elif "table" in item:
            header, last, columns = _rows_table(sheet, form, item, ctx, next(tables))
            first_table = first_table or (header, last)
            placed.setdefault(item["table"], (header, last, columns))
        elif "chart" in item:
            charts.append((number, _chart_room(sheet, ctx["charts"][number])))
        elif "clauses" in item:
            _clauses(sheet, ctx["clauses"][number])
        elif "signatures" in item:
            sheet.next_row(12.0)
            _signatures(sheet, ctx["signatures"][number], ctx)

    for column in range(1, geometry.count + 1):
        ws.column_dimensions[get_column_letter(column)].width = round(
            geometry.width(column, column), 2)
    for row, height in sheet.heights.items():
        ws.row_dimensions[row].height = round(height, 1)
    _page_setup(ws, ctx, orientation)
    for number, (first, last) in charts:
        item = form.layout[number]
        chart = _excel_chart(ws, item, ctx["charts"][number], placed[item["chart"]],
                             PRINTABLE_CM[orientation])
        if chart is not None:
            ws.add_chart(chart, _spanning(first, last, geometry.count))
    if form.definition.get("xlsx") == "sheets":
        _table_sheets(wb, form, ctx, orientation)
    if first_table:
        header, last = first_table
        ws.auto_filter.ref = f"A{header}:{get_column_letter(geometry.count)}{last}"
        if sum(h for r, h in sheet.heights.items() if r <= header) <= FREEZE_MAX:
            ws.freeze_panes = f"A{header + 1}"
        if sum(h for r, h in sheet.heights.items() if r > last + 1) <= PRINT_TITLES_MAX:
            ws.print_title_rows = f"{header}:{header}"
    return _save(wb)
