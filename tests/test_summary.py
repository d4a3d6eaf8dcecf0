"""Summaries computed from the records: every figure of a quarter checked against values worked
out by hand from a story of tickets spread over two quarters (2026-Q2 and Q3, and one ticket a
year earlier), in the CSV, the XLSX read back with openpyxl and the PDF's text, on SQLite and on
PostgreSQL; masking on and off; period boundaries; bad periods and formats.

The story (times are business times; promises: reply 24 h, the job taken 24 h and completed
7 days after assignment, a visit 3 days after acceptance — the defaults):

    T0  2025-08-01 09:00  1-1-101 leakage     rejected 10:00 (a year before Q3)
    T1  2026-05-10 09:00  1-1-101 leakage     verified 13:00, builder 05-11 09:00, repairing
                          15:00, done 05-14 09:00, accepted 05-15, visit 05-16 (satisfied),
                          closed 05-17
    T2  2026-06-20 10:00  2-1-202 cracks      verified 06-22 10:00 (reply 24 h late), builder
                          07-02 10:00, repairing 07-03 10:00 (on the dot), done 07-20 (late),
                          accepted 07-21, closed 07-22 without a visit
    T3  2026-06-25 09:00  1-1-101 leakage     rejected 15:00
    T4  2026-07-05 09:00  1-1-101 leakage     (a repeat of T3, 10 days on) verified 11:00,
                          in-house 07-06 09:00, repairing 10:00, done 07-08 10:00, accepted
                          07-09, visit 07-10 (fairly satisfied), closed 07-11
    T5  2026-08-15 09:00  3-2-1203 plumbing   verified 21:00, builder 08-16 09:00, repairing
                          08-17 09:00 — never done: completion due 08-23 09:00 is overdue
    T6  2026-09-30 23:00  3-2-1203 plumbing   nothing yet (reply due after the quarter)
    T7  2026-09-10 09:00  5-1-501 electrical  verified 10:00, builder 09-11 09:00, taken from
                          it 09-13 09:00 (outsourced, charged back), repairing 15:00, done
                          09-17 09:00, accepted 09-18, visit 09-19 (satisfied), closed 09-22
    T8  2026-07-15 09:00  6-1-601 fixtures    verified 10:00, in-house 11:00, repairing 12:00,
                          done 16:00, accepted 07-16 09:00, visit 07-17 09:00 (unsatisfied):
                          reopened, so it starts again — reply now due 07-18 09:00, never given

    repair register: 06-30 T1 in-house 80 (developer); 07-08 T4 in-house 100 + 50 (developer);
                     09-16 T7 outsourced 300 + 200 (the builder's: charged back, fee 50 %)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from generator.documents.fill import fill
from generator.reports.summary import build, summarize
from generator.tickets import service
from generator.workspace import Workspace
from tests.conftest import index_database, index_sql, pdftotext, squash, write_sample

NOW = dt.datetime(2026, 11, 29, 12, 0)

# ticket → (received, room, category, owner, phone)
OPENED = {
    "T0": ("2025-08-01 09:00", "1-1-101", "leakage", "王小明", "13900001111"),
    "T1": ("2026-05-10 09:00", "1-1-101", "leakage", "王小明", "13900001111"),
    "T2": ("2026-06-20 10:00", "2-1-202", "cracks", "李雷", "13700002222"),
    "T3": ("2026-06-25 09:00", "1-1-101", "leakage", "王小明", "13900001111"),
    "T4": ("2026-07-05 09:00", "1-1-101", "leakage", "王小明", "13900001111"),
    "T5": ("2026-08-15 09:00", "3-2-1203", "plumbing", "欧阳娜娜", "13812345678"),
    "T6": ("2026-09-30 23:00", "3-2-1203", "plumbing", "欧阳娜娜", "13812345678"),
    "T7": ("2026-09-10 09:00", "5-1-501", "electrical", "陈静", "13600003333"),
    "T8": ("2026-07-15 09:00", "6-1-601", "fixtures", "张伟", "0571-88886666"),
}

# what people did, in order: (ticket, action, argument, at)
STORY = [
    ("T0", "move", "rejected", "2025-08-01 10:00"),
    ("T1", "move", "verifying", "2026-05-10 13:00"),
    ("T1", "assign", "builder", "2026-05-11 09:00"),
    ("T1", "move", "repairing", "2026-05-11 15:00"),
    ("T1", "move", "awaiting_acceptance", "2026-05-14 09:00"),
    ("T1", "move", "accepted", "2026-05-15 09:00"),
    ("T1", "visit", "satisfied", "2026-05-16 10:00"),
    ("T1", "move", "closed", "2026-05-17 09:00"),
    ("T2", "move", "verifying", "2026-06-22 10:00"),
    ("T3", "move", "rejected", "2026-06-25 15:00"),
    ("T2", "assign", "builder", "2026-07-02 10:00"),
    ("T2", "move", "repairing", "2026-07-03 10:00"),
    ("T4", "move", "verifying", "2026-07-05 11:00"),
    ("T4", "assign", "in_house", "2026-07-06 09:00"),
    ("T4", "move", "repairing", "2026-07-06 10:00"),
    ("T4", "move", "awaiting_acceptance", "2026-07-08 10:00"),
    ("T4", "move", "accepted", "2026-07-09 10:00"),
    ("T4", "visit", "fairly_satisfied", "2026-07-10 10:00"),
    ("T4", "move", "closed", "2026-07-11 10:00"),
    ("T8", "move", "verifying", "2026-07-15 10:00"),
    ("T8", "assign", "in_house", "2026-07-15 11:00"),
    ("T8", "move", "repairing", "2026-07-15 12:00"),
    ("T8", "move", "awaiting_acceptance", "2026-07-15 16:00"),
    ("T8", "move", "accepted", "2026-07-16 09:00"),
    ("T8", "visit", "unsatisfied", "2026-07-17 09:00"),
    ("T2", "move", "awaiting_acceptance", "2026-07-20 10:00"),
    ("T2", "move", "accepted", "2026-07-21 10:00"),
    ("T2", "move", "closed", "2026-07-22 10:00"),
    ("T5", "move", "verifying", "2026-08-15 21:00"),
    ("T5", "assign", "builder", "2026-08-16 09:00"),
    ("T5", "move", "repairing", "2026-08-17 09:00"),
    ("T7", "move", "verifying", "2026-09-10 10:00"),
    ("T7", "assign", "builder", "2026-09-11 09:00"),
    ("T7", "reassign", "outsourced", "2026-09-13 09:00"),
    ("T7", "move", "repairing", "2026-09-13 15:00"),
    ("T7", "move", "awaiting_acceptance", "2026-09-17 09:00"),
    ("T7", "move", "accepted", "2026-09-18 09:00"),
    ("T7", "visit", "satisfied", "2026-09-19 10:00"),
    ("T7", "move", "closed", "2026-09-22 09:00"),
]

# (date, ticket, party, labour, material, paid by)
REPAIRS = [
    ("2026-06-30", "T1", "in_house", 80, 0, "developer"),
    ("2026-07-08", "T4", "in_house", 100, 50, "developer"),
    ("2026-09-16", "T7", "outsourced", 300, 200, "builder"),
]

# 2026-Q3 worked out by hand from the story (the module docstring)
Q3 = {
    "received": 5,  # T4 T5 T6 T7 T8
    "closed": 3,  # T2 T4 T7
    "rejected": 0,
    "open_at_start": 1,  # T2
    "carried_over": 3,  # T5 T6 T8
    "overdue": 2,  # T5's completion, T8's reply
    "on_time_rate": Decimal("80.0"),  # 12 of 15 promises due in Q3 kept
    "first_response_hours": Decimal("2.0"),  # T7 1 h, T4 2 h, T5 12 h
    "first_response_p90": Decimal("12.0"),
    "completion_days": Decimal("7.0"),  # T4 3.04, T7 7, T2 30 days
    "completion_p90": Decimal("30.0"),
    "builder_fixed_share": Decimal("50.0"),  # T2 by the builder, T7 done for it
    "followup_rate": Decimal("66.7"),  # T4 T7 visited of T2 T4 T7 accepted
    "satisfaction_rate": Decimal("66.7"),  # satisfied + fairly: T7 T4 of T4 T7 T8
    "repeat_complaints": 1,  # T4 after T3
    "costs_advanced": Decimal("650.00"),  # 150 + 500
    "costs_recovered": Decimal("750.00"),  # 500 + 50 % fee
}
# the quarter before, and the same quarter a year earlier
Q2 = {"received": 3, "closed": 1, "rejected": 1, "open_at_start": 0, "carried_over": 1,
      "overdue": 0, "on_time_rate": Decimal("83.3"),  # 5 of 6: T2's reply late
      "first_response_hours": Decimal("6.0"), "first_response_p90": Decimal("48.0"),
      "completion_days": Decimal("4.0"), "completion_p90": Decimal("4.0"),
      "builder_fixed_share": Decimal("100.0"), "followup_rate": Decimal("100.0"),
      "satisfaction_rate": Decimal("100.0"), "repeat_complaints": 0,
      "costs_advanced": Decimal("80.00"), "costs_recovered": Decimal("0.00")}
YEAR_AGO = {"received": 1, "closed": 0, "rejected": 1, "open_at_start": 0, "carried_over": 0,
            "overdue": 0, "on_time_rate": Decimal("100.0"),
            "first_response_hours": Decimal("1.0"), "first_response_p90": Decimal("1.0"),
            "completion_days": None, "completion_p90": None, "builder_fixed_share": None,
            "followup_rate": None, "satisfaction_rate": None, "repeat_complaints": 0,
            "costs_advanced": Decimal("0.00"), "costs_recovered": Decimal("0.00")}

BY_CATEGORY = {  # received, closed, open at the end
    "cracks": (0, 1, 0), "leakage": (1, 1, 0), "plumbing": (2, 0, 2),
    "electrical": (1, 1, 0), "fixtures": (1, 0, 1),
}
BY_BUILDING = {"1": (1, 1, 0), "2": (0, 1, 0), "3": (2, 0, 2), "5": (1, 1, 0), "6": (1, 0, 1)}
BY_PARTY = {"builder": (1, 1, 1), "in_house": (2, 1, 1), "outsourced": (1, 1, 0),
            "unassigned": (1, 0, 1)}
TREND = [("2026-07", 2, 2), ("2026-08", 1, 0), ("2026-09", 2, 1)]
LATE = [  # ticket, deadline, due, hours late when the quarter ended; by due time
    ("T8", "reply", "2026-07-18 09:00", Decimal("1791.0")),
    ("T5", "completion", "2026-08-23 09:00", Decimal("927.0")),
]


def tell_story(home) -> dict[str, str]:
    """File the story's records; returns its tickets' numbers by name."""
    workspace = Workspace.open(home)
    numbers: dict[str, str] = {}
    try:
        complaint = json.loads(write_sample(home.parent, "complaint").read_text("utf-8"))
        for name, (at, room, category, owner, phone) in OPENED.items():
            data = {**complaint, "received_at": at, "room": room, "category": category,
                    "owner_name": owner, "phone": phone, "urgency": "normal"}
            data.pop("promised_reply_at", None)
            numbers[name] = fill(workspace, "complaint", data, formats="pdf").ticket
        visit = json.loads(write_sample(home.parent, "followup").read_text("utf-8"))
        for name, action, argument, at in STORY:
            number = numbers[name]
            if action == "move":
                service.move(workspace, number, argument, at=at, by="test")
            elif action == "assign":
                service.assign(workspace, number, party=argument, at=at, by="test")
            elif action == "reassign":
                service.assign(workspace, number, party=argument, at=at, by="test",
                               reason="the builder did not come")
            else:
                fill(workspace, "followup", {**visit, "visited_at": at, "satisfaction": argument},
                     ticket=number, formats="pdf")
        register = json.loads(write_sample(home.parent, "repair-register").read_text("utf-8"))
        row = register["repairs"][0]
        register.update(period_from="2026-06-01", period_to="2026-09-30", repairs=[
            {**row, "date": date, "ticket_no": numbers[name], "room": OPENED[name][1],
             "party": party, "labour_cost": labour, "material_cost": material,
             "paid_by": paid_by, "arrived_at": f"{date} 09:00", "finished_at": f"{date} 16:00"}
            for date, name, party, labour, material, paid_by in REPAIRS])
        fill(workspace, "repair-register", register, formats="pdf")
    finally:
        workspace.close()
    return numbers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def story(request, tmp_path_factory):
    """The story told once per database: (workspace directory, ticket numbers)."""
    with pytest.MonkeyPatch.context() as patch, index_database(request.param, patch):
        home = tmp_path_factory.mktemp(f"story-{request.param}") / "ws"
        home.mkdir()
        patch.setenv("AFTERSALES_USER", "赵敏")
        yield home, tell_story(home)


@pytest.fixture(scope="module")
def q3(story):
    """The 2026-Q3 summary's data (nothing filed)."""
    home, _ = story
    workspace = Workspace.open(home)
    try:
        return summarize(workspace, "quarterly", "2026-Q3", now=NOW)
    finally:
        workspace.close()


# --- the figures -------------------------------------------------------------------------------


def test_every_figure_is_what_the_story_gives(q3):
    figures = {row["key"]: row for row in q3.figures}
    assert {key: figures[key]["value"] for key in Q3} == Q3


def test_each_figure_beside_the_quarter_before_and_a_year_earlier(q3):
    figures = {row["key"]: row for row in q3.figures}
    assert {key: figures[key]["previous"] for key in Q2} == Q2
    assert {key: figures[key]["year_ago"] for key in YEAR_AGO} == YEAR_AGO


def test_a_period_before_any_record_has_nothing_to_compare_with(story):
    home, _ = story
    workspace = Workspace.open(home)
    try:
        old = summarize(workspace, "quarterly", "2025-Q4", now=NOW)
    finally:
        workspace.close()
    assert all(row["year_ago"] is None for row in old.figures)
    assert {row["key"]: row["previous"] for row in old.figures}["received"] == 1  # T0


def test_the_tables_break_the_totals_down_and_add_up(q3):
    def table(rows, key):
        return {row[key]: (row["received"], row["closed"], row["open"]) for row in rows}

    assert table(q3.data["by_category"], "category") == BY_CATEGORY
    assert table(q3.data["by_building"], "building") == BY_BUILDING
    assert table(q3.data["by_party"], "party") == BY_PARTY
    assert {row["kind"]: row["received"] for row in q3.data["by_kind"]} == {"complaint": 5}
    assert [(r["bucket"], r["received"], r["closed"]) for r in q3.data["trend"]] == TREND
    for table, column, total in (("by_category", "received", "received"),
                                 ("by_building", "closed", "closed"),
                                 ("by_party", "open", "carried_over"),
                                 ("trend", "received", "received"), ("trend", "closed", "closed")):
        assert sum(row[column] for row in q3.data[table]) == Q3[total], (table, column)


def test_the_overdue_list_names_each_late_promise_with_the_owner_masked(q3, story):
    _, numbers = story
    rows = q3.data["overdue_list"]
    assert [(r["ticket_no"], r["deadline"], r["due"].strftime("%Y-%m-%d %H:%M"),
             r["late_hours"]) for r in rows] == [
        (numbers[name], deadline, due, hours) for name, deadline, due, hours in LATE]
    assert [(r["owner_name"], r["phone"]) for r in rows] == [
        ("张**", "0571-****6666"), ("欧**", "138****5678")]


def test_costs_reconcile_with_the_monthly_settlements(story):
    """What the quarter says was advanced and is to be recovered is what its three monthly
    settlement sheets say."""
    from generator.reports.settlement import compute

    home, _ = story
    workspace = Workspace.open(home)
    try:
        months = [compute(workspace, f"2026-{m:02d}") for m in (7, 8, 9)]
    finally:
        workspace.close()
    advanced = sum((item["amount"] for s in months for item in s.settlement["items"]),
                   Decimal(0))
    recovered = sum((row["amount"] for s in months for back in s.charge_backs.values()
                     for row in back["items"]), Decimal(0))
    assert (advanced, recovered) == (Q3["costs_advanced"], Q3["costs_recovered"])


# --- the documents -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filed(story):
    """The Q3 summary filed in every format, masked: {format: path}."""
    home, _ = story
    workspace = Workspace.open(home)
    try:
        result = build(workspace, "quarterly", "2026-Q3", formats="pdf,docx,xlsx,csv", now=NOW,
                       by="赵敏")
    finally:
        workspace.close()
    return result, {d.format: home / d.path for d in result.filed.documents}


def shown(value) -> str:
    """A figure as the documents print it."""
    return "" if value is None else str(value)


def test_the_csv_has_every_figure_and_opens_in_excel(filed):
    _, paths = filed
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Chinese right
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = lines.index(["指标", "单位", "本期", "上期", "上年同期"])
    comparison = lines[header + 1:header + 1 + len(Q3)]
    by_label = {row[0]: row[2:] for row in comparison}
    from generator.reports.figures import BY_KEY

    for key, value in Q3.items():
        assert by_label[BY_KEY[key].label["zh"]] == [
            shown(value), shown(Q2[key]), shown(YEAR_AGO[key])], key


def test_the_xlsx_has_a_sheet_per_table_with_numbers_as_numbers(filed):
    _, paths = filed
    book = openpyxl.load_workbook(paths["xlsx"])
    sheet = next(ws for ws in book.worksheets if ws["A1"].value == "指标")
    assert sheet.freeze_panes == "A2"
    rows = {row[0]: row[2:5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    from generator.reports.figures import BY_KEY

    for key, value in Q3.items():
        got = rows[BY_KEY[key].label["zh"]]
        for cell, expected in zip(got, (value, Q2[key], YEAR_AGO[key]), strict=True):
            if expected is None:
                assert cell in (None, ""), key
            else:
                assert isinstance(cell, int | float) and Decimal(str(cell)) == expected, key
    overdue = next(ws for ws in book.worksheets if ws["A1"].value == "工单号")
    dues = [row[5] for row in overdue.iter_rows(min_row=2, values_only=True)]
    assert dues == [dt.datetime.fromisoformat(due) for _, _, due, _ in LATE]


def test_the_pdf_prints_every_figure_and_the_notes(filed):
    result, paths = filed
    text = squash(pdftotext(paths["pdf"]))
    from generator.reports.figures import FIGURES

    for figure in FIGURES:
        row = next(r for r in result.figures if r["key"] == figure.key)
        line = squash(figure.label["zh"] + figure.unit + "".join(
            shown(row[k]) for k in ("value", "previous", "year_ago")))
        assert line in text, figure.key
        assert squash(figure.definition["zh"])[:20] in text  # its definition in the notes
    assert "欧**" in text and "138****5678" in text
    assert "欧阳娜娜" not in text and "13812345678" not in text


def test_rebuilding_a_period_files_a_new_version_and_keeps_the_old(story, filed):
    home, _ = story
    first, paths = filed
    workspace = Workspace.open(home)
    try:
        again = build(workspace, "quarterly", "2026-Q3", formats="pdf", now=NOW, by="赵敏")
    finally:
        workspace.close()
    assert first.filed.record_no == "JB-2026-Q3"
    assert again.filed.record_no == "JB-2026-Q3-v2"
    assert paths["pdf"].is_file() and (home / again.filed.documents[0].path).is_file()


def test_unmasked_is_explicit_and_recorded_with_who_and_when(story):
    home, numbers = story
    workspace = Workspace.open(home)
    try:
        result = build(workspace, "quarterly", "2026-Q3", formats="csv", now=NOW,
                       unmasked=True, by="审计员")
    finally:
        workspace.close()
    text = (home / result.filed.documents[0].path).read_text("utf-8-sig")
    assert "欧阳娜娜" in text and "13812345678" in text and "0571-88886666" in text
    events = index_sql(home, "SELECT at, detail FROM events WHERE kind = 'unmasked'")
    details = [json.loads(e["detail"]) for e in events]
    assert {"by": "审计员", "form": "quarterly-summary", "period": "2026-Q3",
            "record_no": result.filed.record_no}.items() <= details[-1].items()
    assert events[-1]["at"]
