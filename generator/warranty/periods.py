"""Periods and the dates they end on, counted as 民法典 arts. 201–203 count them.

Pure arithmetic, no configuration: a period is parsed from text such as "5y", "18m",
"2 seasons", "design life" or "agreed", and `period_end` gives the last day it covers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

YEAR, MONTH, SEASON, DESIGN_LIFE, AGREED = "year", "month", "season", "design life", "agreed"
_LENGTH = re.compile(r"^(\d+)\s*(y|years?|m|months?|seasons?)$")
_UNITS = {"y": YEAR, "year": YEAR, "years": YEAR, "m": MONTH, "month": MONTH, "months": MONTH,
          "season": SEASON, "seasons": SEASON}
_SEASON = re.compile(r"^(\d\d)-(\d\d)\.\.(\d\d)-(\d\d)$")


@dataclass(frozen=True)
class Period:
    """A length of time: `count` years, months or seasons; or the design service life (no
    count: as long as the design documents say) or a period left to agreement (no minimum)."""

    unit: str
    count: int = 0

    @property
    def months(self) -> int | None:
        """The length in months, for periods in years or months."""
        return {YEAR: 12 * self.count, MONTH: self.count}.get(self.unit)

    def __str__(self) -> str:
        """As written in aftersales.toml: 5y, 18m, 2 seasons, design life."""
        suffix = {YEAR: "y", MONTH: "m", SEASON: " seasons"}
        return f"{self.count}{suffix[self.unit]}" if self.unit in suffix else self.unit


def parse_period(text: str) -> Period:
    """"5y", "18m", "2 seasons", "design life" or "agreed"; ValueError for anything else
    (and for a length of 0)."""
    words = " ".join(str(text).strip().lower().split())
    if words in (DESIGN_LIFE, AGREED):
        return Period(words)
    match = _LENGTH.match(words)
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a period: write it like 5y, 18m, 2 seasons, "
                         f"design life")
    return Period(_UNITS[match[2]], int(match[1]))


def add_months(start: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later, or that month's last day when it has no
    corresponding day (2024-02-29 + 12 → 2025-02-28; 01-31 + 1 → 02-28 or 02-29)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(start.day, last))


@dataclass(frozen=True)
class Season:
    """A heating or cooling season: the same stretch of every year, from `start` to `end`
    (month, day) inclusive; it runs into the next year when it ends before it starts."""

    start: tuple[int, int]
    end: tuple[int, int]

    def occurrence(self, year: int) -> tuple[dt.date, dt.date]:
        """The season that starts in `year`: its first and last day."""
        first = dt.date(year, *self.start)
        last = dt.date(year + (self.end < self.start), *self.end)
        return first, last


def parse_season(text: str) -> Season:
    """"11-15..03-15" (month-day..month-day); ValueError for anything else. 02-29 is refused:
    a season must fall on the same days every year."""
    match = _SEASON.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a season: write it like 11-15..03-15")
    start, end = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
    for month, day in (start, end):
        try:
            dt.date(2001, month, day)  # a common year: no 02-29
        except ValueError:
            raise ValueError(f"{text!r}: {month:02d}-{day:02d} is not a day of every "
                             f"year") from None
    if start == end:
        raise ValueError(f"{text!r}: a season must last more than one day")
    return Season(start, end)


def season_end(start: dt.date, count: int, season: Season) -> dt.date:
    """The last day of `count` seasons after `start`: the end of the `count`th season that
    begins after `start` (the period runs from the next day, art. 201, so a season that began
    on or before `start` — one `start` falls inside — is not counted; its rest is extra)."""
    year = start.year - 1
    counted = 0
    while True:
        first, last = season.occurrence(year)
        if first > start:
            counted += 1
            if counted == count:
                return last
        year += 1


def period_end(start: dt.date, period: Period, seasons: tuple[Season, ...] = ()) -> dt.date | None:
    """The last day `period` covers when it runs from the day after `start` (民法典 art. 201).

    A period in years or months ends on the corresponding day of its last month, or on that
    month's last day when there is none (art. 203 as read in the brief: 5 years from
    2025-06-30 → 2030-06-30). A period in seasons ends with the latest of `seasons` (heating
    and cooling systems: both their seasons). A design service life or an agreed period has
    no date: None."""
    if period.months is not None:
        return add_months(start, period.months)
    if period.unit == SEASON:
        if not seasons:
            raise ValueError("a period in seasons needs at least one season")
        return max(season_end(start, period.count, s) for s in seasons)
    return None
