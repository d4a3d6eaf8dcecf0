"""`aftersales batch`: a sheet's records filed one by one, bad rows reported, in parallel,
resumed after a kill without a duplicate, and combined into one PDF to print."""

from __future__ import annotations

import csv
import json
import signal
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import files_in_output, finish_process, index_sql, start_process

pytestmark = pytest.mark.usefixtures("backend")


def complaint_rows(count: int, bad: set[int] = frozenset(), labels: bool = False
                   ) -> tuple[list[str], list[list]]:
    """`count` complaints: the header (field keys, or their Chinese labels) and the rows; the
    records numbered in `bad` carry a phone number that is not one."""
    form = load_form(Workspace.open(None), "complaint")
    sample = form.sample
    keys = [k for k, v in sample.items() if not isinstance(v, list | dict)]
    rows = []
    for number in range(1, count + 1):
        row = {**sample, "room": f"3-2-{1200 + number}"}
        if number in bad:
            row["phone"] = "12345"
        rows.append([row[k] for k in keys])
    header = [form.fields[k].label("zh") for k in keys] if labels else keys
    return header, rows


def complaints_csv(path: Path, count: int, bad: set[int] = frozenset(),
                   encoding: str = "utf-8-sig") -> Path:
    """A sheet of complaints as Excel saves one (UTF-8 with a BOM, or GBK)."""
    header, rows = complaint_rows(count, bad)
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def complaints_filed(home: Path) -> list[dict]:
    return index_sql(home, "SELECT record_no, ticket, batch_key FROM reservations "
                           "WHERE form = 'complaint' AND state = 'filed' ORDER BY id")


def test_good_rows_are_filed_and_bad_rows_reported_by_row_and_field(run, home, tmp_path):
    sheet = complaints_csv(tmp_path / "complaints.csv", 4, bad={3})
    result = run("batch", "complaint", "--data", str(sheet), "--jobs", "1", "--format", "pdf",
                 "--json")
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    assert (report["rows"], report["filed"], report["failed"]) == (4, 3, 1)
    filed = complaints_filed(home)
    assert len(filed) == 3 and len({r["ticket"] for r in filed}) == 3
    # the third record is the sheet's row 4 (the header is row 1)
    assert sorted(int(r["batch_key"].rpartition(":")[2]) for r in filed) == [2, 3, 5]
    errors_csv, errors_txt = (Path(p) for p in report["reports"])
    with errors_csv.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["row"], r["field"]) for r in rows] == [("4", "联系电话 (phone)")]
    assert "12345" in rows[0]["reason"]
    assert "row 4: 联系电话 (phone)" in errors_txt.read_text("utf-8")
    assert not any(p.startswith("output/batches") for p in files_in_output(home))
    assert run("index", "verify").exit_code == 0


def test_the_same_sheet_again_is_refused_unless_resumed_and_then_files_nothing_twice(
        run, home, tmp_path):
    sheet = complaints_csv(tmp_path / "complaints.csv", 3)
    first = run("batch", "complaint", "--data", str(sheet), "--jobs", "1", "--format", "pdf")
    assert first.exit_code == 0, first.output
    assert "filing" not in first.output  # no progress bar when the output is not a terminal
    again = run("batch", "complaint", "--data", str(sheet), "--format", "pdf")
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = run("batch", "complaint", "--data", str(sheet), "--jobs", "1", "--format", "pdf",
                  "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.output)["earlier"] == 3
    assert len(complaints_filed(home)) == 3


def test_parallel_workers_file_every_row_once_and_combine_them_in_row_order(run, home,
                                                                          tmp_path):
    sheet = complaints_csv(tmp_path / "complaints.csv", 6)
    result = run("batch", "complaint", "--data", str(sheet), "--jobs", "2", "--format", "pdf",
                 "--combine", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    filed = complaints_filed(home)
    assert len(filed) == 6 == len({r["batch_key"] for r in filed})
    by_row = {int(r["batch_key"].rpartition(":")[2]): r["record_no"] for r in filed}
    combined = PdfReader(report["combined"])
    titles = [item.title for item in combined.outline]
    assert titles == [f"{by_row[row]} (row {row})" for row in sorted(by_row)]
    assert len(combined.pages) >= 6
    assert run("index", "verify").exit_code == 0


def test_a_batch_killed_part_way_is_finished_by_resume_without_duplicates(home, tmp_path):
    sheet = complaints_csv(tmp_path / "complaints.csv", 30)
    args = [sys.executable, "-m", "generator", "batch", "complaint", "--data", sheet,
            "--home", home, "--jobs", "2", "--format", "pdf"]
    process = start_process(args, tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once some rows are filed, not all
        time.sleep(0.2)
        assert process.poll() is None, finish_process(process)
        try:
            if len(complaints_filed(home)) >= 5:
                break
        except Exception:  # noqa: BLE001 — the index is not made yet
            continue
    process.send_signal(signal.SIGKILL)
    finish_process(process)
    filed_before = len(complaints_filed(home))
    assert 5 <= filed_before < 30
    time.sleep(1)  # the killed parent's workers finish the rows they hold, then stop

    code, out, err = finish_process(start_process([*args, "--resume", "--json"], tmp_path))
    assert code == 0, err
    report = json.loads(out)
    filed = complaints_filed(home)
    assert len(filed) == 30 == len({r["batch_key"] for r in filed})
    assert report["filed"] + report["earlier"] == 30
    code, out, err = finish_process(start_process(
        [sys.executable, "-m", "generator", "index", "verify", "--home", home], tmp_path))
    assert code == 0, out + err


def test_gbk_csv_xlsx_with_chinese_headers_and_a_pasted_table_are_filed(run, home, tmp_path):
    from openpyxl import Workbook

    gbk = complaints_csv(tmp_path / "gbk.csv", 2, encoding="gbk")
    assert run("batch", "complaint", "--data", str(gbk), "--jobs", "1",
               "--format", "pdf").exit_code == 0
    header, rows = complaint_rows(2, labels=True)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([str(v) if not isinstance(v, int | float) else v for v in row])
    book.save(tmp_path / "complaints.xlsx")
    xlsx = run("batch", "complaint", "--data", str(tmp_path / "complaints.xlsx"), "--jobs", "1",
               "--format", "pdf")
    assert xlsx.exit_code == 0, xlsx.output
    header, rows = complaint_rows(3)
    pasted = "\n".join("\t".join(str(v).replace("\n", " ") for v in line)
                       for line in [header, *rows]) + "\n"
    stdin = run("batch", "complaint", "--data", "-", "--jobs", "1", "--format", "pdf",
                input=pasted)
    assert stdin.exit_code == 0, stdin.output
    assert "3 records read, 3 filed" in stdin.output
    assert len(complaints_filed(home)) == 7
    assert run("index", "verify").exit_code == 0


def test_forms_of_one_ticket_each_are_not_batched(run, tmp_path):
    sheet = tmp_path / "feedback.csv"
    sheet.write_text("visited_at\n2026-11-30 10:00\n", "utf-8")
    result = run("batch", "feedback", "--data", str(sheet))
    assert result.exit_code == 2 and "ticket" in result.output


def test_a_bad_sheet_or_an_unknown_form_is_refused_before_anything_is_filed(run, home,
                                                                           tmp_path):
    sheet = complaints_csv(tmp_path / "complaints.csv", 2)
    unknown = run("batch", "nosuch", "--data", str(sheet))
    assert unknown.exit_code == 2 and "nosuch" in unknown.output
    short = tmp_path / "short.csv"
    short.write_text("room\n3-2-1203\n", "utf-8")
    missing = run("batch", "complaint", "--data", str(short))
    assert missing.exit_code == 2 and "missing required columns" in missing.output
    assert "业主姓名 (owner_name)" in missing.output
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 512)  # how a password-protected book starts
    protected = run("batch", "complaint", "--data", str(fake))
    assert protected.exit_code == 2 and "fake.xlsx" in protected.output
    assert files_in_output(home) == []
    assert not (home / "batches").exists()
