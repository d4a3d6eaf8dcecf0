"""The main job on built-in data: one sample ticket with every record form filled.

Each form carries its own `sample:`; the complaint opens the ticket and every other form is
filed under it, so the output shows a case's complete paper trail.
"""

from __future__ import annotations

from generator.documents.fill import FillResult, fill
from generator.documents.forms import list_forms, load_form
from generator.workspace import Workspace

# Samples are written against this ticket number; the demo's real ticket takes its place.
SAMPLE_TICKET = "SH-2026-000001"
ORDER = {"opens": 0, "requires": 1, "optional": 2, "none": 3}


def _retarget(value, ticket: str):
    if isinstance(value, str):
        return value.replace(SAMPLE_TICKET, ticket)
    if isinstance(value, list):
        return [_retarget(v, ticket) for v in value]
    if isinstance(value, dict):
        return {k: _retarget(v, ticket) for k, v in value.items()}
    return value


def run_demo(workspace: Workspace, formats: str | None = None) -> list[FillResult]:
    forms = [load_form(workspace, name) for name in list_forms(workspace)]
    forms = sorted((f for f in forms if f.sample), key=lambda f: ORDER[f.ticket_mode])
    results: list[FillResult] = []
    ticket = None
    for form in forms:
        data = form.sample if ticket is None else _retarget(form.sample, ticket)
        result = fill(workspace, form.name, data, formats=formats,
                      ticket=None if form.ticket_mode == "none" else ticket)
        ticket = ticket or result.ticket
        results.append(result)
    return results
