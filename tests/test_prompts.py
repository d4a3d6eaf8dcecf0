"""Prompting on a terminal: missing fields are asked one by one, invalid answers re-asked."""

from __future__ import annotations

import json

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import docx_text, ticket_ready_for


def open_ticket(run) -> str:
    data = json.dumps(load_form(Workspace.open(None), "complaint").sample, default=str,
                      ensure_ascii=False)
    result = run("fill", "complaint", "--data", "-", "--json", input=data)
    return json.loads(result.output)["ticket"]


def test_followup_prompts_for_each_missing_field(run, home):
    ticket = open_ticket(run)
    ticket_ready_for(home, ticket, "followup")
    answers = [
        "fax",         # method: invalid, asked again
        "phone",       # method
        "good",        # quality
        "较及时",       # timeliness, by its label
        "好",           # attitude
        "satisfied",   # satisfaction
        "",            # comments: optional, skipped
        "",            # visitor: required, asked again
        "王芳",         # visitor
    ]
    result = run("fill", "followup", "--ticket", ticket, "--prompt", "--format", "docx",
                 input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "回访方式 (method) [phone=电话回访, on_site=上门回访]" in result.output
    assert "must be one of: phone (电话回访), on_site (上门回访); got 'fax'" in result.output
    assert "this field is required" in result.output
    # inherited from the complaint, so never asked
    assert "(room)" not in result.output and "(owner_name)" not in result.output
    path = next((home / "output" / ticket).glob("followup_*.docx"))
    text = docx_text(path)
    for value in ("电话回访", "较及时", "满意", "王芳", "张伟", "3-2-1203"):
        assert value in text


def test_prompting_rows(run, home):
    ticket = open_ticket(run)  # a register row names a ticket that exists
    answers = [
        "示例花园", "2026-11-01", "2026-11-30", "赵敏",     # project, period, compiled by
        "y",                                                # add a row
        "2026-11-02", ticket, "1-1-101", "换锁芯", "in_house", "陈刚",
        "", "", "", "abc", "80", "", "developer", "",       # money re-asked after 'abc'
        "n",
    ]
    result = run("fill", "repair-register", "--prompt", "--format", "docx",
                 input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "must be an amount in yuan, like 1234.50" in result.output
    path = next((home / "output" / "repair-register").glob("*.docx"))
    text = docx_text(path)
    for value in ("换锁芯", "物业维修", "80.00", "地产公司", "捌拾元整"):
        assert value in text


def test_no_prompt_reports_missing_fields(run):
    ticket = open_ticket(run)
    result = run("fill", "followup", "--ticket", ticket, "--no-prompt")
    assert result.exit_code == 2
    assert "  - 回访方式 (method): required field" in result.output
