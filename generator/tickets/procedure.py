"""The work procedure applied to one ticket: where a filed form or a person moves it, who becomes
responsible, and the promised times it gets.

A ticket's *facts* — its category and urgency, when it reached each state, what is due when, the
responsible party — are folded from its history: every event carries the facts it sets
(`Change.sets`), and the index keeps the fold beside the ticket (and `index verify` checks it
against the history). Nothing here writes; it plans the changes the index then records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.errors import UsageError, quote
from generator.records.ledger import fold
from generator.tickets.lifecycle import Deadline, Lifecycle

PARTIES = ("builder", "in_house", "outsourced")
PARTY_LISTS = {"builder": "builders", "in_house": "in_house", "outsourced": "outsourced"}
STAMP = "%Y-%m-%d %H:%M"


@dataclass
class Change:
    """One event of a ticket's history: a move (`to` set) or an update of its facts."""

    to: str | None
    sets: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)  # by, at, note, reason, form…

    @property
    def kind(self) -> str:
        return "moved" if self.to else "updated"


class MoveRefused(UsageError):
    """A move the lifecycle or the configuration does not allow."""


class UnitRefused(MoveRefused):
    """A responsible unit the configuration does not list (a form's fill names its field)."""


def stamp(moment: dt.datetime | dt.date | str | None) -> str:
    """A business time as the facts keep it: 'YYYY-MM-DD HH:MM'."""
    if moment is None:
        moment = dt.datetime.now()
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return moment.strftime(STAMP)


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- promised times --------------------------------------------------------------------------


def promise(config: dict, deadline: Deadline, facts: dict[str, Any]) -> dt.timedelta:
    """How long `deadline` may take for a ticket with these facts: [promises], overridden by
    every [[deadlines.rules]] entry whose urgency and category match (later ones win)."""
    value = config["promises"][deadline.promise]
    for rule in config["deadlines"]["rules"]:
        if all(rule.get(k) in (None, facts.get(k)) for k in ("urgency", "category")):
            value = rule.get(deadline.promise, value)
    return dt.timedelta(**{deadline.unit: value})


def arriving(lifecycle: Lifecycle, config: dict, facts: dict[str, Any], steps: list[str],
             at: str, came_from: str | None = None) -> dict[str, Any]:
    """The facts a ticket gets by reaching `steps` at `at`: when it first reached them, and the
    promised times that start there. Going back (rework, a reassignment, a reopened ticket)
    forgets having reached the states it now has to go through again, and their promises — but
    not when it first reached the state it returns to (the job was taken when it was)."""
    reached = facts.get("reached") or {}
    sets: dict[str, Any] = {"reached": {s: at for s in steps if not reached.get(s)}, "due": {}}
    back = bool(steps and came_from and _before(lifecycle, steps[-1], came_from))
    if back:
        path = lifecycle.main_path
        for state in path[path.index(steps[-1]) + 1:]:
            if reached.get(state):
                sets["reached"][state] = None
    merged = {**facts, **sets}
    for deadline in lifecycle.deadlines.values():
        if deadline.start in steps:
            due = parse_stamp(at) + promise(config, deadline, merged)
            sets["due"][deadline.key] = stamp(due)
        elif back and _before(lifecycle, steps[-1], deadline.start):
            sets["due"][deadline.key] = None
    return sets


def _before(lifecycle: Lifecycle, state: str, other: str) -> bool:
    path = lifecycle.main_path
    return state in path and other in path and path.index(state) < path.index(other)


@dataclass
class Lateness:
    deadline: Deadline
    due: dt.datetime
    late_by: dt.timedelta


def overdue(lifecycle: Lifecycle, state: str, facts: dict[str, Any],
            now: dt.datetime) -> list[Lateness]:
    """The promises a ticket in `state` has not kept by `now`, and by how much."""
    late = []
    for deadline in lifecycle.deadlines.values():
        due = (facts.get("due") or {}).get(deadline.key)
        if not due or lifecycle.reached(state, deadline.met):
            continue
        due_at = parse_stamp(due)
        if now > due_at:
            late.append(Lateness(deadline, due_at, now - due_at))
    return late


# --- opening, forms and people ---------------------------------------------------------------


def opening(lifecycle: Lifecycle, config: dict, data: dict[str, Any], at: str) -> dict[str, Any]:
    """The facts a ticket is opened with: what the complaint says of it, and its first
    promise (the reply)."""
    facts = {key: data[key] for key in ("category", "urgency", "room") if data.get(key)}
    facts["opened"] = at
    facts.update(arriving(lifecycle, config, facts, [lifecycle.initial], at))
    facts["due"] = {k: v for k, v in facts["due"].items() if v is not None}
    return facts


def form_changes(lifecycle: Lifecycle, config: dict, form_name: str, definition: dict,
                 data: dict[str, Any], ticket: str, state: str, facts: dict[str, Any],
                 by: str) -> list[Change]:
    """Where filing this form takes its ticket (the form's `moves:`, first rule that holds), and
    the responsibility it sets (`responsibility:`). Refused, before anything is written, when
    the lifecycle does not allow it from the ticket's state."""
    rule = next((r for r in definition.get("moves") or [] if _holds(r, data)), None)
    sets = responsibility(config, definition.get("responsibility"), data, facts)
    if rule is None:
        return [Change(None, sets, {"by": by, "at": stamp(None), "form": form_name})] \
            if sets else []
    at = stamp(data.get(rule.get("at")) or data.get(definition.get("time")))
    steps = lifecycle.path(state, rule["to"])
    if steps is None:
        allowed = ", ".join(lifecycle.allowed(state)) or "none: it is finished"
        raise MoveRefused(
            f"ticket {ticket} is {lifecycle.label(state)} ({state}); this {form_name} record "
            f"would move it to {lifecycle.label(rule['to'])} ({rule['to']}), which the "
            f"lifecycle does not allow from there (from {state}: {allowed})")
    detail = {"by": by, "at": at, "form": form_name}
    if not steps:
        return [Change(None, sets, detail)] if sets else []
    known = {**facts, **sets}
    if "assigned" in steps and not known.get("party"):
        raise MoveRefused(f"ticket {ticket}: this {form_name} record assigns the repair, so it "
                          f"must name the responsible party")
    return _walk(lifecycle, config, facts, state, steps, at, detail, sets)


def _walk(lifecycle: Lifecycle, config: dict, facts: dict[str, Any], state: str,
          steps: list[str], at: str, detail: dict[str, Any], sets: dict[str, Any]
          ) -> list[Change]:
    """One move per step, each with the times it reaches; `sets` goes with the first."""
    changes, current = [], state
    known = fold(facts, sets)
    for number, step in enumerate(steps):
        arrived = arriving(lifecycle, config, known, [step], at, came_from=current)
        changes.append(Change(step, {**(sets if number == 0 else {}), **arrived},
                              {**detail, "from": current, "to": step}))
        known = fold(known, arrived)
        current = step
    return changes


def _holds(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    for key, wanted in (rule.get("if") or {}).items():
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if data.get(key) not in wanted:
            return False
    return all(data.get(key) not in (None, "") for key in rule.get("filled") or [])


def responsibility(config: dict, spec: dict | None, data: dict[str, Any],
                   facts: dict[str, Any]) -> dict[str, Any]:
    """The responsible party a form names (its `responsibility:` fields), checked against the
    configuration. {} when the form names none."""
    if not spec:
        return {}

    def value(source):
        if isinstance(source, dict):
            return source.get("value")
        return data.get(source) if source else None

    party, unit, contact = (value(spec.get(k)) for k in ("party", "unit", "contact"))
    if not party:
        return {}
    return assignment(config, party, unit, contact, facts)


def assignment(config: dict, party: str, unit: str | None, contact: str | None,
               facts: dict[str, Any]) -> dict[str, Any]:
    """The facts of making `party` (`unit`) responsible, refused when the configuration does not
    know the unit, or when a large repair would go to the in-house team."""
    if party not in PARTIES:
        raise MoveRefused(f"party {party!r} is not one of {', '.join(PARTIES)}")
    listed = config["parties"][PARTY_LISTS[party]]
    if not unit and len(listed) == 1:
        unit = listed[0]
    if not unit:
        raise MoveRefused(f"name the {party.replace('_', '-')} unit (--unit); configured: "
                          f"{', '.join(listed) or 'any'}")
    if listed and unit not in listed:
        raise UnitRefused(f"unit {quote(unit)} is not in [parties] {PARTY_LISTS[party]} of "
                          f"aftersales.toml ({', '.join(listed)}); add it there or pick one")
    cost = _decimal(facts.get("estimated_cost"))
    limit = Decimal(config["repairs"]["small_limit"])
    if party == "in_house" and cost is not None and cost > limit:
        raise MoveRefused(f"the estimated cost {cost:,.2f} is above [repairs] small_limit "
                          f"{limit:,.2f}: a large repair goes to the outsourced contractor "
                          f"(--party outsourced)")
    sets: dict[str, Any] = {"party": party, "unit": unit, "contact": contact or None}
    if party == "builder":
        sets["builder"] = unit
    return sets


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def person_move(lifecycle: Lifecycle, config: dict, ticket: str, state: str,
                facts: dict[str, Any], to: str, *, by: str, note: str | None = None,
                at: str | None = None) -> list[Change]:
    """A move a person makes: exactly one allowed step."""
    if to not in lifecycle.states:
        raise MoveRefused(f"unknown state {to!r}; the states are "
                          f"{', '.join(lifecycle.states)}")
    if to not in lifecycle.allowed(state):
        allowed = ", ".join(lifecycle.allowed(state)) or "none: it is finished"
        raise MoveRefused(f"ticket {ticket} is {lifecycle.label(state)} ({state}) and may move "
                          f"only to: {allowed}; not to {to}")
    if to == "assigned" and not facts.get("party"):
        raise MoveRefused(f"ticket {ticket} has no responsible party yet: use `aftersales ticket "
                          f"assign {ticket} --party … --unit …`")
    at = stamp(at)
    detail = {"by": by, "at": at, "note": note}
    return _walk(lifecycle, config, facts, state, [to], at, detail, {})


def assign(lifecycle: Lifecycle, config: dict, ticket: str, state: str, facts: dict[str, Any],
           *, party: str | None, unit: str | None, contact: str | None, by: str,
           note: str | None = None, reason: str | None = None, at: str | None = None
           ) -> list[Change]:
    """Make a party responsible: from verifying (the usual way), or again — the builder did not
    act — from repairing, when the case counts as done for the builder and its cost is charged
    back. `party` None picks by size: in-house up to [repairs] small_limit, else outsourced."""
    at = stamp(at)
    if party is None:
        cost = _decimal(facts.get("estimated_cost"))
        small = cost is None or cost <= Decimal(config["repairs"]["small_limit"])
        party = "in_house" if small else "outsourced"
    sets = assignment(config, party, unit, contact, facts)
    replacing = facts.get("party") == "builder" and party != "builder" and state in (
        "assigned", "repairing")
    if replacing:
        if not reason:
            raise MoveRefused(f"ticket {ticket} is the builder's ({facts.get('unit')}): say why "
                              f"it is taken from the builder (--reason)")
        sets.update(charge_back=True, replaced={"unit": facts.get("unit"), "reason": reason,
                                                "at": at})
    detail = {"by": by, "at": at, "note": note, "reason": reason}
    if state == "assigned":  # another party before the work began: no move, new facts
        due = arriving(lifecycle, config, {**facts, **sets}, ["assigned"], at)
        return [Change(None, {**sets, **due}, detail)]
    if "assigned" not in lifecycle.allowed(state):
        allowed = ", ".join(lifecycle.allowed(state)) or "none"
        raise MoveRefused(f"ticket {ticket} is {lifecycle.label(state)} ({state}); it can be "
                          f"assigned from verifying, or again from repairing (allowed from "
                          f"{state}: {allowed})")
    return _walk(lifecycle, config, facts, state, ["assigned"], at, detail, sets)
