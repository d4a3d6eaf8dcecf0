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
                spans: list[tuple[str, str]] | None = None,
                parties: tuple[str, ...] | None = None) -> Iterator[dict[str, Any]]:
    """Every repair row of the filed registers (each register once, though it has a DOCX and a
    PDF), in filing order; only a ticket's, only those dated in `period` (YYYY-MM) or in one
    of `spans` [start, end) (YYYY-MM-DD), only those done by one of `parties`. Money as
    Decimal; each row says which register it came from. A register's rows lie inside its
    period, so only registers whose period meets the dates asked for are read."""
    if period is not None:
        spans = [(f"{period}-01", f"{period}-99")]
    conditions = []
    if spans is not None:
        # one range around them all: two look-ups into each register's data, however many
        # spans (PostgreSQL parses the JSON anew for each); the rows are sorted out below
        conditions += [datum("period_to") >= min(start for start, _ in spans),
                       datum("period_from") < max(end for _, end in spans)]
    for document in Reporting(index).records_of(REGISTER, *conditions):
        data = json.loads(document["data"])
        for number, row in enumerate(data.get("repairs") or [], start=1):
            if ticket is not None and row.get("ticket_no") != ticket:
                continue
            if parties is not None and row.get("party") not in parties:
                continue
            day = str(row.get("date", ""))[:10]
            if spans is not None and not any(start <= day < end for start, end in spans):
                continue
            yield {
                **row,
                "labour_cost": Decimal(str(row.get("labour_cost") or 0)),
                "material_cost": Decimal(str(row.get("material_cost") or 0)),
                "register": document["record_no"], "row": number,
            }
