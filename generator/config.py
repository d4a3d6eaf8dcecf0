"""The configuration (aftersales.toml): one schema that holds every setting's type, allowed
values, default and the comment `aftersales init` writes beside it.

`load` checks a workspace's overrides against the schema and merges them over the defaults;
every problem is reported at once, each naming the key (dotted: tickets.prefix), the value and
the fix, so a misspelt key or an impossible value never falls back silently to a default.
"""

from __future__ import annotations

import copy
import difflib
import json
import textwrap
from pathlib import Path
from typing import Any

from cerberus import TypeDefinition, Validator
from cerberus.errors import UNKNOWN_FIELD

from generator import names
from generator.errors import ConfigError, quote

CONFIG_FILE = "aftersales.toml"
# The first bytes of a font file reportlab can embed: TrueType outlines, alone or in a
# collection. OpenType CFF ('OTTO', Noto CJK) and the rest are refused.
TRUETYPE_MAGIC = (b"\x00\x01\x00\x00", b"true", b"ttcf")
FORMATS = ("docx", "pdf", "xlsx", "csv")  # documents.fill.FORMATS, which this layer cannot import
LANGUAGES = ("zh", "en")
RULE_MATCHES = ("urgency", "category")


def _prefix(field: str, value: str, error) -> None:
    if not names.PREFIX.pattern.fullmatch(value):
        error(field, f"{names.PREFIX.what} is {names.PREFIX.words}")


def _font_file(field: str, value: str, error) -> None:
    """fonts.cjk: empty (search the system), or a TrueType file that exists."""
    if not value:
        return
    path = Path(value).expanduser()
    if not path.is_file():
        error(field, "no such file; name a TrueType (.ttf/.ttc) CJK font that exists, or leave "
                     "it empty to search the system's fonts")
        return
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        error(field, f"cannot be read ({exc.strerror}); make it readable or name another font")
        return
    if magic not in TRUETYPE_MAGIC:
        kind = "an OpenType CFF font" if magic == b"OTTO" else "not a TrueType font"
        error(field, f"{kind}, which PDFs cannot embed; name a TrueType (.ttf/.ttc) CJK font "
                     f"such as wqy-zenhei.ttc or simsun.ttc")


def _setting(kind: str, default: Any, help: str = "", **rules: Any) -> dict:
    return {"type": kind, "default": default, "meta": {"help": help}, **rules}


def _text(default: str, help: str = "", **rules: Any) -> dict:
    return _setting("string", default, help, **rules)


def _whole(default: int, help: str = "", minimum: int = 0, **rules: Any) -> dict:
    return _setting("whole", default, help, min=minimum, **rules)


def _section(help: str, **settings: dict) -> dict:
    return {"type": "dict", "meta": {"help": help}, "schema": settings}


NAMED = {"regex": r"(?s).*\S.*"}  # text that is not only spaces
PROMISES = {
    "onsite_hours": _whole(24, "Hours to be on site after a complaint is received."),
    "reply_hours": _whole(24, "Hours to reply to the owner."),
    "builder_response_hours": _whole(24, "Hours for the builder to respond to a dispatch."),
    "completion_days": _whole(7, "Days to complete a repair."),
    "analysis_days": _whole(3, "Days to analyse the cause of a defect."),
    "followup_days": _whole(3, "Days after completion to call the owner back."),
    "followup_rate_complaints": _whole(100, "Per cent of complaints followed up.",
                                       max=100),
    "followup_rate_repairs": _whole(30, "Per cent of repairs followed up.", max=100),
    "handling_fee_percent": _whole(50, "Handling fee, in per cent of the repair cost, "
                                       "charged back to the builder."),
}
WARRANTY_ITEMS = ("structure", "roof", "leaks", "plaster", "floors", "doors_windows",
                  "decoration", "pipes_equipment", "sanitary_ware", "lamps_switches",
                  "blocked_pipes", "heating_cooling", "other")
WARRANTY_DEFAULTS = ("design life", "5y", "1y", "1y", "1y", "1y", "2y", "3y", "1y", "6m", "2m",
                     "2 seasons", "1y")
RULE = {key: {"type": "whole", "min": 0} for key in PROMISES} | {
    key: {"type": "string"} for key in RULE_MATCHES}

SCHEMA: dict[str, dict] = {
    "company": _section(
        "The developer: its name, address and phone appear on every document.",
        name=_text("示例置业有限公司", "The developer's registered name.", **NAMED),
        address=_text("示例市示例区示例路 1 号", "Its address."),
        phone=_text("0571-88888888", "Its phone number."),
        property_company=_text("示例物业服务有限公司", "The property-management company that "
                               "staffs the centre and advances repair costs.")),
    "centre": _section(
        "The after-sales service centre owners deal with.",
        name=_text("商品房售后服务中心", "Its name (the project's name in summaries).", **NAMED),
        phone=_text("400-800-1234", "Its service phone."),
        address=_text("示例花园 1 号楼一层", "Where owners find it."),
        hours=_text("每日 8:30–17:30", "Its opening hours.")),
    "tickets": _section(
        "Ticket numbers (SH-2026-000001): they name folders of the document store, so change "
        "them only before the first ticket.",
        prefix=_text("SH", "Upper-case letters A-Z and digits, starting with a letter, at "
                     "most 8 characters.", check_with=_prefix),
        digits=_whole(6, "Width of the counter, 1 to 12.", minimum=names.DIGITS.start,
                      max=names.DIGITS.stop - 1)),
    "documents": _section(
        "The documents a fill writes.",
        language=_text("zh", "Language of the documents: zh or en.", allowed=list(LANGUAGES)),
        formats=_setting("list", ["docx", "pdf"], "Formats written when --format is not "
                         "given: docx, pdf, xlsx, csv.", schema={"type": "string",
                                                                "allowed": list(FORMATS)}),
        output=_text("output", "The document store: a folder inside the workspace, or an "
                     "absolute path shared by a centre's machines.", **NAMED)),
    "fonts": _section(
        "Fonts.",
        cjk=_text("", "A TrueType (.ttf/.ttc) file with CJK glyphs, embedded in every PDF "
                  "(OpenType CFF fonts such as Noto CJK cannot be embedded). Empty: search the "
                  "usual system locations.", check_with=_font_file),
        cjk_index=_whole(0, "Which face of a .ttc collection to use, from 0."),
        docx=_text("SimSun", "The East Asian font name written into DOCX files; Word and "
                   "LibreOffice substitute a CJK font they have when it is missing.", **NAMED)),
    "index": _section(
        "The index of every document filed.",
        path=_text("output/index.sqlite3", "The SQLite index of this workspace (relative to "
                   "it), used when url is empty.", **NAMED),
        url=_text("", "A shared index: postgresql://USER:PASSWORD@HOST:PORT/DATABASE (env "
                  "AFTERSALES_INDEX_URL wins over it)."),
        signing_key=_text("", "The Ed25519 key that signs checkpoints (`aftersales index "
                          "keygen` makes one); keep it away from the database. Env "
                          "AFTERSALES_SIGNING_KEY wins over it."),
        public_key=_text("", "Its public half, for auditors who check checkpoints without the "
                         "key."),
        busy_timeout=_whole(30, "Seconds to wait for another process that holds the index.")),
    "promises": _section(
        "Service promises, in hours unless named otherwise; shown in documents and the "
        "rulebook, and the promised times of a normal case (forms/_lifecycle.yaml, deadlines).",
        **PROMISES),
    "deadlines": _section(
        "Promised times by urgency and category: each rule that matches a ticket (its urgency, "
        "its category, or both) overrides the [promises] it names; later rules win. Giving "
        "[[deadlines.rules]] replaces this list.",
        rules=_setting("list", [
            {"urgency": "urgent", "reply_hours": 12, "builder_response_hours": 12,
             "completion_days": 3},
            {"urgency": "emergency", "reply_hours": 2, "builder_response_hours": 2,
             "completion_days": 1},
        ], schema={"type": "dict", "schema": RULE})),
    "parties": _section(
        "Who may be responsible for a repair, by kind of party. An empty list accepts any unit.",
        builders=_setting("list", ["示例建设集团第三项目部"], "The builders' project "
                          "departments.", schema={"type": "string", **NAMED}),
        in_house=_setting("list", ["物业维修班"], "The property company's own repair teams.",
                          schema={"type": "string", **NAMED}),
        outsourced=_setting("list", ["示例市恒固建筑工程有限公司"], "Contractors for repairs "
                            "above repairs.small_limit.", schema={"type": "string", **NAMED})),
    "reports": _section(
        "Summaries.",
        repeat_days=_whole(30, "A complaint about the same room and category as another opened "
                           "less than this many days before counts as a repeat complaint.")),
    "repairs": _section(
        "Repairs.",
        small_limit=_whole(2000, "Estimated cost, in yuan, up to which a repair is small (done "
                           "in-house); above it the outsourced contractor does it (when the "
                           "builder does not).")),
    "warranty": _section(
        "The owner warranty card (forms/warranty-card.yaml): what the company promises per item "
        "of templates/warranty/law.yaml, counted from delivery; never less than the law's "
        "minimum. Periods: \"5y\", \"18m\", \"2 seasons\", \"design life\".",
        heating_season=_text("11-15..03-15", "The heating season, month-day..month-day; empty "
                             "when the homes have none."),
        cooling_season=_text("06-01..09-30", "The cooling season, likewise."),
        design_life=_text("", "The design service life of the structure in years (\"50y\"); "
                          "empty: printed as the law words it, with no date."),
        promises={"type": "dict", "meta": {"help": "The period promised for each item."},
                  "schema": {item: _text(default) for item, default
                             in zip(WARRANTY_ITEMS, WARRANTY_DEFAULTS, strict=True)}}),
}


def _defaults(schema: dict) -> dict:
    return {key: _defaults(rule["schema"]) if rule["type"] == "dict" and "default" not in rule
            else copy.deepcopy(rule["default"]) for key, rule in schema.items()}


DEFAULT_CONFIG: dict[str, Any] = _defaults(SCHEMA)


class _ConfigValidator(Validator):
    # a whole number: TOML's integers, not its booleans (which Python counts as int)
    types_mapping = {**Validator.types_mapping,
                     "whole": TypeDefinition("whole", (int,), (bool,))}


def load(overrides: dict, where: str) -> dict:
    """The defaults with `overrides` (a parsed aftersales.toml) merged in; ConfigError naming
    every problem when the overrides do not follow SCHEMA."""
    validator = _ConfigValidator(SCHEMA)
    if not validator.validate(overrides):
        # _errors: cerberus's documented list of the errors found, with path, rule and value
        problems = [_explain(error) for error in _leaves(validator._errors)]
        raise ConfigError(f"{where}: {len(problems)} problem(s); nothing was done:\n"
                          + "\n".join(f"  - {p}" for p in problems)
                          + "\n(see README: Configuration; `aftersales init` writes every "
                            "setting with its default)")
    return _merge(DEFAULT_CONFIG, overrides)


def _merge(defaults: dict, overrides: dict) -> dict:
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        nested = isinstance(value, dict) and isinstance(defaults.get(key), dict)
        merged[key] = _merge(defaults[key], value) if nested else value
    return merged


def _leaves(errors) -> list:
    found = []
    for error in errors:
        found.extend(_leaves(error.child_errors) if error.is_group_error else [error])
    return found


def _dotted(path: tuple) -> str:
    return "".join(f"[{part + 1}]" if isinstance(part, int) else f".{part}"
                   for part in path).lstrip(".")


def _explain(error) -> str:
    """One problem: the key, the value and what to write instead."""
    key, value = _dotted(error.document_path), _shown(error.value)
    if error.code == UNKNOWN_FIELD.code:
        return f"unknown key '{key}' = {value}; {_suggest(error.document_path)}"
    if error.rule == "type":
        want = {"whole": "a whole number", "string": "text in quotes", "list": "a list [...]",
                "dict": "a table"}[error.constraint if isinstance(error.constraint, str)
                                   else error.constraint[0]]
        return f"'{key}' must be {want}, not {value}{_example(error.document_path)}"
    if error.rule in ("min", "max"):
        return f"'{key}' must be {_bounds(_rule_at(error.document_path))}, not {value}"
    if error.rule == "allowed":
        return f"'{key}' must be one of {', '.join(error.constraint)}, not {value}"
    if error.rule == "regex":
        return f"'{key}' must not be empty, not {value}{_example(error.document_path)}"
    return f"'{key}': {value} is refused: {error.info[0]}"


def _bounds(rule: dict) -> str:
    if "max" in rule:
        return f"a whole number from {rule['min']} to {rule['max']}"
    return f"a whole number of at least {rule['min']}"


def _shown(value: Any) -> str:
    # long enough for a font's whole path
    return quote(value, limit=240)


def _rule_at(path: tuple) -> dict | None:
    """The schema rule for a document path, or None where the schema has none."""
    rule: dict | None = {"type": "dict", "schema": SCHEMA}
    for part in path:
        if rule is None or "schema" not in rule:
            return None
        rule = rule["schema"] if isinstance(part, int) else rule["schema"].get(part)
    return rule


def _example(path: tuple) -> str:
    rule = _rule_at(path)
    if rule is None or "default" not in rule:
        return ""
    return f"; write it like {path[-1]} = {toml_value(rule['default'])}"


def _suggest(path: tuple) -> str:
    parent = _rule_at(path[:-1])
    known = sorted(parent["schema"]) if parent and "schema" in parent else []
    close = difflib.get_close_matches(str(path[-1]), known, n=1)
    if close:
        return f"did you mean '{_dotted((*path[:-1], close[0]))}'?"
    return f"the known keys here are {', '.join(known)}"


def toml_value(value: Any) -> str:
    """A setting's value as TOML writes it: JSON's strings, numbers and lists of them are
    TOML's too."""
    return json.dumps(value, ensure_ascii=False)


def commented_toml() -> str:
    """aftersales.toml with every setting at its default, each with its comment: what
    `aftersales init` writes; loading it gives DEFAULT_CONFIG."""
    lines = ["# aftersales.toml: this workspace's configuration. Every setting is listed at its",
             "# default; change what differs for your centre. Checked on every command.", ""]
    for section, rule in SCHEMA.items():
        lines += _table(section, rule)
    return "\n".join(lines)


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, 94)] if text else []


def _table(name: str, rule: dict) -> list[str]:
    lines = [*_comment(rule["meta"]["help"]), f"[{name}]"]
    tables = []
    for key, setting in rule["schema"].items():
        if setting["type"] == "dict":
            tables.append((f"{name}.{key}", setting))
        elif setting["type"] == "list" and setting["schema"]["type"] == "dict":
            for item in setting["default"]:
                lines += [f"[[{name}.{key}]]",
                          *(f"{k} = {toml_value(v)}" for k, v in item.items())]
        else:
            lines += [*_comment(setting["meta"]["help"]),
                      f"{key} = {toml_value(setting['default'])}"]
    lines.append("")
    for table_name, table in tables:
        lines += _table(table_name, table)
    return lines
