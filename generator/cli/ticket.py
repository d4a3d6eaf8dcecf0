"""`aftersales ticket`: list tickets, show one, and move them through the work procedure."""

from __future__ import annotations

import click

from generator.cli.common import echo_json, open_workspace, say, workspace_options
from generator.cli.completion import complete_tickets

PARTY = click.Choice(["builder", "in_house", "outsourced"])


def acting(command):
    """--by, --note and --at, for every command that changes a ticket."""
    command = click.option("--note", help="Why, or what was done (recorded with the move).")(
        command)
    command = click.option(
        "--at", "when", type=click.DateTime(formats=["%Y-%m-%d %H:%M", "%Y-%m-%d"]),
        metavar="'YYYY-MM-DD HH:MM'",
        help="When it happened, if not now (promised times count from it).")(command)
    return click.option("--by", metavar="NAME",
                        help="Who acts (default: AFTERSALES_USER, else your login name).")(
        command)


@click.group()
def ticket() -> None:
    """Tickets follow the work procedure (forms/_lifecycle.yaml): list and show them, and move
    them where the procedure allows. Filing a form moves its ticket too (a site survey assigns
    it, an acceptance slip accepts it or sends it back for rework, a follow-up closes the loop
    or reopens it). Every move is recorded with who, when, from → to and a note.

    \b
      aftersales ticket list --state repairing --overdue
      aftersales ticket move SH-2026-000001 verifying --note "已通知核算组"
      aftersales ticket assign SH-2026-000001 --party builder --unit "示例建设集团第三项目部"
      aftersales ticket show SH-2026-000001
    """


@ticket.command("list")
@click.option("--state", metavar="STATE", help="Only tickets in this state.")
@click.option("--overdue", is_flag=True, help="Only tickets that missed a promised time.")
@workspace_options(json_output=True)
def ticket_list(state: str | None, overdue: bool, home: str | None, as_json: bool) -> None:
    """List tickets: state, responsible party, and promised times missed (with --overdue, only
    the late ones, and by how much).

    \b
      aftersales ticket list --state repairing --overdue
    """
    from generator.tickets.lifecycle import load_lifecycle
    from generator.tickets.service import list_tickets

    workspace = open_workspace(home)
    lifecycle = load_lifecycle(workspace)
    views = list_tickets(workspace, state=state, overdue=overdue)
    if as_json:
        echo_json([v.as_json(lifecycle, workspace.language) for v in views])
        return
    empty = True
    for view in views:
        empty = False
        party = f"{view.facts.get('unit') or ''}".strip() or "-"
        late = "; ".join(f"{_late(late.late_by)} late: {late.deadline.key}"
                         for late in view.late)
        say(f"{view.number:<16} {view.state:<20} {party:<20} {view.opened_at}  {late}"
                   .rstrip())
    if empty:
        say("no tickets" + (" overdue" if overdue else ""))


def _late(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


@ticket.command("show")
@click.argument("number", metavar="NO", shell_complete=complete_tickets)
@workspace_options(json_output=True)
def ticket_show(number: str, home: str | None, as_json: bool) -> None:
    """Show a ticket: its state, responsible party, promised times (met, open or late), every
    move with when and who, every document and the costs of its repairs.

    \b
      aftersales ticket show SH-2026-000001 --json
    """
    from generator.tickets.service import show

    story = show(open_workspace(home), number)
    if as_json:
        echo_json(story)
        return
    facts = story["facts"]
    say(f"{story['ticket']}  {story['state_label']} ({story['state']})  opened "
               f"{story['opened_at']}")
    if facts.get("party"):
        say(f"responsible: {facts['party']} {facts.get('unit') or ''} "
                   f"{facts.get('contact') or ''}".rstrip())
    if facts.get("charge_back"):
        replaced = facts.get("replaced", {})
        say(f"taken from the builder {replaced.get('unit')} ({replaced.get('reason')}): "
                   f"its cost is charged back")
    say("promised times:")
    for deadline in story["deadlines"]:
        status = ("met " + deadline.get("met_at", "") + (
            "" if deadline.get("on_time", True) else " (late)") if deadline["met"]
            else f"{deadline['late_hours']} h late" if "late_hours" in deadline else "open")
        say(f"  {deadline['label']:<10} due {deadline['due']}  {status}")
    say("history:")
    for event in story["history"]:
        move = (f"{event['from']} → {event['to']}" if event.get("to") else event["kind"])
        what = " ".join(str(event[k]) for k in ("form", "record_no") if event.get(k))
        extra = "  ".join(str(event[k]) for k in ("note", "reason") if event.get(k))
        say(f"  {event.get('when') or event['at']}  {move:<32} {event.get('by', ''):<10}"
                   f" {what}  {extra}".rstrip())
    say("documents:")
    for document in story["documents"]:
        say(f"  {document['form']:<18} {document['record_no']:<14} {document['path']}")
    if story["costs"]:
        say("repair costs:")
        for cost in story["costs"]:
            say(f"  {cost.get('date')}  labour {cost['labour_cost']}  materials "
                       f"{cost['material_cost']}  paid by {cost.get('paid_by')}  "
                       f"({cost['register']} row {cost['row']})")
    say(f"may move to: {', '.join(story['allowed']) or 'nowhere (finished)'}")


@ticket.command("move")
@click.argument("number", metavar="NO", shell_complete=complete_tickets)
@click.argument("state", metavar="STATE")
@click.option("--party", type=PARTY, help="With STATE assigned: who is responsible.")
@click.option("--unit", help="With --party: the unit (a configured builder, team or contractor).")
@click.option("--contact", help="With --party: the contact person or phone.")
@click.option("--reason", help="With --party, taking a case from the builder: why.")
@acting
@workspace_options(json_output=True)
def ticket_move(number: str, state: str, party: str | None, unit: str | None,
                contact: str | None, reason: str | None, by: str | None, when, note: str | None,
                home: str | None, as_json: bool) -> None:
    """Move ticket NO to STATE, one step the lifecycle allows (any other is refused, naming the
    allowed ones). To assigned, give the responsible party (as `ticket assign` does).

    \b
      aftersales ticket move SH-2026-000001 verifying --note "已通知核算组"
    """
    from generator.tickets import service

    workspace = open_workspace(home)
    if state == "assigned" and party is not None:
        service.assign(workspace, number, party=party, unit=unit, contact=contact,
                       reason=reason, note=note, by=by, at=when)
    else:
        service.move(workspace, number, state, note=note, by=by, at=when)
    _report(workspace, number, as_json)


@ticket.command("assign")
@click.argument("number", metavar="NO", shell_complete=complete_tickets)
@click.option("--party", type=PARTY,
              help="builder, in_house or outsourced (default: by the estimated cost, in-house "
                   "up to [repairs] small_limit, else outsourced).")
@click.option("--unit", help="The unit (a configured builder, team or contractor).")
@click.option("--contact", help="The contact person or phone.")
@click.option("--reason", help="Taking a case from the builder (it did not act): why. It then "
                               "counts as done for the builder, and its cost is charged back.")
@acting
@workspace_options(json_output=True)
def ticket_assign(number: str, party: str | None, unit: str | None, contact: str | None,
                  reason: str | None, by: str | None, when, note: str | None, home: str | None,
                  as_json: bool) -> None:
    """Make a party responsible for ticket NO and set its promised times: after verifying, or
    again when the builder did not act (with --reason).

    \b
      aftersales ticket assign SH-2026-000001 --party builder --unit "示例建设集团第三项目部"
    """
    from generator.tickets import service

    workspace = open_workspace(home)
    service.assign(workspace, number, party=party, unit=unit, contact=contact, reason=reason,
                   note=note, by=by, at=when)
    _report(workspace, number, as_json)


@ticket.command("reopen")
@click.argument("number", metavar="NO", shell_complete=complete_tickets)
@acting
@workspace_options(json_output=True)
def ticket_reopen(number: str, by: str | None, when, note: str | None, home: str | None,
                  as_json: bool) -> None:
    """Reopen ticket NO (the owner is not satisfied): back to received, where allowed.

    \b
      aftersales ticket reopen SH-2026-000001 --note "业主回访不满意"
    """
    from generator.tickets import service

    workspace = open_workspace(home)
    service.reopen(workspace, number, note=note, by=by, at=when)
    _report(workspace, number, as_json)


@ticket.command("close")
@click.argument("number", metavar="NO", shell_complete=complete_tickets)
@acting
@workspace_options(json_output=True)
def ticket_close(number: str, by: str | None, when, note: str | None, home: str | None,
                 as_json: bool) -> None:
    """Close (archive) ticket NO, where the lifecycle allows it.

    \b
      aftersales ticket close SH-2026-000001
    """
    from generator.tickets import service

    workspace = open_workspace(home)
    service.close(workspace, number, note=note, by=by, at=when)
    _report(workspace, number, as_json)


def _report(workspace, number: str, as_json: bool) -> None:
    from generator.tickets.service import show

    story = show(workspace, number)
    if as_json:
        echo_json({k: story[k] for k in ("ticket", "state", "facts", "allowed")})
        return
    say(f"{number}: {story['state_label']} ({story['state']}); may move to: "
               f"{', '.join(story['allowed']) or 'nowhere (finished)'}")
