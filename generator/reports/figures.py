"""The figures of the centre's summaries, each defined once, here, with the definition the
report prints in its notes.

Every figure is asked of the index (generator.records.reporting) for a window of business time
[start, end). A ticket's times are those its records and moves give: when the complaint was
received, when it first reached each state, what was due when. So a figure for a past period
says what the records say of it, whenever it is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from generator.records.reporting import (
    TICKET,
    Between,
    Hours,
    Reporting,
    all_of,
    any_of,
    fact,
    first_of,
    moment,
    negate,
)
from generator.tickets.lifecycle import Lifecycle

ONE_PLACE = Decimal("0.1")
ENDED = ("reached.closed", "reached.rejected")
SATISFIED = ("satisfied", "fairly_satisfied")


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
    # (claimed, recovered) of the repairs dated in a range of days: settlement.totals
    cost_totals: Callable[[str, str], tuple[Decimal, Decimal]]
    _costs: dict[tuple[str, str], tuple[Decimal, Decimal]] = field(default_factory=dict)

    def costs(self, start: str, end: str) -> tuple[Decimal, Decimal]:
        """Both cost figures of a window from one read of its registers."""
        if (start, end) not in self._costs:
            self._costs[start, end] = self.cost_totals(start, end)
        return self._costs[start, end]


# a figure's unit as the Chinese report prints it, and in English
UNITS_EN = {"件": "tickets", "项": "promises", "%": "%", "小时": "h", "天": "days", "元": "CNY"}


@dataclass(frozen=True)
class Figure:
    key: str
    label: dict[str, str]
    unit: str
    definition: dict[str, str]
    compute: Callable[[Source, Window], Any]

    def unit_in(self, language: str) -> str:
        return UNITS_EN[self.unit] if language == "en" else self.unit


def _in(path: str, window: Window):
    return Between(fact(path), window.start, window.end).clause()


def _ended_by(when: str):
    """A ticket that was closed or rejected before `when`."""
    ended = first_of(*ENDED)
    return all_of(ended.is_not(None), ended < when)


def _open_at(when: str):
    return all_of(fact("opened") < when, negate(_ended_by(when)))


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


def _promises(source: Source, window: Window) -> tuple[int, int]:
    """Promised times due in the window, and those kept: met by their due time."""
    due_count = kept = 0
    for deadline in source.lifecycle.deadlines.values():
        due = fact(f"due.{deadline.key}")
        met = _met(source.lifecycle, deadline.met)
        in_window = Between(due, window.start, window.end).clause()
        due_count += source.reporting.count(in_window)
        kept += source.reporting.count(in_window, met.is_not(None), met <= due)
    return due_count, kept


def late_promises(source: Source, window: Window, now: str) -> list[dict[str, Any]]:
    """Promises due before the window ended (or now, for a period under way) and not met by
    then: each with its ticket, room, due time and hours late at that moment."""
    until = min(window.end, now)
    rows = []
    for deadline in source.lifecycle.deadlines.values():
        due = fact(f"due.{deadline.key}")
        met = _met(source.lifecycle, deadline.met)
        for row in source.reporting.rows(
                {"ticket_no": TICKET, "room": fact("room"),
                 "due": due, "late_hours": Hours(due, moment(until))},
                due.is_not(None), due < until, any_of(met.is_(None), met >= until),
                order=[due]):
            rows.append({**row, "deadline": deadline.key,
                         "late_hours": _one_place(row["late_hours"])})
    return sorted(rows, key=lambda r: (r["due"], r["ticket_no"]))


def _percentile(source: Source, value, condition, rank: float, per: float = 1.0):
    _, found = source.reporting.percentiles(value, [condition], ranks=(rank,))
    return _one_place(found.get(rank), per)


def _first_response():
    return first_of("reached.verifying", *ENDED)


def _repeats(source: Source, window: Window) -> int:
    """Complaints received in the window about the same room and category as an earlier
    ticket opened less than [reports] repeat_days before (a walk of the tickets sorted by
    room, category and time: nothing held but the previous one)."""
    import datetime as dt

    days = source.config["reports"]["repeat_days"]
    since = (dt.datetime.fromisoformat(window.start) - dt.timedelta(days=days)).strftime(
        "%Y-%m-%d %H:%M")
    room, category, opened = fact("room"), fact("category"), fact("opened")
    previous, count = None, 0
    for row in source.reporting.rows({"room": room, "category": category, "opened": opened},
                                     opened >= since, opened < window.end, room.is_not(None),
                                     order=[room, category, opened]):
        key = (row["room"], row["category"])
        if (previous and previous[0] == key and row["opened"] >= window.start and
                dt.datetime.fromisoformat(row["opened"])
                - dt.datetime.fromisoformat(previous[1]) < dt.timedelta(days=days)):
            count += 1
        previous = (key, row["opened"])
    return count


def _satisfaction(source: Source, window: Window) -> Decimal | None:
    visits = list(source.reporting.records("followup", ["satisfaction"], "visited_at",
                                           window.start, window.end))
    return _rate(sum(v["satisfaction"] in SATISFIED for v in visits), len(visits))


def _builder_share(source: Source, window: Window) -> Decimal | None:
    done = all_of(_in("reached.awaiting_acceptance", window), fact("builder").is_not(None))
    by_builder = source.reporting.count(done, fact("party") == "builder")
    return _rate(by_builder, source.reporting.count(done))


def _cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _days(window: Window) -> tuple[str, str]:
    return window.start[:10], window.end[:10]


def _zh_en(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


FIGURES: list[Figure] = [
    Figure("received", _zh_en("本期受理", "Received"), "件",
           _zh_en("本期内受理（工单开立时间在本期内）的工单数。",
                  "Tickets whose complaint was received in the period."),
           lambda s, w: s.reporting.count(_in("opened", w))),
    Figure("closed", _zh_en("本期办结", "Closed"), "件",
           _zh_en("本期内归档的工单数，不论何时受理。",
                  "Tickets archived in the period, whenever received."),
           lambda s, w: s.reporting.count(_in("reached.closed", w))),
    Figure("rejected", _zh_en("不予受理", "Rejected"), "件",
           _zh_en("本期内判定不属保修范围而不予受理的工单数。",
                  "Tickets found outside warranty in the period."),
           lambda s, w: s.reporting.count(_in("reached.rejected", w))),
    Figure("open_at_start", _zh_en("上期结转", "Open at start"), "件",
           _zh_en("期初仍未归档、未被拒绝的工单数。",
                  "Tickets still open when the period began."),
           lambda s, w: s.reporting.count(_open_at(w.start))),
    Figure("carried_over", _zh_en("结转下期", "Carried over"), "件",
           _zh_en("期末仍未归档、未被拒绝的工单数；上期结转 + 本期受理 = 本期办结 + 不予受理 + "
                  "结转下期。",
                  "Tickets still open when the period ended; open at start + received = "
                  "closed + rejected + carried over."),
           lambda s, w: s.reporting.count(_open_at(w.end))),
    Figure("overdue", _zh_en("逾期未办", "Overdue"), "项",
           _zh_en("到期时间在期末之前、期末仍未兑现的承诺时限（答复、接单、完工、回访）个数。",
                  "Promised times (reply, taking the job, completion, follow-up) due before the "
                  "period ended and not met by then."),
           lambda s, w: len(late_promises(s, w, w.end))),
    Figure("on_time_rate", _zh_en("按期完成率", "On-time rate"), "%",
           _zh_en("到期时间在本期内的承诺时限中，按期兑现的比例。",
                  "Of the promised times due in the period, the share met by their due time."),
           lambda s, w: _rate(*reversed(_promises(s, w)))),
    Figure("first_response_hours", _zh_en("首次响应（中位数）", "First response (median)"),
           "小时",
           _zh_en("本期内首次响应（进入核实，或当场办结、不予受理）的工单，自受理起所用小时数的"
                  "中位数（最近秩法）。",
                  "Hours from reception to the first response (verification begun, or closed "
                  "or rejected at once) of tickets first answered in the period: the median "
                  "(nearest rank)."),
           lambda s, w: _percentile(s, Hours(fact("opened"), _first_response()),
                                    Between(_first_response(), w.start, w.end).clause(), 0.5)),
    Figure("first_response_p90", _zh_en("首次响应（90%分位）", "First response (90th pct)"),
           "小时",
           _zh_en("同上，第 90 百分位数：九成工单在此时间内得到首次响应。",
                  "As above, the 90th percentile: nine in ten were answered within it."),
           lambda s, w: _percentile(s, Hours(fact("opened"), _first_response()),
                                    Between(_first_response(), w.start, w.end).clause(), 0.9)),
    Figure("completion_days", _zh_en("完工用时（中位数）", "Completion (median)"), "天",
           _zh_en("本期内报告完工（待验收）的工单，自受理起所用天数的中位数。",
                  "Days from reception to the work reported done, for tickets done in the "
                  "period: the median."),
           lambda s, w: _percentile(s, Hours(fact("opened"), fact("reached.awaiting_acceptance")),
                                    _in("reached.awaiting_acceptance", w), 0.5, per=24)),
    Figure("completion_p90", _zh_en("完工用时（90%分位）", "Completion (90th pct)"), "天",
           _zh_en("同上，第 90 百分位数。", "As above, the 90th percentile."),
           lambda s, w: _percentile(s, Hours(fact("opened"), fact("reached.awaiting_acceptance")),
                                    _in("reached.awaiting_acceptance", w), 0.9, per=24)),
    Figure("builder_fixed_share", _zh_en("承建商自修比例", "Fixed by the builder"), "%",
           _zh_en("本期完工、由承建商负责保修的工单中，由承建商自行维修（未被改派）的比例；其余"
                  "为代为维修并追偿。",
                  "Of the tickets done in the period that were a builder's, the share the "
                  "builder fixed itself; the rest were done for it and charged back."),
           _builder_share),
    Figure("followup_rate", _zh_en("回访率", "Follow-up rate"), "%",
           _zh_en("本期回访的工单数 ÷ 本期验收的工单数。",
                  "Tickets followed up in the period ÷ tickets accepted in the period."),
           lambda s, w: _rate(s.reporting.count(_in("reached.followed_up", w)),
                              s.reporting.count(_in("reached.accepted", w)))),
    Figure("satisfaction_rate", _zh_en("满意率", "Satisfied"), "%",
           _zh_en("本期回访中评价为满意或较满意的比例：(满意+较满意) ÷ 回访数。",
                  "(Satisfied + fairly satisfied) ÷ visits, for visits in the period."),
           _satisfaction),
    Figure("repeat_complaints", _zh_en("重复投诉", "Repeat complaints"), "件",
           _zh_en("本期受理的工单中，同一房号、同一问题类别在之前规定天数内已有工单的件数。",
                  "Tickets received in the period about the same room and category as another "
                  "opened within [reports] repeat_days before."),
           _repeats),
    Figure("costs_advanced", _zh_en("垫付费用", "Costs advanced"), "元",
           _zh_en("本期维修登记中由物业公司垫付、应向地产公司结算的费用（与月度结算单同一口径）。",
                  "Repair costs in the period's registers that the property company advanced "
                  "and claims from the developer (as the monthly settlement counts them)."),
           lambda s, w: _cents(s.costs(*_days(w))[0])),
    Figure("costs_recovered", _zh_en("应追偿金额", "To recover"), "元",
           _zh_en("本期应向承建商追偿的金额：代修费用加管理费（与追偿清单同一口径）。",
                  "What the builders owe for the period: the cost of work done for them plus the "
                  "handling fee (as the charge-back lists count it)."),
           lambda s, w: _cents(s.costs(*_days(w))[1])),
]

BY_KEY = {figure.key: figure for figure in FIGURES}


def compute(source: Source, window: Window) -> dict[str, Any]:
    """Every figure for the window."""
    return {figure.key: figure.compute(source, window) for figure in FIGURES}
