"""What `aftersales ticket …` does: list tickets (by state, the overdue ones), show one ticket's
whole story, and move it as the procedure allows."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.errors import UnknownTicket, shorten
from generator.records.index import index_of
from generator.tickets import procedure
from generator.tickets.costs import repair_rows
from generator.tickets.lifecycle import Lifecycle, load_lifecycle
from generator.workspace import Workspace, localised


@dataclass
class TicketView:
    number: str
    state: str
    opened_at: str
    facts: dict[str, Any]
    late: list[procedure.Lateness] = field(default_factory=list)

    def as_json(self, lifecycle: Lifecycle, language: str = "zh") -> dict[str, Any]:
        return {
            "ticket": self.number, "state": self.state,
            "state_label": lifecycle.label(self.state, language),
            "opened_at": self.opened_at,
            "party": self.facts.get("party"), "unit": self.facts.get("unit"),
            "category": self.facts.get("category"), "urgency": self.facts.get("urgency"),
            "due": self.facts.get("due", {}),
            "overdue": [{"deadline": late.deadline.key,
                         "label": localised(late.deadline.label, language),
                         "due": procedure.stamp(late.due),
                         "late_hours": round(late.late_by.total_seconds() / 3600, 1)}
                        for late in self.late],
        }


def who() -> str:
    """Who is acting: AFTERSALES_USER, else the login name."""
    return os.environ.get("AFTERSALES_USER") or getpass.getuser()


def list_tickets(workspace: Workspace, state: str | None = None, overdue: bool = False,
                 now: dt.datetime | None = None) -> Iterator[TicketView]:
    """Tickets in number order, streamed; only those in `state`, only the late ones."""
    lifecycle = load_lifecycle(workspace)
    if state is not None and state not in lifecycle.states:
        raise procedure.MoveRefused(f"unknown state {state!r}; the states are "
                                    f"{', '.join(lifecycle.states)}")
    now = now or dt.datetime.now()
    for row in index_of(workspace).tickets(state=state):
        view = TicketView(row["number"], row["state"], row["opened_at"],
                          json.loads(row["facts"]))
        view.late = procedure.overdue(lifecycle, view.state, view.facts, now)
        if not overdue or view.late:
            yield view


def _ticket(workspace: Workspace, number: str, write: bool = False) -> dict[str, Any]:
    found = index_of(workspace, write=write).ticket(number)
    if found is None:
        raise UnknownTicket(f"unknown ticket {shorten(number)}; see `aftersales ticket list`")
    return found


def show(workspace: Workspace, number: str, now: dt.datetime | None = None,
         language: str | None = None) -> dict[str, Any]:
    """Everything about one ticket: state, facts, promised times (met, open or late), its whole
    history with who and when, every document, and the costs of its repairs."""
    language = language or workspace.language
    lifecycle = load_lifecycle(workspace)
    row = _ticket(workspace, number)
    facts = json.loads(row["facts"])
    now = now or dt.datetime.now()
    index = index_of(workspace)
    history = []
    for event in index.events(number):
        detail = json.loads(event["detail"])
        history.append({"at": event["at"], "kind": event["kind"],
                        **{k: detail[k] for k in ("from", "to", "by", "note", "reason", "form",
                                                  "record_no", "state") if detail.get(k)},
                        **({"when": detail["at"]} if detail.get("at") else {})})
    late = {late.deadline.key: late for late in procedure.overdue(lifecycle, row["state"], facts,
                                                                   now)}
    deadlines = []
    for deadline in lifecycle.deadlines.values():
        due = (facts.get("due") or {}).get(deadline.key)
        if not due:
            continue
        met = lifecycle.reached(row["state"], deadline.met)
        entry = {"deadline": deadline.key, "label": localised(deadline.label, language),
                 "due": due, "met": met}
        times = facts.get("reached") or {}
        # an inquiry closed at once, a rejected case: met when the ticket ended
        reached = times.get(deadline.met) or (times.get(row["state"]) if row["state"] in (
            "closed", "rejected") else None)
        if met and reached:
            entry["met_at"] = reached
            entry["on_time"] = reached <= due
        if deadline.key in late:
            entry["late_hours"] = round(late[deadline.key].late_by.total_seconds() / 3600, 1)
        deadlines.append(entry)
    costs = [{**r, "labour_cost": str(r["labour_cost"]), "material_cost": str(r["material_cost"])}
             for r in repair_rows(index, ticket=number)]
    return {
        "ticket": number, "state": row["state"],
        "state_label": lifecycle.label(row["state"], language),
        "opened_at": row["opened_at"], "facts": facts, "deadlines": deadlines,
        "history": history,
        "documents": [{k: d[k] for k in ("id", "form", "record_no", "format", "path",
                                          "created_at")}
                      for d in index.documents(ticket=number)],
        "costs": costs,
        "allowed": lifecycle.allowed(row["state"]),
    }


def move(workspace: Workspace, number: str, to: str, *, note: str | None = None,
         by: str | None = None, at: str | dt.datetime | None = None) -> str:
    """Move a ticket one allowed step; returns its new state."""
    lifecycle = load_lifecycle(workspace)
    row = _ticket(workspace, number, write=True)
    facts = json.loads(row["facts"])
    changes = procedure.person_move(lifecycle, workspace.config, number, row["state"], facts,
                                    to, by=by or who(), note=note, at=at)
    index_of(workspace, write=True).change(number, changes, row["state"])
    return to


def assign(workspace: Workspace, number: str, *, party: str | None, unit: str | None = None,
           contact: str | None = None, reason: str | None = None, note: str | None = None,
           by: str | None = None, at: str | None = None) -> dict[str, Any]:
    """Make a party responsible (see procedure.assign); returns the ticket's new facts."""
    lifecycle = load_lifecycle(workspace)
    row = _ticket(workspace, number, write=True)
    facts = json.loads(row["facts"])
    changes = procedure.assign(lifecycle, workspace.config, number, row["state"], facts,
                               party=party, unit=unit, contact=contact, by=by or who(),
                               note=note, reason=reason, at=at)
    index_of(workspace, write=True).change(number, changes, row["state"])
    return json.loads(_ticket(workspace, number, write=True)["facts"])


def reopen(workspace: Workspace, number: str, *, note: str | None = None,
           by: str | None = None, at: str | None = None) -> str:
    """Back to the first state (an unsatisfied owner), where the lifecycle allows it."""
    return move(workspace, number, load_lifecycle(workspace).initial, note=note, by=by, at=at)


def close(workspace: Workspace, number: str, *, note: str | None = None,
          by: str | None = None, at: str | None = None) -> str:
    return move(workspace, number, "closed", note=note, by=by, at=at)
