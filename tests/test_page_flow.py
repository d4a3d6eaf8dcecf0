"""Page flow, measured on the printed pages: a one-page form is one page (blank and filled with
its sample, PDF and DOCX through LibreOffice); no page holds only a signature block or only a
heading; and one style: Chinese labels use full-width brackets, every footer reads 第 x 页 共 y 页.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.context import COMMON_LABELS
from generator.documents.forms import list_forms, load_form, localised
from generator.workspace import Workspace
from tests.conftest import libreoffice_pdfs, need_tool

SIGNATURE_LINE = re.compile(r"签字|盖章|日期|年\s*_*\s*月")
# the footer's line: the contact line at the left, 第 x 页 共 y 页 centred on it (pdftotext's
# layout drops the spaces around the numbers)
FOOTER = re.compile(r"第 ?\d+ ?页 ?共 ?\d+ ?页$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def invoke(home: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    """Every form blank and filled with its sample (the demo), the packet and the rulebook, as
    PDF, and the DOCX of each form converted by LibreOffice: 'kind/name.fmt' → its PDF."""
    home = tmp_path_factory.mktemp("flow") / "ws"
    home.mkdir()
    result = CliRunner().invoke(cli, ["init", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    invoke(home, "demo")
    invoke(home, "rulebook", "build", "--version", "1.0", "--effective", "2026-12-01")
    workspace = Workspace.open(home)
    for name in list_forms(workspace):
        invoke(home, "forms", "blank", name, "-o", str(home / "blank"), "--force")
    found = {}
    for kind, folder in (("blank", home / "blank"), ("sample", home / "output")):
        for pdf in folder.rglob("*.pdf"):
            found[f"{kind}/{pdf.stem.split('_')[0]}.pdf"] = pdf
    docx = {f"{kind}/{path.stem.split('_')[0]}.docx": path
            for kind, folder in (("blank", home / "blank"), ("sample", home / "output"))
            for path in folder.rglob("*.docx") if "rulebook" not in path.parts}
    converted = libreoffice_pdfs(list(docx.values()), tmp_path_factory.mktemp("lo"))
    return {**found, **{key: converted[path] for key, path in docx.items()}}


def one_page_forms() -> list[str]:
    workspace = Workspace.open(None)
    return [name for name in list_forms(workspace) if load_form(workspace, name).pages == 1]


def test_the_one_page_forms_are_declared():
    assert {"complaint", "site-survey", "warranty-card", "repair-register"} <= set(
        one_page_forms())


@pytest.mark.parametrize("name", one_page_forms())
def test_a_one_page_form_prints_on_one_page(printed, name):
    counts = {key: len(PdfReader(str(printed[key])).pages)
              for kind in ("blank", "sample") for fmt in ("pdf", "docx")
              for key in [f"{kind}/{name}.{fmt}"]}
    assert counts == dict.fromkeys(counts, 1)


def page_bodies(pdf: Path) -> list[list[str]]:
    """Each page's lines, read with pdftotext, without the running header (the first line)
    and the footer (第 x 页 共 y 页 and what is under it)."""
    need_tool("pdftotext", "poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    bodies = []
    for page in text.split("\f")[:-1]:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        footer = next((n for n, line in enumerate(lines) if FOOTER.search(line)), len(lines))
        bodies.append(lines[1:footer])
    return bodies


def lonely_pages(pdf: Path) -> list[tuple[int, list[str]]]:
    """The pages (after the first: a cover may be short) whose only content is a signature
    block or a single heading line."""
    return [(number, body) for number, body in enumerate(page_bodies(pdf), 1)
            if number > 1 and (len(body) <= 1
                               or all(SIGNATURE_LINE.search(line) for line in body))]


def test_no_page_holds_only_signatures_or_a_heading(printed):
    found = {key: lonely for key, pdf in printed.items() if (lonely := lonely_pages(pdf))}
    assert not found


def headings(workspace: Workspace) -> set[str]:
    """Every heading a document prints over what follows it: the forms' section titles and
    the agreements' clause headings (第五条　…) and the rulebook's chapter and section headings:
    the markup's heading lines under templates/."""
    found = set()
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        found |= {localised(item["section"], "zh") for item in form.layout if item.get("section")}
    for path in (workspace.root / "templates").rglob("*.md"):
        found |= {line.lstrip("#").strip() for line in path.read_text("utf-8").splitlines()
                  if line.startswith("#")}
    return found


def test_no_page_ends_with_a_heading(printed):
    """A heading is printed on the page of what it heads: no page but the last ends with one
    (the quarterly summary's 指标说明 once did, its text box gone on to the next page)."""
    workspace = Workspace.open(None)
    titles = headings(workspace)
    assert {"指标说明", "协议文本", "第五条　结算与付款"} <= titles
    found = {key: ends for key, pdf in printed.items()
             if (ends := [(number, body[-1]) for number, body
                          in enumerate(page_bodies(pdf)[:-1], 1) if body and body[-1] in titles])}
    assert not found


def test_the_measure_sees_a_lonely_signature_page():
    """The check above can fail: a page of signatures alone is caught."""
    bodies = [["受理人（签字）：    日期：______年____月____日",
               "业主（签字）：      日期：______年____月____日"]]
    assert all(SIGNATURE_LINE.search(line) for line in bodies[0])


def test_every_footer_reads_page_x_of_y(printed):
    """One footer everywhere: 第 x 页 共 y 页, in the PDF and in LibreOffice's print of the DOCX."""
    for key, pdf in printed.items():
        reader = PdfReader(str(pdf))
        total = len(reader.pages)
        for number, page in enumerate(reader.pages, 1):
            if "rulebook" in key and number == 1:
                continue  # the cover
            text = re.sub(r"\s+", " ", page.extract_text())
            assert re.search(rf"第 ?{number} ?页 ?共 ?{total} ?页", text), (key, number)


def chinese_labels(workspace: Workspace) -> dict[str, str]:
    """Every Chinese label a document prints: fields, columns, computed values, sections,
    signatures, titles, and the words every document carries: where → label."""
    labels = {f"COMMON_LABELS.{key}": word for key, word in COMMON_LABELS["zh"].items()}
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        labels[f"{name}.title"] = form.title("zh")
        for key, label in form.label_map("zh").items():
            columns = label if isinstance(label, dict) else {"": label}  # a table's columns
            labels |= {f"{name}.{key}.{column}": text for column, text in columns.items()}
        for number, item in enumerate(form.layout):
            if item.get("section"):
                labels[f"{name}.layout[{number}].section"] = localised(item["section"], "zh")
            for sig in item.get("signatures", []):
                for part in ("label", "signatory"):
                    if sig.get(part):
                        labels[f"{name}.layout[{number}].{part}"] = localised(sig[part], "zh")
    return labels


def test_chinese_labels_use_full_width_brackets():
    labels = chinese_labels(Workspace.open(None))
    assert len(labels) > 300
    half_width = {where: label for where, label in labels.items()
                  if CJK.search(label) and re.search(r"[()]", label)}
    assert not half_width


def test_a_label_typed_with_half_width_brackets_finds_its_field():
    from generator.documents.validate import key_lookup

    form = load_form(Workspace.open(None), "site-survey")
    assert key_lookup(form.fields)["估算费用(元)"] == "estimated_cost"
    assert key_lookup(form.fields)["估算费用（元）"] == "estimated_cost"


def test_a_blank_forms_labels_stay_inside_their_rows():
    """A blank grid's rows are room to write in, of a set height; a label wrapping to more
    lines than that holds makes its row higher rather than run over the row's borders
    (首次响应90%分位（小时） in the summaries)."""
    from reportlab.platypus import Table

    from generator.documents.compute import blank_tables
    from generator.documents.context import build_context
    from generator.render.fonts import find_cjk_font
    from generator.render.pdf import flowables, page_size

    workspace = Workspace.open(None)
    font = find_cjk_font(workspace.config)
    checked = 0
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        ctx = build_context(form, blank_tables(form, workspace), config=workspace.config,
                            blank=True)
        width = page_size(form)[0] - 2 * 1.8 * 28.3465
        for table in flowables(form, ctx, font, width):
            if (not isinstance(table, Table) or table.repeatRows  # a row table: its own padding
                    or table._rowHeights is None):  # noqa: SLF001
                continue
            for row, height in zip(table._cellvalues, table._rowHeights, strict=True):  # noqa: SLF001
                for cell, column in zip(row, table._colWidths, strict=True):  # noqa: SLF001
                    if hasattr(cell, "wrap") and height is not None:
                        assert cell.wrap(column - 12, height)[1] + 6 <= height + 0.01, (
                            name, cell.text)
                        checked += 1
    assert checked > 100
