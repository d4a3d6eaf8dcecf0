"""Dates and figures that make sense: a form's `checks:`, applied to validated data (and the
form's computed fields) before anything is written. Each refusal names both fields by label
and key.

    checks:
      - {field: completed_at, not_before: received_at}
      - {field: term_to, after: term_from}                   # strictly later
      - {field: response_urgent_hours, not_before: response_emergency_hours}   # numbers too
      - {field: visited_at, not_before: ticket.accepted}     # the ticket's milestones
      - {rows: repairs, field: finished_at, not_before: arrived_at}
      - {rows: repairs, field: date, within: [period_from, period_to]}
      - {rows: repairs, field: ticket_no, ticket_exists: true}
      - {rows: payment_stages, one_of: [percent, amount]}    # each row gives exactly one
      - {rows: payment_stages, shares: [percent, amount], add_up_to: total}
      - {rows: payment_stages, shares: [percent, amount], of: total,
         last_at_least: retention_percent}                   # the last share, in per cent

A ticket's milestones are when it was opened, assigned and accepted, as its history records
them (the business times of the records that made them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from generator.documents.forms import Field, Form, localised
from generator.errors import ConfigError

MILESTONES = {
    "opened": ({"zh": "受理", "en": "opening"}, lambda facts: facts.get("opened")),
    "assigned": ({"zh": "派工", "en": "assignment"},
                 lambda facts: (facts.get("reached") or {}).get("assigned")),
    "accepted": ({"zh": "验收", "en": "acceptance"},
                 lambda facts: (facts.get("reached") or {}).get("accepted")),
}
RELATIONS = ("not_before", "not_after", "after", "within", "ticket_exists")
# How two values compare, in words: dates come before or after, numbers are less or more.
ORDER_WORDS = {"date": ("before", "after"), "number": ("less than", "more than")}
SUMS = ("equals", "sums_to")  # figures that must add up (a summary typed in by hand)
SHARES = ("one_of", "shares")  # rows that split a price (payment stages)
HUNDRED, CENT = Decimal(100), Decimal("0.01")


def check_dates(form: Form, data: dict[str, Any], facts: dict[str, Any] | None,
                ticket_exists: Callable[[str], bool], language: str = "zh") -> list[str]:
    """Every check of `form` that `data` fails, one line each (empty: all hold)."""
    problems = []
    for rule in form.definition.get("checks") or []:
        if any(key in rule for key in SUMS):
            problems += _check_sum(form, rule, data, language)
            continue
        if any(key in rule for key in SHARES):
            problems += _check_shares(form, rule, data, language)
            continue
        relation = next((r for r in RELATIONS if r in rule), None)
        if relation is None or "field" not in rule:
            raise ConfigError(f"form {form.name}: a check needs `field` and one of "
                              f"{', '.join(RELATIONS)}, got {rule!r}")
        if "rows" in rule:
            table = form.fields.get(rule["rows"])
            if table is None:
                raise ConfigError(f"form {form.name}: check on unknown table {rule['rows']!r}")
            for number, row in enumerate(data.get(rule["rows"]) or [], start=1):
                where = f"{table.label(language)} row {number}: "
                problems += _check(form, rule, relation, row, data, facts, ticket_exists,
                                   columns=table.columns, prefix=where,
                                   path=f"{rule['rows']}[{number}].", language=language)
        else:
            problems += _check(form, rule, relation, data, data, facts, ticket_exists,
                               columns=form.fields, prefix="", path="", language=language)
    return problems


def _check(form: Form, rule: dict, relation: str, values: dict, top: dict,
           facts: dict | None, ticket_exists: Callable[[str], bool], *,
           columns: dict[str, Field], prefix: str, path: str, language: str) -> list[str]:
    key = rule["field"]
    value = values.get(key)
    if value in (None, ""):
        return []
    name = _name(columns.get(key), path + key, language)
    if relation == "ticket_exists":
        return [] if ticket_exists(str(value)) else [
            f"{prefix}{name}: no ticket {value} in the index"]
    if relation == "within":
        low_key, high_key = rule["within"]
        problems = []
        for other_key, wrong in ((low_key, "before"), (high_key, "after")):
            other = top.get(other_key)
            if other is not None and _compare(value, other) == (-1 if wrong == "before" else 1):
                other_name = _name(form.fields.get(other_key), other_key, language)
                words = _words(value)[wrong == "after"]
                problems.append(f"{prefix}{name} {_show(value)} is {words} {other_name} "
                                f"{_show(other)}")
        return problems
    other_key = rule[relation]
    if other_key.startswith("ticket."):
        milestone = other_key.partition(".")[2]
        label, read = MILESTONES[milestone]
        other = read(facts or {})
        if other is None:
            return []
        other = dt.datetime.fromisoformat(other)
        other_name = f"the ticket's {label['en']} ({label['zh']}, {other_key})"
    else:
        other = values.get(other_key, top.get(other_key) if values is not top else None)
        if other in (None, ""):
            return []
        other_name = _name(columns.get(other_key) or form.fields.get(other_key),
                           (path if other_key in columns else "") + other_key, language)
    order = _compare(value, other)
    lower, higher = _words(value)
    wrong = {"not_before": (order < 0, f"is {lower}"), "not_after": (order > 0, f"is {higher}"),
             "after": (order <= 0, f"is not {higher}")}
    failed, words = wrong[relation]
    return [f"{prefix}{name} {_show(value)} {words} {other_name} {_show(other)}"] if failed else []


def _words(value: Any) -> tuple[str, str]:
    return ORDER_WORDS["date" if isinstance(value, dt.date | dt.time) else "number"]


def _name(fld: Field | None, key: str, language: str) -> str:
    return f"{fld.label(language)} ({key})" if fld else key


def _compare(left: Any, right: Any) -> int:
    """-1, 0 or 1; a date against a date-and-time compares the days."""
    if isinstance(left, dt.datetime) != isinstance(right, dt.datetime):
        left = left.date() if isinstance(left, dt.datetime) else left
        right = right.date() if isinstance(right, dt.datetime) else right
    return (left > right) - (left < right)


def _show(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _check_sum(form: Form, rule: dict, data: dict[str, Any], language: str) -> list[str]:
    """Figures that must add up:
        {sum: [open_at_start, received], equals: [closed, rejected, carried_over]}
        {rows: by_category, column: received, sums_to: received}
    """
    def name(key: str) -> str:
        return _name(form.fields.get(key), key, language)

    if "sums_to" in rule:
        table = form.fields[rule["rows"]]
        column, total = rule["column"], data.get(rule["sums_to"])
        rows = data.get(rule["rows"]) or []
        if total is None or not rows:
            return []
        added = sum(row.get(column) or 0 for row in rows)
        if added == total:
            return []
        label = table.columns[column].label(language) if column in table.columns else column
        return [f"{table.label(language)} ({rule['rows']}): the rows' {label} ({column}) add up "
                f"to {added}, not {name(rule['sums_to'])} {total}"]
    left, right = rule["sum"], rule["equals"]
    if any(data.get(key) is None for key in (*left, *right)):
        return []
    total_left = sum(data[key] for key in left)
    total_right = sum(data[key] for key in right)
    if total_left == total_right:
        return []
    return [f"{' + '.join(name(k) for k in left)} = {total_left}, but "
            f"{' + '.join(name(k) for k in right)} = {total_right}; they must be equal"]


def _check_shares(form: Form, rule: dict, data: dict[str, Any], language: str) -> list[str]:
    """Rows that split a price, each by a percentage of it or an amount (payment stages)."""
    table_key = rule["rows"]
    table = form.fields[table_key]
    rows = data.get(table_key) or []

    def column(key: str) -> str:
        return _name(table.columns.get(key), key, language)

    def name(key: str) -> str:
        label = form.fields[key].label(language) if key in form.fields else localised(
            form.computed.get(key, {}).get("label"), language, key)
        return f"{label} ({key})"

    where = f"{table.label(language)} ({table_key})"
    if "one_of" in rule:
        choices = rule["one_of"]
        return [f"{table.label(language)} row {number}: give exactly one of "
                f"{' or '.join(column(c) for c in choices)}"
                for number, row in enumerate(rows, start=1)
                if sum(row.get(c) is not None for c in choices) != 1]
    percent_key, amount_key = rule["shares"]
    price = data.get(rule.get("add_up_to") or rule.get("of"))
    given = [sum(row.get(key) is not None for key in rule["shares"]) for row in rows]
    if price is None or not rows or set(given) != {1}:
        return []  # a row with neither or both is refused by its `one_of` check
    percents = [Decimal(str(row[percent_key])) for row in rows if row.get(percent_key) is not None]
    amounts = [Decimal(str(row[amount_key])) for row in rows if row.get(amount_key) is not None]
    if "add_up_to" in rule:
        price_name = name(rule["add_up_to"])
        if not amounts:
            added = sum(percents, Decimal(0))
            return [] if added == HUNDRED else [
                f"{where}: the stages' {column(percent_key)} add up to {added:f}%, not 100%"]
        added = (sum(amounts, Decimal(0)) + sum(percents, Decimal(0)) * price / HUNDRED)
        added = added.quantize(CENT, rounding=ROUND_HALF_UP)
        if added == price:
            return []
        parts = f"{column(amount_key)} {sum(amounts, Decimal(0)):,.2f}"
        if percents:
            parts += f" + {sum(percents, Decimal(0)):f}% of the price"
        return [f"{where}: the stages add up to {added:,.2f} ({parts}), not {price_name} "
                f"{price:,.2f}"]
    least_key = rule["last_at_least"]
    least, last = Decimal(str(data[least_key])), rows[-1]
    if last.get(percent_key) is not None:
        share = Decimal(str(last[percent_key]))
        held = f"{share:f}%"
    else:
        amount = Decimal(str(last.get(amount_key) or 0))
        share = amount * HUNDRED / price if price else HUNDRED
        held = f"{amount:,.2f} ({share.quantize(CENT, rounding=ROUND_HALF_UP):f}%)"
    if share >= least:
        return []
    return [f"{where}: the last stage holds back {held} of {name(rule['of'])}, less than "
            f"{name(least_key)} {least:f}% — the last stage is the retention paid after the "
            f"warranty, so its share must be at least the retention"]
