"""Every form filled from its sample data: each value comes back out of the DOCX and the PDF."""

from __future__ import annotations

import json

import pytest

from generator.documents.forms import list_forms, load_form
from generator.workspace import Workspace
from tests.conftest import (
    docx_text,
    expected_values,
    pdf_text,
    pdftotext,
    sample_forms,
    squash,
    ticket_ready_for,
    ticketless_forms,
    write_sample,
)

FORMS = sample_forms()
NO_TICKET = ticketless_forms()


def test_the_record_forms_are_bundled(workspace: Workspace):
    records = {"complaint", "feedback", "followup", "repair-register", "daily-inspection"}
    assert records <= set(FORMS) <= set(list_forms(workspace))


@pytest.mark.parametrize("name", FORMS)
def test_every_value_comes_back_out(name, run, home, workspace, ticket, tmp_path):
    form = load_form(workspace, name)
    data_file = write_sample(tmp_path, name, ticket=ticket)
    if name in NO_TICKET:  # a training record or a settlement belongs to no ticket
        ticket = None
    else:
        ticket_ready_for(home, ticket, name)
    result = run("fill", name, "--data", str(data_file), *(["--ticket", ticket] if ticket else []),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ticket"] == ticket
    paths = {d["format"]: workspace.root / d["path"] for d in report["documents"]}
    assert set(paths) == {"docx", "pdf"}

    values = expected_values(workspace, name, json.loads(data_file.read_text("utf-8")), ticket)
    texts = {
        "docx": docx_text(paths["docx"]),
        "pdf (pypdf)": pdf_text(paths["pdf"]),
        "pdf (pdftotext)": pdftotext(paths["pdf"]),
    }
    for source, text in texts.items():
        flat = squash(text)
        missing = [v for v in values if squash(v) not in flat]
        assert not missing, f"{source} lacks {missing}"
        for fixed in (form.title("zh"), form.code, report["record_no"], ticket or ""):
            assert squash(fixed) in flat, f"{source} lacks {fixed}"


def test_labels_may_be_used_as_keys(run, workspace):
    sample = load_form(workspace, "complaint").sample
    labelled = {
        "受理方式": "电话", "类别": "咨询", "业主姓名": sample["owner_name"], "房号": "1-1-101",
        "联系电话": "0571-87654321", "问题类别": "门窗", "紧急程度": "一般",
        "问题描述": "入户门关不严", "受理人": "李娜",
    }
    result = run("fill", "complaint", "--data", "-", "--json",
                 input=json.dumps(labelled, ensure_ascii=False))
    assert result.exit_code == 0, result.output
    docx_path = workspace.root / json.loads(result.output)["documents"][0]["path"]
    text = docx_text(docx_path)
    for value in ("咨询", "1-1-101", "0571-87654321", "门窗", "入户门关不严"):
        assert value in text


def test_english_labels(run, home, workspace, ticket):
    ticket_ready_for(home, ticket, "followup")
    result = run("fill", "followup", "--ticket", ticket, "--lang", "en", "--no-prompt",
                 "--set", "method=phone", "--set", "quality=good", "--set", "timeliness=timely",
                 "--set", "attitude=good", "--set", "satisfaction=satisfied",
                 "--set", "visitor=Wang Fang", "--json")
    assert result.exit_code == 0, result.output
    paths = [workspace.root / d["path"] for d in json.loads(result.output)["documents"]]
    for text in (docx_text(paths[0]), pdf_text(paths[1])):
        for word in ("Follow-up Visit Record", "Overall satisfaction", "Satisfied", "Wang Fang"):
            assert squash(word) in squash(text)


def test_followup_inherits_owner_and_room_from_the_ticket(run, home, workspace, ticket):
    ticket_ready_for(home, ticket, "followup")
    result = run("fill", "followup", "--ticket", ticket, "--no-prompt", "--format", "docx",
                 "--set", "method=电话回访", "--set", "quality=好", "--set", "timeliness=及时",
                 "--set", "attitude=好", "--set", "satisfaction=满意", "--set", "visitor=王芳",
                 "--json")
    assert result.exit_code == 0, result.output
    text = docx_text(workspace.root / json.loads(result.output)["documents"][0]["path"])
    assert "张伟" in text and "3-2-1203" in text


def test_register_totals_and_capital_numerals(run, workspace, ticket, tmp_path):
    result = run("fill", "repair-register", "--data",
                 str(write_sample(tmp_path, "repair-register", ticket=ticket)), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ticket"] is None
    for document in report["documents"]:
        path = workspace.root / document["path"]
        text = squash(docx_text(path) if document["format"] == "docx" else pdf_text(path))
        # the outsourced repair: 1,040 labour + 734.50 materials
        for value in ("1,040.00", "734.50", "1,774.50", "壹仟柒佰柒拾肆元伍角整"):
            assert value in text, (document["format"], value)
