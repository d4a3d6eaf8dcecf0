"""The figures of the centre's summaries, each defined once, here, with the definition the
report prints in its notes.

Every figure is asked of the index (generator.records.reporting) for a window of business time
[start, end). A ticket's times are those its records and moves give: when the complaint was
received, when it first reached each state, what was due when. So a figure for a past period
says what the records say of it, whenever it is asked.

Most figures are counts, or ratios of counts: each names the conditions it counts, and one
query per window counts them all at once (`Reporting.tally`), over the tickets the window can
concern at all — opened before it ended and not ended long before it began (`scope`). The
others (percentiles, repeats, satisfaction, costs) ask their own question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from generator.records.reporting import (
    TICKET,
    Between,
    Hours,
    Live,
    Reporting,
    all_of,
    any_of,
    ended,
    fact,
    first_of,
    opened_as,
)
from generator.tickets.lifecycle import Lifecycle

ONE_PLACE = Decimal("0.1")
ENDED = ("reached.closed", "reached.rejected")
SATISFIED = ("satisfied", "fairly_satisfied")
STAMP = "%Y-%m-%d %H:%M"
RANKS = (0.5, 0.9)  # the median and the 90th percentile


@dataclass(frozen=True)
class Window:
    start: str  # 'YYYY-MM-DD HH:MM', inclusive
    end: str  # exclusive


@dataclass
class Source:
    """What the figures are computed from: the index, the lifecycle, the configuration."""

    reporting: Reporting
    lifecycle: Lifecycle
    config: dict[str, Any]
    # (claimed, recovered) of the repairs dated in each range of days: settlement.totals
    cost_totals: Callable[[list[tuple[str, str]]], dict[tuple[str, str], tuple]]
    windows: list[Window] = field(default_factory=list)  # every window the report asks of
    _asked: dict[tuple, Any] = field(default_factory=dict)

    def once(self, key: tuple, ask: Callable[[], Any]) -> Any:
        """An answer two figures share (both costs, a median and its 90th percentile), asked
        of the index once per window."""
        if key not in self._asked:
            self._asked[key] = ask()
        return self._asked[key]

    def costs(self, start: str, end: str) -> tuple[Decimal, Decimal]:
        """The costs of a range of days; the first asked reads the registers once for the
        ranges of every window of the report."""
        if ("costs", start, end) not in self._asked:
            spans = {(start, end), *(_days(w) for w in self.windows)}
            for span, found in self.cost_totals(sorted(spans)).items():
                self._asked["costs", *span] = found
        return self._asked["costs", start, end]


# a figure's unit as the Chinese report prints it, and in English
UNITS_EN = {"件": "tickets", "项": "promises", "%": "%", "小时": "h", "天": "days", "元": "CNY"}

Conditions = dict[str, Any]  # name → a condition on a ticket, counted in the window's tally


@dataclass(frozen=True)
class Figure:
    """A figure: either the `counts` it needs (conditions, by name) and the `value` they give,
    or a `compute` of its own."""

    key: str
    label: dict[str, str]
    unit: str
    definition: dict[str, str]
    counts: Callable[[Source, Window], Conditions] | None = None
    value: Callable[[dict[str, int]], Any] | None = None
    compute: Callable[[Source, Window], Any] | None = None

    def unit_in(self, language: str) -> str:
        return UNITS_EN[self.unit] if language == "en" else self.unit


def _in(path: str, window: Window):
    return Between(fact(path), window.start, window.end).clause()


def open_at(when: str):
    """Opened before `when` and not closed or rejected before it."""
    return all_of(fact("opened") < when, any_of(ended().is_(None), ended() >= when))


def _slack(source: Source) -> dt.timedelta:
    """The longest any promise may run: a promise due in a window may belong to a ticket that
    ended up to this long before the window began (kept early)."""
    longest = dt.timedelta(0)
    rules = source.config["deadlines"]["rules"]
    for deadline in source.lifecycle.deadlines.values():
        values = [source.config["promises"][deadline.promise],
                  *(rule[deadline.promise] for rule in rules if deadline.promise in rule)]
        longest = max(longest, dt.timedelta(**{deadline.unit: max(values)}))
    return longest


def scope(source: Source, window: Window):
    """The tickets a window's figures can concern: opened before it ended, and not ended
    before it began (less the longest promise). Both times are indexed columns the database
    may start from; either way, what it then reads per ticket are plain columns, not JSON."""
    since = (dt.datetime.fromisoformat(window.start) - _slack(source)).strftime(STAMP)
    return Live(window.end, since)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(ONE_PLACE, ROUND_HALF_UP)


def _one_place(value: float | None, per: float = 1.0) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(str(value)) / Decimal(str(per))).quantize(ONE_PLACE, ROUND_HALF_UP)


def _met(lifecycle: Lifecycle, goal: str):
    """When a ticket first reached `goal` — or a later state of the main path, or ended."""
    path = lifecycle.main_path
    later = path[path.index(goal):] if goal in path else [goal]
    return first_of(*(f"reached.{state}" for state in later), *ENDED)


def _late(source: Source, until: str) -> Conditions:
    """Per promise: due before `until` and not met by then."""
    found = {}
    for deadline in source.lifecycle.deadlines.values():
        due, met = fact(f"due.{deadline.key}"), _met(source.lifecycle, deadline.met)
        found[deadline.key] = all_of(due.is_not(None), due < until,
                                     any_of(met.is_(None), met >= until))
    return found


def _promises(source: Source, window: Window) -> Conditions:
    """Per promise: due in the window, and kept (met by its due time)."""
    found = {}
    for deadline in source.lifecycle.deadlines.values():
        due, met = fact(f"due.{deadline.key}"), _met(source.lifecycle, deadline.met)
        in_window = Between(due, window.start, window.end).clause()
        found[f"due {deadline.key}"] = in_window
        found[f"kept {deadline.key}"] = all_of(in_window, met.is_not(None), met <= due)
    return found


def _kept_share(counted: dict[str, int]) -> Decimal | None:
    due = sum(n for name, n in counted.items() if name.startswith("due "))
    return _rate(sum(n for name, n in counted.items() if name.startswith("kept ")), due)


def late_promises(source: Source, window: Window, now: str) -> list[dict[str, Any]]:
    """Promises due before the window ended (or now, for a period under way) and not met by
    then: each with its ticket, room, owner, due time and hours late at that moment. One pass
    over the tickets late with any promise; which ones, is sorted out here."""
    until = min(window.end, now)
    late = _late(source, until)
    columns: dict[str, Any] = {"ticket_no": TICKET, "room": fact("room"),
                               "owner_name": opened_as("owner_name"), "phone": opened_as("phone")}
    for key in late:
        columns[f"due {key}"] = fact(f"due.{key}")
        columns[f"met {key}"] = _met(source.lifecycle, source.lifecycle.deadlines[key].met)
    rows = []
    for row in source.reporting.rows(columns, scope(source, window), any_of(*late.values())):
        for key in late:
            due, met = row[f"due {key}"], row[f"met {key}"]
            if due is not None and due < until and (met is None or met >= until):
                hours = (dt.datetime.fromisoformat(until)
                         - dt.datetime.fromisoformat(due)).total_seconds() / 3600
                rows.append({"ticket_no": row["ticket_no"], "room": row["room"],
                             "owner_name": row["owner_name"], "phone": row["phone"],
                             "deadline": key, "due": due, "late_hours": _one_place(hours)})
    return sorted(rows, key=lambda r: (r["due"], r["ticket_no"]))


def _first_response():
    return first_of("reached.verifying", *ENDED)


# the times a percentile is taken of: from reception to an event, for the tickets whose event
# fell in the window (hours, then the unit the figure is printed in)
MEASURES = {
    "first_response": (_first_response, 1.0),
    "completion": (lambda: fact("reached.awaiting_acceptance"), 24.0),
}


def _percentile(measure: str, rank: float) -> Callable[[Source, Window], Any]:
    def compute(source: Source, window: Window):
        event, per = MEASURES[measure]

        def ask():
            return source.reporting.percentiles(
                Hours(fact("opened"), event()),
                [scope(source, window), Between(event(), window.start, window.end).clause()],
                ranks=RANKS)[1]
        return _one_place(source.once((measure, window), ask).get(rank), per)
    return compute


def _repeats(source: Source, window: Window) -> int:
    """Complaints received in the window about the same room and category as the ticket
    before them, opened less than [reports] repeat_days earlier."""
    days = source.config["reports"]["repeat_days"]
    since = (dt.datetime.fromisoformat(window.start) - dt.timedelta(days=days)).strftime(STAMP)
    return source.reporting.repeats([fact("room"), fact("category")], fact("opened"),
                                    window.start, window.end, since, days * 24.0)


def _satisfaction(source: Source, window: Window) -> Decimal | None:
    visits = list(source.reporting.records("followup", ["satisfaction"], "visited_at",
                                           window.start, window.end))
    return _rate(sum(v["satisfaction"] in SATISFIED for v in visits), len(visits))


def _done_for_builders(window: Window) -> Conditions:
    done = all_of(_in("reached.awaiting_acceptance", window), fact("builder").is_not(None))
    return {"done": done, "by builder": all_of(done, fact("party") == "builder")}


def _cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _days(window: Window) -> tuple[str, str]:
    return window.start[:10], window.end[:10]


def _zh_en(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _count(condition: Callable[[Source, Window], Any]) -> dict[str, Any]:
    """A figure that is one count."""
    return {"counts": lambda s, w: {"n": condition(s, w)}, "value": lambda c: c["n"]}


FIGURES: list[Figure] = [
    Figure("received", _zh_en("本期受理", "Received"), "件",
           _zh_en("本期内受理（工单开立时间在本期内）的工单数。",
                  "Tickets whose complaint was received in the period."),
           **_count(lambda s, w: _in("opened", w))),
    Figure("closed", _zh_en("本期办结", "Closed"), "件",
           _zh_en("本期内归档的工单数，不论何时受理。",
                  "Tickets archived in the period, whenever received."),
           **_count(lambda s, w: _in("reached.closed", w))),
    Figure("rejected", _zh_en("不予受理", "Rejected"), "件",
           _zh_en("本期内判定不属保修范围而不予受理的工单数。",
                  "Tickets found outside warranty in the period."),
           **_count(lambda s, w: _in("reached.rejected", w))),
    Figure("open_at_start", _zh_en("上期结转", "Open at start"), "件",
           _zh_en("期初仍未归档、未被拒绝的工单数。",
                  "Tickets still open when the period began."),
           **_count(lambda s, w: open_at(w.start))),
    Figure("carried_over", _zh_en("结转下期", "Carried over"), "件",
           _zh_en("期末仍未归档、未被拒绝的工单数；上期结转 + 本期受理 = 本期办结 + 不予受理 + "
                  "结转下期。",
                  "Tickets still open when the period ended; open at start + received = "
                  "closed + rejected + carried over."),
           **_count(lambda s, w: open_at(w.end))),
    Figure("overdue", _zh_en("逾期未办", "Overdue"), "项",
           _zh_en("到期时间在期末之前、期末仍未兑现的承诺时限（答复、接单、完工、回访）个数。",
                  "Promised times (reply, taking the job, completion, follow-up) due before the "
                  "period ended and not met by then."),
           counts=lambda s, w: _late(s, w.end), value=lambda c: sum(c.values())),
    Figure("on_time_rate", _zh_en("按期完成率", "On-time rate"), "%",
           _zh_en("到期时间在本期内的承诺时限中，按期兑现的比例。",
                  "Of the promised times due in the period, the share met by their due time."),
           counts=_promises, value=_kept_share),
    Figure("first_response_hours", _zh_en("首次响应（中位数）", "First response (median)"),
           "小时",
           _zh_en("本期内首次响应（进入核实，或当场办结、不予受理）的工单，自受理起所用小时数的"
                  "中位数（最近秩法）。",
                  "Hours from reception to the first response (verification begun, or closed "
                  "or rejected at once) of tickets first answered in the period: the median "
                  "(nearest rank)."),
           compute=_percentile("first_response", 0.5)),
    Figure("first_response_p90", _zh_en("首次响应（90%分位）", "First response (90th pct)"),
           "小时",
           _zh_en("同上，第 90 百分位数：九成工单在此时间内得到首次响应。",
                  "As above, the 90th percentile: nine in ten were answered within it."),
           compute=_percentile("first_response", 0.9)),
    Figure("completion_days", _zh_en("完工用时（中位数）", "Completion (median)"), "天",
           _zh_en("本期内报告完工（待验收）的工单，自受理起所用天数的中位数。",
                  "Days from reception to the work reported done, for tickets done in the "
                  "period: the median."),
           compute=_percentile("completion", 0.5)),
    Figure("completion_p90", _zh_en("完工用时（90%分位）", "Completion (90th pct)"), "天",
           _zh_en("同上，第 90 百分位数。", "As above, the 90th percentile."),
           compute=_percentile("completion", 0.9)),
    Figure("builder_fixed_share", _zh_en("承建商自修比例", "Fixed by the builder"), "%",
           _zh_en("本期完工、由承建商负责保修的工单中，由承建商自行维修（未被改派）的比例；其余"
                  "为代为维修并追偿。",
                  "Of the tickets done in the period that were a builder's, the share the "
                  "builder fixed itself; the rest were done for it and charged back."),
           counts=lambda s, w: _done_for_builders(w),
           value=lambda c: _rate(c["by builder"], c["done"])),
    Figure("followup_rate", _zh_en("回访率", "Follow-up rate"), "%",
           _zh_en("本期回访的工单数 ÷ 本期验收的工单数。",
                  "Tickets followed up in the period ÷ tickets accepted in the period."),
           counts=lambda s, w: {"visited": _in("reached.followed_up", w),
                                "accepted": _in("reached.accepted", w)},
           value=lambda c: _rate(c["visited"], c["accepted"])),
    Figure("satisfaction_rate", _zh_en("满意率", "Satisfied"), "%",
           _zh_en("本期回访中评价为满意或较满意的比例：(满意+较满意) ÷ 回访数。",
                  "(Satisfied + fairly satisfied) ÷ visits, for visits in the period."),
           compute=_satisfaction),
    Figure("repeat_complaints", _zh_en("重复投诉", "Repeat complaints"), "件",
           _zh_en("本期受理的工单中，同一房号、同一问题类别在之前规定天数内已有工单的件数。",
                  "Tickets received in the period about the same room and category as another "
                  "opened within [reports] repeat_days before."),
           compute=_repeats),
    Figure("costs_advanced", _zh_en("垫付费用", "Costs advanced"), "元",
           _zh_en("本期维修登记中由物业公司垫付、应向地产公司结算的费用（与月度结算单同一口径）。",
                  "Repair costs in the period's registers that the property company advanced "
                  "and claims from the developer (as the monthly settlement counts them)."),
           compute=lambda s, w: _cents(s.costs(*_days(w))[0])),
    Figure("costs_recovered", _zh_en("应追偿金额", "To recover"), "元",
           _zh_en("本期应向承建商追偿的金额：代修费用加管理费（与追偿清单同一口径）。",
                  "What the builders owe for the period: the cost of work done for them plus the "
                  "handling fee (as the charge-back lists count it)."),
           compute=lambda s, w: _cents(s.costs(*_days(w))[1])),
]

BY_KEY = {figure.key: figure for figure in FIGURES}


def compute(source: Source, window: Window) -> dict[str, Any]:
    """Every figure for the window: the counts in one query, then the rest."""
    conditions = {f"{figure.key}/{name}": condition for figure in FIGURES if figure.counts
                  for name, condition in figure.counts(source, window).items()}
    counted = source.reporting.tally(conditions, scope(source, window))
    result = {}
    for figure in FIGURES:
        if figure.counts:
            mine = {name.split("/", 1)[1]: n for name, n in counted.items()
                    if name.startswith(figure.key + "/")}
            result[figure.key] = figure.value(mine)
        else:
            result[figure.key] = figure.compute(source, window)
    return result
