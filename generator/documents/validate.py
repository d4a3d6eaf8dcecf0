"""Input → checked data: normalise keys and types, validate with cerberus, vet every character.

Every problem is reported by the field's label and key ("业主姓名 (owner_name): required field"),
all at once, so a user fixes a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import cerberus
from cerberus import errors as cerberus_errors

from generator.documents.compute import MONEY_MAX
from generator.documents.forms import Field, Form
from generator.errors import QUOTED_LENGTH, ValidationFailed, quote, shorten


class Validator(cerberus.Validator):
    """cerberus with the types a form needs: money (Decimal yuan) and a time of day."""

    types_mapping = cerberus.Validator.types_mapping.copy()
    types_mapping["money"] = cerberus.TypeDefinition("money", (Decimal,), ())
    types_mapping["time"] = cerberus.TypeDefinition("time", (dt.time,), ())
    # a figure computed to one decimal place (a rate, a median) is a Decimal, as money is
    types_mapping["number"] = cerberus.TypeDefinition("number", (int, float, Decimal), (bool,))

    def _validate_decimals(self, places, field, value):
        """At most `places` digits after the decimal point (a percentage like 33.33).

        The rule's arguments are validated against this schema:
        {'type': 'integer', 'min': 0}
        """
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            exponent = Decimal(str(value)).as_tuple().exponent
            if isinstance(exponent, int) and exponent < -places:
                self._error(field, f"must have at most {places} decimals; got {quote(value)}")

    def _validate_checksum(self, scheme, field, value):
        """The value's check character is right for `scheme` (uscc: a unified social credit
        code, GB 32100-2015).

        The rule's arguments are validated against this schema:
        {'type': 'string', 'allowed': ['uscc']}
        """
        if isinstance(value, str) and USCC.fullmatch(value):
            expected = uscc_check_character(value[:17])
            if value[17] != expected:
                self._error(field, f"the check character (the 18th) of {value!r} is wrong: "
                                   f"the first 17 give {expected!r}; compare it with the "
                                   f"business licence")


# The unified social credit code (统一社会信用代码, GB 32100-2015): 17 characters of this
# alphabet (digits and capitals without I, O, S, V, Z) and a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC = re.compile(f"[{USCC_ALPHABET}]{{18}}")


def uscc_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code: weights 3^i mod 31, modulus 31."""
    total = sum(USCC_ALPHABET.index(char) * pow(3, position, 31)
                for position, char in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


# --- normalising -----------------------------------------------------------------------------


# Text a user types is matched against these ASCII patterns before Python parses it, so what
# Python would also accept — Arabic-Indic digits, 1_000, ISO week dates (2026-W48-6), a time
# zone, nan and inf — is refused by name, never read as something else.
INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
AMOUNT = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?",
                    re.ASCII)
NOT_FINITE = re.compile(r"[+-]?\.?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)
TIME_OF_DAY = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
DATETIME = re.compile(rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:[ T]{TIME_OF_DAY})?", re.ASCII)
TIME = re.compile(TIME_OF_DAY, re.ASCII)
# A whole number is stored as a 64-bit integer by anything that reads the index (SQLite, JSON
# readers in other languages); a number field keeps the 15 significant digits a float holds.
MAX_INTEGER_DIGITS = 18
MAX_SIGNIFICANT_DIGITS = 15
YES = ("yes", "y", "true", "1", "是")
NO = ("no", "n", "false", "0", "否")


def _parse(kind: str, value: Any) -> Any:
    """Turn text (from a data file, --set, prompts, a sheet) into the schema's type; leave other
    values alone (an XLSX cell's number or date) but for their range, so cerberus reports a
    wrong type itself. Raises ValueError with a reason."""
    if kind == "money":
        return _money(value)
    if isinstance(value, str):
        parse = TEXT_PARSERS.get(kind)
        if parse:
            return parse(value.strip())
        # Line endings are normalised; trailing blanks are never meaningful on a paper form.
        return value.strip().replace("\r\n", "\n")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 10 ** MAX_INTEGER_DIGITS:
        raise ValueError(f"must be a whole number of at most {MAX_INTEGER_DIGITS} digits")
    if kind in ("number", "float") and isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if kind == "string" and isinstance(value, int | float):
        return str(value)  # a sheet's cell holds room 1203 as a number; a room is text
    if kind == "datetime" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _money(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be an amount in yuan, like 1234.50")
    text = str(value).strip()
    if NOT_FINITE.fullmatch(text):
        raise ValueError(f"must be an amount in yuan up to {MONEY_MAX:,}")
    if isinstance(value, str) and not AMOUNT.fullmatch(text):
        raise ValueError("must be an amount in yuan, like 1234.50")
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("must be an amount in yuan, like 1234.50") from None
    if not amount.is_finite() or abs(amount) > MONEY_MAX:
        raise ValueError(f"must be an amount in yuan up to {MONEY_MAX:,}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must be an amount in yuan with at most 2 decimals")
    return amount.quantize(Decimal("0.01"))


def _integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise ValueError("must be a whole number")
    if len(text.lstrip("+-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"must be a whole number of at most {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _number(text: str) -> int | float:
    """A whole number stays an int (printed as 12, not 12.0), as YAML and JSON read it."""
    if NOT_FINITE.fullmatch(text):
        raise ValueError("must be a finite number")
    if not NUMBER.fullmatch(text):
        raise ValueError("must be a number")
    if len(Decimal(text).normalize().as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        raise ValueError(f"must be a number of at most {MAX_SIGNIFICANT_DIGITS} significant "
                         f"digits")
    if INTEGER.fullmatch(text):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def _date(text: str) -> dt.date:
    if not DATE.fullmatch(text):
        raise ValueError("must be a date like 2026-11-28")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date like 2026-11-28") from None  # 2026-02-30


def _datetime(text: str) -> dt.datetime:
    if not DATETIME.fullmatch(text):
        raise ValueError("must be a date and time like 2026-11-28 09:30")
    try:
        return dt.datetime.fromisoformat(text.replace("T", " ")).replace(second=0)
    except ValueError:
        raise ValueError("must be a date and time like 2026-11-28 09:30") from None


def _time(text: str) -> dt.time:
    try:
        if TIME.fullmatch(text):
            return dt.time.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError("must be a time like 09:30")


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValueError("must be yes or no")


TEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer, "number": _number, "float": _number, "date": _date,
    "datetime": _datetime, "time": _time, "boolean": _boolean,
}


def _resolve_choice(fld: Field, value: Any) -> Any:
    """Accept a choice by its code or by any of its labels (电话 or phone)."""
    if not fld.choices or not isinstance(value, str) or value in fld.choices:
        return value
    for code, labels in fld.choices.items():
        if value in labels.values() or value.lower() == str(code).lower():
            return code
    return value


def normalise_value(fld: Field, value: Any) -> Any:
    """One value in the field's type, a choice label mapped to its code. Raises ValueError."""
    return _resolve_choice(fld, _parse(fld.type, value))


HALF_WIDTH_BRACKETS = str.maketrans("（）", "()")


def key_lookup(fields: dict[str, Field]) -> dict[str, str]:
    """Every name a field may be given by (its key, its label in each language) → its key."""
    lookup = {}
    for key, fld in fields.items():
        for label in fld.meta.get("label", {}).values():
            lookup[label] = key
            # typed on a Latin keyboard: 人工费(元) for the label 人工费（元）
            lookup[label.translate(HALF_WIDTH_BRACKETS)] = key
        lookup[key] = key
    return lookup


def canonical_keys(form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """Top-level labels renamed to their keys, so defaults and inherited values see them. A field
    given both ways keeps its label key, for `normalise` to report."""
    lookup = key_lookup(form.fields)
    result: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = lookup.get(str(raw_key).strip(), raw_key)
        result[raw_key if key in result or key in data and key != raw_key else key] = value
    return result


Problem = tuple[tuple, str]  # (document path such as ("rows", 0, "date"), reason)


def normalise(form: Form, data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Map labels to keys and text to types. Returns the data and the problems found."""
    problems: list[Problem] = []
    result = _normalise_mapping(form.fields, data, problems, where=())
    return result, problems


def _normalise_mapping(
    fields: dict[str, Field], data: dict[str, Any], problems: list[Problem], where: tuple
) -> dict[str, Any]:
    lookup = key_lookup(fields)
    result: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = lookup.get(str(raw_key).strip(), str(raw_key).strip())
        if key in result:
            problems.append(((*where, key), "given twice (by its key and by its label)"))
            continue
        fld = fields.get(key)
        if fld is None or value is None:
            result[key] = value  # cerberus reports unknown fields; None means "not given"
            if value is None:
                del result[key]
            continue
        if fld.type == "list" and fld.columns and isinstance(value, list):
            rows = []
            for number, row in enumerate(value):
                if isinstance(row, dict):
                    row = _normalise_mapping(fld.columns, row, problems, (*where, key, number))
                rows.append(row)
            result[key] = rows
            continue
        try:
            result[key] = normalise_value(fld, value)
        except ValueError as exc:
            result[key] = value  # keep it, so cerberus does not also call it missing
            problems.append(((*where, key), f"{exc}; got {quote(value)}"))
    return result


# --- validating ------------------------------------------------------------------------------


def _describe(fields: dict[str, Field], path: tuple, language: str = "zh") -> str:
    """'维修日期 (rows[2].date)' for a document path like ('rows', 1, 'date')."""
    key, label = _locate(fields, path, language)
    return f"{label} ({key})" if label else key


def _locate(fields: dict[str, Field], path: tuple, language: str = "zh") -> tuple[str, str | None]:
    """('rows[2].date', '维修日期') for a document path like ('rows', 1, 'date'): the key as a
    person writes it and the label of the field it ends at (None for a key no field has)."""
    parts, label, current = [], None, fields
    for step in path:
        if isinstance(step, int):
            parts[-1] += f"[{step + 1}]"
            continue
        parts.append(shorten(str(step)))  # an unknown key may be any length
        fld = current.get(step) if current else None
        label = fld.label(language) if fld else None
        current = fld.columns if fld else {}
    return ".".join(parts), label


def _field_problem(fields: dict[str, Field], path: tuple, reason: str) -> dict[str, Any]:
    """One problem as --json shows it: the field as the message names it, its key, its label
    and what is wrong."""
    key, label = _locate(fields, path)
    return {"field": _describe(fields, path), "key": key, "label": label, "message": reason}


def _leaves(errors: Iterable[cerberus_errors.ValidationError]):
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


def _reason(error: cerberus_errors.ValidationError, fields: dict[str, Field]) -> str:
    fld = _field_at(fields, error.document_path)
    if error.code == cerberus_errors.REGEX_MISMATCH.code and fld and fld.meta.get("hint"):
        return f"{fld.meta['hint']}; got {quote(error.value)}"
    if error.code == cerberus_errors.UNALLOWED_VALUE.code and fld and fld.choices:
        allowed = ", ".join(f"{code} ({fld.choice_label(code)})" for code in fld.choices)
        return f"must be one of: {allowed}; got {quote(error.value)}"
    if error.code == cerberus_errors.UNKNOWN_FIELD.code:
        names = list(key_lookup(fields))
        close = difflib.get_close_matches(str(error.field)[:QUOTED_LENGTH], names, n=2)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"unknown field (not in the form's schema{hint})"
    if error.code == cerberus_errors.BAD_TYPE.code:
        if isinstance(error.value, bool):  # JSON's true and false are not text
            return (f"must be of {error.constraint} type; got {quote(error.value)} — JSON "
                    f"reads true and false as yes/no, so put the text in quotes")
        return f"must be of {error.constraint} type; got {quote(error.value)}"
    message = cerberus_errors.BasicErrorHandler.messages.get(error.code, "invalid")
    if error.code == cerberus_errors.CUSTOM.code:  # a rule of ours: its message quotes already
        return message.format(*error.info)
    # cerberus's own messages put the value (and, for lists, the unallowed items) in as given
    info = (shorten(item) if isinstance(item, str) else quote(item) for item in error.info)
    return message.format(*info, constraint=error.constraint, field=error.field,
                          value=quote(error.value))


def _field_at(fields: dict[str, Field], path: tuple) -> Field | None:
    fld, current = None, fields
    for step in path:
        if isinstance(step, int):
            continue
        fld = current.get(step)
        if fld is None:
            return None
        current = fld.columns
    return fld


def check(form: Form, data: dict[str, Any]) -> list[Problem]:
    """Validate normalised data against the form's schema; one problem per failing rule."""
    validator = Validator(form.schema)
    if validator.validate(data, normalize=False):
        return []
    fields = form.fields
    return [(error.document_path, _reason(error, fields)) for error in _leaves(validator._errors)]


def check_value(fld: Field, value: Any) -> list[str]:
    """Reasons one value breaks its field's rules (for prompts, which ask field by field)."""
    validator = Validator({fld.key: fld.rules})
    if validator.validate({fld.key: value}, normalize=False):
        return []
    return [_reason(error, {fld.key: fld}) for error in _leaves(validator._errors)]


# --- vetting characters ----------------------------------------------------------------------

# The one character policy, the same whatever the formats (README "Characters"): a value may
# hold any character the PDF's CJK font can draw, and line breaks. Line breaks are the only
# control character allowed: tabs and the like have no faithful rendering on a printed form, so
# they are refused rather than altered.
ALLOWED_CONTROLS = {"\n"}
CONTROLS = {"Cc", "Cs", "Co", "Cn"}
# Characters that change how text prints without being seen: bidi controls (U+202E shows
# "gpj.exe" as "exe.jpg"), zero-width spaces and joiners, the byte-order mark — Unicode's
# format characters (Cf) — and the line and paragraph separators, line breaks that only some
# programs honour. A font may well "draw" them (as nothing), so they are refused by name.
INVISIBLE = {"Cf", "Zl", "Zp"}


def _strings(value: Any, path: tuple = ()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _strings(item, (*path, number))


def unprintable(text: str, can_draw: Callable[[str], bool] | None) -> list[str]:
    """Each distinct character of `text` that a document cannot carry faithfully, described
    ("U+202E RIGHT-TO-LEFT OVERRIDE (invisible: …)"); `can_draw` is the PDF font's glyph check
    (None: the font is not consulted)."""
    bad = []
    for char in dict.fromkeys(text):
        category = unicodedata.category(char)
        if char in ALLOWED_CONTROLS:
            continue
        if category in CONTROLS:
            bad.append(f"{_char_name(char)} (control or unassigned character)")
        elif category in INVISIBLE:
            bad.append(f"{_char_name(char)} (invisible: it changes how the text prints "
                       f"without being seen)")
        elif can_draw is not None and not can_draw(char):
            bad.append(f"{_char_name(char)} (the PDF font has no glyph for it)")
    return bad


def vet_characters(
    form: Form, data: dict[str, Any], can_draw: Callable[[str], bool] | None
) -> list[Problem]:
    """Refuse characters a document cannot carry faithfully, naming field and character."""
    problems = []
    for path, text in _strings(data):
        bad = unprintable(text, can_draw)
        if bad:
            problems.append((path, f"cannot print {describe_characters(bad)}"))
    return problems


NAMED_CHARACTERS = 5  # a message names the first few; a pasted binary file has thousands


def describe_characters(bad: list[str]) -> str:
    """The first few of `unprintable`'s descriptions, and how many more there are."""
    more = len(bad) - NAMED_CHARACTERS
    return ", ".join(bad[:NAMED_CHARACTERS]) + (f" and {more:,} more" if more > 0 else "")


def _char_name(char: str) -> str:
    name = unicodedata.name(char, "")
    shown = char if unicodedata.category(char)[0] not in "CZ" else ""
    return f"'{shown}' U+{ord(char):04X} {name}".replace("'' ", "").strip()


def validate(
    form: Form, data: dict[str, Any], can_draw: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """The whole gate: normalise, validate, vet. Raises ValidationFailed listing every problem."""
    normalised, problems = normalise(form, data)
    # One message per field: a value that failed to parse is not also reported as mistyped.
    for more in (check(form, normalised), vet_characters(form, normalised, can_draw)):
        failed = {path for path, _ in problems}
        problems += [p for p in more if p[0] not in failed]
    if problems:
        fields = form.fields
        order = {key: number for number, key in enumerate(fields)}
        problems.sort(key=lambda p: order.get(p[0][0], len(order)) if p[0] else -1)
        raise ValidationFailed(
            form.name, [f"{_describe(fields, path)}: {reason}" for path, reason in problems],
            [_field_problem(fields, path, reason) for path, reason in problems],
        )
    return normalised
