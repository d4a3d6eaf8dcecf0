"""Sheets in: CSV (UTF-8 with or without a BOM, GBK), XLSX, JSON Lines and TSV pasted on standard
input read as a form's records — types kept (dates, whole numbers, leading zeros), formulas and
bad lines reported with their row, whole-file problems refused before any record, rows of a
register grouped into records, and a long sheet read in flat memory."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from generator.batch.sheets import SheetRow, read_sheet
from generator.documents.forms import Form, load_form
from generator.documents.validate import validate
from generator.errors import UsageError
from generator.workspace import Workspace

COMPLAINT_HEADER = "受理方式,类别,业主姓名,房号,联系电话,问题类别,紧急程度,问题描述,受理人"
COMPLAINT_ROWS = [
    "电话,投诉,张伟,3-2-1203,13812345678,渗漏,紧急,主卫生间顶棚渗水,李娜",
    "上门,咨询,王芳,5-1-0302,13987654321,其他,一般,询问保修期,李娜",
]


def form(tmp_path: Path, name: str) -> Form:
    return load_form(Workspace.open(tmp_path), name)


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def workbook(path: Path, rows: list[list]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return book


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_with_chinese_headers(tmp_path, encoding):
    sheet = write_csv(tmp_path / "complaints.csv", [COMPLAINT_HEADER, *COMPLAINT_ROWS], encoding)
    complaint = form(tmp_path, "complaint")
    rows = list(read_sheet(sheet, complaint))
    assert [row.number for row in rows] == [2, 3]
    assert rows[0].problems == []
    assert rows[0].data["owner_name"] == "张伟"
    assert rows[1].data["room"] == "5-1-0302"
    # the rows are ready for the form's own validation (choices given by their labels)
    clean = validate(complaint, {**rows[0].data, "received_at": "2026-11-28 09:30"})
    assert clean["channel"] == "phone" and clean["urgency"] == "urgent"


def test_gbk_found_after_a_long_ascii_start(tmp_path):
    """The encoding is decided on the first non-ASCII bytes, however far in they are."""
    ascii_rows = ["phone,complaint,Zhang,3-2-1203,13812345678,leakage,normal,drip,Li"] * 3000
    sheet = write_csv(tmp_path / "late.csv",
                      ["channel,kind,owner_name,room,phone,category,urgency,description,"
                       "received_by", *ascii_rows, COMPLAINT_ROWS[0]], "gbk")
    assert sheet.stat().st_size > 128 * 1024
    rows = list(read_sheet(sheet, form(tmp_path, "complaint")))
    assert len(rows) == 3001
    assert rows[-1].data["owner_name"] == "张伟"


def test_values_stripped_blank_cells_absent_blank_rows_skipped(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", [
        "owner_name,room,remarks",
        "  张伟 , 3-2-1203 ,",
        ",,",
        "王芳,5-1-0302,  ",
    ])
    rows = list(read_sheet(sheet, _no_required(tmp_path)))
    assert [(r.number, r.data) for r in rows] == [
        (2, {"owner_name": "张伟", "room": "3-2-1203"}),
        (4, {"owner_name": "王芳", "room": "5-1-0302"}),
    ]


def test_english_labels_keys_and_a_semicolon_delimiter(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", ["Owner;room;Remarks", "张伟;3-2-1203;a, b"])
    rows = list(read_sheet(sheet, _no_required(tmp_path)))
    assert rows[0].data == {"owner_name": "张伟", "room": "3-2-1203", "remarks": "a, b"}


def _no_required(tmp_path: Path, name: str = "complaint") -> Form:
    """A form with no top-level field required, to test reading apart from the header check."""
    loaded = form(tmp_path, name)
    schema = {key: {k: v for k, v in rules.items() if k != "required"}
              for key, rules in loaded.schema.items()}
    return Form(loaded.name, loaded.definition, schema)


def test_a_value_under_no_header_is_a_row_problem(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", ["owner_name,,room", "张伟,x,3-2-1203", "王芳,,1"])
    rows = list(read_sheet(sheet, _no_required(tmp_path)))
    assert rows[0].problems == ["B2: a value under no header; name the column or clear the cell"]
    assert rows[1].problems == []


# --- stdin TSV -------------------------------------------------------------------------------


def test_tsv_pasted_on_standard_input(tmp_path):
    pasted = io.StringIO("业主姓名\t房号\t问题描述\n"
                         "张伟\t3-2-1203\t\"两行\n描述\"\n"
                         "王芳\t0302\t漏水\n")
    rows = list(read_sheet("-", _no_required(tmp_path), stdin=pasted))
    assert [r.number for r in rows] == [2, 3]  # a cell with a line break is one row
    assert rows[0].data == {"owner_name": "张伟", "room": "3-2-1203", "description": "两行\n描述"}
    assert rows[1].data["room"] == "0302"


# --- XLSX ------------------------------------------------------------------------------------


def repair_workbook(path: Path) -> None:
    workbook(path, [
        ["项目名称", "登记期间自", "至", "登记人", "日期", "工单号", "房号", "维修内容", "责任方",
         "维修人/单位", "到场时间", "人工费（元）", "费用承担"],
        ["一期", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "赵敏", dt.date(2026, 11, 29),
         "0012", 1203, "修补防水", "承建商", "陈刚", dt.datetime(2026, 11, 29, 9, 30), 480,
         "承建商"],
        [None, None, None, None, dt.date(2026, 11, 30), "0013", 1203.0, "更换扣板", "物业维修",
         "陈刚", None, "=40+20", "builder"],
    ])


def test_xlsx_keeps_types_and_reports_a_formula(tmp_path):
    path = tmp_path / "register.xlsx"
    repair_workbook(path)
    [record] = list(read_sheet(path, form(tmp_path, "repair-register")))
    assert record.number == 2
    assert record.data["period_from"] == dt.date(2026, 11, 1)
    assert type(record.data["period_from"]) is dt.date  # a date cell, not a date-time
    first, second = record.data["repairs"]
    assert first["arrived_at"] == dt.datetime(2026, 11, 29, 9, 30)
    assert first["room"] == "1203" and second["room"] == "1203"  # a number in a text field
    assert first["ticket_no"] == "0012"  # text keeps its leading zeros
    assert first["labour_cost"] == 480
    assert "labour_cost" not in second
    assert record.problems == ["L3 (人工费（元）, repairs.labour_cost): a formula; paste values "
                               "instead"]


def test_xlsx_rows_pass_validation(tmp_path):
    path = tmp_path / "register.xlsx"
    workbook(path, [
        ["project", "period_from", "period_to", "compiled_by", "date", "ticket_no", "room",
         "content", "party", "worker", "paid_by", "labour_cost"],
        ["一期", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "赵敏", dt.date(2026, 11, 29),
         "SH-2026-000001", 1203, "修补", "承建商", "陈刚", "承建商", 235.5],
    ])
    register = form(tmp_path, "repair-register")
    [record] = list(read_sheet(path, register))
    clean = validate(register, record.data)
    assert clean["repairs"][0]["room"] == "1203"
    assert clean["repairs"][0]["labour_cost"] == Decimal("235.50")
    assert clean["repairs"][0]["party"] == "builder"


def test_xlsx_with_parts_openpyxl_drops(tmp_path):
    """Excel writes data-validation lists as a worksheet extension; openpyxl warns that it drops
    them (pytest would make that an error), but the cells read the same."""
    plain, path = tmp_path / "plain.xlsx", tmp_path / "validated.xlsx"
    workbook(plain, [["业主姓名", "房号"], ["张伟", "3-2-1203"]])
    extension = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14='
                 '"http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                 '<x14:dataValidations count="0"/></ext></extLst></worksheet>')
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</worksheet>", extension.encode())
            target.writestr(item, content)
    with pytest.warns(UserWarning, match="extension is not supported"):
        openpyxl.load_workbook(path).close()  # the warning this test is about
    [row] = read_sheet(path, _no_required(tmp_path))
    assert row.data == {"owner_name": "张伟", "room": "3-2-1203"}


def test_xlsx_merged_cells_refused_before_any_row(tmp_path):
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["业主姓名", "房号"])
    book.active.append(["张伟", "3-2-1203"])
    book.active.merge_cells("A3:B4")
    book.save(path)
    with pytest.raises(UsageError, match=r"merged cells \(A3:B4\); unmerge them"):
        read_sheet(path, _no_required(tmp_path))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
     "a password-protected workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as an Excel workbook"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
     "not a text file"),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not an Excel workbook"),
    ("photo.jsonl", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not a text file"),
    ("sheet.ods", b"PK", "supported: .csv, .tsv, .xlsx, .jsonl"),
    ("latin.csv", "业主姓名\n".encode() + b"\xff\xfe\xfa\xff\xff\n", "neither UTF-8 nor GB18030"),
])
def test_files_that_are_not_what_they_say(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message) as caught:
        read_sheet(path, _no_required(tmp_path))
    assert caught.value.exit_code == 2


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(UsageError, match="archive.xlsx: not a readable Excel workbook"):
        read_sheet(path, _no_required(tmp_path))


def test_a_workbook_left_part_way_is_closed(tmp_path):
    """A batch that stops early (Ctrl-C, too many errors) leaves no file open: pytest turns the
    ResourceWarning of a leaked zip handle into an error."""
    path = tmp_path / "register.xlsx"
    repair_workbook(path)
    with read_sheet(path, form(tmp_path, "repair-register")) as records:
        assert next(records).number == 2
    dropped = read_sheet(path, form(tmp_path, "repair-register"))
    del dropped


# --- JSON Lines ------------------------------------------------------------------------------


def test_json_lines_with_bad_lines(tmp_path):
    path = tmp_path / "complaints.jsonl"
    path.write_text('{"业主姓名": "张伟", "room": "3-2-1203", "remarks": null}\n'
                    "\n"
                    "[1, 2]\n"
                    "{not json\n"
                    '{"owner_name": "王芳"}\n', encoding="utf-8")
    rows = list(read_sheet(path, form(tmp_path, "complaint")))
    assert [r.number for r in rows] == [1, 3, 4, 5]
    assert rows[0] == SheetRow(1, {"业主姓名": "张伟", "room": "3-2-1203"}, [])
    assert rows[1].problems == ["line 3: a JSON list, not an object of field: value"]
    assert rows[2].problems[0].startswith("line 4: not JSON (")
    assert rows[3].data == {"owner_name": "王芳"} and rows[3].problems == []


# --- whole-file problems ---------------------------------------------------------------------


def test_missing_required_columns_named_by_label_and_key(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", ["业主姓名,受理方式,类别,问题类别,紧急程度,问题描述",
                                            "张伟,电话,投诉,渗漏,紧急,漏水"])
    with pytest.raises(UsageError) as caught:
        read_sheet(sheet, form(tmp_path, "complaint"))
    # received_at defaults to now, so it may be left out
    assert str(caught.value.message) == ("c.csv: missing required columns: 房号 (room), "
                                         "联系电话 (phone), 受理人 (received_by)")


def test_missing_required_columns_of_a_table(tmp_path):
    sheet = write_csv(tmp_path / "r.csv", ["project,period_from,period_to,compiled_by,date",
                                           "一期,2026-11-01,2026-11-30,赵敏,2026-11-02"])
    with pytest.raises(UsageError, match=r"missing required columns: 工单号 \(repairs.ticket_no\), "
                                         r"房号 \(repairs.room\)"):
        read_sheet(sheet, form(tmp_path, "repair-register"))


def test_unknown_and_doubled_columns(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", ["业主名,房间,Colour", "张伟,1,2"])
    with pytest.raises(UsageError) as caught:
        read_sheet(sheet, _no_required(tmp_path))
    message = caught.value.message
    assert message.startswith("c.csv: unknown columns: 业主名 (did you mean 业主姓名?), 房间, "
                              "Colour; the form 'complaint' has: ")
    assert "房号 (room)" in message and "业主姓名 (owner_name)" in message
    doubled = write_csv(tmp_path / "d.csv", ["业主姓名,owner_name", "张伟,张伟"])
    with pytest.raises(UsageError, match="columns '业主姓名' and 'owner_name' both give"):
        read_sheet(doubled, _no_required(tmp_path))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "the sheet is empty"),
    ("blank.csv", b"\r\n,,\r\n", "the sheet is empty"),
    ("header.csv", "业主姓名,房号\r\n".encode(), "no data rows under the header"),
    ("header-bom.csv", "\ufeff业主姓名,房号\r\n,\r\n".encode(), "no data rows under the header"),
    ("empty.jsonl", b"\n\n", "empty; JSON Lines hold one JSON object per line"),
])
def test_empty_sheets(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        read_sheet(path, _no_required(tmp_path))


def test_an_xlsx_with_only_a_header(tmp_path):
    path = tmp_path / "header.xlsx"
    workbook(path, [["业主姓名", "房号"]])
    with pytest.raises(UsageError, match="header.xlsx: no data rows under the header"):
        read_sheet(path, _no_required(tmp_path))


# --- grouping a register ---------------------------------------------------------------------

REGISTER_HEADER = ("项目名称,登记期间自,至,登记人,维修记录.日期,工单号,房号,维修内容,责任方,"
                   "维修人/单位,人工费（元）,费用承担")


def test_register_rows_grouped_into_records(tmp_path):
    sheet = write_csv(tmp_path / "register.csv", [
        REGISTER_HEADER,
        "一期,2026-11-01,2026-11-30,赵敏,2026-11-02,SH-2026-000001,3-2-1203,修补,承建商,陈刚,480,"
        "承建商",
        ",,,,2026-11-03,SH-2026-000001,3-2-1203,刷漆,物业维修,陈刚,60,地产公司",
        "一期,2026-11-01,2026-11-30,赵敏,2026-11-04,SH-2026-000002,5-1-0302,换锁,外包单位,周磊,,业主",
        "二期,2026-11-01,2026-11-30,吴静,2026-11-05,SH-2026-000003,1-1-0101,补漆,物业维修,陈刚,10,"
        "业主",
        "二期,2026-11-01,2026-12-31,,2026-11-06,SH-2026-000003,1-1-0101,补漆,物业维修,陈刚,10,业主",
        "一期,2026-11-01,2026-11-30,赵敏,2026-11-07,SH-2026-000004,3-2-1203,补漆,物业维修,陈刚,10,"
        "业主",
    ])
    register = form(tmp_path, "repair-register")
    first, second, third = read_sheet(sheet, register)
    assert first.number == 2 and first.problems == []
    assert [r["content"] for r in first.data["repairs"]] == ["修补", "刷漆", "换锁"]
    assert first.data["compiled_by"] == "赵敏"
    assert validate(register, first.data)["repairs"][2]["paid_by"] == "owner"
    assert second.number == 5 and len(second.data["repairs"]) == 2
    assert second.problems == ["row 6: 至 (period_to) is '2026-12-31' here but '2026-11-30' on "
                               "row 5; a record's rows repeat its fields or leave them blank"]
    assert third.number == 7
    assert third.problems == ["row 7: 项目名称 (project) '一期' began a record on row 2 "
                              "already; rows of one record must be consecutive (sort the sheet "
                              "by 项目名称)"]


def test_group_by_another_column_and_a_blank_first_key(tmp_path):
    sheet = write_csv(tmp_path / "training.csv", [
        "培训日期,培训主题,记录人,姓名,岗位",
        "2026-11-20,渗漏查验,吴静,李娜,客户服务",
        "2026-11-20,渗漏查验,,王芳,客户服务",
        "2026-11-20,消防,吴静,周磊,核算组",
    ])
    training = form(tmp_path, "training-record")
    by_topic = list(read_sheet(sheet, training, group_by="培训主题"))
    assert [len(r.data["attendees"]) for r in by_topic] == [2, 1]
    assert [r.problems for r in by_topic] == [[], []]
    by_date = list(read_sheet(sheet, training))  # the first required field: 培训日期 (date)
    assert len(by_date) == 1 and len(by_date[0].data["attendees"]) == 3
    assert by_date[0].problems == ["row 4: 培训主题 (topic) is '消防' here but '渗漏查验' on "
                                   "row 2; a record's rows repeat its fields or leave them blank"]
    blank = write_csv(tmp_path / "blank.csv", ["培训日期,姓名", ",李娜", "2026-11-20,王芳"])
    orphan, record = read_sheet(blank, training)
    assert orphan.problems == ["row 2: 培训日期 (date) is blank, and there is no record above to "
                               "continue"]
    assert record.number == 3 and record.problems == []
    with pytest.raises(UsageError, match="group_by: '地点' is not a column of the sheet"):
        read_sheet(sheet, training, group_by="地点")


def test_a_table_column_named_like_a_top_level_field_takes_a_prefix(tmp_path):
    """The site survey has a top-level 'unit' (责任单位) and a quantity's 'unit' (单位)."""
    sheet = write_csv(tmp_path / "survey.csv", [
        "房号,unit,维修项目,工程量估算.unit,items.quantity",
        "3-2-1203,示例建设集团,防水修补,m²,4",
        ",,批灰,m²,2",
    ])
    survey = _no_required(tmp_path, "site-survey")
    [record] = read_sheet(sheet, survey, group_by="房号")
    assert record.data == {"room": "3-2-1203", "unit": "示例建设集团", "items": [
        {"item": "防水修补", "unit": "m²", "quantity": "4"},
        {"item": "批灰", "unit": "m²", "quantity": "2"},
    ]}
    bare = write_csv(tmp_path / "bare.csv", ["房号,维修项目,单位,数量,Unit",
                                             "3-2-1203,批灰,m²,2,示例建设集团"])
    [record] = read_sheet(bare, survey, group_by="room")
    assert record.data == {"room": "3-2-1203", "unit": "示例建设集团",
                           "items": [{"item": "批灰", "unit": "m²", "quantity": "2"}]}


# --- streaming -------------------------------------------------------------------------------


def test_a_hundred_thousand_rows_in_flat_memory(tmp_path):
    sheet = tmp_path / "big.csv"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        out.write(COMPLAINT_HEADER + "\n")
        for number in range(100_000):
            out.write(f"电话,投诉,业主{number},3-2-{number},13812345678,渗漏,紧急,顶棚渗水,李娜\n")
    complaint = form(tmp_path, "complaint")
    tracemalloc.start()
    try:
        count = 0
        for row in read_sheet(sheet, complaint):
            count += 1
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000 and last.number == 100_001
    assert last.data["owner_name"] == "业主99999"
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
