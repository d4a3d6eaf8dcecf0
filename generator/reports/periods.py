"""The reporting periods of the centre's summaries: an ISO week, a month, a quarter or a year.

A period is named the way the user writes it on the command line (`--period 2026-W48`, `2026-11`,
`2026-Q4`, `2026`) and covers the half-open range of days [start, end): `end` is the first day
after the period, so consecutive periods meet without overlapping and `days` is `end - start`.
Weeks are ISO 8601 weeks (Monday to Sunday, numbered within the ISO year), because that is how
the centre's weekly meetings count them; a few ISO years have a week 53.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from generator.errors import UsageError

KINDS = ("weekly", "monthly", "quarterly", "annual")
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the centre's records begin long after 2000

# kind → (what one is called, how it is written, an example), for the messages
_FORMS = {
    "weekly": ("a week", "YYYY-Www (ISO 8601 week)", "2026-W48"),
    "monthly": ("a month", "YYYY-MM", "2026-11"),
    "quarterly": ("a quarter", "YYYY-Qn", "2026-Q4"),
    "annual": ("a year", "YYYY", "2026"),
}
# [0-9], not \d: \d also matches full-width and other Unicode digits, which int() accepts
_PATTERNS = {
    "weekly": re.compile(r"([0-9]{4})-W([0-9]{2})"),
    "monthly": re.compile(r"([0-9]{4})-([0-9]{2})"),
    "quarterly": re.compile(r"([0-9]{4})-Q([0-9])"),
    "annual": re.compile(r"([0-9]{4})"),
}


class Bucket(NamedTuple):
    """One bar or point of a chart of the period: a day or a month, half-open like the period."""

    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    label: str  # as the user writes it: 2026-W48, 2026-11, 2026-Q4, 2026
    start: dt.date  # the first day
    end: dt.date  # the day after the last day

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def record_label(self) -> str:
        """The period as it appears in a document number."""
        return self.label

    # the index keeps business times as "YYYY-MM-DD HH:MM" text and compares them as text, so
    # a query for the period is `start_stamp <= time < end_stamp`
    @property
    def start_stamp(self) -> str:
        return f"{self.start.isoformat()} 00:00"

    @property
    def end_stamp(self) -> str:
        return f"{self.end.isoformat()} 00:00"

    def contains(self, when: dt.date | dt.datetime) -> bool:
        # a datetime is a date too, but comparing one with a date raises: take its calendar day
        day = when.date() if isinstance(when, dt.datetime) else when
        return self.start <= day < self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        year = self.start.year
        if self.kind == "weekly":
            iso = (self.start - dt.timedelta(days=7)).isocalendar()
            return week(iso.year, iso.week)
        if self.kind == "monthly":
            month = self.start.month
            return _month(year - 1, 12) if month == 1 else _month(year, month - 1)
        if self.kind == "quarterly":
            q = _quarter_of(self.start)
            return _quarter(year - 1, 4) if q == 1 else _quarter(year, q - 1)
        return _year(year - 1)

    def year_ago(self) -> Period | None:
        """The same period a year earlier, or None for a week 53 whose year before has none."""
        year = self.start.year
        if self.kind == "weekly":
            iso = self.start.isocalendar()
            if iso.week > weeks_in(iso.year - 1):
                return None
            return week(iso.year - 1, iso.week)
        if self.kind == "monthly":
            return _month(year - 1, self.start.month)
        if self.kind == "quarterly":
            return _quarter(year - 1, _quarter_of(self.start))
        return _year(year - 1)

    def buckets(self) -> list[Bucket]:
        """The sub-periods a chart of the period shows: days for a week or a month (weeks would
        straddle the month's ends), months for a quarter or a year."""
        if self.kind in ("weekly", "monthly"):
            days = [self.start + dt.timedelta(days=n) for n in range(self.days)]
            return [Bucket(d.strftime("%m-%d"), d, d + dt.timedelta(days=1)) for d in days]
        buckets, first = [], self.start
        while first < self.end:
            after = _month(first.year, first.month).end
            buckets.append(Bucket(f"{first.year:04d}-{first.month:02d}", first, after))
            first = after
        return buckets


def weeks_in(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return dt.date(year, 12, 28).isocalendar().week


def week(year: int, number: int) -> Period:
    """ISO week `number` of ISO year `year` (Monday to Sunday)."""
    start = dt.date.fromisocalendar(year, number, 1)
    return Period("weekly", f"{year:04d}-W{number:02d}", start, start + dt.timedelta(days=7))


def _month(year: int, month: int) -> Period:
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return Period("monthly", f"{year:04d}-{month:02d}", dt.date(year, month, 1), end)


def _quarter(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    start, end = dt.date(year, first, 1), _month(year, first + 2).end
    return Period("quarterly", f"{year:04d}-Q{quarter}", start, end)


def _year(year: int) -> Period:
    return Period("annual", f"{year:04d}", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))


def _quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError(f"a period is one of {', '.join(KINDS)}; got {kind!r}")


def containing(kind: str, day: dt.date) -> Period:
    """The period of that kind that `day` falls in."""
    _check_kind(kind)
    if isinstance(day, dt.datetime):
        day = day.date()
    if kind == "weekly":
        iso = day.isocalendar()
        return week(iso.year, iso.week)
    if kind == "monthly":
        return _month(day.year, day.month)
    if kind == "quarterly":
        return _quarter(day.year, _quarter_of(day))
    return _year(day.year)


def latest(kind: str, today: dt.date | None = None) -> Period:
    """The last complete period of that kind before `today`: the default when none is given."""
    return containing(kind, today or dt.date.today()).previous()


def parse(kind: str, text: str, today: dt.date | None = None) -> Period:
    """The period `text` names, or a UsageError about `--period` that says what was expected.

    A period that has begun but not ended is allowed (a report so far); one that begins after
    `today` is refused, since it can only be a typing mistake.
    """
    _check_kind(kind)
    noun, form, example = _FORMS[kind]
    match = _PATTERNS[kind].fullmatch(text or "")
    if not match:
        raise UsageError(f"--period: {noun} is {form}, like {example}; got {text!r}")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError(f"--period: years {FIRST_YEAR} to {LAST_YEAR} only; got {text!r}")
    number = int(match.group(2)) if kind != "annual" else 0
    if kind == "weekly":
        if not 1 <= number <= 53:
            raise UsageError(f"--period: ISO weeks run W01 to W53; got {text!r}")
        if number > weeks_in(year):
            raise UsageError(
                f"--period: {year} has {weeks_in(year)} ISO weeks, so no week {number}; "
                f"got {text!r}")
        period = week(year, number)
    elif kind == "monthly":
        if not 1 <= number <= 12:
            raise UsageError(f"--period: months run 01 to 12; got {text!r}")
        period = _month(year, number)
    elif kind == "quarterly":
        if not 1 <= number <= 4:
            raise UsageError(f"--period: quarters run Q1 to Q4; got {text!r}")
        period = _quarter(year, number)
    else:
        period = _year(year)
    today = today or dt.date.today()
    if isinstance(today, dt.datetime):
        today = today.date()
    if period.start > today:
        raise UsageError(
            f"--period: {period.label} is in the future (today is {today.isoformat()})")
    return period
