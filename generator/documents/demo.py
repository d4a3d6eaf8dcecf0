"""The main job on built-in data: one sample ticket with every record form filled.

Each form carries its own `sample:`; together they tell one case, complaint to archive. The
complaint opens the ticket, every other form is filed under it in the order the case dates
them, and the ticket is archived last, so the output shows a case's complete paper trail.
"""

from __future__ import annotations

import datetime as dt
import re

from generator.documents.fill import FillResult, fill
from generator.documents.forms import list_forms, load_form
from generator.tickets import service
from generator.tickets.lifecycle import load_lifecycle
from generator.workspace import Workspace

# Samples are written against this ticket number; the demo's real ticket takes its place.
SAMPLE_TICKET = "SH-2026-000001"
ORDER = {"opens": 0, "requires": 1, "optional": 2, "none": 3}
# The document clerk archives the case's papers the day after the follow-up visit.
ARCHIVED_AT = "2026-11-26 16:00"
ARCHIVE_NOTE = "资料齐全，案卷归档"
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?")


def retarget(value, ticket: str):
    if isinstance(value, str):
        return value.replace(SAMPLE_TICKET, ticket)
    if isinstance(value, list):
        return [retarget(v, ticket) for v in value]
    if isinstance(value, dict):
        return {k: retarget(v, ticket) for k, v in value.items()}
    return value


def run_demo(workspace: Workspace, formats: str | None = None) -> list[FillResult]:
    forms = [load_form(workspace, name) for name in list_forms(workspace)]
    path = load_lifecycle(workspace).main_path

    def order(form):  # the ticket's forms in the order the procedure files them
        stage = form.definition.get("stage")
        return (ORDER[form.ticket_mode], path.index(stage) if stage in path else len(path),
                first_moment(form.sample), form.code)

    forms = sorted((f for f in forms if f.sample), key=order)
    results: list[FillResult] = []
    ticket = None
    for form in forms:
        data = form.sample if ticket is None else retarget(form.sample, ticket)
        result = fill(workspace, form.name, data, formats=formats,
                      ticket=None if form.ticket_mode == "none" else ticket)
        ticket = ticket or result.ticket
        results.append(result)
    if ticket is not None:
        service.close(workspace, ticket, note=ARCHIVE_NOTE, at=ARCHIVED_AT)
    return results


def first_moment(sample: dict) -> str:
    """The earliest date or time among a sample's own fields (2026-11-16 14:00), which orders
    two forms of one stage as the case dates them: the survey before the feedback it reports."""
    moments = [str(value)[:16] for value in sample.values()
               if isinstance(value, dt.date)
               or isinstance(value, str) and MOMENT.fullmatch(value)]
    return min(moments, default="")
