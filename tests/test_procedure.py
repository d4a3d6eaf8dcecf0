"""The work procedure end to end: tickets through every path, with hand-computed states,
promised times, overdue lists and the month's settlement; dates that make no sense, and bad
input, each refused with nothing written.

One workspace holds the story, built once per database through the CLI with explicit business
times. The default configuration gives the promised times: normal [promises] reply 24 h, repair
party takes the job 24 h, completion 7 days, follow-up 3 days after acceptance; urgent 12 h /
12 h / 3 days and emergency 2 h / 2 h / 1 day ([[deadlines.rules]]).

    ticket           path                                     ends
    builder_fixes    urgent: survey → builder → notice → pass → satisfied → close      closed
    builder_fails    normal, from October: builder idle → in-house (charge-back)        closed
    outsourced       emergency, estimate 3,500 > small_limit: outsourced, both late    closed
    rework           normal: in-house → reported done → rework → pass                  accepted
    reopened         urgent: unsatisfied follow-up → received → walked again           closed
    inquiry          an inquiry answered on the spot                                   closed
    rejected         outside warranty                                                  rejected
    no_reply         urgent, nobody replied                                            received
    builder_idle     normal, assigned to the builder, nothing since                    assigned
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.documents.forms import load_form
from generator.tickets import service
from generator.workspace import Workspace
from tests.conftest import (
    files_in_output,
    index_database,
    index_sql,
    pdftotext,
    refusal,
    squash,
)

pytestmark = pytest.mark.usefixtures("backend")

CLERK = "李娜"  # AFTERSALES_USER: every move the story makes is hers ...
ARCHIVIST = "赵敏"  # ... but the closing, which names its own --by
BUILDER = "示例建设集团第三项目部"  # [parties] of the default configuration
IN_HOUSE = "物业维修班"
OUTSOURCED = "示例市恒固建筑工程有限公司"
NOW = object()  # a person's move stamped with the wall clock: any time


# --- the workspace of the story: once per database ----------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request):
    """conftest's `backend`, once per module: the story is built once on each database (SQLite
    in the workspace, and a fresh PostgreSQL database) and every test reads it."""
    with pytest.MonkeyPatch.context() as patch, index_database(request.param, patch) as kind:
        yield kind


@pytest.fixture(autouse=True, scope="module")
def clerk():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AFTERSALES_USER", CLERK)
        yield CLERK


@pytest.fixture(scope="module")
def home(backend, tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp(f"story-{backend}")


@pytest.fixture(scope="module")
def run(home):
    return cli_runner(home)


def cli_runner(home: Path):
    """`aftersales ARGS --home HOME`, in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)

    return invoke


_numbers = itertools.count(1)


def data_file(home: Path, form: str, fields: dict) -> str:
    """`fields` over the form's bundled sample (its descriptions and names), as a JSON file. The
    sample's dates and times are left out — the story gives its own — and a field given as None
    is left out too."""
    definition = load_form(Workspace.open(home), form)
    timeless = {key: value for key, value in definition.sample.items()
                if definition.fields[key].type not in ("date", "datetime")}
    data = {key: value for key, value in {**timeless, **fields}.items() if value is not None}
    folder = home.parent / f"{home.name}-data"
    folder.mkdir(exist_ok=True)
    path = folder / f"{next(_numbers):03d}-{form}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return str(path)


def fill(run, home: Path, form: str, ticket: str | None = None, **fields):
    """`aftersales fill FORM --data … [--ticket T] --json`: click's Result."""
    return run("fill", form, "--data", data_file(home, form, fields),
               *(("--ticket", ticket) if ticket else ()), "--json")


def filed(run, home: Path, form: str, ticket: str | None = None, **fields) -> dict:
    result = fill(run, home, form, ticket, **fields)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def ticket_cmd(run, *args: str) -> dict:
    result = run("ticket", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_hand(home: Path, action, ticket: str, **options) -> None:
    """A person's step at a business time (the CLI stamps people's steps with the wall clock):
    `service.move` or `service.assign` with `at=`."""
    workspace = Workspace.open(home)
    try:
        action(workspace, ticket, **options)
    finally:
        workspace.close()


def written(home: Path) -> tuple:
    """What a refused command must leave as it was: the files in output/ and the index's rows."""
    counts = index_sql(home, "SELECT (SELECT count(*) FROM documents) AS documents, "
                             "(SELECT count(*) FROM events) AS events, "
                             "(SELECT count(*) FROM tickets) AS tickets, "
                             "(SELECT count(*) FROM reservations) AS reservations")
    states = index_sql(home, "SELECT number, state, facts FROM tickets ORDER BY number")
    return files_in_output(home), counts, states


def register_row(day: str, ticket: str, party: str, worker: str, labour: str, material: str,
                 paid_by: str, content: str = "维修") -> dict:
    return {"date": day, "ticket_no": ticket, "room": "3-2-1203", "content": content,
            "party": party, "worker": worker, "arrived_at": f"{day} 09:00",
            "finished_at": f"{day} 11:30", "labour_cost": labour, "material_cost": material,
            "paid_by": paid_by}


@dataclass
class Story:
    home: Path
    run: object
    tickets: dict[str, str] = field(default_factory=dict)  # path name → ticket number
    seen: dict[str, dict] = field(default_factory=dict)  # `ticket show` part-way, by moment


@pytest.fixture(scope="module")
def story(home, run, clerk) -> Story:
    told = Story(home, run)
    tickets = told.tickets

    def complaint(name: str, received_at: str, urgency: str, category: str, **more) -> str:
        tickets[name] = filed(run, home, "complaint", received_at=received_at, kind="complaint",
                              urgency=urgency, category=category, **more)["ticket"]
        return tickets[name]

    def survey(ticket, surveyed_at, party, unit, estimated_cost, **more):
        filed(run, home, "site-survey", ticket, surveyed_at=surveyed_at, within_warranty="yes",
              party=party, unit=unit, estimated_cost=estimated_cost, **more)

    def notice(ticket, sent_at, **more):
        filed(run, home, "warranty-notice", ticket, builder=BUILDER, sent_at=sent_at, **more)

    def dispatch(ticket, sent_at, party, unit):
        filed(run, home, "dispatch-order", ticket, party=party, unit=unit, sent_at=sent_at)

    def acceptance(ticket, accepted_at, result="pass", **more):
        filed(run, home, "acceptance-slip", ticket, accepted_at=accepted_at, result=result,
              **more)

    def followup(ticket, visited_at, satisfaction="satisfied"):
        filed(run, home, "followup", ticket, visited_at=visited_at, satisfaction=satisfaction)

    def close(ticket):
        ticket_cmd(run, "close", ticket, "--by", ARCHIVIST, "--note", "资料齐全，归档")

    # 1. the builder fixes it (urgent)
    t = complaint("builder_fixes", "2026-11-02 09:00", "urgent", "leakage")
    survey(t, "2026-11-02 14:00", "builder", BUILDER, "820.50")
    notice(t, "2026-11-02 18:00", site_check_by="2026-11-03 02:00",
           complete_by="2026-11-05 14:00", received_by="郑海", received_at="2026-11-02 18:30")
    acceptance(t, "2026-11-04 16:00")
    followup(t, "2026-11-06 10:00")
    close(t)

    # 2. the builder does not act: the in-house team takes it over (normal; from October)
    t = complaint("builder_fails", "2026-10-28 10:00", "normal", "cracks")
    survey(t, "2026-10-28 15:30", "builder", BUILDER, "600.00")
    notice(t, "2026-10-28 17:00")
    by_hand(home, service.assign, t, party="in_house", reason="承建商逾期未到场",
            at="2026-10-30 09:00")
    dispatch(t, "2026-10-30 11:00", "in_house", IN_HOUSE)
    acceptance(t, "2026-11-03 15:00")
    followup(t, "2026-11-05 09:30")
    close(t)

    # 3. a large repair: the outsourced contractor (emergency), on site late and done late
    t = complaint("outsourced", "2026-11-05 08:00", "emergency", "plumbing")
    survey(t, "2026-11-05 09:30", "outsourced", OUTSOURCED, "3500.00")
    before = written(home)
    refused = run("ticket", "assign", t, "--party", "in_house")
    told.seen["in_house_refused"] = {"result": refused, "unchanged": written(home) == before,
                                     "after": ticket_cmd(run, "show", t)}
    dispatch(t, "2026-11-05 12:00", "outsourced", OUTSOURCED)
    acceptance(t, "2026-11-07 10:00")
    followup(t, "2026-11-09 14:00")
    close(t)

    # 4. rework at acceptance (normal; the in-house team)
    t = complaint("rework", "2026-11-09 09:00", "normal", "doors_windows")
    survey(t, "2026-11-10 11:00", "in_house", IN_HOUSE, "450.00")
    dispatch(t, "2026-11-10 14:00", "in_house", IN_HOUSE)
    by_hand(home, service.move, t, to="awaiting_acceptance", note="维修班报完工",
            at="2026-11-12 17:00")
    acceptance(t, "2026-11-13 10:00", result="rework", rework_note="窗扇仍关不严，重新调整合页")
    told.seen["rework"] = ticket_cmd(run, "show", t)
    acceptance(t, "2026-11-16 15:00")

    # 5. the owner is not satisfied: reopened, walked again, closed (urgent)
    t = complaint("reopened", "2026-11-02 11:00", "urgent", "walls_floors")
    survey(t, "2026-11-02 16:00", "builder", BUILDER, "300.00")
    notice(t, "2026-11-03 08:00")
    acceptance(t, "2026-11-05 10:00")
    followup(t, "2026-11-06 15:00", satisfaction="unsatisfied")
    told.seen["reopened"] = ticket_cmd(run, "show", t)
    survey(t, "2026-11-07 09:00", "builder", BUILDER, "300.00")
    notice(t, "2026-11-07 10:00")
    acceptance(t, "2026-11-09 16:00")
    followup(t, "2026-11-11 10:00")
    close(t)

    # 6. an inquiry answered on the spot
    tickets["inquiry"] = filed(run, home, "complaint", received_at="2026-11-04 10:00",
                               kind="inquiry", urgency="normal", category="other",
                               result="已当场答复：保修期自交付之日起计算。",
                               completed_at="2026-11-04 10:20")["ticket"]

    # 7. outside the warranty
    t = complaint("rejected", "2026-11-06 09:00", "normal", "cracks")
    filed(run, home, "site-survey", t, surveyed_at="2026-11-06 15:00", within_warranty="no",
          warranty_reason="业主自行拆改承重墙造成开裂，不属于保修范围。", party=None, unit=None,
          contact=None, estimated_cost=None)

    # 8. and 9. stalled: nobody replied; the builder never took the job
    complaint("no_reply", "2026-11-03 09:00", "urgent", "electrical")
    t = complaint("builder_idle", "2026-11-12 09:00", "normal", "fixtures")
    survey(t, "2026-11-12 15:00", "builder", BUILDER, "200.00")

    # the repair registers: November, and one spanning 2026-10-16 … 2026-11-15
    tk = tickets
    filed(run, home, "repair-register", project="示例花园一期", compiled_by=ARCHIVIST,
          period_from="2026-11-01", period_to="2026-11-30", repairs=[
              register_row("2026-11-04", tk["builder_fixes"], "builder", BUILDER, "480.00",
                           "235.50", "builder", "防水层修补，顶棚批灰刷漆"),
              register_row("2026-11-02", tk["builder_fails"], "in_house", IN_HOUSE, "20.00",
                           "13.33", "builder", "墙面裂缝修补"),
              register_row("2026-11-06", tk["outsourced"], "outsourced", OUTSOURCED, "1500.00",
                           "1985.55", "builder", "更换破裂的给水立管"),
              register_row("2026-11-16", tk["rework"], "in_house", IN_HOUSE, "120.00", "86.45",
                           "developer", "调整窗扇合页"),
              register_row("2026-11-09", tk["reopened"], "builder", BUILDER, "300.00", "0",
                           "builder", "地面空鼓返修"),
              register_row("2026-11-07", tk["outsourced"], "outsourced", OUTSOURCED, "200.00",
                           "210.10", "developer", "恢复管井检修门"),
          ])
    filed(run, home, "repair-register", project="示例花园一期", compiled_by=ARCHIVIST,
          period_from="2026-10-16", period_to="2026-11-15", repairs=[
              register_row("2026-10-31", tk["builder_fails"], "in_house", IN_HOUSE, "100.00",
                           "11.11", "builder", "裂缝临时封闭"),
              register_row("2026-11-13", tk["rework"], "in_house", IN_HOUSE, "50.00", "25.25",
                           "owner", "业主另加：更换纱窗"),
          ])
    return told


# --- every path: states, moves, who, promised times ---------------------------------------


def met(due: str, met_at: str, on_time: bool = True) -> dict:
    return {"due": due, "met": True, "met_at": met_at, "on_time": on_time}


def still_open(due: str) -> dict:
    return {"due": due, "met": False}


R, V, A, REP, AA, ACC, FU, C = ("received", "verifying", "assigned", "repairing",
                                "awaiting_acceptance", "accepted", "followed_up", "closed")

PATHS = {
    "builder_fixes": {
        "state": C,
        "moves": [(R, V, "2026-11-02 14:00"), (V, A, "2026-11-02 14:00"),
                  (A, REP, "2026-11-02 18:00"), (REP, AA, "2026-11-04 16:00"),
                  (AA, ACC, "2026-11-04 16:00"), (ACC, FU, "2026-11-06 10:00"), (FU, C, NOW)],
        # urgent: reply 09:00 + 12 h; site check 14:00 + 12 h; completion + 3 days;
        # follow-up 3 days after the acceptance at 11-04 16:00
        "deadlines": {"reply": met("2026-11-02 21:00", "2026-11-02 14:00"),
                      "site_check": met("2026-11-03 02:00", "2026-11-02 18:00"),
                      "completion": met("2026-11-05 14:00", "2026-11-04 16:00"),
                      "followup": met("2026-11-07 16:00", "2026-11-06 10:00")},
    },
    "builder_fails": {
        "state": C,
        "moves": [(R, V, "2026-10-28 15:30"), (V, A, "2026-10-28 15:30"),
                  (A, REP, "2026-10-28 17:00"), (REP, A, "2026-10-30 09:00"),
                  (A, REP, "2026-10-30 11:00"), (REP, AA, "2026-11-03 15:00"),
                  (AA, ACC, "2026-11-03 15:00"), (ACC, FU, "2026-11-05 09:30"), (FU, C, NOW)],
        # normal: reply 10-28 10:00 + 24 h; taken from the builder 10-30 09:00, so the site
        # check + 24 h and completion + 7 days run from then
        "deadlines": {"reply": met("2026-10-29 10:00", "2026-10-28 15:30"),
                      "site_check": met("2026-10-31 09:00", "2026-10-30 11:00"),
                      "completion": met("2026-11-06 09:00", "2026-11-03 15:00"),
                      "followup": met("2026-11-06 15:00", "2026-11-05 09:30")},
    },
    "outsourced": {
        "state": C,
        "moves": [(R, V, "2026-11-05 09:30"), (V, A, "2026-11-05 09:30"),
                  (A, REP, "2026-11-05 12:00"), (REP, AA, "2026-11-07 10:00"),
                  (AA, ACC, "2026-11-07 10:00"), (ACC, FU, "2026-11-09 14:00"), (FU, C, NOW)],
        # emergency: reply 08:00 + 2 h; site check 09:30 + 2 h (taken at 12:00: late);
        # completion + 1 day (accepted 11-07: late)
        "deadlines": {"reply": met("2026-11-05 10:00", "2026-11-05 09:30"),
                      "site_check": met("2026-11-05 11:30", "2026-11-05 12:00", False),
                      "completion": met("2026-11-06 09:30", "2026-11-07 10:00", False),
                      "followup": met("2026-11-10 10:00", "2026-11-09 14:00")},
    },
    "rework": {
        "state": ACC,
        "moves": [(R, V, "2026-11-10 11:00"), (V, A, "2026-11-10 11:00"),
                  (A, REP, "2026-11-10 14:00"), (REP, AA, "2026-11-12 17:00"),
                  (AA, REP, "2026-11-13 10:00"), (REP, AA, "2026-11-16 15:00"),
                  (AA, ACC, "2026-11-16 15:00")],
        # normal: reply 11-09 09:00 + 24 h, surveyed 11-10 11:00: late; the job taken 11-10
        # 14:00 (when: test_a_rework_keeps_when_the_job_was_taken); completion 7 days from
        # 11-10 11:00, done (again) 11-16 15:00; follow-up due 3 days after, not yet made
        "deadlines": {"reply": met("2026-11-10 09:00", "2026-11-10 11:00", False),
                      "site_check": {"due": "2026-11-11 11:00", "met": True},
                      "completion": met("2026-11-17 11:00", "2026-11-16 15:00"),
                      "followup": still_open("2026-11-19 15:00")},
    },
    "reopened": {
        "state": C,
        "moves": [(R, V, "2026-11-02 16:00"), (V, A, "2026-11-02 16:00"),
                  (A, REP, "2026-11-03 08:00"), (REP, AA, "2026-11-05 10:00"),
                  (AA, ACC, "2026-11-05 10:00"), (ACC, FU, "2026-11-06 15:00"),
                  (FU, R, "2026-11-06 15:00"),
                  (R, V, "2026-11-07 09:00"), (V, A, "2026-11-07 09:00"),
                  (A, REP, "2026-11-07 10:00"), (REP, AA, "2026-11-09 16:00"),
                  (AA, ACC, "2026-11-09 16:00"), (ACC, FU, "2026-11-11 10:00"), (FU, C, NOW)],
        # urgent; reopened 11-06 15:00: a new reply due 12 h later, surveyed 11-07 09:00: late;
        # site check 09:00 + 12 h; completion + 3 days; follow-up 3 days after 11-09 16:00
        "deadlines": {"reply": met("2026-11-07 03:00", "2026-11-07 09:00", False),
                      "site_check": met("2026-11-07 21:00", "2026-11-07 10:00"),
                      "completion": met("2026-11-10 09:00", "2026-11-09 16:00"),
                      "followup": met("2026-11-12 16:00", "2026-11-11 10:00")},
    },
    "inquiry": {
        "state": C,
        "moves": [(R, C, "2026-11-04 10:00")],
        "deadlines": {"reply": met("2026-11-05 10:00", "2026-11-04 10:00")},
    },
    "rejected": {
        "state": "rejected",
        "moves": [(R, "rejected", "2026-11-06 15:00")],
        "deadlines": {"reply": met("2026-11-07 09:00", "2026-11-06 15:00")},
    },
    "no_reply": {
        "state": R,
        "moves": [],
        "deadlines": {"reply": still_open("2026-11-03 21:00")},
    },
    "builder_idle": {
        "state": A,
        "moves": [(R, V, "2026-11-12 15:00"), (V, A, "2026-11-12 15:00")],
        "deadlines": {"reply": met("2026-11-13 09:00", "2026-11-12 15:00"),
                      "site_check": still_open("2026-11-13 15:00"),
                      "completion": still_open("2026-11-19 15:00")},
    },
}


def moves_of(shown: dict) -> list[tuple]:
    return [(e["from"], e["to"], e["when"], e["by"]) for e in shown["history"]
            if e["kind"] == "moved"]


def deadlines_of(shown: dict, expected: dict) -> dict:
    """The promised times of `ticket show --json`, each with the keys `expected` names."""
    return {d["deadline"]: {k: d.get(k) for k in expected.get(d["deadline"], d)}
            for d in shown["deadlines"]}


@pytest.mark.parametrize("name", list(PATHS))
def test_every_path_ends_where_the_procedure_says(story, run, name):
    expected = PATHS[name]
    shown = ticket_cmd(run, "show", story.tickets[name])
    assert shown["state"] == expected["state"]
    moves = moves_of(shown)
    assert [(f, t) for f, t, _, _ in moves] == [(f, t) for f, t, _ in expected["moves"]]
    for (_, _, when, by), (_, to, wanted) in zip(moves, expected["moves"], strict=True):
        if wanted is NOW:  # a person closed it, by name
            assert by == ARCHIVIST
        else:
            assert (when, by) == (wanted, CLERK), to
    assert deadlines_of(shown, expected["deadlines"]) == expected["deadlines"]
    if expected["state"] in (C, "rejected"):
        assert shown["allowed"] == []


def test_the_builder_replaced_is_charged_back(story, run):
    shown = ticket_cmd(run, "show", story.tickets["builder_fails"])
    facts = shown["facts"]
    assert (facts["party"], facts["unit"], facts["builder"], facts["charge_back"]) == (
        "in_house", IN_HOUSE, BUILDER, True)
    assert facts["replaced"] == {"unit": BUILDER, "reason": "承建商逾期未到场",
                                 "at": "2026-10-30 09:00"}
    (taken,) = [e for e in shown["history"] if e.get("to") == A and e.get("from") == REP]
    assert (taken["reason"], taken["by"]) == ("承建商逾期未到场", CLERK)
    # its repair costs, October's and November's, as the registers state them
    assert [(c["date"], c["labour_cost"], c["material_cost"], c["paid_by"])
            for c in shown["costs"]] == [("2026-11-02", "20.00", "13.33", "builder"),
                                         ("2026-10-31", "100.00", "11.11", "builder")]


def test_a_large_repair_does_not_go_in_house(story, run):
    refused = story.seen["in_house_refused"]
    assert refused["result"].exit_code == 2, refused["result"].output
    assert ("the estimated cost 3,500.00 is above [repairs] small_limit 2,000.00: a large "
            "repair goes to the outsourced contractor (--party outsourced)"
            ) in refused["result"].output
    assert refused["unchanged"]
    facts = refused["after"]["facts"]
    assert (refused["after"]["state"], facts["party"], facts["unit"]) == (
        A, "outsourced", OUTSOURCED)
    assert facts["estimated_cost"] == "3500.00"


def test_a_rework_sends_it_back_to_the_repair_party(story):
    shown = story.seen["rework"]
    assert shown["state"] == REP
    assert moves_of(shown)[-2:] == [(REP, AA, "2026-11-12 17:00", CLERK),
                                    (AA, REP, "2026-11-13 10:00", CLERK)]
    # back under way, the completion is open again, still due 7 days from the assignment
    (completion,) = [d for d in shown["deadlines"] if d["deadline"] == "completion"]
    assert (completion["due"], completion["met"]) == ("2026-11-17 11:00", False)
    assert "followup" not in shown["facts"]["due"]


def test_a_rework_keeps_when_the_job_was_taken(story, run):
    shown = ticket_cmd(run, "show", story.tickets["rework"])
    (site_check,) = [d for d in shown["deadlines"] if d["deadline"] == "site_check"]
    assert (site_check["met_at"], site_check["on_time"]) == ("2026-11-10 14:00", True)


def test_an_unsatisfied_owner_reopens_the_ticket(story):
    shown = story.seen["reopened"]
    assert shown["state"] == R
    assert [(f, t) for f, t, _, _ in moves_of(shown)[-2:]] == [(ACC, FU), (FU, R)]
    # only the reply is promised again, 12 hours (urgent) from the visit at 11-06 15:00
    assert shown["facts"]["due"] == {"reply": "2026-11-07 03:00"}
    assert shown["allowed"] == [V, "rejected", C]


def test_a_finished_ticket_moves_no_more(story, run, home):
    for name in ("rejected", "builder_fixes"):
        ticket = story.tickets[name]
        for args in (("move", ticket, V), ("reopen", ticket)):
            before = written(home)
            result = run("ticket", *args)
            assert result.exit_code == 2, result.output
            assert "may move only to: none: it is finished" in result.output
            assert written(home) == before
    assert ticket_cmd(run, "show", story.tickets["rejected"])["facts"].get("party") is None


# --- overdue lists ------------------------------------------------------------------------


def late_at(home: Path, now: dt.datetime) -> list[tuple]:
    workspace = Workspace.open(home)
    try:
        return [(view.number, late.deadline.key, late.due.strftime("%Y-%m-%d %H:%M"),
                 round(late.late_by.total_seconds() / 3600, 1))
                for view in service.list_tickets(workspace, overdue=True, now=now)
                for late in view.late]
    finally:
        workspace.close()


def test_overdue_lists_at_fixed_times(story, home):
    tk = story.tickets
    # 11-04 12:00: only the urgent complaint nobody answered (due 11-03 21:00) is late
    assert late_at(home, dt.datetime(2026, 11, 4, 12)) == [
        (tk["no_reply"], "reply", "2026-11-03 21:00", 15.0)]
    # 11-20 00:00: also the rework's follow-up (due 11-19 15:00) and the idle builder's site
    # check (11-13 15:00: 6 days 9 hours) and completion (11-19 15:00)
    assert late_at(home, dt.datetime(2026, 11, 20)) == [
        (tk["rework"], "followup", "2026-11-19 15:00", 9.0),
        (tk["no_reply"], "reply", "2026-11-03 21:00", 387.0),
        (tk["builder_idle"], "site_check", "2026-11-13 15:00", 153.0),
        (tk["builder_idle"], "completion", "2026-11-19 15:00", 9.0),
    ]
    # a promise due exactly now is not late yet
    assert late_at(home, dt.datetime(2026, 11, 19, 15)) == [
        (tk["no_reply"], "reply", "2026-11-03 21:00", 378.0),
        (tk["builder_idle"], "site_check", "2026-11-13 15:00", 144.0)]


def test_the_cli_lists_by_state_and_the_late_ones(story, run):
    tk = story.tickets

    def listed(*args):
        result = run("ticket", "list", *args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    by_state = {C: ["builder_fixes", "builder_fails", "outsourced", "reopened", "inquiry"],
                ACC: ["rework"], "rejected": ["rejected"], R: ["no_reply"], A: ["builder_idle"],
                REP: []}
    for state, names in by_state.items():
        assert [t["ticket"] for t in listed("--state", state)] == [tk[n] for n in names], state
    (idle,) = listed("--state", A)
    assert (idle["party"], idle["unit"], idle["urgency"], idle["category"]) == (
        "builder", BUILDER, "normal", "fixtures")
    # the wall clock is after every promised time of the story
    assert [(t["ticket"], [o["deadline"] for o in t["overdue"]]) for t in listed("--overdue")
            ] == [(tk["rework"], ["followup"]), (tk["no_reply"], ["reply"]),
                  (tk["builder_idle"], ["site_check", "completion"])]
    human = run("ticket", "list", "--state", R)
    assert human.exit_code == 0
    assert tk["no_reply"] in human.output and "late: reply" in human.output
    result = run("ticket", "list", "--state", "nowhere")
    assert result.exit_code == 2 and "unknown state 'nowhere'" in result.output


# --- the monthly settlement ---------------------------------------------------------------

# November's rows done in-house or outsourced, borne by the builder or the developer (filing
# order): the builder's own repairs, the owner's share and the October row are not claimed
CLAIMED = [
    ("2026-11-02", "builder_fails", "in_house", "20.00", "13.33", "33.33", "builder"),
    ("2026-11-06", "outsourced", "outsourced", "1500.00", "1985.55", "3485.55", "builder"),
    ("2026-11-16", "rework", "in_house", "120.00", "86.45", "206.45", "developer"),
    ("2026-11-07", "outsourced", "outsourced", "200.00", "210.10", "410.10", "developer"),
]
# the builder's rows plus 50 %, rounded half up per row: 16.665 → 16.67, 1742.775 → 1742.78
CHARGED = [("builder_fails", "33.33", "16.67", "50.00"),
           ("outsourced", "3485.55", "1742.78", "5228.33")]


@pytest.fixture(scope="module")
def november(story, run) -> dict:
    result = run("settlement", "monthly", "--period", "2026-11", "--format", "pdf,docx,xlsx",
                 "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_settlement_of_november(story, home, november):
    assert {k: v for k, v in november.items() if k != "documents"} == {
        "period": "2026-11", "items": 4, "claim_total": "4135.43",
        "builder_share": "3518.88", "developer_share": "616.55", "owner_share": "75.25",
        "charge_backs": {BUILDER: "5278.33"}}
    assert [(d["form"], d["record_no"], d["ticket"]) for d in november["documents"]] == [
        ("monthly-settlement", "JS-2026-11", None), ("charge-back", "ZC-2026-11-01", None)]

    from generator.reports.settlement import compute

    workspace = Workspace.open(home)
    try:
        again = compute(workspace, "2026-11")  # what was filed, row by row
    finally:
        workspace.close()
    tk = story.tickets
    assert [(str(i["date"]), i["ticket_no"], i["party"], str(i["labour_cost"]),
             str(i["material_cost"]), str(i["amount"]), i["borne_by"])
            for i in again.settlement["items"]] == [
        (day, tk[name], *rest) for day, name, *rest in CLAIMED]
    (charged,) = again.charge_backs.values()
    assert (charged["builder"], charged["fee_percent"]) == (BUILDER, 50)
    assert [(i["ticket_no"], str(i["cost"]), str(i["fee"]), str(i["amount"]))
            for i in charged["items"]] == [(tk[name], *rest) for name, *rest in CHARGED]


def paths_of(filed: dict, form: str) -> dict[str, Path]:
    (document,) = [d for d in filed["documents"] if d["form"] == form]
    return {d["format"]: Path(d["path"]) for d in document["documents"]}


def test_the_settlement_sheets_say_the_same(story, home, november):
    sheet = paths_of(november, "monthly-settlement")
    assert sorted(sheet) == ["docx", "pdf", "xlsx"]
    text = squash(pdftotext(home / sheet["pdf"]))
    for figure in ("4,135.43", "3,518.88", "616.55", "75.25", "肆仟壹佰叁拾伍元肆角叁分",
                   "3,485.55", "1,985.55", "410.10", "33.33"):
        assert figure in text, figure
    assert "111.11" not in text and "75.25" in text  # October's row; the owner's only a share
    charge = squash(pdftotext(home / paths_of(november, "charge-back")["pdf"]))
    for figure in (BUILDER, "16.67", "1,742.78", "5,228.33", "1,759.45", "5,278.33",
                   "伍仟贰佰柒拾捌元叁角叁分"):
        assert figure in charge, figure

    import openpyxl

    cells = [[c for c in row if c is not None] for row in openpyxl.load_workbook(
        home / sheet["xlsx"]).active.iter_rows(values_only=True)]
    tk = story.tickets
    for day, name, _, labour, material, amount, _ in CLAIMED:
        (row,) = [r for r in cells if tk[name] in r and day in r]
        numbers = [Decimal(str(c)) for c in row if isinstance(c, int | float)]
        assert numbers == [Decimal(labour), Decimal(material), Decimal(amount)], row
    numbers = {Decimal(str(c)) for r in cells for c in r if isinstance(c, int | float)}
    # the totals: labour 20 + 1500 + 120 + 200, materials 13.33 + 1985.55 + 86.45 + 210.10
    assert {Decimal("1840.00"), Decimal("2295.43"), Decimal("4135.43")} <= numbers


def test_a_month_is_settled_once(home, run, november):
    before = written(home)
    result = run("settlement", "monthly", "--period", "2026-11", "--format", "pdf,docx,xlsx")
    assert result.exit_code == 2, result.output
    assert "the settlement of 2026-11 is already filed" in result.output
    assert written(home) == before


def test_a_malformed_period_is_refused(home, run, story):
    before = written(home)
    result = run("settlement", "monthly", "--period", "2026-13")
    assert result.exit_code == 2, result.output
    assert "--period: a month is YYYY-MM, like 2026-11; got '2026-13'" in result.output
    assert written(home) == before


def test_a_month_with_nothing_to_settle_says_so(home, run, story):
    result = run("settlement", "monthly", "--period", "2026-08", "--format", "pdf", "--json")
    assert result.exit_code == 0, result.output
    august = json.loads(result.output)
    assert (august["items"], august["claim_total"], august["charge_backs"]) == (0, "0", {})
    assert [d["record_no"] for d in august["documents"]] == ["JS-2026-08"]
    text = squash(pdftotext(home / paths_of(august, "monthly-settlement")["pdf"]))
    assert "本月无须结算的垫付维修费用。" in text and "零元整" in text


# --- dates that make sense ----------------------------------------------------------------


NOV = {"project": "示例花园一期", "compiled_by": ARCHIVIST, "period_from": "2026-11-01",
       "period_to": "2026-11-30"}
ROW = {"room": "3-2-1203", "content": "维修", "party": "in_house", "worker": IN_HOUSE,
       "paid_by": "developer"}

DATES = {
    "a completion before the receipt": (
        "complaint", None,
        {"received_at": "2026-11-10 09:00", "completed_at": "2026-11-09 18:00"},
        ["完成时间 (completed_at) 2026-11-09 18:00 is before 受理时间 (received_at) "
         "2026-11-10 09:00"]),
    "a finish before the arrival": (
        "repair-register", None,
        {**NOV, "repairs": [{**ROW, "date": "2026-11-05", "ticket_no": "{builder_fixes}",
                             "arrived_at": "2026-11-05 10:00",
                             "finished_at": "2026-11-05 09:00"}]},
        ["维修记录 row 1: 完工时间 (repairs[1].finished_at) 2026-11-05 09:00 is before 到场时间 "
         "(repairs[1].arrived_at) 2026-11-05 10:00"]),
    "rows outside the register's period": (
        "repair-register", None,
        {**NOV, "repairs": [{**ROW, "date": "2026-12-01", "ticket_no": "{builder_fixes}"},
                            {**ROW, "date": "2026-10-31", "ticket_no": "{builder_fixes}"}]},
        ["维修记录 row 1: 日期 (repairs[1].date) 2026-12-01 is after 至 (period_to) 2026-11-30",
         "维修记录 row 2: 日期 (repairs[2].date) 2026-10-31 is before 登记期间自 (period_from) "
         "2026-11-01"]),
    "a row naming no ticket": (
        "repair-register", None,
        {**NOV, "repairs": [{**ROW, "date": "2026-11-05", "ticket_no": "SH-2026-999999"}]},
        ["维修记录 row 1: 工单号 (repairs[1].ticket_no): no ticket SH-2026-999999 in the index"]),
    "a follow-up before the acceptance": (
        "followup", "rework", {"visited_at": "2026-11-16 09:00"},
        ["回访时间 (visited_at) 2026-11-16 09:00 is before the ticket's acceptance "
         "(验收, ticket.accepted) 2026-11-16 15:00"]),
    "a survey before the ticket was opened": (
        "site-survey", "no_reply",
        {"surveyed_at": "2026-11-02 17:00", "within_warranty": "yes", "party": "builder",
         "unit": BUILDER},
        ["勘查时间 (surveyed_at) 2026-11-02 17:00 is before the ticket's opening "
         "(受理, ticket.opened) 2026-11-03 09:00"]),
    "an acceptance before the assignment": (
        "acceptance-slip", "builder_idle", {"accepted_at": "2026-11-12 10:00", "result": "pass"},
        ["验收时间 (accepted_at) 2026-11-12 10:00 is before the ticket's assignment "
         "(派工, ticket.assigned) 2026-11-12 15:00"]),
    "a receipt before the notice was sent": (
        "warranty-notice", "builder_idle",
        {"builder": BUILDER, "sent_at": "2026-11-13 08:00", "received_at": "2026-11-13 07:30"},
        ["签收时间 (received_at) 2026-11-13 07:30 is before 发出时间 (sent_at) 2026-11-13 08:00"]),
}


def named(value, tickets: dict[str, str]):
    """`{name}` in the data stands for the story's ticket of that name."""
    if isinstance(value, str):
        return value.format(**tickets)
    if isinstance(value, list):
        return [named(v, tickets) for v in value]
    if isinstance(value, dict):
        return {k: named(v, tickets) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", list(DATES))
def test_dates_that_make_no_sense_are_refused_naming_both_fields(story, run, home, case):
    form, ticket, fields, problems = DATES[case]
    before = written(home)
    result = fill(run, home, form, story.tickets[ticket] if ticket else None,
                  **named(fields, story.tickets))
    assert result.exit_code == 2, result.output
    noun = "field" if len(problems) == 1 else "fields"
    assert refusal(result) == (
        f"{form}: {len(problems)} {noun} failed validation; nothing was written.", problems)
    assert written(home) == before


# --- bad input ----------------------------------------------------------------------------


def test_an_unknown_ticket(story, run, home):
    before = written(home)
    for args in (("ticket", "show", "SH-2099-000001"),
                 ("ticket", "move", "SH-2099-000001", V),
                 ("ticket", "assign", "SH-2099-000001", "--party", "builder"),
                 ("ticket", "close", "SH-2099-000001"),
                 ("fill", "followup", "--ticket", "SH-2099-000001", "--data",
                  data_file(home, "followup", {"visited_at": "2026-11-20 10:00"}))):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "unknown ticket SH-2099-000001" in result.output
    assert written(home) == before


@pytest.mark.parametrize(("name", "to", "message"), [
    ("builder_idle", ACC, "is 已派工 (assigned) and may move only to: repairing; not to accepted"),
    ("rework", REP, "is 已验收 (accepted) and may move only to: followed_up, closed; not to "
                    "repairing"),
    ("no_reply", A, "is 已受理 (received) and may move only to: verifying, rejected, closed; not "
                    "to assigned"),
    ("rejected", V, "is 不予受理 (rejected) and may move only to: none: it is finished; not to "
                    "verifying"),
    ("inquiry", R, "is 已归档 (closed) and may move only to: none: it is finished; not to "
                   "received"),
])
def test_a_move_the_lifecycle_does_not_allow(story, run, home, name, to, message):
    before = written(home)
    result = run("ticket", "move", story.tickets[name], to)
    assert result.exit_code == 2, result.output
    assert f"ticket {story.tickets[name]} {message}" in result.output
    assert written(home) == before


PARTIES = [
    pytest.param(
        ("ticket", "assign", "{no_reply}", "--party", "builder", "--unit", "无名建筑公司"),
        "unit '无名建筑公司' is not in [parties] builders of aftersales.toml "
        "(示例建设集团第三项目部); add it there or pick one", id="assigning an unknown builder"),
    pytest.param(
        ("fill", "site-survey", "{no_reply}", {"surveyed_at": "2026-11-04 10:00",
                                               "within_warranty": "yes", "party": "outsourced",
                                               "unit": "无名外包公司"}),
        "unit '无名外包公司' is not in [parties] outsourced of aftersales.toml",
        id="a survey naming an unknown contractor"),
    pytest.param(
        ("fill", "dispatch-order", "{builder_idle}", {"party": "in_house", "unit": "第二维修班",
                                                      "sent_at": "2026-11-13 08:00"}),
        "unit '第二维修班' is not in [parties] in_house of aftersales.toml (物业维修班)",
        id="a dispatch to an unknown team"),
    pytest.param(
        ("fill", "site-survey", "{no_reply}", {"surveyed_at": "2026-11-04 10:00",
                                               "within_warranty": "yes", "party": "in_house",
                                               "unit": IN_HOUSE, "estimated_cost": "2500.00"}),
        "the estimated cost 2,500.00 is above [repairs] small_limit 2,000.00",
        id="a large repair surveyed for the in-house team"),
]


def invoke_case(story: Story, args: tuple):
    """A CLI command of a case table: `{name}` names a story ticket; a fill's data is a dict."""
    if args[0] == "fill":
        _, form, ticket, fields = args
        return fill(story.run, story.home, form, named(ticket, story.tickets), **fields)
    return story.run(*named(list(args), story.tickets))


@pytest.mark.parametrize(("args", "message"), PARTIES)
def test_a_party_not_in_the_configuration_is_refused(story, home, args, message):
    before = written(home)
    result = invoke_case(story, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert written(home) == before


NOT_NOW = [
    pytest.param(
        ("fill", "site-survey", "{rework}", {"surveyed_at": "2026-11-18 10:00",
                                             "within_warranty": "yes", "party": "in_house",
                                             "unit": IN_HOUSE, "estimated_cost": "100.00"}),
        "is 已验收 (accepted); this site-survey record would move it to 已派工 (assigned), "
        "which the lifecycle does not allow from there (from accepted: followed_up, closed)",
        id="a survey of an accepted repair"),
    pytest.param(
        ("fill", "dispatch-order", "{rejected}", {"party": "in_house", "unit": IN_HOUSE,
                                                  "sent_at": "2026-11-07 10:00"}),
        "is 不予受理 (rejected); this dispatch-order record would move it to 维修中 (repairing), "
        "which the lifecycle does not allow from there (from rejected: none: it is finished)",
        id="a dispatch order for a rejected ticket"),
    pytest.param(
        ("fill", "warranty-notice", "{builder_fixes}", {"builder": BUILDER,
                                                        "sent_at": "2026-11-20 10:00"}),
        "is 已归档 (closed); this warranty-notice record would move it to 维修中 (repairing), "
        "which the lifecycle does not allow from there (from closed: none: it is finished)",
        id="a warranty notice for a closed ticket"),
    pytest.param(
        ("fill", "acceptance-slip", "{no_reply}", {"accepted_at": "2026-11-04 10:00",
                                                   "result": "pass"}),
        "is 已受理 (received); this acceptance-slip record would move it to 已验收 (accepted)",
        id="an acceptance slip for a ticket only received"),
]


@pytest.mark.parametrize(("args", "message"), NOT_NOW)
def test_a_record_the_lifecycle_does_not_allow_now(story, home, args, message):
    before = written(home)
    result = invoke_case(story, args)
    assert result.exit_code == 2, result.output
    assert written(home) == before
    assert message in result.output


# --- records filed several steps ahead (a workspace of their own: they would change it) ----


@pytest.fixture
def fresh(backend, tmp_path, monkeypatch) -> Story:
    """An empty workspace, and on PostgreSQL an empty database, for this test alone."""
    root = tmp_path / "fresh"
    root.mkdir()
    if backend == "postgresql":
        from tests.postgres import fresh_database, need_postgres

        with fresh_database(need_postgres()) as url:
            monkeypatch.setenv("AFTERSALES_INDEX_URL", url)
            yield Story(root, cli_runner(root))
        return
    yield Story(root, cli_runner(root))


def assigned_to_the_builder(fresh: Story) -> str:
    ticket = filed(fresh.run, fresh.home, "complaint", received_at="2026-11-02 09:00",
                   kind="complaint", urgency="normal", category="leakage")["ticket"]
    filed(fresh.run, fresh.home, "site-survey", ticket, surveyed_at="2026-11-02 14:00",
          within_warranty="yes", party="builder", unit=BUILDER, estimated_cost="820.50")
    return ticket


def test_a_follow_up_needs_the_work_accepted_first(fresh):
    ticket = assigned_to_the_builder(fresh)
    before = written(fresh.home)
    result = fill(fresh.run, fresh.home, "followup", ticket, visited_at="2026-11-03 10:00")
    assert result.exit_code == 2, result.output
    assert written(fresh.home) == before


def test_a_reopened_ticket_is_not_accepted_before_it_is_repaired_again(fresh):
    ticket = assigned_to_the_builder(fresh)
    filed(fresh.run, fresh.home, "warranty-notice", ticket, builder=BUILDER,
          sent_at="2026-11-02 18:00")
    filed(fresh.run, fresh.home, "acceptance-slip", ticket, accepted_at="2026-11-04 16:00",
          result="pass")
    filed(fresh.run, fresh.home, "followup", ticket, visited_at="2026-11-06 10:00",
          satisfaction="unsatisfied")
    assert ticket_cmd(fresh.run, "show", ticket)["state"] == R
    before = written(fresh.home)
    result = fill(fresh.run, fresh.home, "acceptance-slip", ticket,
                  accepted_at="2026-11-07 10:00", result="pass")
    assert result.exit_code == 2, result.output
    assert "is 已受理 (received)" in result.output
    assert written(fresh.home) == before
