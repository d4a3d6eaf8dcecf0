"""Document types as data: a form (forms/NAME.yaml) and its schema (schemas/NAME.yaml).

The form says what the document looks like and where it belongs in a ticket's life; the schema
says which fields it has, their rules and their labels. Nothing here is specific to one form, so
a new document type is a new pair of files plus a DOCX template.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import names
from generator.errors import ConfigError, UnknownForm
from generator.workspace import Workspace, load_yaml, localised  # noqa: F401 (re-exported)

# How a form relates to tickets: `opens` a new ticket unless --ticket is given, `requires` an
# existing one, takes one `optional`ly (registers and checklists span many tickets), or belongs
# to `none` (training records, monthly settlements).
TICKET_MODES = ("opens", "requires", "optional", "none")
LAYOUT_KINDS = ("grid", "table", "text", "signatures", "clauses", "chart")
# A chart of a row table: `- chart: TABLE` with `kind`, `x` (the category column), `series`
# (numeric columns), optional `title` {zh:, en:} and `height` in cm.
CHART_KINDS = ("bar", "line")
CHART_KEYS = {"chart", "kind", "x", "series", "title", "height", "section"}
CHART_HEIGHT_CM = (3.0, 20.0)  # at least room for its axes; at most most of a page
NUMERIC_TYPES = ("money", "integer", "number", "float")
# `xlsx: sheets` (a form's top level): the workbook gets a sheet of its own per row table.
XLSX_MODES = ("sheets",)
# Field keys are used as attributes in templates ({{ f.owner_name }}), so they must be names.
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Field:
    """One field of a schema, with what the layout and error messages need."""

    key: str
    rules: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        return self.rules.get("meta", {})

    @property
    def type(self) -> str:
        return self.rules.get("type", "string")

    @property
    def required(self) -> bool:
        return bool(self.rules.get("required"))

    @property
    def choices(self) -> dict[str, dict[str, str]]:
        """Allowed values (stored codes) with their labels per language, if the field has any."""
        return self.meta.get("choices", {})

    @property
    def columns(self) -> dict[str, Field]:
        """For a list of rows: the fields of one row."""
        row = self.rules.get("schema", {}).get("schema", {})
        return {key: Field(key, rules) for key, rules in row.items()}

    def label(self, language: str = "zh") -> str:
        return localised(self.meta.get("label"), language, self.key)

    def choice_label(self, code: Any, language: str = "zh") -> str:
        return localised(self.choices.get(code), language, str(code))


@dataclass
class Form:
    name: str
    definition: dict[str, Any]
    schema: dict[str, Any]
    sources: dict[str, Path] = field(default_factory=dict)
    # How each source was looked up in the workspace: key → (kind, name), for workspace.find
    found_as: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Texts of the form's `clauses:` layout items, by name, read with the form.
    clauses: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.definition["code"]

    @property
    def ticket_mode(self) -> str:
        return self.definition.get("ticket", "requires")

    @property
    def record_prefix(self) -> str:
        return self.definition["record_prefix"]

    @property
    def layout(self) -> list[dict[str, Any]]:
        return self.definition["layout"]

    @property
    def template_name(self) -> str:
        return self.definition.get("template", f"{self.name}.docx")

    @property
    def sample(self) -> dict[str, Any]:
        return copy.deepcopy(self.definition.get("sample", {}))

    @property
    def pages(self) -> int | None:
        """The pages the form is printed on, blank and filled with its sample, in PDF and DOCX
        (`pages:`); None when it runs on as long as its content (agreements, summaries)."""
        return self.definition.get("pages")

    @property
    def blank_data(self) -> dict[str, Any]:
        """What a blank form shows printed (e.g. the legal warranty periods); usually nothing."""
        return copy.deepcopy(self.definition.get("blank", {}))

    @property
    def inherit(self) -> list[str]:
        """Fields copied from the ticket's opening record when the input leaves them out."""
        return self.definition.get("inherit", [])

    @property
    def computed(self) -> dict[str, dict[str, Any]]:
        return self.definition.get("computed", {})

    def title(self, language: str = "zh") -> str:
        return localised(self.definition["title"], language, self.name)

    @functools.cached_property  # forms are never modified after loading
    def fields(self) -> dict[str, Field]:
        return {key: Field(key, rules) for key, rules in self.schema.items()}

    def label_map(self, language: str) -> dict[str, Any]:
        """Labels for templates: `L.key`, and `L.KEY_columns.column` for a row table's columns."""
        labels: dict[str, Any] = {}
        for key, fld in self.fields.items():
            labels[key] = fld.label(language)
            for col_key, col in fld.columns.items():
                labels.setdefault(f"{key}_columns", {})[col_key] = col.label(language)
        for key, spec in self.computed.items():
            labels[key] = localised(spec.get("label"), language, key)
        return labels


def _effective_schema(raw: dict[str, Any]) -> dict[str, Any]:
    """The cerberus schema as validated: `allowed` is derived from `meta.choices` so the codes
    are written once."""
    schema = copy.deepcopy(raw)
    for rules in schema.values():
        choices = rules.get("meta", {}).get("choices")
        if choices and "allowed" not in rules:
            rules["allowed"] = list(choices)
        row = rules.get("schema", {}).get("schema")
        if isinstance(row, dict):
            rules["schema"]["schema"] = _effective_schema(row)
    return schema


def list_forms(workspace: Workspace) -> list[str]:
    return workspace.names("forms", ".yaml")


# Loaded forms by file, kept while their files are unchanged: a batch or a long-running process
# then parses each form once. Forms are never modified after loading.
_LOADED: dict[str, tuple[tuple, Form]] = {}


def _stamp(paths) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)


def load_form(workspace: Workspace, name: str) -> Form:
    names.FORM.check(name, "form", UnknownForm)
    path = workspace.find("forms", f"{name}.yaml")
    if path is None:
        known = ", ".join(list_forms(workspace)) or "none"
        raise UnknownForm(f"unknown form '{name}'; known forms: {known}")
    cached = _LOADED.get(str(path))
    if cached:
        stamp, form = cached
        # The same form file may meet another workspace's own schema or clauses.
        same_files = all(workspace.find(*form.found_as[key]) == source
                         for key, source in form.sources.items())
        if same_files and stamp == _stamp(form.sources.values()):
            return form
    form = _read_form(workspace, name, path)
    _LOADED[str(path)] = (_stamp(form.sources.values()), form)
    return form


def _read_form(workspace: Workspace, name: str, path: Path) -> Form:
    definition = load_yaml(path)
    if not isinstance(definition, dict):
        raise ConfigError(f"{path}: a form must be a mapping")
    for key in ("title", "code", "record_prefix", "layout"):
        if key not in definition:
            raise ConfigError(f"{path}: missing key '{key}'")
    if definition.get("ticket", "requires") not in TICKET_MODES:
        raise ConfigError(f"{path}: 'ticket' must be one of {', '.join(TICKET_MODES)}")
    _check_names(definition, path)
    schema_name = definition.get("schema", name)
    schema_path = workspace.find("schemas", f"{schema_name}.yaml")
    if schema_path is None:
        raise ConfigError(f"{path}: schema '{schema_name}' not found in schemas/")
    schema = load_yaml(schema_path)
    if not isinstance(schema, dict):
        raise ConfigError(f"{schema_path}: a schema must be a mapping of fields")
    _check_keys(schema, schema_path)
    sources = {"form": path, "schema": schema_path}
    found_as = {"form": ("forms", f"{name}.yaml"), "schema": ("schemas", f"{schema_name}.yaml")}
    for item in definition.get("layout", []):
        if isinstance(item, dict) and "clauses" in item:
            relative = f"clauses/{item['clauses']}.md"
            clause_path = workspace.find("templates", relative)
            if clause_path is None:
                raise ConfigError(f"{path}: no clause text templates/{relative}")
            sources[f"clauses:{item['clauses']}"] = clause_path
            found_as[f"clauses:{item['clauses']}"] = ("templates", relative)
    clauses = {key.partition(":")[2]: path.read_text(encoding="utf-8")
               for key, path in sources.items() if key.startswith("clauses:")}
    form = Form(name=name, definition=definition, schema=_effective_schema(schema),
                sources=sources, found_as=found_as, clauses=clauses)
    _check_layout(form, path)
    return form


def _check_names(definition: dict[str, Any], path: Path) -> None:
    """The form's names that become file names: its record numbers' prefix, its schema's,
    clauses' and template's files."""
    names.PREFIX.check(definition["record_prefix"], f"{path}: record_prefix", ConfigError)
    if "schema" in definition:
        names.FORM.check(definition["schema"], f"{path}: schema", ConfigError)
    if "template" in definition:
        names.check_file_name(definition["template"], f"{path}: template", ConfigError)
    for item in definition["layout"] if isinstance(definition["layout"], list) else []:
        if isinstance(item, dict) and "clauses" in item:
            names.FORM.check(item["clauses"], f"{path}: clauses", ConfigError)


def _check_keys(schema: dict[str, Any], path: Path) -> None:
    for key, rules in schema.items():
        if not FIELD_KEY.match(str(key)):
            raise ConfigError(f"{path}: field key '{key}' must be snake_case (a-z, 0-9, _)")
        if not isinstance(rules, dict):
            raise ConfigError(f"{path}: field '{key}' must be a mapping of rules")
        labels = rules.get("meta", {}).get("label")
        # A YAML slip like {en: Response, term} yields a cut label and a null key: refuse it.
        if not (isinstance(labels, dict) and isinstance(labels.get("zh"), str) and all(
                lang in ("zh", "en") and isinstance(text, str) and text
                for lang, text in labels.items())):
            raise ConfigError(f"{path}: field '{key}' needs meta.label with zh (and optionally "
                              f"en) text, got {labels!r}")
        row = rules.get("schema", {}).get("schema")
        if isinstance(row, dict):
            _check_keys(row, path)


def _check_layout(form: Form, path: Path) -> None:
    """Every key the layout names must exist in the schema (or be computed)."""
    xlsx = form.definition.get("xlsx")
    if xlsx is not None and xlsx not in XLSX_MODES:
        raise ConfigError(f"{path}: 'xlsx' must be one of {', '.join(XLSX_MODES)}, "
                          f"got {xlsx!r}")
    fields = form.fields
    known = set(fields) | set(form.computed)
    for item in form.layout:
        kinds = [k for k in LAYOUT_KINDS if k in item]
        if len(kinds) != 1:
            raise ConfigError(f"{path}: layout item {item!r} needs exactly one of {LAYOUT_KINDS}")
        kind = kinds[0]
        if kind == "grid":
            # `qr: [field, ...]`: a QR code of those values, '|'-joined, beside the grid
            names = [key for row in item["grid"] for key in row] + list(item.get("qr", []))
        elif kind == "table":
            if item["table"] not in fields:
                raise ConfigError(f"{path}: table '{item['table']}' is not a field of the schema")
            columns = fields[item["table"]].columns
            missing = [c for c in item.get("columns", []) if c not in columns]
            if missing:
                raise ConfigError(f"{path}: table '{item['table']}' has no columns {missing}")
            names = list(item.get("totals", {}).values())  # column → computed field
        elif kind == "text":
            names = [item["text"]]
        elif kind == "clauses":
            names = []
        elif kind == "chart":
            _check_chart(form, item, path)
            names = []
        else:
            names = [s[key] for s in item["signatures"] for key in ("field", "party")
                     if s.get(key)]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"{path}: layout names unknown fields {unknown}")


def _check_chart(form: Form, item: dict[str, Any], path: Path) -> None:
    """A chart names a row table, a category column of it and numeric columns to draw."""
    table = item["chart"]
    where = f"{path}: chart '{table}'"
    unknown = sorted(set(item) - CHART_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; a chart takes "
                          f"{', '.join(sorted(CHART_KEYS - {'chart'}))}")
    fld = form.fields.get(table) if isinstance(table, str) else None
    if fld is None or not fld.columns:
        raise ConfigError(f"{where}: a chart draws a row table (a list field of the schema)")
    columns = fld.columns
    if item.get("kind") not in CHART_KINDS:
        raise ConfigError(f"{where}: 'kind' must be one of {', '.join(CHART_KINDS)}, "
                          f"got {item.get('kind')!r}")
    if item.get("x") not in columns:
        raise ConfigError(f"{where}: 'x' must name a column of the table "
                          f"({', '.join(columns)}), got {item.get('x')!r}")
    series = item.get("series")
    if not (isinstance(series, list) and series and all(isinstance(s, str) for s in series)):
        raise ConfigError(f"{where}: 'series' must be a list of the table's numeric columns")
    for column in series:
        if column not in columns:
            raise ConfigError(f"{where}: the table has no column '{column}'")
        if columns[column].type not in NUMERIC_TYPES or columns[column].choices:
            raise ConfigError(f"{where}: series '{column}' is not a number column "
                              f"(its type is {columns[column].type})")
    if len(set(series)) != len(series):
        raise ConfigError(f"{where}: 'series' names a column twice")
    height = item.get("height", 6)
    low, high = CHART_HEIGHT_CM
    if isinstance(height, bool) or not isinstance(height, int | float) or not (
            low <= height <= high):
        raise ConfigError(f"{where}: 'height' must be a number of cm from {low:g} to "
                          f"{high:g}, got {height!r}")
    title = item.get("title")
    if title is not None and not isinstance(title, str) and not (
            isinstance(title, dict) and title and all(
                lang in ("zh", "en") and isinstance(text, str) for lang, text in title.items())):
        raise ConfigError(f"{where}: 'title' must be text or {{zh: ..., en: ...}}, "
                          f"got {title!r}")
