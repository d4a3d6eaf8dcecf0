"""Generated values thrown at every form through the CLI (Hypothesis).

For each form, one field of its sample data (a top-level field or a cell of a table's first row)
is given a generated value — text of any characters and length, numbers of any size, NaN and
infinities, dates, look-alikes such as "0012", "12:30" and "3.10" — written to a YAML data file
as a user would. Whatever the value, `aftersales fill` must either

- exit 0, and the value comes back out of both the DOCX and the PDF exactly as given (text as
  typed, less the surrounding blanks that are never meaningful on a paper form; a number, date or
  amount as the same value), or
- exit 2, naming the field by its label and key, with nothing written —

never a traceback, never a silent change.

The number of examples per form is AFTERSALES_PROPERTY_EXAMPLES (default 20); Hypothesis keeps
the failing examples it finds in no database (tests run from clean clones), so a failure prints
the value to reproduce it with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import string
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.documents.context import display
from generator.documents.forms import Field, load_form
from generator.documents.validate import normalise_value
from generator.workspace import Workspace
from tests.conftest import (
    docx_text,
    files_in_output,
    pdf_text,
    sample_forms,
    squash,
    ticket_ready_for,
    ticketless_forms,
)

FORMS = sample_forms()
NO_TICKET = ticketless_forms()
EXAMPLES = int(os.environ.get("AFTERSALES_PROPERTY_EXAMPLES", "20"))

PLACEHOLDER = "GENERATED-VALUE"
YAML_NULLS = {"null", "Null", "NULL", "~"}
LOOK_ALIKES = ["0012", "012345", "12:30", "3.10", "1e30", "1.0e+400", "nan", "inf", "-inf",
               "yes", "no", "on", "null", "~", "2026-02-30", "0000-01-01", "1_000", "0x1F",
               "0o17", "+1", ".5", "1,234.50", "１２３", "二〇二六年", " 1 ", "9" * 40]


def _text(limit: int) -> st.SearchStrategy[str]:
    """Any text around the field's length limit, often made mostly of what forms hold."""
    likely = st.characters(codec="utf-8") | st.sampled_from(
        list("房号业主维修漏水墙面开裂，。：（）、") + list(string.printable))
    return st.text(likely, max_size=limit + 2) | st.sampled_from(LOOK_ALIKES)


def _value(fld: Field) -> st.SearchStrategy:
    limit = fld.rules.get("maxlength") or 60
    anything = _text(limit)
    if fld.choices:
        labels = [label for labels in fld.choices.values() for label in labels.values()]
        return st.sampled_from([*fld.choices, *labels]) | anything
    kind = fld.type
    if kind == "integer":
        return st.integers().map(str) | st.integers(-10, 10_000).map(str) | anything
    if kind in ("number", "float"):
        return (st.floats().map(repr) | st.decimals(places=2, allow_nan=False).map(str)
                | st.integers(0, 100).map(str) | anything)
    if kind == "money":
        return (st.decimals(min_value=-10**16, max_value=10**16, places=2).map(str)
                | st.decimals().map(str) | anything)
    if kind == "date":
        return st.dates().map(str) | anything
    if kind == "datetime":
        return st.datetimes().map(lambda t: t.strftime("%Y-%m-%d %H:%M")) | anything
    if kind == "time":
        return st.times().map(lambda t: t.strftime("%H:%M")) | anything
    if kind == "boolean":
        return st.sampled_from(["yes", "no", "是", "否", "true", "false"]) | anything
    return anything


def _targets(name: str) -> list[tuple[str, str | None]]:
    """Every (field, column) a generated value may go to: plain fields, and the cells of a
    table's first row when the sample has one."""
    form = load_form(Workspace.open(None), name)
    targets = []
    for key, fld in form.fields.items():
        if fld.meta.get("computed") or fld.meta.get("hidden"):
            continue
        if fld.columns:
            if form.sample.get(key):
                targets += [(key, column) for column, cell in fld.columns.items()
                            if not cell.meta.get("computed")]
        elif fld.type != "list":
            targets.append((key, None))
    return targets


# A value YAML would take as a plain (unquoted) scalar, as people write "room: 0012".
PLAIN = re.compile(r"[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff.+_:/~-]*")


@st.composite
def _change(draw, name: str):
    """(field, column, its Field, the value, whether the file gives it unquoted)."""
    form = load_form(Workspace.open(None), name)
    key, column = draw(st.sampled_from(_targets(name)))
    fld = form.fields[key].columns[column] if column else form.fields[key]
    value = draw(_value(fld))
    return key, column, fld, value, bool(PLAIN.fullmatch(value)) and draw(st.booleans())


def _file_for(name: str, ticket: str | None, home: Path) -> tuple[Path, dict]:
    from generator.documents.demo import retarget

    data = load_form(Workspace.open(None), name).sample
    data = json.loads(json.dumps(retarget(data, ticket) if ticket else data, default=str))
    return home.parent / f"{name}.yaml", data


def _read_back(workspace: Workspace, report: dict) -> dict[str, str]:
    paths = {d["format"]: workspace.root / d["path"] for d in report["documents"]}
    # pypdf, not pdftotext: pdftotext joins a line ending in "-" to the next as a hyphenated
    # word, so a cell wrapped after "000000-" would read "0000000"
    return {"docx": squash(docx_text(paths["docx"])), "pdf": squash(pdf_text(paths["pdf"]))}


def _as_printed(fld: Field, given: str) -> str:
    """How the value must read on the page: text as typed (less surrounding blanks), anything
    else as its type prints it — after checking that the type kept the value's meaning."""
    value = normalise_value(fld, given)
    if isinstance(value, str) and not fld.choices:
        assert value == given.strip().replace("\r\n", "\n"), f"{given!r} became {value!r}"
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            same = Decimal(given.replace(",", "").strip()) == Decimal(str(value))
        except InvalidOperation:
            same = False
        assert same, f"{given!r} was read as {value!r}"
    elif isinstance(value, dt.date):
        assert display(fld, value, "zh") in given.replace("T", " "), f"{given!r} → {value!r}"
    return display(fld, value, "zh")


@pytest.mark.parametrize("name", FORMS)
def test_any_value_is_printed_as_given_or_refused_by_name(name, home, tmp_path_factory):
    # One workspace per form; each example that must move a ticket gets a fresh one.
    workspace = Workspace.open(home)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(change=_change(name))
    def check(change):
        from click.testing import CliRunner

        from generator.cli import cli

        key, column, fld, value, unquoted = change
        runner = CliRunner()

        def run(*args, input=None):
            return runner.invoke(cli, [*args, "--home", str(home)], input=input,
                                 catch_exceptions=False)

        ticket = None
        if name not in NO_TICKET and load_form(workspace, name).ticket_mode != "opens":
            opened = run("fill", "complaint", "--no-prompt", "--json", "--data", "-",
                         input=json.dumps(load_form(workspace, "complaint").sample,
                                          default=str, ensure_ascii=False))
            assert opened.exit_code == 0, opened.output
            ticket = json.loads(opened.output)["ticket"]
            ticket_ready_for(home, ticket, name)
        path, data = _file_for(name, ticket, home)
        placed = PLACEHOLDER if unquoted else value
        if column:
            data[key][0][column] = placed
        else:
            data[key] = placed
        text = yaml.safe_dump(data, allow_unicode=True)
        path.write_text(text.replace(PLACEHOLDER, value) if unquoted else text, "utf-8")
        before = files_in_output(home)
        result = run("fill", name, "--data", str(path), "--no-prompt", "--json",
                     *(["--ticket", ticket] if ticket else []))
        where = f"{key}[1].{column}" if column else key
        if result.exit_code == 2:
            # a cell may be named as its row's ("by_kind[1].received") or, by a check of the
            # whole table, as its column's ("按类别 (by_kind): the rows' 受理（件） (received)")
            named = (f"{fld.label('zh')} ({where})" in result.output
                     or column and f"{fld.label('zh')} ({column})" in result.output)
            assert named, f"{where}={value!r} refused without naming it:\n{result.output}"
            assert files_in_output(home) == before
            return
        assert result.exit_code == 0, f"{where}={value!r}: exit {result.exit_code}\n" \
                                      f"{result.output}"
        if unquoted and value in YAML_NULLS:
            return  # YAML's way of leaving a value out, as the README says
        printed = squash(_as_printed(fld, value))
        for source, text in _read_back(workspace, json.loads(result.stdout)).items():
            assert printed in text, f"{where}={value!r}: {source} lacks {printed!r}"

    try:
        check()
    finally:
        workspace.close()
