"""`aftersales summary weekly|monthly|quarterly|annual`: the centre's summaries, computed from the
records and filed like any other document.

Every figure comes from generator.reports.figures, for the period, the period before and the
same period a year earlier (where the index holds tickets that old); the tables break the period
down by kind, category, building and responsible party; a trend table feeds the charts; the
promises kept late or not at all are listed. Owners' names and phones are masked unless
`--unmasked` is asked for, which the index records with who and when.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from generator.documents.fill import FillResult, fill
from generator.documents.forms import load_form
from generator.errors import NumberTaken
from generator.records.index import index_of
from generator.records.reporting import (
    Between,
    Reporting,
    building,
    fact,
    opened_as,
)
from generator.reports import figures as F
from generator.reports import periods
from generator.reports.settlement import totals
from generator.tickets.lifecycle import load_lifecycle
from generator.workspace import Workspace, localised

FORMS = {"weekly": "weekly-summary", "monthly": "monthly-summary",
         "quarterly": "quarterly-summary", "annual": "annual-summary"}
UNASSIGNED = "unassigned"


@dataclass
class Summary:
    period: periods.Period
    form: str
    data: dict[str, Any]
    empty: bool
    unmasked: bool
    # each figure by key: its value, the previous period's and a year earlier's (None: no data)
    figures: list[dict[str, Any]] = field(default_factory=list)
    filed: FillResult | None = None
    versions: list[str] = field(default_factory=list)


def mask_name(name: str | None) -> str:
    """张伟 → 张**, 欧阳娜娜 → 欧**: the first character stays; two stars whatever the length,
    so the mask does not tell how long the name is."""
    if not name:
        return ""
    return name[0] + "**"


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678; 0571-88888888 → 0571-****8888: the last four digits stay."""
    if not phone:
        return ""
    digits = [i for i, c in enumerate(phone) if c.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) > 7 else set(digits[:-4])
    if "-" in phone:  # a landline: keep the area code, hide the number but its last four
        head = phone.index("-") + 1
        hidden = {i for i in digits if i >= head} - set(digits[-4:])
    return "".join("*" if i in hidden else c for i, c in enumerate(phone))


def summarize(workspace: Workspace, kind: str, label: str, *, now: dt.datetime | None = None,
              unmasked: bool = False, compiled_by: str | None = None,
              language: str | None = None) -> Summary:
    """The summary's data for the period (nothing written)."""
    now = now or dt.datetime.now()
    period = periods.parse(kind, label, now.date())
    index = index_of(workspace)
    reporting = Reporting(index)
    source = F.Source(reporting, load_lifecycle(workspace), workspace.config,
                      lambda ranges: totals(workspace, ranges))
    window = F.Window(period.start_stamp, period.end_stamp)
    others = {name: F.Window(other.start_stamp, other.end_stamp)
              for name, other in (("previous", period.previous()),
                                  ("year_ago", period.year_ago()))
              if other is not None and reporting.any_before(other.end_stamp)}
    source.windows = [window, *others.values()]
    current = F.compute(source, window)
    comparisons = {name: F.compute(source, other) for name, other in others.items()}
    language = language or workspace.language
    figures = [{"key": f.key, "value": current[f.key],
                "previous": comparisons.get("previous", {}).get(f.key),
                "year_ago": comparisons.get("year_ago", {}).get(f.key)} for f in F.FIGURES]
    data: dict[str, Any] = {
        "project": workspace.config["centre"]["name"],
        "compiled_by": compiled_by or "售后服务中心",
        "period_from": period.start, "period_to": period.end - dt.timedelta(days=1),
        **{key: current[key] for key in (
            "received", "closed", "rejected", "open_at_start", "carried_over", "overdue",
            "on_time_rate", "followup_rate", "satisfaction_rate", "first_response_hours",
            "first_response_p90", "completion_days", "completion_p90", "repeat_complaints",
            "builder_fixed_share", "costs_advanced", "costs_recovered")
           if current[key] is not None},
        "figures": [{"figure": localised(f.label, language), "unit": f.unit_in(language),
                     **{k: row[k] for k in ("value", "previous", "year_ago")}}
                    for f, row in zip(F.FIGURES, figures, strict=True)],
        **breakdowns(source, window),
        "trend": trend(source, period),
        "overdue_list": overdue_list(source, window, now, unmasked),
        "notes": "\n".join(localised(f.label, language) + ("：" if language == "zh" else ": ")
                           + localised(f.definition, language) for f in F.FIGURES),
    }
    empty = not (current["received"] or current["closed"] or current["carried_over"]
                 or current["open_at_start"])
    if empty:
        data["remarks"] = ("本期没有受理、办结或在办的工单。" if language == "zh" else
                           "Nothing was received, closed or open in this period.")
    return Summary(period, FORMS[kind], data, empty, unmasked, figures)


def breakdowns(source: F.Source, window: F.Window) -> dict[str, list[dict[str, Any]]]:
    """Received, closed and still open at the end, by category, building and party; received
    by kind. Every table adds up to the period's totals. One GROUP BY over the three, folded
    into each table here (a few hundred groups at most), and one by kind."""
    reporting, scope = source.reporting, F.scope(source, window)
    counts = {"received": Between(fact("opened"), window.start, window.end).clause(),
              "closed": Between(fact("reached.closed"), window.start, window.end).clause(),
              "open": F.open_at(window.end)}
    dimensions = {"category": (fact("category"), "other"), "building": (building(), "-"),
                  "party": (fact("party"), UNASSIGNED)}
    tables: dict[str, dict[Any, dict[str, int]]] = {
        name: defaultdict(lambda: dict.fromkeys(counts, 0)) for name in dimensions}
    grouped = reporting.tally_by([key for key, _ in dimensions.values()], counts, scope)
    for values, counted in grouped.items():
        for (name, (_, empty_as)), value in zip(dimensions.items(), values, strict=True):
            row = tables[name][value if value is not None else empty_as]
            for column, n in counted.items():
                row[column] += n

    def table(name: str) -> list[dict[str, Any]]:
        return [{name: value, **counted} for value, counted in sorted(
            tables[name].items(), key=lambda item: (-item[1]["received"], str(item[0])))
            if any(counted.values())]

    kinds = reporting.tally_by([opened_as("kind")], {"received": counts["received"]}, scope)
    return {
        "by_category": table("category"), "by_building": table("building"),
        "by_party": table("party"),
        "by_kind": [{"kind": kind or "complaint", "received": counted["received"]}
                    for (kind,), counted in sorted(kinds.items(), key=lambda item: str(item[0]))
                    if counted["received"]],
    }


def trend(source: F.Source, period: periods.Period) -> list[dict[str, Any]]:
    """Received and closed in each day (a week, a month) or month (a quarter, a year): one
    tally for them all."""
    window = F.Window(period.start_stamp, period.end_stamp)
    counts = {}
    for bucket in period.buckets():
        start, end = f"{bucket.start} 00:00", f"{bucket.end} 00:00"
        counts[f"received {bucket.label}"] = Between(fact("opened"), start, end).clause()
        counts[f"closed {bucket.label}"] = Between(fact("reached.closed"), start, end).clause()
    counted = source.reporting.tally(counts, F.scope(source, window))
    return [{"bucket": bucket.label, "received": counted[f"received {bucket.label}"],
             "closed": counted[f"closed {bucket.label}"]} for bucket in period.buckets()]


def overdue_list(source: F.Source, window: F.Window, now: dt.datetime,
                 unmasked: bool) -> list[dict[str, Any]]:
    result = []
    for row in F.late_promises(source, window, now.strftime("%Y-%m-%d %H:%M")):
        name, phone = row["owner_name"] or "", row["phone"] or ""
        result.append({
            "ticket_no": row["ticket_no"], "room": row["room"] or "",
            "owner_name": name if unmasked else mask_name(name),
            "phone": phone if unmasked else mask_phone(phone),
            "deadline": row["deadline"], "due": dt.datetime.fromisoformat(row["due"]),
            "late_hours": row["late_hours"],
        })
    return result


def build(workspace: Workspace, kind: str, label: str, *, formats: str | list[str] | None = None,
          unmasked: bool = False, by: str | None = None, now: dt.datetime | None = None,
          language: str | None = None) -> Summary:
    """Compute the summary and file it under its period. A period summarised again is a new
    version (…-v2, -v3), the earlier ones kept. An unmasked summary is recorded in the index's
    history with who asked for it and when."""
    summary = summarize(workspace, kind, label, now=now, unmasked=unmasked, compiled_by=by,
                        language=language)
    prefix = f"{load_form(workspace, summary.form).record_prefix}-{summary.period.label}"
    version = 1
    while True:
        record_no = prefix if version == 1 else f"{prefix}-v{version}"
        try:
            summary.filed = fill(workspace, summary.form, summary.data, formats=formats,
                                 record_no=record_no, language=language)
            break
        except NumberTaken:
            summary.versions.append(record_no)
            version += 1
    if unmasked:
        index_of(workspace, write=True).append_event(None, "unmasked", {
            "by": by or _who(), "form": summary.form, "period": summary.period.label,
            "record_no": record_no})
    return summary


def _who() -> str:
    from generator.tickets.service import who

    return who()

