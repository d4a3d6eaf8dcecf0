"""`xlsx: sheets`: besides the form's own sheet, the workbook has one per row table — named by
the table's label, its header row frozen and filtered, numbers as numbers and dates as dates,
columns wide enough for their Chinese — for sorting, filtering and pivot tables."""

from __future__ import annotations

import datetime as dt
import unicodedata

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from generator.documents.forms import load_form
from generator.errors import ConfigError
from generator.workspace import Workspace
from tests.conftest import write_sample
from tests.test_csv import DATA, EXPORT_FORM, export_workspace, fill_export

SHEETS = ["导出测试表", "分类统计", "受理与办结走势", "指标对比", "逾期未办清单"]
HEADERS = {
    "分类统计": ["问题类别", "受理（件）", "办结（件）", "未结（件）"],
    "受理与办结走势": ["时段", "受理", "办结"],
    "指标对比": ["指标", "单位", "本期", "上期", "上年同期"],
    "逾期未办清单": ["工单号", "房号", "业主", "联系电话", "承诺事项", "应完成时间",
                     "逾期（小时）"],
}


@pytest.fixture
def workbook(run, home, tmp_path):
    return openpyxl.load_workbook(fill_export(run, home, tmp_path, "xlsx")["xlsx"])


def values(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_a_sheet_per_row_table_named_by_its_label_in_layout_order(workbook):
    # the chart's table, which no `table:` item shows, where its chart stands
    assert workbook.sheetnames == SHEETS


def test_each_sheet_is_its_header_and_rows_alone(workbook):
    assert values(workbook["分类统计"]) == [HEADERS["分类统计"], ["渗漏", 18, 16, 5],
                                            ["其他", 1234, 0, 1]]  # no blank rows, no totals
    assert values(workbook["受理与办结走势"]) == [HEADERS["受理与办结走势"], ["11-01", 3, 1],
                                                  ["11-02", 0, 2]]
    assert values(workbook["指标对比"]) == [HEADERS["指标对比"],
                                            ["按期完成率", "%", 89.4, 1234.25, None]]
    assert values(workbook["逾期未办清单"]) == [
        HEADERS["逾期未办清单"],
        ["SH-2026-000061", "=1+1", "王,**", "13812345678", "维修完工",
         dt.datetime(2026, 11, 18, 17, 0), 1234.5]]


@pytest.mark.parametrize("name", SHEETS[1:])
def test_the_header_is_frozen_filtered_and_printed_on_every_page(workbook, name):
    ws = workbook[name]
    assert ws.freeze_panes == "A2"
    last = get_column_letter(len(HEADERS[name]))
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    assert ws.print_title_rows == "$1:$1"
    assert all(cell.font.b for cell in ws[1])


def test_numbers_are_numeric_cells(workbook):
    counts = workbook["分类统计"]
    for row in counts.iter_rows(min_row=2, min_col=2):
        for cell in row:
            assert cell.data_type == "n" and isinstance(cell.value, int), cell.coordinate
            assert cell.number_format == "0"
    figures = workbook["指标对比"]
    assert [c.data_type for c in figures[2][2:4]] == ["n", "n"]
    assert figures["C2"].value == 89.4 and figures["D2"].value == 1234.25
    # no figure a year ago: a blank cell, not an empty string (Excel counts that as filled)
    assert figures["E2"].value is None and figures["E2"].data_type == "n"
    assert workbook["逾期未办清单"]["G2"].value == 1234.5


def test_dates_are_date_cells(workbook):
    due = workbook["逾期未办清单"]["F2"]
    assert due.is_date and due.value == dt.datetime(2026, 11, 18, 17, 0)
    assert due.number_format == "yyyy-mm-dd hh:mm"


def test_text_stays_text_even_when_it_looks_like_a_number_or_a_formula(workbook):
    ws = workbook["逾期未办清单"]
    assert ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"
    assert ws["D2"].value == "13812345678" and ws["D2"].data_type == "s"
    assert workbook["受理与办结走势"]["A2"].data_type == "s"  # 11-01 is no date


def width(text: str) -> int:
    """Columns a text needs: a CJK character is two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shown(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


@pytest.mark.parametrize("name", SHEETS[1:])
def test_columns_are_as_wide_as_their_widest_text(workbook, name):
    ws = workbook[name]
    for column in ws.iter_cols(min_row=1, max_row=ws.max_row):
        letter = column[0].column_letter
        needed = max(width(shown(cell.value)) for cell in column)
        assert ws.column_dimensions[letter].width >= needed, (name, letter)


def test_a_long_value_widens_its_column(run, home, tmp_path):
    room = "十二号楼东侧地下车库设备间"
    path = fill_export(run, home, tmp_path, "xlsx", overdue_list=[
        {**DATA["overdue_list"][0], "room": room}])["xlsx"]
    ws = openpyxl.load_workbook(path)["逾期未办清单"]
    assert ws.column_dimensions["B"].width >= width(room) == 26


def test_a_blank_form_has_the_sheets_with_headers_only(run, home):
    export_workspace(home)
    result = run("forms", "blank", "export-demo", "--format", "xlsx", "-o", str(home / "b"))
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(home / "b" / "export-demo.xlsx")
    assert workbook.sheetnames == SHEETS
    for name, header in HEADERS.items():
        assert values(workbook[name]) == [header]
        assert workbook[name].freeze_panes == "A2"


def test_english_sheet_names(run, home, tmp_path):
    path = fill_export(run, home, tmp_path, "xlsx", "--lang", "en")["xlsx"]
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Export test", "By category", "Received and closed",
                                   "Figures compared", "Overdue promises"]
    assert values(workbook["By category"])[1] == ["Leakage", 18, 16, 5]


def test_without_sheets_the_workbook_is_the_form_alone(run, home, tmp_path):
    export_workspace(home)
    form = home / "forms" / "export-demo.yaml"
    form.write_text(EXPORT_FORM.replace("xlsx: sheets\n", ""), "utf-8")
    path = fill_export(run, home, tmp_path, "xlsx")["xlsx"]
    assert openpyxl.load_workbook(path).sheetnames == ["导出测试表"]


def test_an_unknown_xlsx_mode_is_refused(home):
    export_workspace(home)
    (home / "forms" / "export-demo.yaml").write_text(
        EXPORT_FORM.replace("xlsx: sheets", "xlsx: tabs"), "utf-8")
    with pytest.raises(ConfigError, match="'xlsx' must be one of sheets, got 'tabs'"):
        load_form(Workspace.open(home), "export-demo")


@pytest.mark.parametrize("name", ["weekly-summary", "monthly-summary", "quarterly-summary",
                                  "annual-summary"])
def test_each_summary_has_a_sheet_per_table(run, home, tmp_path, name):
    form = load_form(Workspace.open(None), name)
    assert form.definition.get("xlsx") == "sheets"
    tables = list(dict.fromkeys(item.get("table") or item.get("chart") for item in form.layout
                                if "table" in item or "chart" in item))
    result = run("fill", name, "--data", str(write_sample(tmp_path, name)), "--format", "xlsx",
                 "--json")
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(next(home.glob(f"output/{name}/*.xlsx")))
    assert workbook.sheetnames[1:] == [form.fields[t].label("zh") for t in tables]
    for key, ws in zip(tables, workbook.worksheets[1:], strict=True):
        rows = form.sample.get(key) or []
        assert ws.max_row == 1 + len(rows), key
        assert ws.freeze_panes == "A2"
