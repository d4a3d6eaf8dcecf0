"""Hostile or careless input files (issue 11, part "input"): a data file is read as text and
typed by the schema alone. Every trick YAML and JSON play behind the schema's back — aliases,
implicit types, duplicate keys, deep nesting, NaN — is refused naming the line or the field, or
the value is printed exactly as written. Each case goes through the real CLI: exit code 2, the
field or line named, and no file and no index row written."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from generator.documents.datafile import MAX_CHARS, MAX_DEPTH
from generator.documents.forms import list_forms, load_form
from generator.workspace import Workspace
from tests.conftest import (
    docx_text,
    files_in_output,
    finish_process,
    index_sql,
    pdftotext,
    start_process,
)


def sample(name: str) -> dict:
    return load_form(Workspace.open(None), name).sample


def as_yaml_lines(data: dict) -> str:
    """The sample's text values as a user writes YAML: plain, unquoted, several lines as a
    block (a phone number is quoted, as the README says: a user quotes it)."""
    lines = []
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if "\n" in value:
            lines += [f"{key}: |", *(f"  {line}" for line in value.splitlines())]
        else:
            lines.append(f"{key}: {json.dumps(value) if key == 'phone' else value}")
    return "\n".join(lines) + "\n"


def assert_nothing_written(run, home: Path) -> None:
    assert files_in_output(home) == []
    assert json.loads(run("index", "list", "--json").output) == []


def refused(run, home: Path, *args: str, input: str | None = None) -> str:
    """Run `aftersales ARGS`; assert it was refused with exit code 2 and nothing written;
    return its output."""
    result = run(*args, input=input)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert_nothing_written(run, home)
    return result.output


# --- YAML: no implicit types, no aliases, no duplicates -----------------------------------------

# 681 bytes that PyYAML's safe loader expands into 9**9 strings (over a minute of CPU), here
# inside a field the form does not have.
ALIAS_BOMB = """\
x:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_refused_at_once(home, tmp_path, run):
    data = tmp_path / "bomb.yaml"
    fields = as_yaml_lines(sample("complaint"))
    data.write_text(fields + ALIAS_BOMB, "utf-8")
    first_anchor = fields.count("\n") + 2
    process = start_process([sys.executable, "-m", "generator", "fill", "complaint", "--data",
                             data, "--home", home, "--no-prompt"], cwd=tmp_path)
    code, out, err = finish_process(process, timeout=20)
    assert code == 2, out + err
    assert (f"--data: {data}, line {first_anchor}: YAML anchors and aliases (&name, *name) "
            f"are not read; write each value out in full") in err
    assert_nothing_written(run, home)


def test_plain_yaml_values_are_printed_as_written(run, home):
    """YAML 1.1 would read 0012 as octal 10, 012345 as 5349, 12:30 as 750 (base 60), 3.10 as
    3.1 and `no` as false; text fields print them as typed, in the DOCX, the PDF and the index."""
    given = {"room": "0012", "description": "012345", "received_by": "12:30",
             "remarks": "3.10", "owner_name": "no"}
    data = {k: v for k, v in sample("complaint").items() if k not in given} | given
    result = run("fill", "complaint", "--data", "-", "--json", input=as_yaml_lines(data))
    assert result.exit_code == 0, result.output
    documents = json.loads(result.output)["documents"]
    paths = {d["format"]: home / d["path"] for d in documents}
    stored = json.loads(run("index", "show", documents[0]["path"], "--json").output)["data"]
    assert {k: stored[k] for k in given} == given
    for text in (pdftotext(paths["pdf"]), docx_text(paths["docx"])):
        for value in given.values():
            # whole, not a part of a longer number: 3.10 is not 3.1, 0012 not 12
            assert re.search(rf"(?<![\w.:]){re.escape(value)}(?![\w.:])", text), value
        for typed in ("5349", "750"):
            assert typed not in text


def test_an_unquoted_empty_or_null_value_is_not_given_but_quoted_null_is_text(run, home):
    data = sample("complaint") | {"remarks": "'null'"}
    text = as_yaml_lines(data) + "handling:\nresult: ~\ncompleted_at: null\n"
    result = run("fill", "complaint", "--data", "-", "--json", input=text)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["documents"][0]["path"]
    stored = json.loads(run("index", "show", document, "--json").output)["data"]
    assert stored["remarks"] == "null"
    assert not {"handling", "result", "completed_at"} & set(stored)


@pytest.mark.parametrize(("form", "key", "value", "message"), [
    ("complaint", "received_at", "2026-02-30 09:30",
     "受理时间 (received_at): must be a date and time like 2026-11-28 09:30; "
     "got '2026-02-30 09:30'"),
    ("complaint", "received_at", "0000-01-01 09:30",
     "受理时间 (received_at): must be a date and time like 2026-11-28 09:30; "
     "got '0000-01-01 09:30'"),
    ("complaint", "received_at", "2026-11-28 09:30+08:00",  # was a traceback comparing dates
     "受理时间 (received_at): must be a date and time like 2026-11-28 09:30; "
     "got '2026-11-28 09:30+08:00'"),
    ("complaint", "received_at", "2026-W48-6 09:30",  # an ISO week date Python would accept
     "受理时间 (received_at): must be a date and time like 2026-11-28 09:30; "
     "got '2026-W48-6 09:30'"),
    ("warranty-card", "delivery_date", "2026-02-30",
     "交付日期 (delivery_date): must be a date like 2026-11-28; got '2026-02-30'"),
    ("warranty-card", "delivery_date", "0000-01-01",
     "交付日期 (delivery_date): must be a date like 2026-11-28; got '0000-01-01'"),
])
def test_an_impossible_unquoted_date_is_refused_naming_the_field(run, home, form, key, value,
                                                                 message):
    data = {k: v for k, v in sample(form).items() if k != key}
    text = as_yaml_lines(data) + "".join(
        f"{k}: {json.dumps(v, ensure_ascii=False, default=str)}\n"
        for k, v in data.items() if not isinstance(v, str))
    output = refused(run, home, "fill", form, "--data", "-", "--no-prompt",
                     input=text + f"{key}: {value}\n")
    assert f"  - {message}" in output


def test_a_key_given_twice_is_refused_naming_key_and_lines(run, home):
    text = as_yaml_lines(sample("complaint"))
    first = text.splitlines().index("room: 3-2-1203") + 1
    output = refused(run, home, "fill", "complaint", "--data", "-",
                     input=text + "room: 3-2-1204\n")
    assert (f"--data: standard input, line {text.count(chr(10)) + 1}: key 'room' is given twice "
            f"(first on line {first}); give each field once") in output


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_nesting_deeper_than_the_limit_is_refused(run, home, tmp_path, suffix):
    for depth in (MAX_DEPTH, 5000):  # just over (the mapping is a level), and far over
        data = tmp_path / f"deep{suffix}"
        data.write_text('{"remarks": ' + "[" * depth + "]" * depth + "}", "utf-8")
        output = refused(run, home, "fill", "complaint", "--data", str(data))
        assert (f"--data: {data}, line 1: nested more than {MAX_DEPTH} levels deep") in output


def test_a_file_larger_than_the_limit_is_refused_before_it_is_parsed(run, home, tmp_path):
    data = tmp_path / "huge.yaml"
    data.write_text("remarks: " + "备" * MAX_CHARS + "\n", "utf-8")
    output = refused(run, home, "fill", "complaint", "--data", str(data))
    assert f"--data: {data} holds more than {MAX_CHARS:,} characters" in output


# --- JSON: the same rules ----------------------------------------------------------------------

def test_json_numbers_reach_a_text_field_as_written(run, home, tmp_path):
    data = tmp_path / "c.json"
    text = json.dumps(sample("complaint"), ensure_ascii=False)
    data.write_text(text[:-1] + ', "handling": 3.10, "result": 1e5}', "utf-8")
    result = run("fill", "complaint", "--data", str(data), "--json", "--format", "pdf")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["documents"][0]["path"]
    stored = json.loads(run("index", "show", document, "--json").output)["data"]
    assert (stored["handling"], stored["result"]) == ("3.10", "1e5")


@pytest.mark.parametrize(("literal", "line"), [("NaN", 3), ("Infinity", 3), ("-Infinity", 3)])
def test_json_nan_and_infinity_are_refused_naming_key_and_line(run, home, literal, line):
    data = sample("monthly-summary")
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = text.replace('"on_time_rate": 89.4', f'\n\n"on_time_rate": {literal}')
    output = refused(run, home, "fill", "monthly-summary", "--data", "-", input=text)
    assert (f"--data: standard input, line {line}: 'on_time_rate': {literal} is not a number "
            f"JSON allows") in output


def test_a_json_key_given_twice_is_refused_naming_key_and_line(run, home):
    text = json.dumps(sample("complaint"), ensure_ascii=False, indent=1)  # a key a line
    first = text.splitlines().index(' "room": "3-2-1203",') + 1
    text = text.removesuffix("\n}") + ',\n "room": "3-2-1204"\n}'
    output = refused(run, home, "fill", "complaint", "--data", "-", input=text)
    assert (f"--data: standard input, line {text.count(chr(10))}: key 'room' is given twice "
            f"(first on line {first}); give each field once") in output


def test_json_lines_rows_follow_the_same_rules(run, home, tmp_path):
    rows = tmp_path / "complaints.jsonl"
    good = json.dumps(sample("complaint"), ensure_ascii=False)
    rows.write_text("\n".join([
        good[:-1] + ', "room": "3-2-1204"}',
        good[:-1] + ', "remarks": NaN}',
        good.replace('"3-2-1203"', "[" * 40 + "]" * 40),
        "{not json",
    ]) + "\n", "utf-8")
    result = run("batch", "complaint", "--data", str(rows))
    assert result.exit_code == 2, result.output
    report = next((home / "batches").glob("*-errors.txt")).read_text("utf-8")
    assert "line 1: key 'room' is given twice (first on line 1)" in report
    assert "line 2: 'remarks': NaN is not a number JSON allows" in report
    assert f"line 3: nested more than {MAX_DEPTH} levels deep" in report
    assert "line 4: not JSON (" in report
    assert files_in_output(home) == []


# --- numbers -----------------------------------------------------------------------------------

NUMBER_CASES = {
    "nan": ("on_time_rate", "nan", "按期完成率（%） (on_time_rate): must be a finite number"),
    ".nan": ("on_time_rate", ".nan", "按期完成率（%） (on_time_rate): must be a finite number"),
    "inf": ("on_time_rate", "inf", "按期完成率（%） (on_time_rate): must be a finite number"),
    "-Infinity": ("on_time_rate", "-Infinity",
                  "按期完成率（%） (on_time_rate): must be a finite number"),
    "1e30 over the maximum": ("on_time_rate", "1e30",
                              "按期完成率（%） (on_time_rate): max value is 100"),
    "1.0e+400": ("on_time_rate", "1.0e+400",
                 "按期完成率（%） (on_time_rate): must be a finite number"),
    "too many digits for a float": (
        "on_time_rate", "3.14159265358979323846",
        "按期完成率（%） (on_time_rate): must be a number of at most 15 significant digits"),
    "a count over the maximum": ("overdue", "1000001",
                                 "逾期未办（项） (overdue): max value is 1000000"),
    "5,000 digits": ("overdue", "9" * 5000,
                     "逾期未办（项） (overdue): must be a whole number of at most 18 digits"),
    "19 digits": ("overdue", "1" * 19,
                  "逾期未办（项） (overdue): must be a whole number of at most 18 digits"),
    "Arabic-Indic digits": ("overdue", "٤", "逾期未办（项） (overdue): must be a whole number"),
    "underscores": ("overdue", "1_0", "逾期未办（项） (overdue): must be a whole number"),
    "money nan": ("costs_advanced", "NaN",
                  "本期垫付费用（元） (costs_advanced): must be an amount in yuan up to "
                  "9,999,999,999,999.99"),
    "money over the maximum": ("costs_advanced", "1e16",
                               "本期垫付费用（元） (costs_advanced): must be an amount in yuan "
                               "up to 9,999,999,999,999.99"),
    "money in Arabic-Indic digits": ("costs_advanced", "١٢",
                                     "本期垫付费用（元） (costs_advanced): must be an amount in "
                                     "yuan, like 1234.50"),
}


def is_json_number(text: str) -> bool:
    return re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", text) is not None


# Each case as YAML, as --set, and as a JSON number where it is one (NaN and the like are not
# JSON: test_json_nan_and_infinity_are_refused_naming_key_and_line).
@pytest.mark.parametrize(("case", "how"), [
    (case, how) for case, (_, value, _) in NUMBER_CASES.items()
    for how in ("yaml", "--set", *(["json"] if is_json_number(value) else []))])
def test_a_number_that_is_not_one_is_refused_naming_the_field(run, home, case, how):
    key, value, message = NUMBER_CASES[case]
    data = sample("monthly-summary")
    if how == "--set":
        args, text = ["--data", "-", "--set", f"{key}={value}"], json.dumps(data, default=str)
    elif how == "json":
        args = ["--data", "-"]
        text = json.dumps(data | {key: "PLACEHOLDER"}, default=str).replace(
            '"PLACEHOLDER"', value)
    else:
        args = ["--data", "-"]
        text = json.dumps(data | {key: "PLACEHOLDER"}, default=str)
        # a YAML flow mapping (not JSON: it does not start with a brace), the value plain
        text = "---\n" + text.replace('"PLACEHOLDER"', value)
    output = refused(run, home, "fill", "monthly-summary", *args, "--no-prompt", input=text)
    assert f"  - {message}" in output


def test_every_number_field_has_a_range():
    """A number with no maximum lets 1e300 through to a document; every integer and number
    field of every form names its min and max (money is bounded by compute.MONEY_MAX)."""
    workspace = Workspace.open(None)
    missing = []
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        fields = [(key, fld) for key, fld in form.fields.items()]
        fields += [(f"{key}.{column}", col) for key, fld in form.fields.items()
                   for column, col in (fld.columns or {}).items()]
        missing += [f"{name}: {key}" for key, fld in fields
                    if fld.type in ("integer", "number", "float")
                    and not {"min", "max"} <= set(fld.rules)]
    assert missing == []


# --- the index never holds NaN -----------------------------------------------------------------

def strict_json(text: str):
    def refuse(literal: str):
        raise AssertionError(f"non-standard JSON {literal} in the index: {text[:200]}")
    return json.loads(text, parse_constant=refuse)


def test_the_index_holds_standard_json_only(run, home, tmp_path):
    from generator.documents.fill import to_json
    from generator.records.ledger import canonical, facts_text

    for dump in (to_json, canonical, facts_text):
        with pytest.raises(ValueError, match="Out of range float values are not JSON"):
            dump({"on_time_rate": float("nan")})
    data = tmp_path / "s.json"
    data.write_text(json.dumps(sample("monthly-summary"), default=str), "utf-8")
    assert run("fill", "monthly-summary", "--data", str(data)).exit_code == 0
    assert run("fill", "complaint", "--data", "-", input=as_yaml_lines(sample("complaint"))
               ).exit_code == 0
    # a period with no tickets: every rate has no base, and is left out rather than NaN
    summary = run("summary", "monthly", "--period", "2025-01")
    assert summary.exit_code == 0, summary.output
    stored = [row["text"] for table, column in (("documents", "data"), ("tickets", "data"),
                                                ("tickets", "facts"), ("events", "detail"))
              for row in index_sql(home, f"SELECT {column} AS text FROM {table}")]
    assert len(stored) >= 4
    for text in stored:
        strict_json(text)
