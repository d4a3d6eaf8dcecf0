"""The CSV format: UTF-8 with a byte-order mark and CRLF lines, a `label,value` line per field
then each row table, numbers without thousands separators, and any value — commas, quotes, line
breaks, Chinese — back out of a CSV reader exactly; `fill --format csv`, and a format that does
not exist refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from generator.documents.context import build_context
from generator.documents.fill import prepare
from generator.documents.forms import load_form
from generator.render.csv import render_csv
from generator.workspace import Workspace
from tests.conftest import files_in_output, sample_forms, write_sample

BOM = b"\xef\xbb\xbf"
NUMERIC_TYPES = ("money", "integer", "number", "float")

# A form of the summaries' schema with a layout of its own (the bundled summaries' layouts
# change): two grids, a table, a chart whose table no `table:` item shows, two more tables, a
# text box and signatures. tests/test_xlsx_sheets.py fills it too.
EXPORT_FORM = """\
title: {zh: 导出测试表, en: Export test}
code: T-03
record_prefix: TC
schema: summary
ticket: none
xlsx: sheets
layout:
  - grid:
      - [project, compiled_by]
      - [period_from, period_to]
  - section: {zh: 主要指标, en: Measures}
    grid:
      - [received, closed]
      - [on_time_rate, costs_advanced]
  - section: {zh: 分类统计, en: By category}
    table: by_category
    columns: [category, received, closed, open]
    blank_rows: 2
  - chart: trend
    kind: line
    x: bucket
    series: [received, closed]
  - section: {zh: 与上期对比, en: Compared}
    table: figures
  - section: {zh: 逾期未办, en: Promises not kept}
    table: overdue_list
  - text: remarks
  - signatures:
      - {label: {zh: 编制, en: Compiled by}, field: compiled_by}
      - {label: {zh: 审核, en: Reviewed by}}
"""
REMARKS = '第一行, 含逗号，合计 1,234 元\n"引号" 与 \'单引号\'\n\n第四行'
DATA = {
    "project": '示例花园, "一期"', "period_from": "2026-11-01", "period_to": "2026-11-30",
    "compiled_by": "赵敏", "received": 52, "closed": 47, "carried_over": 12,
    "open_at_start": 8, "rejected": 1, "overdue": 4, "on_time_rate": 89.4,
    "costs_advanced": 1234567.5,
    "by_category": [{"category": "leakage", "received": 18, "closed": 16, "open": 5},
                    {"category": "other", "received": 1234, "closed": 0, "open": 1}],
    "trend": [{"bucket": "11-01", "received": 3, "closed": 1},
              {"bucket": "11-02", "received": 0, "closed": 2}],
    "figures": [{"figure": "按期完成率", "unit": "%", "value": 89.4, "previous": 1234.25,
                 "year_ago": None}],
    "overdue_list": [{"ticket_no": "SH-2026-000061", "room": "=1+1", "owner_name": "王,**",
                      "phone": "13812345678", "deadline": "completion",
                      "due": "2026-11-18 17:00", "late_hours": 1234.5}],
    "remarks": REMARKS,
}


def export_workspace(home: Path) -> Path:
    """The workspace with forms/export-demo.yaml (as a test may have changed it, if there)."""
    path = home / "forms" / "export-demo.yaml"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(EXPORT_FORM, "utf-8")
    return home


def fill_export(run, home: Path, tmp_path: Path, formats: str = "csv", *options: str,
                **changes) -> dict[str, Path]:
    """The export test form filled with DATA (and `changes`): each format's file."""
    export_workspace(home)
    data = tmp_path / "export.json"
    data.write_text(json.dumps({**DATA, **changes}, ensure_ascii=False), "utf-8")
    result = run("fill", "export-demo", "--data", str(data), "--format", formats, "--json",
                 *options)
    assert result.exit_code == 0, result.output
    return {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}


def read(raw: bytes) -> list[list[str]]:
    """The CSV's records as any CSV reader sees them."""
    assert raw.startswith(BOM)
    return list(csv.reader(io.StringIO(raw[len(BOM):].decode("utf-8"), newline="")))


def sections(rows: list[list[str]]) -> list[list[list[str]]]:
    """The records in blocks, split at the empty lines."""
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


@pytest.fixture
def exported(run, home, tmp_path) -> bytes:
    return fill_export(run, home, tmp_path)["csv"].read_bytes()


# --- the file -----------------------------------------------------------------------------------


def test_utf8_with_a_byte_order_mark_and_crlf_lines(exported):
    assert exported.startswith(BOM) and not exported.startswith(BOM + BOM)
    text = exported[len(BOM):].decode("utf-8")
    rows = read(exported)
    assert text.endswith("\r\n")
    # every record ends in CRLF; a bare line break is only ever inside a (quoted) value
    inside = sum(value.count("\n") for row in rows for value in row)
    assert inside == REMARKS.count("\n")
    assert text.count("\r\n") == len(rows)
    assert text.count("\n") == len(rows) + inside


def test_the_title_and_numbers_come_first(exported):
    rows = read(exported)
    assert rows[:3] == [["导出测试表"], ["表单编号", "T-03"], ["记录编号", "TC-2026-0001"]]
    assert rows[3][0] == "项目名称"  # no ticket line: the form belongs to none


def test_a_label_value_line_per_field_in_layout_order(exported):
    head = sections(read(exported))[0]
    assert head[3:] == [
        ["项目名称", '示例花园, "一期"'],
        ["编制人", "赵敏"],  # once, though the signatures name it too
        ["统计期间自", "2026-11-01"],
        ["至", "2026-11-30"],
        ["本期受理（件）", "52"],
        ["本期办结（件）", "47"],
        ["按期完成率（%）", "89.4"],
        ["本期垫付费用（元）", "1234567.50"],  # no thousands separators: Excel reads a number
        ["情况分析及备注", REMARKS],
    ]


def test_each_table_its_label_header_and_rows(exported):
    blocks = sections(read(exported))[1:]
    assert blocks == [
        [["分类统计"], ["问题类别", "受理（件）", "办结（件）", "未结（件）"],
         ["渗漏", "18", "16", "5"], ["其他", "1234", "0", "1"]],
        [["指标对比"], ["指标", "单位", "本期", "上期", "上年同期"],
         ["按期完成率", "%", "89.4", "1234.25", ""]],
        [["逾期未办清单"], ["工单号", "房号", "业主", "联系电话", "承诺事项", "应完成时间",
                            "逾期（小时）"],
         ["SH-2026-000061", "=1+1", "王,**", "13812345678", "维修完工", "2026-11-18 17:00",
          "1234.5"]],
        # the chart's table, which no `table:` item shows: last, with all its columns
        [["受理与办结走势"], ["时段", "受理", "办结"], ["11-01", "3", "1"], ["11-02", "0", "2"]],
    ]


def test_text_keeps_its_commas_while_numbers_lose_their_separators(exported):
    rows = read(exported)
    values = {row[0]: row[1] for row in rows if len(row) == 2}
    assert "合计 1,234 元" in values["情况分析及备注"]
    assert "," not in values["本期垫付费用（元）"]
    assert all("," not in v for row in rows if row[:1] == ["其他"] for v in row)


@pytest.mark.parametrize("value", [
    'a,b,"c"', "第一行\n第二行", '"', ",", '""', "前  中间两个空格", "堃喆犇龘〇①②",
    "=SUM(A1:A2)", "'单引号'", "a;b|c",
])
def test_any_value_comes_back_exactly(run, home, tmp_path, value):
    one_line = value.replace("\n", " ")
    path = fill_export(run, home, tmp_path, remarks=value, compiled_by=one_line,
                       overdue_list=[{**DATA["overdue_list"][0], "room": one_line}])["csv"]
    rows = read(path.read_bytes())
    values = {row[0]: row[1] for row in rows if len(row) == 2}
    assert values["情况分析及备注"] == value
    assert values["编制人"] == one_line
    assert rows[rows.index(["逾期未办清单"]) + 2][1] == one_line


def test_excel_style_reading_gets_the_same_records(exported, tmp_path):
    """Opened as a file with the BOM-aware codec (as Excel and most programs read it)."""
    path = tmp_path / "export.csv"
    path.write_bytes(exported)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == read(exported)


def test_english_labels(run, home, tmp_path):
    rows = read(fill_export(run, home, tmp_path, "csv", "--lang", "en")["csv"].read_bytes())
    assert rows[0] == ["Export test"]
    values = {row[0]: row[1] for row in rows if len(row) == 2}
    assert values["Project"] == '示例花园, "一期"'
    assert ["Defect category", "Received", "Closed", "Open"] in rows
    assert ["Leakage", "18", "16", "5"] in rows


def test_a_blank_form_is_its_labels_and_table_headers(run, home):
    export_workspace(home)
    result = run("forms", "blank", "export-demo", "--format", "csv", "-o", str(home / "blank"))
    assert result.exit_code == 0, result.output
    blocks = sections(read((home / "blank" / "export-demo.csv").read_bytes()))
    assert ["项目名称", ""] in blocks[0] and ["本期垫付费用（元）", ""] in blocks[0]
    assert [block[:2] for block in blocks[1:]] == [
        [["分类统计"], ["问题类别", "受理（件）", "办结（件）", "未结（件）"]],
        [["指标对比"], ["指标", "单位", "本期", "上期", "上年同期"]],
        [["逾期未办清单"], ["工单号", "房号", "业主", "联系电话", "承诺事项", "应完成时间",
                            "逾期（小时）"]],
        [["受理与办结走势"], ["时段", "受理", "办结"]],
    ]
    assert all(not any(row) for block in blocks[1:] for row in block[2:])  # nothing filled in


# --- every bundled form -------------------------------------------------------------------------


def context(workspace: Workspace, name: str, ticket: str):
    form = load_form(workspace, name)
    number = None if form.ticket_mode == "none" else ticket
    clean = prepare(workspace, form, dict(form.sample), number, dt.datetime.now())
    ctx = build_context(form, clean, config=workspace.config, language="zh",
                        record_no=f"{form.record_prefix}-2026-0001", ticket=number or "")
    return form, ctx


def numeric(form, key: str, fld) -> bool:
    """A field (or a computed sum) that holds a number: the CSV writes it without separators."""
    if key in form.computed:
        return "capital" not in form.computed[key]
    return fld is not None and fld.type in NUMERIC_TYPES and not fld.choices


@pytest.mark.parametrize("name", sample_forms())
def test_every_sample_form_has_each_field_and_table_row(workspace, ticket, name):
    form, ctx = context(workspace, name, ticket)
    rows = read(render_csv(form, ctx))
    assert rows[0] == [ctx["form"]["title"]]
    if form.ticket_mode != "none":
        assert rows[3] == [ctx["M"]["ticket"], ctx["ticket"]]
    lines = {row[0]: row[1] for row in rows if len(row) == 2}
    for item in form.layout:
        keys = [k for row in item.get("grid", []) for k in row] + (
            [item["text"]] if "text" in item else [])
        for key in keys:
            shown = ctx["f"][key]
            written = lines[ctx["L"][key]]
            if numeric(form, key, form.fields.get(key)):
                assert written == shown.replace(",", ""), key
            else:
                assert written == shown, key
    for item in form.layout:
        if "table" not in item:
            continue
        key = item["table"]
        columns = item.get("columns") or list(form.fields[key].columns)
        header = [ctx["L"][f"{key}_columns"][c] for c in columns]
        assert header in rows, key
        start = rows.index(header) + 1
        for row, written in zip(ctx["rows"][key], rows[start:], strict=False):
            expected = [row[c].replace(",", "") if numeric(form, c, form.fields[key].columns[c])
                        else row[c] for c in columns]
            assert written == expected, key


# --- the command line ---------------------------------------------------------------------------


def test_fill_writes_and_indexes_a_csv(run, home, tmp_path):
    result = run("fill", "monthly-summary", "--data",
                 str(write_sample(tmp_path, "monthly-summary")), "--format", "csv", "--json")
    assert result.exit_code == 0, result.output
    (document,) = json.loads(result.output)["documents"]
    assert document["format"] == "csv" and document["path"].endswith(".csv")
    assert files_in_output(home) == [document["path"]]
    listed = run("index", "list", "--json")
    assert document["path"] in listed.output
    assert read((home / document["path"]).read_bytes())[0] == ["售后服务月汇总表"]


def test_fill_help_lists_csv(run):
    from generator.cli.common import FORMATS_HELP
    from generator.documents.fill import FORMATS

    assert FORMATS_HELP.endswith(", ".join(FORMATS))  # the help names what fill accepts
    result = run("fill", "--help")
    assert result.exit_code == 0
    assert "docx, pdf, xlsx, csv" in " ".join(result.output.split())


@pytest.mark.parametrize("formats", ["odt", "pdf,odt", "csv,CSVX", ""])
def test_an_unknown_format_is_refused_and_nothing_is_written(run, home, tmp_path, formats):
    result = run("fill", "monthly-summary", "--data",
                 str(write_sample(tmp_path, "monthly-summary")), "--format", formats)
    assert result.exit_code == 2
    assert "docx, pdf, xlsx, csv" in result.output  # what it takes
    assert files_in_output(home) == []
