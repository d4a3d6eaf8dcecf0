"""Validated data → the display values both renderers share.

DOCX and PDF are drawn from the same context, so a value can never read differently in the two.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from generator.documents.compute import evaluate
from generator.documents.forms import Field, Form, localised
from generator.documents.validate import normalise_value
from generator.errors import ConfigError

# Words every document carries, whatever its form.
COMMON_LABELS = {
    "zh": {
        "code": "表单编号",
        "record_no": "记录编号",
        "ticket": "工单号",
        "sign": "签字",
        "signatory": "法定代表人或委托代理人（签字）",
        "date": "日期",
        "blank_date": "______年____月____日",
        "page_before": "第 ",
        "page_middle": " 页 共 ",
        "page_after": " 页",
        "yes": "是",
        "no": "否",
        "total": "合计",
        "phone": "电话",
        "service_phone": "服务电话",
    },
    "en": {
        "code": "Form",
        "record_no": "Record no.",
        "ticket": "Ticket",
        "sign": "Signature",
        "signatory": "Legal representative or authorised agent (signature)",
        "date": "Date",
        "blank_date": "____-____-____",
        "page_before": "Page ",
        "page_middle": " of ",
        "page_after": "",
        "yes": "Yes",
        "no": "No",
        "total": "Total",
        "phone": "Tel.",
        "service_phone": "Service line",
    },
}


class Fields:
    """Read-only values by field key. Templates reach them as attributes, and since this has
    no methods of its own, `{{ f.items }}` is the field `items`, never a dict method."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def __repr__(self) -> str:
        return f"Fields({self._values!r})"


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Fields({k: _wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def display(fld: Field | None, value: Any, language: str) -> str:
    """One value as printed: choices by label, dates ISO, money with two decimals."""
    if value is None or value == "":
        return ""
    if fld is not None and fld.choices:
        return fld.choice_label(value, language)
    if isinstance(value, bool):
        return COMMON_LABELS[language]["yes" if value else "no"]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        if fld is not None and fld.type != "money":
            return f"{value:,f}"  # a figure as precise as it was computed (a rate: 97.5)
        return f"{value:,.2f}"
    return str(value)


BLANK_LINE = "________"

# The widest value a column of each type holds in practice: a column is made wide enough for it
# on a blank form (room to write one in) and on a filled one alike.
WIDEST_OF_TYPE = {
    "date": dt.date(2026, 12, 31),
    "datetime": dt.datetime(2026, 12, 31, 23, 59),
    "time": dt.time(23, 59),
    "money": Decimal("9999.99"),
    "integer": 9999,
}


def _column_texts(form: Form, tables: dict[str, list[dict[str, str]]], language: str,
                  blank: bool) -> dict[str, dict[str, list[str]]]:
    """Per row table and column, the texts its width is measured by (render/columns.py): the
    rows' values — on a blank form the form's own `sample:` rows, so that a blank form and its
    filled sample have the same columns — every choice, and the widest value of its type."""
    texts = {}
    for key, rows in tables.items():
        columns = form.fields[key].columns
        measured = [*rows, *(_sample_rows(form, key, language) if blank else [])]
        texts[key] = {
            column: [*(row[column] for row in measured if row.get(column)),
                     *(fld.choice_label(code, language) for code in fld.choices),
                     *([display(fld, WIDEST_OF_TYPE[fld.type], language)]
                       if fld.type in WIDEST_OF_TYPE and not fld.choices else [])]
            for column, fld in columns.items()
        }
    return texts


def _sample_rows(form: Form, key: str, language: str) -> list[dict[str, str]]:
    """The form's sample rows of table `key`, as printed."""
    columns = form.fields[key].columns
    return [{column: _shown(fld, row.get(column), language) for column, fld in columns.items()}
            for row in form.sample.get(key) or [] if isinstance(row, dict)]


def _shown(fld: Field, value: Any, language: str) -> str:
    """A value as printed once normalised; as typed if its type refuses it (a sample is not
    validated for its widths to be measured)."""
    try:
        return display(fld, normalise_value(fld, value), language)
    except ValueError:
        return str(value)


def _number(value: Any) -> float | None:
    """A row's value as a chart plots it; None (a gap) when it has none."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _chart(form: Form, item: dict[str, Any], data: dict[str, Any], language: str,
           blank: bool) -> dict[str, Any]:
    """What a `chart:` layout item draws: the table's rows in order, the `x` column's display
    values as categories and each series column's numbers. A blank form's chart is empty."""
    key = item["chart"]
    columns = form.fields[key].columns
    x = columns[item["x"]]
    rows = [] if blank else data.get(key, [])
    return {
        "table": key,
        "kind": item["kind"],
        "title": localised(item.get("title"), language),
        "height": float(item.get("height", 6)),
        "x": x.label(language),
        "categories": [display(x, row.get(x.key), language) for row in rows],
        "series": [{"key": column, "label": columns[column].label(language),
                    "values": [_number(row.get(column)) for row in rows]}
                   for column in item["series"]],
    }


def _clause_blocks(text: str, values: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """An agreement's clauses with the record's values filled in (lines to write on when
    blank)."""
    from generator.render.markup import BULLET, parse_filled

    blocks = []
    for block in parse_filled(text, values, source):
        if block.kind not in ("heading", "paragraph", "bullet", "numbered"):
            raise ConfigError(f"{source}:{block.line}: clauses hold only headings, paragraphs "
                              f"and list items")
        prefix = {"bullet": f"{BULLET} ", "numbered": f"{block.argument}. "}.get(block.kind, "")
        blocks.append({"kind": block.kind, "text": prefix + block.text, "keep": False})
    return blocks


# The clause blocks that stay on the page of the signatures which follow them: the last
# article's last paragraph and the "（以下无正文）" line, so the signatures never stand alone.
KEPT_WITH_SIGNATURES = 2


def _keep_with_signatures(blocks: list[dict[str, Any]]) -> None:
    for block in blocks[-KEPT_WITH_SIGNATURES:]:
        block["keep"] = True


def _signature(sig: dict[str, Any], values: dict[str, str], company: str,
               language: str) -> dict[str, Any]:
    """One party's signature: a `seal: true` one has its party's name (the `party` field, or
    with `company: true` the company of aftersales.toml) to stamp over, the signatory's line
    (its label `signatory:` when the form gives one) and a clear area for the company seal."""
    return {"label": localised(sig["label"], language),
            "name": values.get(sig.get("field", ""), ""),
            "party": company if sig.get("company") else values.get(sig.get("party", ""), ""),
            "seal": bool(sig.get("seal")),
            "signatory": localised(sig.get("signatory"), language,
                                   COMMON_LABELS[language]["signatory"])}


# Between the values a QR code carries (card no.|room|delivery date).
QR_SEPARATOR = "|"


def _qr(item: dict[str, Any], values: dict[str, str], blank: bool) -> str | None:
    """The text of a grid's QR code (`qr: [field, ...]`); None for a blank form or a grid
    without one."""
    if blank or not item.get("qr"):
        return None
    return QR_SEPARATOR.join(values[key] for key in item["qr"])


def build_context(
    form: Form,
    data: dict[str, Any],
    *,
    config: dict[str, Any],
    record_no: str = "",
    ticket: str = "",
    language: str = "zh",
    blank: bool = False,
) -> dict[str, Any]:
    """Everything a template may use. A `blank` form shows the form's own `blank:` data and
    `data` (its computed tables' fixed rows, such as the warranty card's legal periods:
    compute.blank_tables), and empty rows to write in by hand."""
    if blank:
        data = {**form.blank_data, **data}
    fields = form.fields
    computed = evaluate(form.computed, data) if not blank else {}
    values = {}
    for key, fld in fields.items():
        if fld.columns:
            continue
        values[key] = display(fld, data.get(key), language)
    for key, value in computed.items():
        values[key] = display(None, value, language)
    for key in form.computed:
        values.setdefault(key, "")
    tables = {}
    for key, fld in fields.items():
        if fld.columns:
            tables[key] = [
                {col: display(cfld, row.get(col), language) for col, cfld in fld.columns.items()}
                for row in data.get(key, [])
            ]
    column_texts = _column_texts(form, tables, language, blank)
    if blank:  # empty rows to write in by hand
        for item in form.layout:
            if "table" in item:
                rows = tables[item["table"]]
                empty = dict.fromkeys(form.fields[item["table"]].columns, "")
                rows += [dict(empty) for _ in range(item.get("blank_rows", 10) - len(rows))]
    common = {
        "company": config["company"],
        "centre": config["centre"],
        "promises": config["promises"],
        "record_no": record_no,
        "ticket": ticket,
    }
    sections, signatures, clauses, charts, qr_codes = [], [], [], [], []
    for number, item in enumerate(form.layout):
        sections.append(localised(item.get("section"), language))
        charts.append(_chart(form, item, data, language, blank) if "chart" in item else None)
        qr_codes.append(_qr(item, values, blank))
        signatures.append([_signature(sig, values, config["company"]["name"], language)
                           for sig in item.get("signatures", [])])
        if "clauses" in item:
            filled = {k: v or BLANK_LINE for k, v in values.items()}
            clauses.append(_clause_blocks(form.clauses[item["clauses"]],
                                          {**common, "f": Fields(filled)},
                                          f"templates/clauses/{item['clauses']}.md"))
        else:
            clauses.append([])
        if "signatures" in item and number and "clauses" in form.layout[number - 1]:
            _keep_with_signatures(clauses[number - 1])
    return {
        **common,
        "form": {"name": form.name, "code": form.code, "title": form.title(language)},
        "M": COMMON_LABELS[language],
        "L": _wrap(form.label_map(language)),
        "f": Fields(values),
        "rows": _wrap(tables),
        # Per row table and column: the texts its width is measured by (render/columns.py).
        "column_texts": column_texts,
        "sections": sections,
        "signatures": signatures,
        "clauses": _wrap(clauses),
        # By layout position, as sections: a chart's data (None for other items). The DOCX
        # renderer puts the chart's picture in its place ({{ charts[N] }} in the template).
        "charts": charts,
        # By layout position: the text of a grid's QR code (None elsewhere); the renderers
        # draw it ({{ qr_codes[N] }} in a DOCX template).
        "qr_codes": qr_codes,
        "blank": blank,
    }
