"""The monthly settlement (月度结算单) and the charge-back lists (追偿清单), computed from the
repair registers of the month.

The property company advances the cost of the repairs its own team or the outsourced contractor
does; once a month it claims them from the developer, whose share is what the developer bears
and what the builder owes (the developer recovers that from the builder). Repairs the builder
did itself cost the property company nothing, and an owner's own share is collected from the
owner: neither is claimed. Each builder's list is its cost plus the handling fee
([promises] handling_fee_percent). Every figure comes from the register rows, to the cent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

from generator.documents.fill import FillResult, fill, parse_formats, prepare
from generator.documents.forms import load_form
from generator.errors import NumberTaken, UsageError
from generator.records.index import index_of
from generator.records.reporting import Reporting, fact
from generator.tickets.costs import repair_rows
from generator.workspace import Workspace

SETTLEMENT, CHARGE_BACK = "monthly-settlement", "charge-back"
ADVANCED = ("in_house", "outsourced")  # the parties whose work the property company pays for
CLAIMED = ("developer", "builder")
CENT = Decimal("0.01")
UNKNOWN_BUILDER = "未指定承建商"


@dataclass
class Settlement:
    period: str
    settlement: dict[str, Any]
    charge_backs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by builder
    documents: list[FillResult] = field(default_factory=list)


def check_period(period: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--period: a month is YYYY-MM, like 2026-11; got {period!r}")
    return period


@dataclass
class Costs:
    """The repairs of a stretch of days whose cost the property company advanced and the
    developer or the builder bears, with what each builder owes back."""

    items: list[dict[str, Any]] = field(default_factory=list)
    shares: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    recover: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Charge:
    """One register row whose cost the property company advanced: who bears it, and what the
    builder owes back when it is the builder's (cost plus the handling fee)."""

    row: dict[str, Any]
    amount: Decimal
    borne_by: str
    builder: str = ""
    fee: Decimal = Decimal(0)


def charges(workspace: Workspace, spans: list[tuple[str, str]], *,
            builders: bool = True) -> Iterator[Charge]:
    """The advanced repairs dated in any of `spans` [start, end) (YYYY-MM-DD), streamed: the
    one rule the settlement sheets and the summaries both count by, so their figures
    reconcile. `builders=False` leaves out which builder owes a charge (a total needs no
    names, and is spared looking them up)."""
    index = index_of(workspace)
    config = workspace.config
    rate = Decimal(config["promises"]["handling_fee_percent"])
    listed = config["parties"]["builders"]
    default_builder = listed[0] if len(listed) == 1 else UNKNOWN_BUILDER
    reporting = Reporting(index)
    # a case taken from a builder that did not act is the builder's, whatever its rows say:
    # the few such tickets, asked once
    taken = reporting.numbers_with("charge_back", fact("builder").is_not(None))
    rows = repair_rows(index, spans=spans, parties=ADVANCED)
    for _, register in groupby(rows, key=lambda row: row["register"]):
        register = list(register)
        borne = [(row, "builder" if row.get("ticket_no") in taken
                  else row.get("paid_by") or "developer") for row in register]
        names = {}
        if builders:  # the register's builder cases' builders, in one query
            names = reporting.facts([row["ticket_no"] for row, by in borne
                                     if by == "builder" and row.get("ticket_no")], ("builder",))
        for row, borne_by in borne:
            amount = row["labour_cost"] + row["material_cost"]
            if borne_by != "builder":
                yield Charge(row, amount, borne_by)
                continue
            fee = (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
            builder = names.get(row.get("ticket_no") or "", {}).get("builder")
            yield Charge(row, amount, borne_by, builder or default_builder, fee)


def costs(workspace: Workspace, start: str, end: str) -> Costs:
    """The advanced repairs dated in [start, end), listed as the settlement sheet and the
    charge-back lists print them."""
    result = Costs()
    for charge in charges(workspace, [(start, end)]):
        row, amount = charge.row, charge.amount
        result.shares[charge.borne_by] += amount
        if charge.borne_by not in CLAIMED:
            continue
        result.items.append({"date": row.get("date"), "ticket_no": row.get("ticket_no") or "",
                             "room": row.get("room") or "", "content": row.get("content") or "",
                             "party": row["party"], "labour_cost": row["labour_cost"],
                             "material_cost": row["material_cost"], "amount": amount,
                             "borne_by": charge.borne_by})
        if charge.borne_by == "builder":
            result.recover[charge.builder].append({
                "ticket_no": row.get("ticket_no") or "", "room": row.get("room") or "",
                "content": row.get("content") or "", "cost": amount, "fee": charge.fee,
                "amount": amount + charge.fee})
    return result


def totals(workspace: Workspace, ranges: list[tuple[str, str]]
           ) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """For each range of days [start, end): what costs() would claim from the developer and
    recover from the builders, summed as the rows stream by in one read of the registers
    (nothing listed: a year of registers needs no more memory than one)."""
    found = {span: [Decimal(0), Decimal(0)] for span in ranges}
    if not ranges:
        return {}
    for charge in charges(workspace, ranges, builders=False):
        day = str(charge.row.get("date", ""))[:10]
        for (start, end), sums in found.items():
            if start <= day < end:
                if charge.borne_by in CLAIMED:
                    sums[0] += charge.amount
                if charge.borne_by == "builder":
                    sums[1] += charge.amount + charge.fee
    return {span: (claimed, recovered) for span, (claimed, recovered) in found.items()}


def compute(workspace: Workspace, period: str) -> Settlement:
    """The month's settlement and charge-back lists, as the forms' data (nothing written)."""
    check_period(period)
    year, month = (int(part) for part in period.split("-"))
    following = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"
    found = costs(workspace, f"{period}-01", following)
    rate = int(workspace.config["promises"]["handling_fee_percent"])
    empty = "本月无须结算的垫付维修费用。" if not found.items else None
    settlement = {
        "period": period, "company": workspace.config["company"]["property_company"],
        "items": found.items, "builder_share": found.shares["builder"],
        "developer_share": found.shares["developer"], "owner_share": found.shares["owner"],
        **({"note": empty} if empty else {}),
    }
    charge_backs = {builder: {"period": period, "builder": builder, "fee_percent": rate,
                              "items": rows}
                    for builder, rows in sorted(found.recover.items())}
    return Settlement(period, settlement, charge_backs)


def monthly(workspace: Workspace, period: str, formats: str | list[str] | None = None
            ) -> Settlement:
    """Compute and file the month's settlement sheet and one charge-back list per builder, each
    numbered by the period; a month once settled is not settled again."""
    result = compute(workspace, period)
    year, month = period.split("-")
    # every sheet is checked before the first is written: a month is filed whole or not at all
    parse_formats(formats, workspace)  # a wrong --format is refused before anything is filed
    for name, data in [(SETTLEMENT, result.settlement),
                       *((CHARGE_BACK, d) for d in result.charge_backs.values())]:
        prepare(workspace, load_form(workspace, name), data, None, dt.datetime.now())
    try:
        result.documents.append(fill(workspace, SETTLEMENT, result.settlement, formats=formats,
                                     record_no=f"JS-{year}-{month}"))
        for number, data in enumerate(result.charge_backs.values(), start=1):
            result.documents.append(fill(workspace, CHARGE_BACK, data, formats=formats,
                                         record_no=f"ZC-{year}-{month}-{number:02d}"))
    except NumberTaken as exc:
        raise UsageError(f"the settlement of {period} is already filed ({exc.form} "
                         f"{exc.record_no} is {exc.state}); see `aftersales index list --form "
                         f"{exc.form}`") from None
    return result
