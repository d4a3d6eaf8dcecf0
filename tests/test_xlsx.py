"""The XLSX renderer: every display value of the context comes back out of a cell exactly, the
numbers of row tables as numbers Excel can sum, data never as a formula; blank forms, page
setup and identical bytes for identical data."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation

import openpyxl
import pytest
from openpyxl.cell import MergedCell

from generator.documents.context import build_context
from generator.documents.fill import prepare
from generator.documents.forms import Form, list_forms, load_form
from generator.render import xlsx
from generator.render.columns import row_table_widths
from generator.render.xlsx import FIXED_TIME, render_xlsx, sheet_name
from generator.workspace import Workspace
from tests.conftest import sample_forms

FORMS = sample_forms()
ALL_FORMS = list_forms(Workspace.open(None))
NUMERIC_TYPES = ("money", "integer", "number", "float")


# --- building and reading ---------------------------------------------------------------------


def context(workspace: Workspace, name: str, ticket: str, language: str = "zh",
            **changes) -> tuple[Form, dict]:
    """The display context of the form's sample data (with `changes`), as `fill` builds it."""
    form = load_form(workspace, name)
    number = None if form.ticket_mode == "none" else ticket
    clean = prepare(workspace, form, {**form.sample, **changes}, number, dt.datetime.now())
    ctx = build_context(form, clean, config=workspace.config, language=language,
                        record_no=f"{form.record_prefix}-2026-0001", ticket=number or "")
    return form, ctx


def sheet(content: bytes):
    """The form's own sheet: the first (a form with `xlsx: sheets` has one more per row table,
    tests/test_summary.py reads those)."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return workbook.worksheets[0]


@pytest.mark.parametrize("name", FORMS)
def test_a_workbook_has_the_form_and_a_sheet_per_table_only_when_asked(workspace, ticket, name):
    form, ctx = context(workspace, name, ticket)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(form, ctx)))
    tables = [item for item in form.layout if "table" in item]
    wanted = 1 + (len(tables) if form.definition.get("xlsx") == "sheets" else 0)
    assert len(workbook.worksheets) == wanted


def as_excel_reads(value):
    """A string cell as Excel shows it: OOXML's _xHHHH_ escapes undone."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def logical_rows(ws) -> list[list]:
    """Each sheet row as its cells, a merged range counting once (by its first cell)."""
    return [[as_excel_reads(c.value) for c in row if not isinstance(c, MergedCell)]
            for row in ws.iter_rows()]


def same(cell, display: str) -> bool:
    """A cell holds the display string: the string itself, or its number."""
    if isinstance(cell, str):
        return cell == display
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        try:
            return Decimal(str(cell)) == Decimal(display.replace(",", ""))
        except InvalidOperation:  # not a number: then not this cell
            return False
    return cell is None and display == ""


def tables(form: Form) -> list[dict]:
    return [item for item in form.layout if "table" in item]


def columns_of(form: Form, item: dict) -> list[str]:
    return item.get("columns") or list(form.fields[item["table"]].columns)


def header_row(rows: list[list], labels: list[str]) -> int:
    """The index of the (first) row that is exactly the table's column labels."""
    found = [i for i, row in enumerate(rows) if row == labels]
    assert found, f"no header row {labels}"
    return found[0]


# --- every value, exactly ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMS)
def test_every_display_value_is_a_cell(name, workspace, ticket):
    form, ctx = context(workspace, name, ticket)
    ws = sheet(render_xlsx(form, ctx))
    cells = [cell for row in logical_rows(ws) for cell in row if cell is not None]

    expected = [ctx["form"]["title"], ctx["form"]["code"], ctx["record_no"], ctx["ticket"]]
    plain = [key for key, fld in form.fields.items() if not fld.columns] + list(form.computed)
    expected += [ctx["f"][key] for key in plain]
    for item in tables(form):
        expected += [row[c] for row in ctx["rows"][item["table"]] for c in columns_of(form, item)]
    expected += [block["text"] for blocks in ctx["clauses"] for block in blocks]
    missing = [v for v in expected if v and not any(same(cell, v) for cell in cells)]
    assert not missing, f"{name}: no cell holds {missing}"
    assert ws.title == sheet_name(ctx["form"]["title"])


@pytest.mark.parametrize("name", [n for n in FORMS if tables(load_form(Workspace.open(None), n))])
def test_row_tables_have_a_row_per_data_row_numbers_and_totals(name, workspace, ticket):
    form, ctx = context(workspace, name, ticket)
    ws = sheet(render_xlsx(form, ctx))
    rows = logical_rows(ws)
    for item in tables(form):
        key, columns = item["table"], columns_of(form, item)
        numeric = [c for c in columns if form.fields[key].columns[c].type in NUMERIC_TYPES
                   and not form.fields[key].columns[c].choices]
        header = header_row(rows, [ctx["L"][f"{key}_columns"][c] for c in columns])
        data = ctx["rows"][key]
        body = rows[header + 1:header + 1 + len(data)]
        for row, cells in zip(data, body, strict=True):
            assert len(cells) == len(columns)
            for column, cell in zip(columns, cells, strict=True):
                assert same(cell, row[column]), (key, column, cell, row[column])
                if column in numeric and row[column]:
                    assert isinstance(cell, int | float), (key, column, cell)
        totals = item.get("totals")
        if totals:
            line = rows[header + 1 + len(data)]
            assert line[0] == ctx["M"]["total"]
            for column, computed in totals.items():
                cell = line[columns.index(column)]
                assert isinstance(cell, int | float)
                assert same(cell, ctx["f"][computed])
                column_sum = sum(Decimal(str(r[columns.index(column)] or 0)) for r in body)
                assert Decimal(str(cell)) == column_sum


def test_money_shows_as_printed(workspace, ticket):
    """A money cell is a number formatted as the display string prints it (1,234,567.50)."""
    form, ctx = context(workspace, "repair-register", ticket,
                        repairs=[{**load_form(workspace, "repair-register").sample["repairs"][0],
                                  "labour_cost": "1234567.5"}])
    ws = sheet(render_xlsx(form, ctx))
    money = [c for row in ws.iter_rows() for c in row if c.value == 1234567.5]
    assert money and all(c.number_format == "#,##0.00" for c in money)
    assert ctx["rows"]["repairs"][0]["labour_cost"] == "1,234,567.50"


def test_register_sheet_setup(workspace, ticket):
    """Landscape A4 fitted to the width; the header frozen, filtered and printed on each page;
    columns shared out by the PDF's rule (render/columns.py)."""
    form, ctx = context(workspace, "repair-register", ticket)
    ws = sheet(render_xlsx(form, ctx))
    item = tables(form)[0]
    columns = columns_of(form, item)
    header = header_row(logical_rows(ws), [ctx["L"]["repairs_columns"][c] for c in columns]) + 1
    last = header + len(ctx["rows"]["repairs"])
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:{openpyxl.utils.get_column_letter(len(columns))}{last}"
    assert ws.print_title_rows == f"${header}:${header}"
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i in range(len(columns))]
    wanted = row_table_widths(item, columns, ctx, xlsx.text_points, item["font_size"],
                              xlsx.WIDTH_UNITS["landscape"] * xlsx.UNIT_POINTS)
    for width, share in zip(widths, wanted, strict=True):
        assert width / sum(widths) == pytest.approx(share / sum(wanted), abs=0.005)


@pytest.mark.parametrize("name", ALL_FORMS)
def test_page_orientation_follows_the_form(name, workspace):
    form = load_form(workspace, name)
    ws = sheet(render_xlsx(form, build_context(form, {}, config=workspace.config, blank=True)))
    expected = "landscape" if form.definition.get("orientation") == "landscape" else "portrait"
    assert ws.page_setup.orientation == expected
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)


# --- blank forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FORMS)
def test_blank_form_renders_with_its_blank_rows(name, workspace):
    form = load_form(workspace, name)
    ctx = build_context(form, {}, config=workspace.config, blank=True)
    ws = sheet(render_xlsx(form, ctx))
    rows = logical_rows(ws)
    assert ctx["form"]["title"] in [cell for row in rows for cell in row]
    for item in tables(form):
        key, columns = item["table"], columns_of(form, item)
        header = header_row(rows, [ctx["L"][f"{key}_columns"][c] for c in columns])
        blank_rows = ctx["rows"][key]
        assert len(blank_rows) == max(item.get("blank_rows", 10),
                                      len(form.blank_data.get(key, [])))
        for row, cells in zip(blank_rows, rows[header + 1:header + 1 + len(blank_rows)],
                              strict=True):
            assert [same(cell, row[c]) for c, cell in zip(columns, cells, strict=True)] \
                == [True] * len(columns)
        after = rows[header + 1 + len(blank_rows)] if header + 1 + len(blank_rows) < len(rows) \
            else []
        assert ctx["M"]["total"] not in after  # no totals on a blank form, as in the PDF


# --- values are data --------------------------------------------------------------------------

LITERALS = ["=1+1", "{{ x }}", "& < >", "=HYPERLINK(\"http://example.com\")", "_x0041_",
            "+1-2", "@SUM(A1)"]


@pytest.mark.parametrize("value", LITERALS)
def test_values_come_back_as_literal_strings(value, workspace, ticket):
    repair = {**load_form(workspace, "repair-register").sample["repairs"][0], "content": value}
    for name, changes in [("complaint", {"remarks": value, "description": value}),
                           ("repair-register", {"repairs": [repair], "project": value})]:
        form, ctx = context(workspace, name, ticket, **changes)
        content = render_xlsx(form, ctx)
        ws = sheet(content)
        hits = [c for row in ws.iter_rows() for c in row if as_excel_reads(c.value) == value]
        assert len(hits) == len(changes), (name, value)
        assert all(c.data_type == "s" for c in hits)
        xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in xml and b"<f " not in xml  # no formula anywhere


def test_characters_xlsx_cannot_hold_do_not_crash(workspace):
    """The validator refuses control characters; a context holding one still renders."""
    form = load_form(workspace, "complaint")
    data = {**form.sample, "remarks": "a\x01b\x0bc", "description": "tab\there\nnext"}
    ctx = build_context(form, data, config=workspace.config, record_no="TS-2026-0001")
    values = [c.value for row in sheet(render_xlsx(form, ctx)).iter_rows() for c in row]
    assert "a\ufffdb\ufffdc" in values
    assert "tab\there\nnext" in values


def test_english_labels(workspace, ticket):
    form, ctx = context(workspace, "repair-register", ticket, language="en")
    cells = [c for row in logical_rows(sheet(render_xlsx(form, ctx))) for c in row]
    for word in ("Repair Register", "Labour (CNY)", "Total", "Builder"):
        assert word in cells


# --- the workbook itself ----------------------------------------------------------------------


def test_identical_data_gives_identical_bytes(workspace, ticket):
    form, ctx = context(workspace, "repair-register", ticket)
    content = render_xlsx(form, ctx)
    assert render_xlsx(form, ctx) == content
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = openpyxl.load_workbook(io.BytesIO(content)).properties
    assert properties.created == properties.modified == FIXED_TIME


@pytest.mark.parametrize("title, name", [
    ("投诉/咨询/建议记录表", "投诉／咨询／建议记录表"),
    ("a[b]:c*d?e\\f", "a［b］：c＊d？e＼f"),
    ("'quoted'", "quoted"),
    ("x" * 40, "x" * 31),
    ("History", "Sheet1"),
    ("", "Sheet1"),
])
def test_sheet_names_excel_accepts(title, name):
    assert sheet_name(title) == name
