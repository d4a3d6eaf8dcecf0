"""The two agreements add up: item amounts are quantity × unit price, the price and its
capitals come from them, payment stages split exactly the price and keep back the retention,
figures stay in range, dates and response times are in order, and both parties' tax numbers
carry the right check character. Every bad input exits 2 naming the field or row, and writes
nothing."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
import yaml

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import body_text, docx_text, files_in_output, need_tool, pdftotext, refusal

MINOR = "minor-works-agreement"
UPKEEP = "maintenance-agreement"
# The minor works sample's items: 4.5 × 65, 7.2 × 85, 4.5 × 150, 2 × 45, 3 × 35
AMOUNTS = ["292.50", "612.00", "675.00", "90.00", "105.00"]
PRICE, PRICE_WORDS = "1,774.50", "壹仟柒佰柒拾肆元伍角整"


def sample(name: str) -> dict:
    data = load_form(Workspace.open(None), name).sample
    for row in data.get("items", []) + data.get("rates", []):  # money as text, exactly
        for key in ("unit_price", "amount"):
            if key in row:
                row[key] = f"{row[key]:.2f}"
    return data


def as_yaml(data: dict) -> str:
    """YAML, as a user writes it: a float such as .inf or .nan reaches the reader as its text."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def fill(run, name: str, data: dict, ticket: str | None, *options: str):
    where = ["--ticket", ticket] if ticket else []
    return run("fill", name, "--data", "-", "--json", "--no-prompt", *where, *options,
               input=as_yaml(data))


def stage(percent=None, amount=None, name="验收合格后") -> dict:
    row = {"stage": name, "trigger": "经甲方验收合格后 15 日内"}
    if percent is not None:
        row["percent"] = percent
    if amount is not None:
        row["amount"] = amount
    return row


def item(quantity, unit_price) -> dict:
    return {"item": "外墙修补", "unit": "㎡", "quantity": quantity, "unit_price": unit_price}


def edit(**changes) -> Callable[[dict], None]:
    return lambda data: data.update(changes)


def edit_row(table: str, number: int, **changes) -> Callable[[dict], None]:
    return lambda data: data[table][number - 1].update(changes)


MINOR_CASES = {
    "typed amount disagrees": (
        edit_row("items", 2, amount="999.99"),
        "工程量清单 row 2: 金额（元） (items[2].amount) 999.99 is not 数量 × 单价（元） = 612.00"),
    "row amount beyond the maximum": (
        edit(items=[item(1000000, "99999999.99")]),
        "工程量清单 row 1: 金额（元） (items[1].amount) = 数量 × 单价（元） = "
        "99,999,999,990,000.00 is more than the largest amount a document carries, "
        "9,999,999,999,999.99"),
    "price beyond the maximum": (
        edit(items=[item(1000000, "9999999.99"), item(1000000, "9999999.99")]),
        "合同价款（元） (total) 19,999,999,980,000.00 is more than the largest amount a "
        "document carries, 9,999,999,999,999.99"),
    "unit price 1e16 as text": (
        edit_row("items", 1, unit_price="1e16"),
        "单价（元） (items[1].unit_price): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '1e16'"),
    "unit price 1e16 as a number": (
        edit_row("items", 1, unit_price=1e16),
        "单价（元） (items[1].unit_price): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '1.0e+16'"),
    "unit price nan": (
        edit_row("items", 3, unit_price=float("nan")),
        "单价（元） (items[3].unit_price): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '.nan'"),
    "quantity inf": (
        edit_row("items", 1, quantity=float("inf")),
        "数量 (items[1].quantity): must be a finite number; got '.inf'"),
    "quantity 1e16": (
        edit_row("items", 1, quantity=1e16), "数量 (items[1].quantity): max value is 1000000"),
    "penalty nan": (
        edit(penalty_per_mille=float("nan")),
        "日违约金（‰） (penalty_per_mille): must be a finite number; got '.nan'"),
    "penalty too high": (edit(penalty_per_mille=6),
                         "日违约金（‰） (penalty_per_mille): max value is 5"),
    "penalty too low": (edit(penalty_per_mille=0.05),
                        "日违约金（‰） (penalty_per_mille): min value is 0.1"),
    "retention too low": (edit(retention_percent=4),
                          "保修金比例（%） (retention_percent): min value is 5"),
    "retention too high": (edit(retention_percent=11),
                           "保修金比例（%） (retention_percent): max value is 10"),
    "warranty too long": (edit(warranty_months=121),
                          "保修期（月） (warranty_months): max value is 120"),
    "percentages short of 100": (
        edit(payment_stages=[stage(30), stage(60)]),
        "付款节点 (payment_stages): the stages' 比例（%） (percent) add up to 90%, not 100%"),
    "percentages over 100": (
        edit(payment_stages=[stage(50.5), stage(45), stage(5)]),
        "付款节点 (payment_stages): the stages' 比例（%） (percent) add up to 100.5%, "
        "not 100%"),
    "amounts and percentages short of the price": (
        edit(payment_stages=[stage(amount="177.44"), stage(85), stage(5)]),
        "付款节点 (payment_stages): the stages add up to 1,774.49 (金额（元） (amount) 177.44 "
        "+ 90% of the price), not 合同价款（元） (total) 1,774.50"),
    "amounts over the price": (
        edit(payment_stages=[stage(amount="1800.00"), stage(amount="100.00")]),
        "付款节点 (payment_stages): the stages add up to 1,900.00 (金额（元） (amount) "
        "1,900.00), not 合同价款（元） (total) 1,774.50"),
    "a stage with both": (
        edit(payment_stages=[stage(95, "1771.28"), stage(5)]),
        "付款节点 row 1: give exactly one of 比例（%） (percent) or 金额（元） (amount)"),
    "a stage with neither": (
        edit(payment_stages=[stage(95), stage()]),
        "付款节点 row 2: give exactly one of 比例（%） (percent) or 金额（元） (amount)"),
    "a percentage with 3 decimals": (
        edit(payment_stages=[stage(94.995), stage(5.005)]),
        "比例（%） (payment_stages[1].percent): must have at most 2 decimals; got 94.995"),
    "stage amount 1e16": (
        edit(payment_stages=[stage(amount="1e16")]),
        "金额（元） (payment_stages[1].amount): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '1e16'"),
    "last stage below the retention": (
        edit(payment_stages=[stage(97), stage(3)]),
        "付款节点 (payment_stages): the last stage holds back 3% of 合同价款（元） (total), less "
        "than 保修金比例（%） (retention_percent) 5% — the last stage is the retention paid "
        "after the warranty, so its share must be at least the retention"),
    "last stage amount below the retention": (
        edit(payment_stages=[stage(amount="1703.52"), stage(amount="70.98")]),
        "付款节点 (payment_stages): the last stage holds back 70.98 (4.00%) of 合同价款（元） "
        "(total), less than 保修金比例（%） (retention_percent) 5%"),
    "start before signing": (
        edit(signed_on="2026-11-19"),
        "开工日期 (start_date) 2026-11-18 is before 签订日期 (signed_on) 2026-11-19"),
    "finish before start": (
        edit(finish_date="2026-11-17"),
        "竣工日期 (finish_date) 2026-11-17 is before 开工日期 (start_date) 2026-11-18"),
    "tax number with a wrong check character": (
        edit(party_b_tax_id="91330106MA28C9UX1D"),
        "乙方统一社会信用代码 (party_b_tax_id): the check character (the 18th) of "
        "'91330106MA28C9UX1D' is wrong: the first 17 give 'C'"),
    "tax number with a letter outside the alphabet": (
        edit(party_a_tax_id="91330100MA2H3K7NI3"),
        "甲方统一社会信用代码 (party_a_tax_id): the 18 characters of the business licence's"),
    "account with letters": (
        edit(party_a_account="6222-0212-AB"),
        "甲方银行账号 (party_a_account): 8 to 32 digits"),
    "account too short": (edit(party_b_account="1234 567"),
                          "乙方银行账号 (party_b_account): 8 to 32 digits"),
    "no address": (edit(party_b_address=""),
                   "乙方地址 (party_b_address): empty values not allowed"),
    "no bank": (lambda data: data.pop("party_a_bank"),
                "甲方开户银行 (party_a_bank): required field"),
}

UPKEEP_CASES = {
    "term ends as it starts": (
        edit(term_to="2026-03-01"),
        "至 (term_to) 2026-03-01 is not after 协议期限自 (term_from) 2026-03-01"),
    "term ends before it starts": (
        edit(term_to="2026-02-28"),
        "至 (term_to) 2026-02-28 is not after 协议期限自 (term_from) 2026-03-01"),
    "term starts before signing": (
        edit(signed_on="2026-03-02"),
        "协议期限自 (term_from) 2026-03-01 is before 签订日期 (signed_on) 2026-03-02"),
    "urgent sooner than emergency": (
        edit(response_emergency_hours=4, response_urgent_hours=2),
        "紧急到场（小时） (response_urgent_hours) 2 is less than 特急到场（小时） "
        "(response_emergency_hours) 4"),
    "normal sooner than urgent": (
        edit(response_normal_hours=3),
        "一般到场（小时） (response_normal_hours) 3 is less than 紧急到场（小时） "
        "(response_urgent_hours) 4"),
    "rate 1e16": (
        edit_row("rates", 2, unit_price="1e16"),
        "单价（元） (rates[2].unit_price): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '1e16'"),
    "rate inf": (
        edit_row("rates", 1, unit_price=float("inf")),
        "单价（元） (rates[1].unit_price): must be an amount in yuan up to "
        "9,999,999,999,999.99; got '.inf'"),
    "tax number with a wrong check character": (
        edit(party_a_tax_id="91330100MA2H3K7N54"),
        "甲方统一社会信用代码 (party_a_tax_id): the check character (the 18th) of "
        "'91330100MA2H3K7N54' is wrong: the first 17 give '3'"),
    "no phone for party A": (lambda data: data.pop("party_a_phone"),
                             "甲方联系电话 (party_a_phone): required field"),
}


def assert_refused(run, home, name: str, data: dict, ticket: str | None, line: str) -> None:
    before = (files_in_output(home), run("index", "list", "--json").output)
    result = fill(run, name, data, ticket)
    assert result.exit_code == 2, result.output
    headline, problems = refusal(result)
    assert headline.endswith("failed validation; nothing was written.")
    assert any(problem.startswith(line) for problem in problems), result.output
    assert (files_in_output(home), run("index", "list", "--json").output) == before


@pytest.mark.parametrize("case", MINOR_CASES, ids=list(MINOR_CASES))
def test_a_bad_minor_works_agreement_is_refused_by_name(run, home, ticket, case):
    change, line = MINOR_CASES[case]
    data = sample(MINOR)
    change(data)
    assert_refused(run, home, MINOR, data, ticket, line)


@pytest.mark.parametrize("case", UPKEEP_CASES, ids=list(UPKEEP_CASES))
def test_a_bad_maintenance_agreement_is_refused_by_name(run, home, case):
    change, line = UPKEEP_CASES[case]
    data = sample(UPKEEP)
    change(data)
    assert_refused(run, home, UPKEEP, data, None, line)


def table_lines(path: Path) -> list[str]:
    """The PDF's text as laid out, one printed line each with runs of blanks squeezed: the
    cells of a table row share a line."""
    need_tool("pdftotext", "poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    return [re.sub(r"\s{2,}", " | ", line.strip()) for line in text.splitlines()]


def documents(result) -> dict:
    assert result.exit_code == 0, result.output
    return {d["format"]: d for d in json.loads(result.output)["documents"]}


def test_the_sample_prints_and_stores_the_computed_amounts(run, home, ticket):
    data = sample(MINOR)
    assert "amount" not in data["items"][0] and data["items"][2]["amount"] == "675.00"
    made = documents(fill(run, MINOR, data, ticket, "--format", "pdf,docx"))

    stored = json.loads(run("index", "show", str(made["pdf"]["path"]), "--json").output)["data"]
    assert [row["amount"] for row in stored["items"]] == AMOUNTS

    lines = table_lines(home / made["pdf"]["path"])
    assert [line.rsplit(" | ", 1)[-1] for line in lines if line.endswith(tuple(AMOUNTS))] == [
        *AMOUNTS]  # each item's row ends with its amount
    assert f"合计 | {PRICE}" in lines  # the bill of quantities' totals row
    # the label has room to stand clear of its value: 合同价款（大写） on one line
    assert f"合同价款（元） | {PRICE} | 合同价款（大写） | {PRICE_WORDS}" in lines
    assert "付款阶段 | 付款条件 | 比例（%） | 金额（元）" in lines  # the stages' table
    assert "开工后 | 乙方进场开工、甲方确认后 3 日内（预付款） | 30" in lines
    pdf = body_text(pdftotext(home / made["pdf"]["path"]))
    assert f"人民币{PRICE}元（大写：{PRICE_WORDS}）" in pdf  # clause 6
    assert "“付款方式”表所列的付款阶段" in pdf  # clause 7 refers to it
    for value in ("91330100MA2H3K7N53", "1202021009100123456", "中国农业银行示例市高新支行",
                  "示例市示例区工业路16号"):
        assert value in pdf

    document = docx.Document(str(home / made["docx"]["path"]))
    items = next(t for t in document.tables if t.rows[0].cells[0].text == "施工项目")
    assert [row.cells[5].text for row in items.rows[1:]] == [*AMOUNTS, PRICE]
    assert items.rows[-1].cells[0].text == "合计"
    stages = next(t for t in document.tables if t.rows[0].cells[0].text == "付款阶段")
    assert [[c.text for c in row.cells[2:]] for row in stages.rows[1:]] == [
        ["30", ""], ["65", ""], ["5", ""]]
    text = docx_text(home / made["docx"]["path"])
    assert PRICE_WORDS in text and "1202 0210 0910 0123 456" in text


def test_stages_by_amount_and_percentage_that_add_up_to_the_cent_are_filed(run, home, ticket):
    data = sample(MINOR)
    data["payment_stages"] = [stage(amount="177.45", name="开工后"), stage(85), stage(5)]
    made = documents(fill(run, MINOR, data, ticket, "--format", "pdf"))
    assert "开工后 | 经甲方验收合格后 15 日内 | 177.45" in table_lines(home / made["pdf"]["path"])


def test_a_maintenance_agreement_prints_both_parties_in_full(run, home):
    made = documents(fill(run, UPKEEP, sample(UPKEEP), None, "--format", "pdf,docx"))
    pdf = body_text(pdftotext(home / made["pdf"]["path"]))
    text = docx_text(home / made["docx"]["path"])
    for label, value in (("乙方统一社会信用代码", "91330108MA2GL4QW8B"),
                         ("乙方开户银行", "中国农业银行示例市高新支行"),
                         ("乙方银行账号", "19035101040012345"),
                         ("甲方地址", "示例市示例区示例路 1 号")):
        assert label + value.replace(" ", "") in pdf
        assert label in text and value in text
