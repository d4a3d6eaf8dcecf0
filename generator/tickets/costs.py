"""Repair costs as the records state them: the rows of every filed repair register (维修情况登记表)
— one row per repair, with its ticket, labour and material costs and who pays. Settlements and
`ticket show` read them from the index, so their figures are the records' figures to the cent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from generator.records.index import Index
from generator.records.reporting import Reporting, datum

REGISTER = "repair-register"


def repair_rows(index: Index, *, ticket: str | None = None, period: str | None = None,
                start: str | None = None, end: str | None = None
                ) -> Iterator[dict[str, Any]]:
    """Every repair row of the filed registers (each register once, though it has a DOCX and a
    PDF), in filing order; only a ticket's, only those dated in `period` (YYYY-MM) or in
    [start, end) (YYYY-MM-DD). Money as Decimal; each row says which register it came from.
    A register's rows lie inside its period, so only registers whose period meets the dates
    asked for are read."""
    first, last = start, end
    if period is not None:
        first, last = f"{period}-01", f"{period}-99"
    conditions = []
    if first is not None:
        conditions.append(datum("period_to") >= first)
    if last is not None:
        conditions.append(datum("period_from") < last)
    seen: set[str] = set()
    for document in Reporting(index).documents(REGISTER, *conditions):
        if document["record_no"] in seen:
            continue
        seen.add(document["record_no"])
        data = json.loads(document["data"])
        for number, row in enumerate(data.get("repairs") or [], start=1):
            if ticket is not None and row.get("ticket_no") != ticket:
                continue
            day = str(row.get("date", ""))[:10]
            if period is not None and not day.startswith(period + "-"):
                continue
            if (start is not None and day < start) or (end is not None and day >= end):
                continue
            yield {
                **row,
                "labour_cost": Decimal(str(row.get("labour_cost") or 0)),
                "material_cost": Decimal(str(row.get("material_cost") or 0)),
                "register": document["record_no"], "row": number,
            }
