"""The demo tells one case a new user can follow, complaint to archive: the bathroom ceiling of
3-2-1203 leaks from the flat above; the builder is given notice and does not come; the
outsourced contractor of the maintenance agreement in force does the work under a minor-works
agreement; the centre accepts it, calls the owner back and archives the papers; the month's
register, settlement, charge-back and summaries carry the same rooms, dates and amounts.

First the forms' `sample:` data is read as data and checked against itself; then the demo is
run and its documents are read back as the user reads them (pdftotext)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from generator.documents.demo import ARCHIVED_AT, SAMPLE_TICKET
from generator.documents.forms import list_forms, load_form
from generator.workspace import Workspace
from tests.conftest import body_text, pdftotext

# A room as building-unit-room, not inside a date, a ticket number or a card number.
ROOM = re.compile(r"(?<![\w-])(\d{1,2})-(\d{1,2})-(\d{3,4})(?![\w-])")
MONTH = "2026-11"


@pytest.fixture(scope="module")
def samples() -> dict[str, dict]:
    workspace = Workspace.open(None)
    return {name: load_form(workspace, name).sample for name in list_forms(workspace)
            if load_form(workspace, name).sample}


def moment(value) -> dt.datetime:
    """A sample's date or time ("2026-11-16 14:00", a date) as a time, a date at midnight."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.fromisoformat(str(value))


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def texts(value) -> list[str]:
    """Every string inside a sample, however deep."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def flat_above(room: str) -> str:
    building, unit, number = ROOM.fullmatch(room).groups()
    return f"{building}-{unit}-{int(number) + 100}"


def ticket_forms(samples) -> dict[str, dict]:
    """The samples the demo files under its ticket (the complaint's and those that need one)."""
    workspace = Workspace.open(None)
    return {name: data for name, data in samples.items()
            if load_form(workspace, name).ticket_mode in ("opens", "requires")}


def rows_of(data: dict, table: str) -> list[dict]:
    return [row for row in data[table] if row.get("ticket_no") == SAMPLE_TICKET]


# --- the samples, as data -----------------------------------------------------------------------


def test_one_home_and_its_owner_wherever_they_appear(samples):
    complaint = samples["complaint"]
    room, owner, phone = complaint["room"], complaint["owner_name"], complaint["phone"]
    for name, data in samples.items():
        if name in ticket_forms(samples) or name == "warranty-card":
            assert data.get("room", room) == room, name
            assert data.get("owner_name", owner) == owner, name
            assert data.get("phone", phone) == phone, name
    for name, table in (("repair-register", "repairs"), ("monthly-settlement", "items"),
                        ("charge-back", "items")):
        (row,) = rows_of(samples[name], table)
        assert row["room"] == room, name
    card = samples["warranty-card"]
    assert [entry["owner_signature"] for entry in card["repair_log"]] == [owner]


def test_the_case_names_only_the_home_and_the_flat_above_it(samples):
    """The leak comes from the flat right above (3-2-1303 over 3-2-1203), never from another
    building: every room a ticket paper or the case's rows mention is one of the two."""
    room = samples["complaint"]["room"]
    case = [*ticket_forms(samples).values(), samples["warranty-card"],
            *rows_of(samples["repair-register"], "repairs"),
            *rows_of(samples["monthly-settlement"], "items"),
            *rows_of(samples["charge-back"], "items")]
    mentioned = {m.group(0) for data in case for text in texts(data)
                 for m in ROOM.finditer(text)}
    assert mentioned == {room, flat_above(room)}
    assert flat_above(room) in samples["site-survey"]["cause"]


def test_the_papers_are_dated_along_the_procedure(samples):
    """Complaint ≤ survey ≤ feedback ≤ builder notice; the builder's deadline passes before
    the dispatch order reassigns the job; repair ≤ acceptance ≤ follow-up ≤ archive; all in
    the month the summaries cover."""
    (repair,) = rows_of(samples["repair-register"], "repairs")
    notice, dispatch = samples["warranty-notice"], samples["dispatch-order"]
    steps = [samples["complaint"]["received_at"], samples["site-survey"]["surveyed_at"],
             samples["feedback"]["fed_back_at"], notice["sent_at"], notice["received_at"],
             notice["site_check_by"], dispatch["sent_at"], dispatch["received_at"],
             repair["arrived_at"], repair["finished_at"],
             samples["acceptance-slip"]["accepted_at"], samples["followup"]["visited_at"],
             ARCHIVED_AT]
    times = [moment(step) for step in steps]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert all(t.strftime("%Y-%m") == MONTH for t in times)
    assert moment(repair["finished_at"]) <= moment(dispatch["complete_by"])
    assert moment(repair["arrived_at"]) <= moment(dispatch["site_check_by"])


def test_the_builder_is_the_same_everywhere_and_the_contractor_too(samples):
    builder = samples["site-survey"]["unit"]
    assert samples["site-survey"]["party"] == "builder"
    assert builder == samples["warranty-notice"]["builder"] == samples["charge-back"]["builder"] \
        == samples["warranty-card"]["builder"]
    assert samples["warranty-notice"]["contact"] in samples["site-survey"]["contact"]
    contractor = samples["maintenance-agreement"]["party_b"]
    dispatch = samples["dispatch-order"]
    assert (dispatch["party"], dispatch["unit"]) == ("outsourced", contractor)
    assert samples["minor-works-agreement"]["party_b"] == contractor
    (repair,) = rows_of(samples["repair-register"], "repairs")
    assert repair["party"] == "outsourced" and repair["worker"].startswith(contractor)
    assert dispatch["repairman"] in repair["worker"]
    inspector = samples["acceptance-slip"]["inspector"]
    assert inspector == samples["warranty-notice"]["sent_by"] == dispatch["sent_by"]
    assert inspector in samples["site-survey"]["surveyors"]


def test_the_repair_costs_the_same_on_every_paper(samples):
    """Survey estimate = agreement price = register row = settlement row = charge-back cost;
    the charge-back adds the fee; the month's summary counts the settlement and charge-back."""
    survey, agreement = samples["site-survey"], samples["minor-works-agreement"]
    priced = [money(item["quantity"]) * money(item["unit_price"]) for item in agreement["items"]]
    price = sum(priced, Decimal(0))
    assert [(i["item"], i["unit"], money(i["quantity"])) for i in survey["items"]] == [
        (i["item"], i["unit"], money(i["quantity"])) for i in agreement["items"]]
    (repair,) = rows_of(samples["repair-register"], "repairs")
    (settled,) = rows_of(samples["monthly-settlement"], "items")
    (charged,) = rows_of(samples["charge-back"], "items")
    assert money(survey["estimated_cost"]) == price
    assert money(repair["labour_cost"]) + money(repair["material_cost"]) == price
    assert (money(settled["labour_cost"]), money(settled["material_cost"])) == (
        money(repair["labour_cost"]), money(repair["material_cost"]))
    assert money(settled["amount"]) == money(charged["cost"]) == price
    assert settled["borne_by"] == repair["paid_by"] == "builder"


def test_the_agreement_rates_are_the_maintenance_agreements(samples):
    rates = {(r["unit"], money(r["unit_price"]))
             for r in samples["maintenance-agreement"]["rates"]}
    for item in samples["minor-works-agreement"]["items"]:
        assert (item["unit"], money(item["unit_price"])) in rates, item["item"]


def test_every_agreement_is_in_force_when_the_work_is_done(samples):
    (repair,) = rows_of(samples["repair-register"], "repairs")
    start, finish = moment(repair["arrived_at"]), moment(repair["finished_at"])
    upkeep = samples["maintenance-agreement"]
    assert moment(upkeep["signed_on"]) <= moment(upkeep["term_from"]) <= start
    assert finish <= moment(upkeep["term_to"])
    minor = samples["minor-works-agreement"]
    assert moment(samples["warranty-notice"]["site_check_by"]) <= moment(minor["signed_on"])
    assert moment(minor["signed_on"]) <= moment(minor["start_date"]) <= start
    assert finish.date() <= moment(minor["finish_date"]).date()


def test_the_months_money_adds_up_across_settlement_charge_back_and_summaries(samples):
    settlement, charge_back = samples["monthly-settlement"], samples["charge-back"]
    assert str(settlement["period"]) == str(charge_back["period"]) == MONTH
    builders = [row for row in settlement["items"] if row["borne_by"] == "builder"]
    builder_share = sum((money(row["amount"]) for row in builders), Decimal(0))
    assert money(settlement["builder_share"]) == builder_share
    assert [(row["ticket_no"], row["room"], money(row["amount"])) for row in builders] == [
        (row["ticket_no"], row["room"], money(row["cost"])) for row in charge_back["items"]]
    rate = Decimal(charge_back["fee_percent"]) / 100
    for row in charge_back["items"]:
        assert money(row["fee"]) == money(money(row["cost"]) * rate)
        assert money(row["amount"]) == money(row["cost"]) + money(row["fee"])
    advanced = sum((money(row["amount"]) for row in settlement["items"]), Decimal(0))
    owed = sum((money(row["amount"]) for row in charge_back["items"]), Decimal(0))
    monthly = samples["monthly-summary"]
    assert (moment(monthly["period_from"]), moment(monthly["period_to"])) == (
        dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 30))
    assert (money(monthly["costs_advanced"]), money(monthly["costs_recovered"])) == (
        advanced, owed)
    week = samples["weekly-summary"]
    first, last = moment(week["period_from"]), moment(week["period_to"])
    in_week = [row for row in settlement["items"] if first <= moment(row["date"]) <= last]
    assert SAMPLE_TICKET in {row["ticket_no"] for row in in_week}
    assert money(week["costs_advanced"]) == sum((money(r["amount"]) for r in in_week),
                                                Decimal(0))
    week_tickets = {row["ticket_no"] for row in in_week}
    assert money(week["costs_recovered"]) == sum(
        (money(r["amount"]) for r in charge_back["items"] if r["ticket_no"] in week_tickets),
        Decimal(0))


def test_no_paper_is_dated_after_the_month_it_belongs_to(samples):
    """Summaries cover periods that have ended by the end of the case's month: the week and
    month of the case, the last full quarter and year; the training and inspection fall in
    the month."""
    end = dt.datetime(2026, 11, 30)
    for name in ("weekly-summary", "monthly-summary", "quarterly-summary", "annual-summary"):
        data = samples[name]
        assert moment(data["period_to"]) <= end, name
        assert all(moment(row["due"]) <= moment(data["period_to"]) + dt.timedelta(days=1)
                   for row in data["overdue_list"]), name
    assert moment(samples["training-record"]["date"]).strftime("%Y-%m") == MONTH
    assert moment(samples["daily-inspection"]["inspected_on"]).strftime("%Y-%m") == MONTH
    (repair,) = rows_of(samples["repair-register"], "repairs")
    assert moment(samples["warranty-card"]["repair_log"][0]["date"]).date() == moment(
        samples["acceptance-slip"]["accepted_at"]).date()
    assert moment(repair["date"]).date() == moment(repair["finished_at"]).date()


SUMMARIES = ("weekly-summary", "monthly-summary", "quarterly-summary", "annual-summary")


@pytest.mark.parametrize("name", SUMMARIES)
def test_a_summarys_comparison_table_and_trend_agree_with_its_measures(samples, name):
    """The table "compared with the previous period" repeats the measures above it, and the
    trend's buckets are the days or months of the summary's own period."""
    from generator.reports.figures import FIGURES

    data = samples[name]
    by_label = {figure.label["zh"]: figure.key for figure in FIGURES}
    for row in data["figures"]:
        assert money(row["value"]) == money(data[by_label[row["figure"]]]), row["figure"]
    first, last = moment(data["period_from"]), moment(data["period_to"])
    for row in data["trend"]:
        bucket = str(row["bucket"])
        start = (dt.datetime.fromisoformat(f"{bucket}-01") if len(bucket) == 7
                 else dt.datetime.fromisoformat(f"{first.year}-{bucket}"))
        assert first <= start <= last, (name, bucket)


# --- the demo, as the user reads it -------------------------------------------------------------


@pytest.fixture
def demo(run, home) -> dict:
    result = run("demo", "--packet", "--json")
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)
    pdfs = {r["form"]: home / d["path"] for r in results for d in r["documents"]
            if d["format"] == "pdf"}
    return {"ticket": results[0]["ticket"], "pdfs": pdfs}


def read(path: Path) -> str:
    return body_text(pdftotext(path))


def test_the_demo_prints_one_case_and_archives_it(run, demo, samples):
    ticket = demo["ticket"]
    shown = run("ticket", "show", ticket, "--json")
    assert shown.exit_code == 0, shown.output
    story = json.loads(shown.output)
    assert story["state"] == "closed"
    assert story["facts"]["unit"] == samples["dispatch-order"]["unit"]
    assert [d["on_time"] for d in story["deadlines"]] == [True] * len(story["deadlines"])
    assert run("index", "verify").exit_code == 0

    pdfs = {form: read(path) for form, path in demo["pdfs"].items()}
    complaint = samples["complaint"]
    above = flat_above(complaint["room"])
    for form in ("complaint", "site-survey", "warranty-notice", "dispatch-order",
                 "acceptance-slip", "followup", "warranty-card", "repair-register",
                 "monthly-settlement", "charge-back"):
        assert complaint["room"] in pdfs[form], form
    for form in ("complaint", "site-survey", "followup", "warranty-card", "acceptance-slip"):
        assert complaint["owner_name"] in pdfs[form], form
    for form in ("site-survey", "feedback", "warranty-notice", "dispatch-order",
                 "acceptance-slip", "minor-works-agreement", "repair-register", "charge-back"):
        assert above in pdfs[form], form
    for form, text in pdfs.items():
        rooms = {m.group(0) for m in ROOM.finditer(text)}
        if form not in ("monthly-settlement", "charge-back", "weekly-summary",
                        "monthly-summary", "quarterly-summary", "annual-summary"):
            assert rooms <= {complaint["room"], above}, (form, rooms)
    price = "1,774.50"
    for form in ("site-survey", "feedback", "minor-works-agreement", "repair-register",
                 "monthly-settlement", "charge-back"):
        assert price in pdfs[form], form
    assert "壹仟柒佰柒拾肆元伍角整" in pdfs["minor-works-agreement"]
    assert f"{ticket}3-2-1203" in pdfs["charge-back"]
    contractor = samples["dispatch-order"]["unit"]
    for form in ("feedback", "dispatch-order", "minor-works-agreement", "maintenance-agreement",
                 "repair-register"):
        assert contractor in pdfs[form], form
    # the builder's deadline, then the reassignment (the text is read without spaces)
    assert "到场查验时限2026-11-1716:30" in pdfs["warranty-notice"]
    assert "派工时间2026-11-1809:00" in pdfs["dispatch-order"]
    assert "16,326.75" in pdfs["charge-back"] and "16,326.75" in pdfs["monthly-summary"]
    assert "14,529.50" in pdfs["monthly-settlement"] and "14,529.50" in pdfs["monthly-summary"]


def test_the_months_summary_from_the_index_counts_the_case_as_the_papers_do(run, demo, home,
                                                                          samples):
    """scripts/demo ends with the month's summary computed from the index: the case's cost
    as the settlement claims it, and what the charge-back recovers for it."""
    result = run("summary", "monthly", "--period", MONTH, "--format", "pdf", "--json")
    assert result.exit_code == 0, result.output
    (document,) = json.loads(result.output)["documents"]
    text = read(home / document["path"])
    (charged,) = rows_of(samples["charge-back"], "items")
    assert f"本期垫付费用（元）{money(charged['cost']):,}" in text
    assert f"本期应追偿（元）{money(charged['amount']):,}" in text
