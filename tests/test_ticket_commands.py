"""`aftersales ticket …`: people move tickets one allowed step at a time, every move recorded
with who, when, from → to and a note; anything else is refused naming what is allowed, and
changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import index_sql

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture(autouse=True)
def clerk(monkeypatch):
    monkeypatch.setenv("AFTERSALES_USER", "李娜")


def state_of(run, ticket: str) -> dict:
    result = run("ticket", "show", ticket, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_move_the_lifecycle_allows(run, complaint):
    ticket = complaint["ticket"]
    result = run("ticket", "move", ticket, "verifying", "--note", "已通知核算组")
    assert result.exit_code == 0, result.output
    assert f"{ticket}: 核实中 (verifying); may move to: assigned, rejected" in result.output
    story = state_of(run, ticket)
    assert story["state"] == "verifying"
    move = story["history"][-1]
    assert (move["kind"], move["from"], move["to"], move["by"], move["note"]) == (
        "moved", "received", "verifying", "李娜", "已通知核算组")
    assert run("index", "verify").exit_code == 0


@pytest.mark.parametrize(("to", "message"), [
    ("repairing", "is 已受理 (received) and may move only to: verifying, rejected, closed; "
                  "not to repairing"),
    ("nowhere", "unknown state 'nowhere'; the states are received, verifying"),
])
def test_a_move_it_does_not_allow_is_refused_naming_the_allowed_ones(run, home, complaint, to,
                                                                     message):
    ticket = complaint["ticket"]
    before = index_sql(home, "SELECT count(*) AS n FROM events")
    result = run("ticket", "move", ticket, to)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert state_of(run, ticket)["state"] == "received"
    assert index_sql(home, "SELECT count(*) AS n FROM events") == before


def test_an_unknown_ticket(run, complaint):
    for args in (("ticket", "show", "SH-2099-000001"),
                 ("ticket", "move", "SH-2099-000001", "verifying")):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "unknown ticket SH-2099-000001" in result.output


def test_assign_sets_the_party_and_the_promised_times(run, complaint):
    ticket = complaint["ticket"]
    assert run("ticket", "move", ticket, "verifying").exit_code == 0
    result = run("ticket", "assign", ticket, "--party", "builder", "--contact", "赵工 13900000000",
                 "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)["facts"]
    assert (facts["party"], facts["unit"], facts["builder"]) == (
        "builder", "示例建设集团第三项目部", "示例建设集团第三项目部")
    assigned_at = facts["reached"]["assigned"]
    # the sample complaint is normal: [promises] gives 24 hours and 7 days
    assert facts["due"]["site_check"] == shift(assigned_at, hours=24)
    assert facts["due"]["completion"] == shift(assigned_at, days=7)


def shift(stamp: str, **delta) -> str:
    import datetime as dt

    return (dt.datetime.fromisoformat(stamp) + dt.timedelta(**delta)).strftime("%Y-%m-%d %H:%M")


def test_a_party_not_in_the_configuration_is_refused(run, complaint):
    ticket = complaint["ticket"]
    assert run("ticket", "move", ticket, "verifying").exit_code == 0
    result = run("ticket", "assign", ticket, "--party", "builder", "--unit", "无名建筑公司")
    assert result.exit_code == 2, result.output
    assert "unit '无名建筑公司' is not in [parties] builders of aftersales.toml" in result.output
    assert state_of(run, ticket)["state"] == "verifying"


def test_a_builder_that_does_not_act_is_replaced_with_a_reason(run, complaint):
    ticket = complaint["ticket"]
    for args in (("move", ticket, "verifying"), ("assign", ticket, "--party", "builder"),
                 ("move", ticket, "repairing")):
        assert run("ticket", *args).exit_code == 0
    refused = run("ticket", "assign", ticket, "--party", "in_house")
    assert refused.exit_code == 2 and "say why it is taken from the builder" in refused.output
    result = run("ticket", "assign", ticket, "--party", "in_house", "--reason",
                 "承建商逾期未到场", "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)["facts"]
    assert facts["party"] == "in_house" and facts["charge_back"] is True
    assert facts["builder"] == "示例建设集团第三项目部"
    assert facts["replaced"]["reason"] == "承建商逾期未到场"
    story = state_of(run, ticket)
    assert story["state"] == "assigned"
    assert story["history"][-1]["reason"] == "承建商逾期未到场"
    assert run("index", "verify").exit_code == 0


def test_overdue_lists_what_is_late(run, complaint):
    """The sample complaint came in 2026-11-16 09:30, normal: a reply was due 24 hours later,
    and it has had none (the ticket is still received)."""
    ticket = complaint["ticket"]
    result = run("ticket", "list", "--overdue", "--json")
    assert result.exit_code == 0, result.output
    late = {t["ticket"]: t for t in json.loads(result.output)}
    assert ticket in late
    (reply,) = late[ticket]["overdue"]
    assert (reply["deadline"], reply["due"]) == ("reply", "2026-11-17 09:30")
    assert reply["late_hours"] > 0
    assert run("ticket", "move", ticket, "verifying").exit_code == 0
    result = run("ticket", "list", "--overdue", "--json")
    assert ticket not in {t["ticket"] for t in json.loads(result.output)}
    human = run("ticket", "list", "--state", "verifying")
    assert human.exit_code == 0 and ticket in human.output


def test_reopen_and_close_follow_the_lifecycle(run, complaint):
    ticket = complaint["ticket"]
    result = run("ticket", "reopen", ticket)
    assert result.exit_code == 2 and "may move only to" in result.output
    result = run("ticket", "close", ticket, "--note", "咨询已当场答复")
    assert result.exit_code == 0, result.output
    assert state_of(run, ticket)["state"] == "closed"
    result = run("ticket", "move", ticket, "received")
    assert result.exit_code == 2 and "may move only to: none: it is finished" in result.output


def test_a_move_recorded_after_the_fact(run, complaint):
    """--at says when it happened: the promised times count from it, the history keeps both
    that time and when it was recorded."""
    ticket = complaint["ticket"]
    result = run("ticket", "move", ticket, "verifying", "--at", "2026-11-16 11:00")
    assert result.exit_code == 0, result.output
    story = state_of(run, ticket)
    assert story["history"][-1]["when"] == "2026-11-16 11:00"
    (reply,) = story["deadlines"]
    assert (reply["due"], reply["met_at"], reply["on_time"]) == (
        "2026-11-17 09:30", "2026-11-16 11:00", True)
    result = run("ticket", "move", ticket, "assigned", "--at", "2026-13-01")
    assert result.exit_code == 2 and "Invalid value for '--at'" in result.output
