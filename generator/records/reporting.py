"""Aggregate queries over tickets and documents for the summaries, the same on SQLite and
PostgreSQL.

A ticket's facts (when it reached each state, what was due when, who is responsible) are JSON in
the index; `Fact("reached.closed")` reads one of them in SQL, `Hours(a, b)` is the time between
two of them. Business times are kept as 'YYYY-MM-DD HH:MM' text, which sorts as time does, so a
period is a text range. The summaries (generator/reports) say what to count; this module only
says how to ask the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from generator.records.index import Index
from generator.records.schema import (
    BUILDING,
    ENDED,
    FACT_COLUMNS,
    PERIOD_COLUMNS,
    documents,
    tickets,
)

PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


class JsonPath(ColumnElement):
    """A value inside a JSON text column, as text (NULL when absent)."""

    inherit_cache = True
    type = sa.String()

    def __init__(self, column: ColumnElement, path: str) -> None:
        if not PATH.match(path):
            raise ValueError(f"not a fact path: {path!r}")
        self.column, self.path = column, tuple(path.split("."))


@compiles(JsonPath, "sqlite")
def _json_sqlite(element: JsonPath, compiler, **kw) -> str:
    return (f"json_extract({compiler.process(element.column, **kw)}, "
            f"'$.{'.'.join(element.path)}')")


@compiles(JsonPath, "postgresql")
def _json_postgresql(element: JsonPath, compiler, **kw) -> str:
    return (f"(CAST({compiler.process(element.column, **kw)} AS JSONB) "
            f"#>> '{{{','.join(element.path)}}}')")


class Hours(ColumnElement):
    """Hours from one business time ('YYYY-MM-DD HH:MM' text) to another."""

    inherit_cache = True
    type = sa.Float()

    def __init__(self, start: ColumnElement, end: ColumnElement) -> None:
        self.start, self.end = start, end


@compiles(Hours, "sqlite")
def _hours_sqlite(element: Hours, compiler, **kw) -> str:
    start, end = compiler.process(element.start, **kw), compiler.process(element.end, **kw)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(Hours, "postgresql")
def _hours_postgresql(element: Hours, compiler, **kw) -> str:
    start, end = compiler.process(element.start, **kw), compiler.process(element.end, **kw)
    return (f"(EXTRACT(EPOCH FROM (CAST({end} AS TIMESTAMP) - CAST({start} AS TIMESTAMP)))"
            f" / 3600.0)")


def fact(path: str) -> ColumnElement:
    """A ticket's fact: its own column where it has one (schema.FACT_COLUMNS), else read from
    the JSON. `opened` falls back to when the ticket was filed (older tickets)."""
    if path in FACT_COLUMNS:
        return tickets.c[FACT_COLUMNS[path]]
    return JsonPath(tickets.c.facts, path)


def ended() -> ColumnElement:
    """When a ticket was closed or rejected (indexed)."""
    return tickets.c[ENDED]


def building() -> ColumnElement:
    """The building of a ticket's room."""
    return tickets.c[BUILDING]


def datum(key: str) -> ColumnElement:
    """A field of a filed document's data: its own column where it has one (a register's
    period_from), else read from the JSON."""
    if key in PERIOD_COLUMNS:
        return documents.c[PERIOD_COLUMNS[key]]
    return JsonPath(documents.c.data, key)


def opened_as(key: str) -> ColumnElement:
    """A field of the record that opened the ticket (the complaint: kind, room…)."""
    return JsonPath(tickets.c.data, key)


def first_of(*paths: str) -> ColumnElement:
    """The first of these facts a ticket has (COALESCE)."""
    return sa.func.coalesce(*(fact(p) for p in paths))


@dataclass(frozen=True)
class Between:
    """A business time in [start, end), as text."""

    value: ColumnElement
    start: str
    end: str

    def clause(self) -> ColumnElement:
        return sa.and_(self.value >= self.start, self.value < self.end)


class Unlikely(ColumnElement):
    """A condition most rows meet: SQLite's planner is told so (likelihood()), so it does not
    start from an index on it; elsewhere the condition as it is."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, condition: ColumnElement) -> None:
        self.condition = condition


@compiles(Unlikely)
def _unlikely(element: Unlikely, compiler, **kw) -> str:
    return compiler.process(element.condition, **kw)


@compiles(Unlikely, "sqlite")
def _unlikely_sqlite(element: Unlikely, compiler, **kw) -> str:
    return f"likelihood({compiler.process(element.condition, **kw)}, 0.99)"


@dataclass(frozen=True)
class Live:
    """The tickets opened before `end` that had not ended (been closed or rejected) before
    `since`: all a window of a report can concern. Both times are indexed; SQLite cannot tell
    from its statistics which index finds fewer, so it is told (see Reporting._where)."""

    end: str
    since: str

    def clause(self, from_ended: bool = False) -> ColumnElement:
        opened = fact("opened") < self.end
        return sa.and_(Unlikely(opened) if from_ended else opened,
                       sa.or_(ended().is_(None), ended() >= self.since))


Condition = ColumnElement | Live


class Reporting:
    """The summaries' questions to one index (read-only, one snapshot per report)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._from_ended: dict[Live, bool] = {}

    def _where(self, query, conditions: Sequence[Condition]):
        """`query` with `conditions`, a Live one starting from the index that finds fewer."""
        return query.where(*(
            condition.clause(self._starts_from_ended(condition))
            if isinstance(condition, Live) else condition for condition in conditions))

    def _starts_from_ended(self, live: Live) -> bool:
        """Whether fewer tickets are not ended before `since` than opened before the end (a
        recent window) — three counts of an index."""
        if live not in self._from_ended:
            opened = self.count(fact("opened") < live.end)
            not_ended = self.count(ended().is_(None)) + self.count(ended() >= live.since)
            self._from_ended[live] = not_ended < opened
        return self._from_ended[live]

    def _scalar(self, query) -> Any:
        with self.index.reading() as conn:
            return None if conn is None else conn.execute(query).scalar()

    def _fetch(self, query) -> list:
        """All the query's rows (a few: counts, groups, percentiles); none without an index."""
        with self.index.reading() as conn:
            return [] if conn is None else list(conn.execute(query))

    def count(self, *conditions: ColumnElement) -> int:
        return self._scalar(sa.select(sa.func.count()).select_from(tickets).where(
            *conditions)) or 0

    def tally(self, conditions: dict[str, ColumnElement], *scope: Condition
              ) -> dict[str, int]:
        """How many tickets (of those in `scope`) meet each condition, by name: one pass over
        the tickets for them all."""
        if not conditions:
            return {}
        names = list(conditions)
        query = self._where(sa.select(*(
            sa.func.coalesce(sa.func.sum(sa.case((conditions[n], 1), else_=0)), 0).label(f"c{i}")
            for i, n in enumerate(names))).select_from(tickets), scope)
        row = next(iter(self._fetch(query)), None)
        return {n: int(row[i]) if row is not None else 0 for i, n in enumerate(names)}

    def tally_by(self, keys: Sequence[ColumnElement], conditions: dict[str, ColumnElement],
                 *scope: Condition) -> dict[tuple, dict[str, int]]:
        """tally() for each combination of `keys`' values (GROUP BY), in one pass."""
        names = list(conditions)
        query = self._where(sa.select(*(k.label(f"k{i}") for i, k in enumerate(keys)), *(
            sa.func.sum(sa.case((conditions[n], 1), else_=0)).label(f"c{i}")
            for i, n in enumerate(names))).select_from(tickets), scope).group_by(*keys)
        return {tuple(row[:len(keys)]): {n: int(row[len(keys) + i] or 0)
                                         for i, n in enumerate(names)}
                for row in self._fetch(query)}

    def percentiles(self, value: ColumnElement, conditions: Sequence[Condition],
                    ranks: Sequence[float] = (0.5, 0.9)) -> tuple[int, dict[float, float]]:
        """How many tickets have `value`, and its nearest-rank percentiles: the p-th is the
        smallest value with at least p of them at or below it. One query: the database
        numbers the values in order (a window function) and returns only the ranks asked
        for, so no list of values is held."""
        conditions = [*conditions, value.is_not(None)]
        ranked = self._where(sa.select(
            value.label("v"), sa.func.row_number().over(order_by=value).label("rn"),
            sa.func.count().over().label("n")).select_from(tickets), conditions).subquery()
        per_mille = [round(rank * 1000) for rank in ranks]
        # ceil(rank × n): the 1-based position of each percentile
        wanted = sa.or_(*(ranked.c.rn == (ranked.c.n * k + 999) // 1000 for k in per_mille))
        query = sa.select(ranked.c.v, ranked.c.rn, ranked.c.n).where(wanted)
        found_rows = self._fetch(query)
        if not found_rows:
            return 0, {}
        count = found_rows[0].n
        at = {row.rn: row.v for row in found_rows}
        return count, {rank: at.get((k * count + 999) // 1000)
                       for rank, k in zip(ranks, per_mille, strict=True)}

    def rows(self, columns: dict[str, ColumnElement], *conditions: Condition,
             order: Sequence[ColumnElement] = ()) -> Iterator[dict[str, Any]]:
        """Tickets as rows of `columns`, streamed in `order`."""
        query = self._where(sa.select(*(c.label(name) for name, c in columns.items()))
                            .select_from(tickets), conditions).order_by(*order)
        return self.index.stream(query, batch=2000)

    def records(self, form: str, fields: Sequence[str], when: str, start: str,
                end: str) -> Iterator[dict[str, Any]]:
        """The filed records of `form` (each once, though it has several formats) whose field
        `when` falls in [start, end): their `fields`, and their ticket."""
        at = JsonPath(documents.c.data, when)
        columns = [documents.c.ticket, documents.c.record_no,
                   *(JsonPath(documents.c.data, f).label(f) for f in fields)]
        query = (sa.select(*columns).where(documents.c.form == form, at >= start, at < end)
                 .group_by(documents.c.ticket, documents.c.record_no, *columns[2:])
                 .order_by(documents.c.record_no))
        return self.index.stream(query)

    def records_of(self, form: str, *conditions: ColumnElement) -> Iterator[dict[str, Any]]:
        """The filed records of `form` that meet `conditions` on their data (see `datum`): the
        first document of each (a record filed as DOCX and PDF has one data), in filing order,
        streamed a few at a time (a register's data may be large)."""
        first = (sa.select(sa.func.min(documents.c.id)).where(documents.c.form == form)
                 .group_by(documents.c.record_no))
        query = (sa.select(documents).where(documents.c.id.in_(first), *conditions)
                 .order_by(documents.c.id))
        return self.index.stream(query, batch=8)

    def facts(self, numbers: Sequence[str], paths: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Some facts of some tickets, in one query: {number: {path: value}} (values as text;
        tickets not in the index left out)."""
        if not numbers:
            return {}
        query = sa.select(tickets.c.number, *(fact(p).label(p) for p in paths)).where(
            tickets.c.number.in_(sorted(set(numbers))))
        return {row.number: {p: row._mapping[p] for p in paths} for row in self._fetch(query)}

    def numbers_with(self, path: str, *conditions: ColumnElement) -> set[str]:
        """The tickets (of those meeting `conditions`, plain columns to narrow the search) that
        have the fact `path` set and true."""
        query = sa.select(tickets.c.number, fact(path).label("value")).where(
            *conditions, fact(path).is_not(None))
        return {row.number for row in self._fetch(query)
                if row.value not in (None, False, 0, "0", "false", "False")}

    def repeats(self, key: Sequence[ColumnElement], at: ColumnElement, start: str, end: str,
                since: str, hours: float) -> int:
        """Tickets with `at` in [start, end) that follow another with the same `key` less than
        `hours` before (each compared with the one just before it: LAG over the key's
        tickets, from `since` on)."""
        previous = sa.func.lag(at).over(partition_by=list(key), order_by=at)
        walked = sa.select(at.label("at"), previous.label("previous")).select_from(
            tickets).where(at >= since, at < end, *(k.is_not(None) for k in key[:1])).subquery()
        gap = Hours(walked.c.previous, walked.c.at)
        query = sa.select(sa.func.count()).select_from(walked).where(
            walked.c.at >= start, walked.c.previous.is_not(None),
            gap < hours - 1e-6)  # a gap of exactly `hours` is not less (however days round)
        return self._scalar(query) or 0

    def any_before(self, end: str) -> bool:
        """Whether the index holds any ticket opened before `end` (is there data to compare
        with?)."""
        return self.count(fact("opened") < end) > 0


# Conditions for the summaries to combine, so that they need no SQL of their own.
TICKET = tickets.c.number


def all_of(*conditions: ColumnElement) -> ColumnElement:
    return sa.and_(*conditions)


def any_of(*conditions: ColumnElement) -> ColumnElement:
    return sa.or_(*conditions)
