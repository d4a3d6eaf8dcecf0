"""Computed fields declared in a form's `computed:` section, and Chinese capital numerals.

The operations are few on purpose — sum a column, add fields, count matching rows, write an
amount in capitals, and per row multiply columns — so that forms stay data and never carry
code.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from generator.documents.forms import Field, Form, localised
from generator.errors import ConfigError

if TYPE_CHECKING:
    from generator.workspace import Workspace

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
CENT = Decimal("0.01")
# The largest amount of money a document carries (in figures and in capitals), and so the
# schema's maximum for every `money` value, typed or computed. Capitals are right up to
# 9999万亿 (CAPITALS_LIMIT); the maximum stays below 10万亿 because 15 significant digits is
# what a YAML or JSON number (a float) holds exactly, so 9,999,999,999,999.99 typed as a
# number is still read to the cent.
MONEY_MAX = Decimal("9999999999999.99")
CAPITALS_LIMIT = 10**16  # 亿亿 is not a unit Chinese finance uses


def capital_yuan(amount: Decimal | int | float | str) -> str:
    """An amount in yuan as written on Chinese contracts: 12345.60 → 壹万贰仟叁佰肆拾伍元陆角整.

    Rounded half-up to the fen. The convention, as Chinese banks write it: 整 ends an amount
    with no fen (10.00 → 壹拾元整, 10.50 → 壹拾元伍角整); an amount with fen has no 整
    (1.05 → 壹元零伍分, 0.05 → 伍分); 零 stands for a run of missing digits between two that
    are there, once (1001 → 壹仟零壹元整, 1,0001,0000,0000 → 壹万零壹亿元整), never at the end
    of the yuan, and not before a 万 or 亿 section that starts at its top place (107,000.53 →
    壹拾万柒仟元伍角叁分, one of the two forms 《支付结算办法》 allows). Amounts up to
    9999万亿 less one fen; larger ones, or not a number, raise ValueError.
    """
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite() or abs(value) >= CAPITALS_LIMIT:
        raise ValueError(f"cannot write {amount!r} in capitals: amounts must be below "
                         f"{CAPITALS_LIMIT:,} yuan")
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + capital_yuan(-value)
    yuan, cents = divmod(int(value * 100), 100)
    jiao, fen = divmod(cents, 10)
    if yuan >= CAPITALS_LIMIT:  # 9999万亿 + 0.999 rounds up to 10^16
        raise ValueError(f"cannot write {amount!r} in capitals")

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
    """0 < number < 10^16: the part above 亿 is read as a number of 亿 (so 1,0001,0000,0000 is
    壹万零壹亿 — 万亿 is a 万 of 亿, not a unit of its own), the rest in 万."""
    return _split(number, 10**8, "亿", _wan_words)


def _wan_words(number: int) -> str:
    return _split(number, 10**4, "万", _group_words)


def _split(number: int, unit: int, name: str, read) -> str:
    """`number` as (how many `unit`s) `name` (the rest), with 零 when the rest is short of a
    digit at its top place (1,0001 → 壹万零壹)."""
    if number < unit:
        return read(number)
    high, rest = divmod(number, unit)
    words = read(high) + name
    if rest:
        words += ("零" if rest < unit // 10 else "") + read(rest)
    return words


def _group_words(group: int) -> str:
    """0 < group < 10^4, with 零 for inner zeros (1001 → 壹仟零壹), none at the end."""
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


class OverMaximum(ValueError):
    """A computed amount larger than MONEY_MAX."""

    def __init__(self, key: str, value: Decimal) -> None:
        super().__init__(f"{key} {value:,.2f} is more than the largest amount, {MONEY_MAX:,}")
        self.key, self.value = key, value


def _money(key: str, value: Decimal) -> Decimal:
    """An amount rounded half-up to the fen; refused above MONEY_MAX (checked first: a huge
    product cannot even be rounded in Decimal's precision)."""
    if abs(value) > MONEY_MAX:
        raise OverMaximum(key, value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _column(data: dict[str, Any], ref: str) -> tuple[str, str]:
    table, _, column = ref.partition(".")
    if not column:
        raise ConfigError(f"computed field refers to '{ref}'; expected table.column")
    return table, column


def evaluate(computed: dict[str, dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """Values of the computed fields, in declaration order (later ones may use earlier ones).
    Raises OverMaximum for a sum larger than any amount a document may carry."""
    values: dict[str, Any] = {}
    scope = dict(data)
    for key, spec in computed.items():
        if "sum" in spec:
            table, column = _column(data, spec["sum"])
            total = sum(
                (Decimal(str(row.get(column) or 0)) for row in data.get(table, [])), Decimal("0")
            )
            value: Any = _money(key, total)
        elif "add" in spec:
            value = _money(key, sum((Decimal(str(scope.get(k) or 0)) for k in spec["add"]),
                                    Decimal("0")))
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


# --- computed columns of a row table -----------------------------------------------------------
#
# A column whose schema says `meta: {computed: {multiply: [quantity, unit_price]}}` is worked
# out for every row (money rounded half-up to the fen). The input may leave it out; a value
# typed in must equal the computed one, so a contract never prints an amount that does not
# add up.


def complete(form: Form, data: dict[str, Any], language: str = "zh",
             workspace: Workspace | None = None,
             ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Validated data with its computed tables and columns filled in, the form's computed
    fields, and the problems: a typed value that is not what it computes to, an amount too
    large to print. A computed table needs the `workspace` (its rules are data there)."""
    data, problems = _fill_tables(form, data, language, workspace)
    if problems:
        return data, {}, problems
    data, problems = _fill_columns(form, data, language)
    if problems:
        return data, {}, problems
    try:
        return data, evaluate(form.computed, data), []
    except OverMaximum as exc:
        label = localised(form.computed[exc.key].get("label"), language, exc.key)
        return data, {}, [f"{label} ({exc.key}) {exc.value:,.2f} is more than the largest "
                          f"amount a document carries, {MONEY_MAX:,}"]


def _fill_columns(form: Form, data: dict[str, Any],
                  language: str) -> tuple[dict[str, Any], list[str]]:
    filled, problems = dict(data), []
    for key, table in form.fields.items():
        formulas = {column: col for column, col in table.columns.items()
                    if "computed" in col.meta}
        if not formulas or not isinstance(data.get(key), list):
            continue
        rows = []
        for number, row in enumerate(data[key], start=1):
            row = dict(row)
            for column, col in formulas.items():
                where = (f"{table.label(language)} row {number}: {col.label(language)} "
                         f"({key}[{number}].{column})")
                formula = " × ".join(table.columns[c].label(language)
                                     for c in _operands(col.meta["computed"], column))
                try:
                    value = _row_value(col, row)
                except OverMaximum as exc:
                    problems.append(f"{where} = {formula} = {exc.value:,.2f} is more than the "
                                    f"largest amount a document carries, {MONEY_MAX:,}")
                    continue
                typed = row.get(column)
                if typed is not None and Decimal(str(typed)) != value:
                    problems.append(f"{where} {typed} is not {formula} = {value}")
                row[column] = value
            rows.append(row)
        filled[key] = rows
    return filled, problems


def _operands(spec: dict[str, Any], column: str) -> list[str]:
    if set(spec) != {"multiply"} or not isinstance(spec["multiply"], list):
        raise ConfigError(f"computed column '{column}': expected {{multiply: [column, ...]}}, "
                          f"got {spec!r}")
    return spec["multiply"]


def _row_value(col: Field, row: dict[str, Any]) -> Decimal:
    product = Decimal(1)
    for operand in _operands(col.meta["computed"], col.key):
        product *= Decimal(str(row.get(operand) or 0))
    return _money(col.key, product) if col.type == "money" else product


# --- computed tables ---------------------------------------------------------------------------
#
# A row table whose schema says `meta: {computed: {KIND: {...}}}` is worked out whole from other
# fields and the workspace's rules; the input cannot give it (the schema marks it `readonly`).
# `warranty`: the warranty card's periods, from the law file and [warranty] in aftersales.toml,
# with `delivery`, `completion` and `omit` naming the fields they are counted from and left out
# by.


def _warranty_rows(form: Form, spec: dict[str, str], data: dict[str, Any],
                   workspace: Workspace, language: str) -> list[dict[str, str]]:
    """Raises ValueError naming the `omit` field for an item the law file does not have."""
    from generator.warranty.card import card_rows
    from generator.warranty.law import load_terms

    terms = load_terms(workspace)
    omit = spec.get("omit", "")
    try:
        return card_rows(terms, data[spec["delivery"]], data[spec["completion"]],
                         data.get(omit) or (), language)
    except ValueError as exc:
        raise ValueError(f"{form.fields[omit].label(language)} ({omit}): {exc}") from None


def _warranty_blank(spec: dict[str, str], workspace: Workspace,
                    language: str) -> list[dict[str, str]]:
    from generator.warranty.card import blank_rows
    from generator.warranty.law import load_terms

    return blank_rows(load_terms(workspace), language)


# kind → (the rows of a filled form, the rows a blank form prints)
TABLES: dict[str, tuple[Callable, Callable]] = {"warranty": (_warranty_rows, _warranty_blank)}


def _table_kind(form: Form, key: str, spec: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in TABLES:
        raise ConfigError(f"schemas/{form.name}.yaml: computed table '{key}': expected one of "
                          f"{', '.join(f'{{{kind}: ...}}' for kind in TABLES)}, got {spec!r}")
    kind = next(iter(spec))
    return kind, spec[kind]


def _computed_tables(form: Form) -> dict[str, tuple[str, dict[str, Any]]]:
    return {key: _table_kind(form, key, fld.meta["computed"])
            for key, fld in form.fields.items() if fld.columns and "computed" in fld.meta}


def _fill_tables(form: Form, data: dict[str, Any], language: str,
                 workspace: Workspace | None) -> tuple[dict[str, Any], list[str]]:
    filled, problems = dict(data), []
    for key, (kind, spec) in _computed_tables(form).items():
        if workspace is None:
            raise ValueError(f"form {form.name}: computed table '{key}' needs the workspace")
        try:
            filled[key] = TABLES[kind][0](form, spec, data, workspace, language)
        except ValueError as exc:  # a value of the input the rules refuse, named by the rule
            problems.append(str(exc))
    return filled, problems


def blank_tables(form: Form, workspace: Workspace, language: str = "zh") -> dict[str, Any]:
    """What a blank form prints of its computed tables (the warranty card's legal periods)."""
    return {key: TABLES[kind][1](spec, workspace, language)
            for key, (kind, spec) in _computed_tables(form).items()}
