"""Summaries beyond the figures of tests/test_summary.py: period boundaries (ISO week 53, a
quarter across a year, a leap day), an empty period, bad periods and formats, summaries typed in
by hand, masks. On the default SQLite index."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.documents.fill import fill
from generator.documents.forms import load_form
from generator.errors import UsageError
from generator.reports import periods
from generator.reports.summary import mask_name, mask_phone, summarize
from generator.workspace import Workspace
from tests.conftest import write_sample

NOW = dt.datetime(2026, 11, 29, 12, 0)


# --- periods, empty and bad ---------------------------------------------------------------------


def file_at(workspace: Workspace, at: str, room: str = "1-1-101") -> str:
    complaint = load_sample("complaint")
    data = {**complaint, "received_at": at, "room": room, "urgency": "normal"}
    data.pop("promised_reply_at", None)
    return fill(workspace, "complaint", data, formats="pdf").ticket


def load_sample(name: str) -> dict:
    return dict(load_form(Workspace.open(None), name).sample)


def test_period_boundaries_week_53_a_quarter_across_a_year_and_a_leap_day(workspace):
    for at in ("2020-12-27 23:59", "2020-12-28 00:00", "2021-01-03 23:59", "2021-01-04 00:00",
               "2024-02-28 12:00", "2024-02-29 12:00", "2024-03-01 00:00",
               "2025-12-31 23:59", "2026-01-01 00:00"):
        file_at(workspace, at)

    def received(kind: str, label: str) -> tuple[int, int | None]:
        row = next(r for r in summarize(workspace, kind, label, now=NOW).figures
                   if r["key"] == "received")
        return row["value"], row["previous"]

    assert received("weekly", "2020-W53") == (2, 1)  # Mon 28 Dec to Sun 3 Jan
    assert received("weekly", "2021-W01") == (1, 2)
    assert received("monthly", "2024-02") == (2, 0)  # the leap day is February's
    assert received("annual", "2024") == (3, 0)
    assert received("quarterly", "2026-Q1") == (1, 1)  # the previous quarter is 2025-Q4


def test_an_empty_period_is_a_report_that_says_so(workspace, run):
    file_at(workspace, "2026-06-02 09:00")  # after the period: nothing open in it
    result = run("summary", "monthly", "--period", "2026-05", "--format", "pdf,csv")
    assert result.exit_code == 0, result.output
    assert "nothing happened" in result.output
    csv_path = next(p for p in (workspace.root / "output").rglob("*YB-2026-05.csv"))
    assert "本期没有受理、办结或在办的工单。" in csv_path.read_text("utf-8-sig")


@pytest.mark.parametrize("kind, period, message", [
    ("monthly", "2026-13", "months run 01 to 12"),
    ("weekly", "2026-W54", "W01 to W53"),
    ("weekly", "2025-W53", "2025 has 52 ISO weeks"),
    ("quarterly", "2026-Q5", "Q1 to Q4"),
    ("monthly", "26-11", "like 2026-11"),
    ("quarterly", "2027-Q1", "in the future"),
])
def test_a_bad_period_is_refused_and_nothing_is_written(run, home, kind, period, message):
    result = run("summary", kind, "--period", period)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (home / "output").exists() or not list((home / "output").rglob("*summary*"))


def test_an_unknown_format_is_refused_and_nothing_is_written(run, home):
    result = run("summary", "monthly", "--period", "2026-10", "--format", "pdf,odt")
    assert result.exit_code == 2
    assert "odt" in result.output
    assert not list(home.rglob("*summary*"))


def test_the_library_refuses_bad_periods_too(workspace):
    with pytest.raises(UsageError, match="months run 01 to 12"):
        summarize(workspace, "monthly", "2026-13", now=NOW)
    assert periods.parse("annual", "2024", NOW.date()).end == dt.date(2025, 1, 1)


# --- typed in by hand ----------------------------------------------------------------------------


def test_a_typed_in_summary_whose_figures_contradict_each_other_is_refused(run, tmp_path, home):
    data = write_sample(tmp_path, "monthly-summary", received=5, closed=10)
    result = run("fill", "monthly-summary", "--data", str(data))
    assert result.exit_code == 2, result.output
    assert ("上期结转（件） (open_at_start) + 本期受理（件） (received) = 13, but 本期办结（件） "
            "(closed) + 不予受理（件） (rejected) + 结转下期（件） (carried_over) = 23"
            ) in result.output
    assert ("分类统计 (by_category): the rows' 受理（件） (received) add up to 52, not "
            "本期受理（件） (received) 5") in result.output
    assert not list(home.rglob("*.pdf"))


def test_the_bundled_sample_summaries_add_up(run, tmp_path):
    for name in ("weekly-summary", "monthly-summary", "quarterly-summary", "annual-summary"):
        result = run("fill", name, "--data", str(write_sample(tmp_path, name)),
                     "--format", "csv")
        assert result.exit_code == 0, (name, result.output)


def test_masks():
    assert mask_name("张伟") == "张**" and mask_name("欧阳娜娜") == "欧**"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0571-88886666") == "0571-****6666"
    assert mask_name("") == "" and mask_phone(None) == ""


def test_an_english_summary_says_everything_in_english(workspace, run, home):
    file_at(workspace, "2026-10-05 09:00")
    result = run("summary", "quarterly", "--period", "2026-Q4", "--lang", "en",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    text = next((home / "output").rglob("*JB-2026-Q4.csv")).read_text("utf-8-sig")
    assert "Received,tickets,1,," in text  # the figure, its unit, this quarter; none before
    assert "First response (median),h," in text
    assert "Received: Tickets whose complaint was received in the period." in text
    assert not any("\u4e00" <= char <= "\u9fff" for line in text.splitlines()
                   if line.startswith(("Received", "Costs advanced")) for char in line)
