"""Bad input: every failing field named by label and key, exit 2, nothing written. Awkward but
printable values come out exactly as given; unprintable ones are refused by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from generator.documents.forms import load_form
from generator.records.index import index_of
from generator.workspace import Workspace
from tests.conftest import body_text, docx_text, pdf_text, pdftotext, squash


def sample(name: str = "complaint") -> dict:
    return load_form(Workspace.open(None), name).sample


def as_input(data: dict) -> str:
    return json.dumps(data, default=str, ensure_ascii=False)


def documents_in(home: Path) -> list[Path]:
    output = home / "output"
    return [p for p in output.rglob("*") if p.is_file() and "index.sqlite3" not in p.name] \
        if output.exists() else []


def assert_nothing_written(run, home: Path) -> None:
    assert documents_in(home) == []
    listing = run("index", "list", "--json")
    assert json.loads(listing.output) == []


def test_every_failing_field_is_named_by_label_and_key(run, home):
    data = sample() | {"channel": "fax", "owner_name": "", "phone": "12345",
                       "promised_reply_at": "tomorrow", "colour": "red"}
    del data["description"]
    result = run("fill", "complaint", "--data", "-", input=as_input(data))
    assert result.exit_code == 2
    assert "complaint: 6 fields failed validation; nothing was written." in result.output
    for line in (
        "受理方式 (channel): must be one of: phone (电话), visit (来访), letter (信函), "
        "online (网络); got 'fax'",
        "业主姓名 (owner_name): empty values not allowed",
        "联系电话 (phone): a mobile number like 13812345678 or a landline like 0571-88888888; "
        "got '12345'",
        "问题描述 (description): required field",
        "承诺答复时间 (promised_reply_at): must be a date and time like 2026-11-28 09:30; "
        "got 'tomorrow'",
        "colour: unknown field (not in the form's schema)",
    ):
        assert f"  - {line}" in result.output
    assert_nothing_written(run, home)


def test_errors_in_table_rows_name_the_row(run, home):
    data = sample("repair-register")
    data["repairs"].append(dict(data["repairs"][0]))  # the sample's one row, twice
    data["repairs"][1]["labour_cost"] = "sixty"
    del data["repairs"][0]["room"]
    result = run("fill", "repair-register", "--data", "-", input=as_input(data))
    assert result.exit_code == 2
    assert "  - 房号 (repairs[1].room): required field" in result.output
    assert ("  - 人工费（元） (repairs[2].labour_cost): must be an amount in yuan, like 1234.50; "
            "got 'sixty'") in result.output
    assert_nothing_written(run, home)


def test_a_failed_fill_uses_no_ticket_number(run, home):
    bad = run("fill", "complaint", "--data", "-", input=as_input(sample() | {"kind": "x"}))
    assert bad.exit_code == 2
    good = run("fill", "complaint", "--data", "-", "--json", input=as_input(sample()))
    assert json.loads(good.output)["ticket"].endswith("-000001")


def test_failure_while_rendering_leaves_no_file_and_no_row(run, home, workspace):
    """The PDF is written first; the DOCX template then fails: the PDF must go again."""
    (home / "templates").mkdir()
    template = home / "templates" / "complaint.docx"
    assert run("forms", "template", "complaint").exit_code == 0
    document = docx.Document(str(template))
    document.add_paragraph("{{ f.no_such_field }}")
    document.save(str(template))
    result = run("fill", "complaint", "--data", "-", "--format", "pdf,docx",
                 input=as_input(sample()))
    assert result.exit_code == 2
    assert "templates/complaint.docx" in result.output and "no_such_field" in result.output
    assert_nothing_written(run, home)
    assert index_of(workspace).ticket("SH-2026-000001") is None


def test_input_that_is_not_a_mapping(run):
    result = run("fill", "complaint", "--data", "-", input="- just\n- a list\n")
    assert result.exit_code == 2
    assert "must hold a mapping of field: value" in result.output


def test_unreadable_data_file(run, tmp_path):
    result = run("fill", "complaint", "--data", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "cannot read" in result.output and "nope.yaml" in result.output


def test_bad_format_option(run):
    result = run("fill", "complaint", "--format", "odt", "--data", "-", input=as_input(sample()))
    assert result.exit_code == 2
    assert ("--format: expected a comma-separated list of docx, pdf, xlsx, csv; got odt"
            in result.output)


AWKWARD = {
    "owner_name": "O'Brien & \"Sons\" <Ltd>",
    "room": "{{ room }}-{% if x %}",
    "received_by": "堃喆犇龘〇",
    "description": (
        "第一行 <b>not bold</b> & a > b\n第二行 {{ 7*7 }} {% raw %}\n\n第四行 ①②③ ￥12 — …"
    ),
    "remarks": "长" * 1000,
    "result": "先打电话   再上门",
}


def test_awkward_values_come_out_exactly(run, home):
    result = run("fill", "complaint", "--data", "-", "--json", input=as_input(sample() | AWKWARD))
    assert result.exit_code == 0, result.output
    paths = {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}

    cells = {cell.text for table in docx.Document(str(paths["docx"])).tables
             for row in table.rows for cell in row.cells}
    for key, value in AWKWARD.items():
        if key == "received_by":  # printed on the signature line
            assert f"受理人（签字）：{value}" in cells
        else:
            assert value in cells, f"DOCX cell for {key} is not exactly {value!r}"
    assert "49" not in docx_text(paths["docx"])  # {{ 7*7 }} was never evaluated

    for text in (pdf_text(paths["pdf"]), pdftotext(paths["pdf"])):
        flat = squash(text)
        for key, value in AWKWARD.items():
            assert squash(value) in flat, f"PDF lacks {key}"
    # runs of spaces are printed as typed, not folded into one
    assert re.search(r"先打电话\s{3}再上门", pdf_text(paths["pdf"]))


@pytest.mark.parametrize(
    "value, named",
    [
        ("张\x07伟", "U+0007"),
        ("tab\there", "U+0009"),
        ("笑😀", "'😀' U+1F600 GRINNING FACE (the PDF font has no glyph for it)"),
        ("𠀀", "'𠀀' U+20000 CJK UNIFIED IDEOGRAPH-20000"),
        ("a\ufffeb", "U+FFFE"),
    ],
)
def test_unprintable_characters_are_refused_by_name(run, home, value, named):
    data = sample()
    del data["owner_name"]
    # --set, since YAML itself refuses some of these characters before aftersales sees them
    result = run("fill", "complaint", "--data", "-", "--set", f"owner_name={value}",
                 input=as_input(data))
    assert result.exit_code == 2
    assert "业主姓名 (owner_name): cannot print" in result.output
    assert named in result.output
    assert_nothing_written(run, home)


def test_text_longer_than_a_page_runs_on_and_comes_back_whole(run, home):
    """The longest values the schema allows, in a text box and in a one-pair grid row: they
    run over page breaks, and reading the pages back (without header and footer) gives them
    whole."""
    long = {"description": ("墙面渗水，" * 400)[:2000],
            "handling": ("已通知承建商返修；" * 250)[:2000]}
    result = run("fill", "complaint", "--data", "-", "--json", input=as_input(sample() | long))
    assert result.exit_code == 0, result.output
    paths = {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}
    assert len(PdfReader(str(paths["pdf"])).pages) >= 3
    # pypdf reads in drawing order; pdftotext's layout analysis may slot a neighbouring
    # label into the middle of a long cell.
    for text in (body_text(pdf_text(paths["pdf"])), body_text(docx_text(paths["docx"]))):
        for key, value in long.items():
            assert squash(value) in text, f"{key} is not whole"


def test_yaml_no_in_a_text_field_is_the_text_no(run):
    text = "\n".join(f"{k}: {v}" for k, v in sample().items() if k != "remarks"
                     and "\n" not in str(v))
    result = run("fill", "complaint", "--data", "-", "--json", input=text + "\nremarks: no\n"
                 + "description: 漏水\n")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["documents"][0]["path"]
    assert json.loads(run("index", "show", document, "--json").output)["data"]["remarks"] == "no"


def test_json_true_in_a_text_field_says_to_quote_it(run):
    result = run("fill", "complaint", "--data", "-", input=as_input(sample() | {"remarks": False}))
    assert result.exit_code == 2
    assert ("备注 (remarks): must be of string type; got False — JSON reads true and false as "
            "yes/no, so put the text in quotes") in result.output
