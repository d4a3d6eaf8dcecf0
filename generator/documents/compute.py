"""Computed fields declared in a form's `computed:` section, and Chinese capital numerals.

The operations are few on purpose — sum a column, add fields, count matching rows, write an
amount in capitals — so that forms stay data and never carry code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from generator.errors import ConfigError

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿", "万亿"]


def capital_yuan(amount: Decimal | int | float | str) -> str:
    """An amount in yuan as written on Chinese contracts: 12345.60 → 壹万贰仟叁佰肆拾伍元陆角整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + capital_yuan(-value)
    fen_total = int(value * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan >= 10**16:
        raise ValueError("amount too large to write in capitals")

    words = _integer_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    else:
        words += "整"
    return words


def _integer_words(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    words = ""
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(words)
            continue
        if need_zero or (words and group < 1000):
            words += "零"
        words += _group_words(group) + GROUPS[index]
        need_zero = False
    return words


def _group_words(group: int) -> str:
    words, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + UNITS[position]
    return words


def _column(data: dict[str, Any], ref: str) -> tuple[str, str]:
    table, _, column = ref.partition(".")
    if not column:
        raise ConfigError(f"computed field refers to '{ref}'; expected table.column")
    return table, column


def evaluate(computed: dict[str, dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """Values of the computed fields, in declaration order (later ones may use earlier ones)."""
    values: dict[str, Any] = {}
    scope = dict(data)
    for key, spec in computed.items():
        if "sum" in spec:
            table, column = _column(data, spec["sum"])
            total = sum(
                (Decimal(str(row.get(column) or 0)) for row in data.get(table, [])), Decimal("0")
            )
            value: Any = total.quantize(Decimal("0.01"))
        elif "add" in spec:
            value = sum((Decimal(str(scope.get(k) or 0)) for k in spec["add"]), Decimal("0"))
            value = value.quantize(Decimal("0.01"))
        elif "count" in spec:
            where = spec.get("where", {})
            value = sum(
                1
                for row in data.get(spec["count"], [])
                if all(row.get(k) == v for k, v in where.items())
            )
        elif "capital" in spec:
            source = scope.get(spec["capital"])
            value = capital_yuan(source) if source is not None else ""
        else:
            raise ConfigError(f"computed field '{key}': unknown operation {sorted(spec)}")
        values[key] = value
        scope[key] = value
    return values
