"""Reporting periods: ISO weeks, months, quarters and years, their bounds, neighbours and chart
buckets, and every way `--period` can be written wrong. Pure unit tests: no workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.errors import UsageError
from generator.reports.periods import KINDS, Period, containing, latest, parse, weeks_in

D = dt.date
TODAY = D(2026, 12, 15)


def p(kind: str, text: str) -> Period:
    return parse(kind, text, today=D(2099, 12, 31))


@pytest.mark.parametrize("kind, text, start, end, days", [
    ("weekly", "2026-W48", D(2026, 11, 23), D(2026, 11, 30), 7),
    ("weekly", "2026-W01", D(2025, 12, 29), D(2026, 1, 5), 7),  # ISO week 1 starts in December
    ("weekly", "2026-W53", D(2026, 12, 28), D(2027, 1, 4), 7),
    ("weekly", "2027-W01", D(2027, 1, 4), D(2027, 1, 11), 7),
    ("monthly", "2026-11", D(2026, 11, 1), D(2026, 12, 1), 30),
    ("monthly", "2026-12", D(2026, 12, 1), D(2027, 1, 1), 31),
    ("monthly", "2027-02", D(2027, 2, 1), D(2027, 3, 1), 28),
    ("monthly", "2028-02", D(2028, 2, 1), D(2028, 3, 1), 29),
    ("quarterly", "2026-Q1", D(2026, 1, 1), D(2026, 4, 1), 90),
    ("quarterly", "2026-Q4", D(2026, 10, 1), D(2027, 1, 1), 92),
    ("quarterly", "2028-Q1", D(2028, 1, 1), D(2028, 4, 1), 91),
    ("annual", "2026", D(2026, 1, 1), D(2027, 1, 1), 365),
    ("annual", "2028", D(2028, 1, 1), D(2029, 1, 1), 366),
])
def test_bounds(kind, text, start, end, days):
    period = p(kind, text)
    assert (period.kind, period.label, period.start, period.end) == (kind, text, start, end)
    assert period.days == days
    assert period.record_label == text
    assert period.start_stamp == f"{start.isoformat()} 00:00"
    assert period.end_stamp == f"{end.isoformat()} 00:00"


def test_stamps_bound_index_times_as_text():
    period = p("monthly", "2026-11")
    assert (period.start_stamp, period.end_stamp) == ("2026-11-01 00:00", "2026-12-01 00:00")
    inside = ["2026-11-01 00:00", "2026-11-30 23:59"]
    outside = ["2026-10-31 23:59", "2026-12-01 00:00"]
    assert all(period.start_stamp <= t < period.end_stamp for t in inside)
    assert not any(period.start_stamp <= t < period.end_stamp for t in outside)


@pytest.mark.parametrize("kind, text, when, inside", [
    ("monthly", "2028-02", D(2028, 2, 29), True),
    ("monthly", "2028-02", D(2028, 3, 1), False),  # half-open: end is not in the period
    ("monthly", "2028-02", D(2028, 1, 31), False),
    ("monthly", "2028-02", dt.datetime(2028, 2, 29, 23, 59), True),
    ("weekly", "2026-W53", D(2027, 1, 3), True),
    ("weekly", "2026-W53", dt.datetime(2027, 1, 4, 0, 0), False),
    ("quarterly", "2026-Q4", D(2026, 12, 31), True),
    ("annual", "2028", D(2028, 12, 31), True),
    ("annual", "2028", D(2029, 1, 1), False),
])
def test_contains(kind, text, when, inside):
    assert p(kind, text).contains(when) is inside


def test_week_53():
    assert (weeks_in(2026), weeks_in(2025), weeks_in(2020)) == (53, 52, 53)
    w53 = p("weekly", "2026-W53")
    assert (w53.start, w53.end - dt.timedelta(days=1)) == (D(2026, 12, 28), D(2027, 1, 3))
    assert p("weekly", "2027-W01").start == D(2027, 1, 4) == w53.end


@pytest.mark.parametrize("kind, text, before", [
    ("weekly", "2026-W48", "2026-W47"),
    ("weekly", "2027-W01", "2026-W53"),
    ("weekly", "2026-W01", "2025-W52"),
    ("monthly", "2026-01", "2025-12"),
    ("monthly", "2028-03", "2028-02"),
    ("quarterly", "2027-Q1", "2026-Q4"),
    ("quarterly", "2026-Q3", "2026-Q2"),
    ("annual", "2026", "2025"),
])
def test_previous(kind, text, before):
    period = p(kind, text)
    previous = period.previous()
    assert previous == p(kind, before)
    assert previous.end == period.start  # neighbours meet, no gap, no overlap


@pytest.mark.parametrize("kind, text, ago", [
    ("weekly", "2026-W48", "2025-W48"),
    ("weekly", "2026-W53", None),  # 2025 has 52 weeks
    ("weekly", "2021-W01", "2020-W01"),
    ("monthly", "2026-11", "2025-11"),
    ("monthly", "2024-02", "2023-02"),
    ("monthly", "2028-02", "2027-02"),
    ("quarterly", "2026-Q4", "2025-Q4"),
    ("annual", "2028", "2027"),
])
def test_year_ago(kind, text, ago):
    expected = p(kind, ago) if ago else None
    assert p(kind, text).year_ago() == expected


@pytest.mark.parametrize("kind, text, count, first, last", [
    ("weekly", "2026-W48", 7, ("11-23", D(2026, 11, 23)), ("11-29", D(2026, 11, 29))),
    ("weekly", "2026-W53", 7, ("12-28", D(2026, 12, 28)), ("01-03", D(2027, 1, 3))),
    ("monthly", "2026-11", 30, ("11-01", D(2026, 11, 1)), ("11-30", D(2026, 11, 30))),
    ("monthly", "2028-02", 29, ("02-01", D(2028, 2, 1)), ("02-29", D(2028, 2, 29))),
    ("monthly", "2027-02", 28, ("02-01", D(2027, 2, 1)), ("02-28", D(2027, 2, 28))),
    ("quarterly", "2026-Q4", 3, ("2026-10", D(2026, 10, 1)), ("2026-12", D(2026, 12, 1))),
    ("annual", "2026", 12, ("2026-01", D(2026, 1, 1)), ("2026-12", D(2026, 12, 1))),
])
def test_buckets(kind, text, count, first, last):
    period = p(kind, text)
    buckets = period.buckets()
    assert len(buckets) == count
    assert (buckets[0].label, buckets[0].start) == first
    assert (buckets[-1].label, buckets[-1].start) == last
    # the buckets tile the period exactly
    assert buckets[0].start == period.start and buckets[-1].end == period.end
    assert all(a.end == b.start for a, b in zip(buckets, buckets[1:], strict=False))
    label, start, end = buckets[0]  # plain (label, start, end) tuples
    assert start < end


@pytest.mark.parametrize("kind, text, fragment", [
    ("monthly", "2026-13", "--period: months run 01 to 12; got '2026-13'"),
    ("monthly", "2026-00", "--period: months run 01 to 12; got '2026-00'"),
    ("monthly", "2026-1", "--period: a month is YYYY-MM, like 2026-11; got '2026-1'"),
    ("monthly", "2026/11", "--period: a month is YYYY-MM, like 2026-11; got '2026/11'"),
    ("monthly", "November", "--period: a month is YYYY-MM, like 2026-11; got 'November'"),
    ("monthly", "２０２６-１１", "a month is YYYY-MM"),  # full-width digits
    ("monthly", "", "--period: a month is YYYY-MM, like 2026-11; got ''"),
    ("weekly", "2026-W54", "--period: ISO weeks run W01 to W53; got '2026-W54'"),
    ("weekly", "2026-W00", "--period: ISO weeks run W01 to W53; got '2026-W00'"),
    ("weekly", "2025-W53", "--period: 2025 has 52 ISO weeks, so no week 53; got '2025-W53'"),
    ("weekly", "2026-48", "--period: a week is YYYY-Www (ISO 8601 week), like 2026-W48; got"),
    ("weekly", "2026-W5", "a week is YYYY-Www"),
    ("quarterly", "2026-Q5", "--period: quarters run Q1 to Q4; got '2026-Q5'"),
    ("quarterly", "2026-Q0", "--period: quarters run Q1 to Q4; got '2026-Q0'"),
    ("quarterly", "2026-4", "--period: a quarter is YYYY-Qn, like 2026-Q4; got '2026-4'"),
    ("annual", "26", "--period: a year is YYYY, like 2026; got '26'"),
    ("annual", "2026-11", "--period: a year is YYYY, like 2026; got '2026-11'"),
    ("annual", "1999", "--period: years 2000 to 2099 only; got '1999'"),
    ("monthly", "2100-01", "--period: years 2000 to 2099 only; got '2100-01'"),
    ("weekly", "1999-W10", "--period: years 2000 to 2099 only; got '1999-W10'"),
])
def test_bad_input_is_refused(kind, text, fragment):
    with pytest.raises(UsageError) as refused:
        parse(kind, text, today=TODAY)
    assert fragment in refused.value.message
    assert refused.value.exit_code == 2


def test_unknown_kind_is_refused():
    with pytest.raises(UsageError, match="a period is one of weekly, monthly, quarterly, annual"):
        parse("daily", "2026-11-01", today=TODAY)


@pytest.mark.parametrize("kind, text", [
    ("weekly", "2026-W52"),  # starts 2026-12-21
    ("weekly", "2026-W53"),
    ("monthly", "2027-01"),
    ("quarterly", "2027-Q1"),
    ("annual", "2027"),
])
def test_a_period_that_has_not_begun_is_refused(kind, text):
    with pytest.raises(UsageError) as refused:
        parse(kind, text, today=TODAY)
    assert refused.value.message == f"--period: {text} is in the future (today is 2026-12-15)"


@pytest.mark.parametrize("kind, text", [
    ("weekly", "2026-W51"),  # 2026-12-14 to 2026-12-20: under way
    ("monthly", "2026-12"),
    ("quarterly", "2026-Q4"),
    ("annual", "2026"),
    ("monthly", "2026-11"),
])
def test_a_period_under_way_or_past_is_allowed(kind, text):
    assert parse(kind, text, today=TODAY).label == text


def test_a_period_starting_today_is_allowed():
    assert parse("monthly", "2026-12", today=D(2026, 12, 1)).start == D(2026, 12, 1)
    assert parse("monthly", "2026-12", today=dt.datetime(2026, 12, 1, 8, 30)).label == "2026-12"


@pytest.mark.parametrize("kind, today, expected", [
    ("weekly", D(2026, 12, 15), "2026-W50"),  # a Tuesday: last week ended on Sunday
    ("weekly", D(2027, 1, 4), "2026-W53"),  # a Monday: the week that just ended
    ("monthly", D(2026, 12, 15), "2026-11"),
    ("monthly", D(2026, 1, 1), "2025-12"),
    ("quarterly", D(2027, 2, 1), "2026-Q4"),
    ("quarterly", D(2026, 7, 1), "2026-Q2"),
    ("annual", D(2026, 12, 31), "2025"),
])
def test_latest_is_the_last_complete_period(kind, today, expected):
    period = latest(kind, today)
    assert period.label == expected and period.end <= today
    assert parse(kind, expected, today=today) == period


def test_containing_every_kind():
    day = D(2026, 11, 25)
    assert [containing(kind, day).label for kind in KINDS] == [
        "2026-W48", "2026-11", "2026-Q4", "2026"]
