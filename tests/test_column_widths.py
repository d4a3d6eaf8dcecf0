"""Column widths from content (issue 12, deliverable 1): identifiers, dates, times, amounts and
room numbers never wrap inside, in the PDF and in the DOCX as LibreOffice prints it; the rest of
the width goes to the columns with more text. The rule itself (render/columns.py), then what
the documents show of it, read back from the PDFs."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape

from generator.documents.context import build_context
from generator.documents.fill import prepare
from generator.documents.forms import load_form
from generator.render.columns import (
    CELL_PADDING,
    column_widths,
    label_width,
    unbreakable_pieces,
)
from generator.render.docx import render_docx
from generator.render.fonts import find_cjk_font
from generator.render.pdf import MARGIN, render_pdf
from tests.conftest import libreoffice_pdfs, pdf_text, sample_forms, squash

FORMS = sample_forms()


def monospace(text: str) -> float:
    """A measure for the rule's own tests: every character 5 pt, a CJK one 10 pt."""
    return sum(10 if "\u3000" <= char <= "\u9fff" or char >= "\uff00" else 5 for char in text)


# --- the rule -----------------------------------------------------------------------------

def test_a_line_breaks_between_cjk_characters_and_at_spaces_never_inside_a_token():
    assert unbreakable_pieces("4-2-1303 卫生间，3-2-1203 顶棚") == [
        "4-2-1303", "卫", "生", "间", "，", "3-2-1203", "顶", "棚"]
    assert unbreakable_pieces("2026-11-29 09:00") == ["2026-11-29", "09:00"]


def test_every_token_fits_its_column_and_the_long_text_takes_the_rest():
    dates = ["日期", "2026-11-29", "2026-11-30"]
    tickets = ["工单号", "SH-2026-000001"]
    content = ["维修内容", "卫生间地漏处防水层修补，顶棚重新批灰刷漆" * 3]
    widths = column_widths([dates, tickets, content], monospace, 300)
    assert sum(widths) == pytest.approx(300)
    assert widths[0] >= monospace("2026-11-29") + CELL_PADDING
    assert widths[1] >= monospace("SH-2026-000001") + CELL_PADDING
    # the short columns get what their values need, and no more than that needs
    assert widths[0] == pytest.approx(monospace("2026-11-29") + CELL_PADDING)
    assert widths[2] > widths[0] + widths[1]


def test_with_room_for_every_line_the_slack_goes_in_proportion_to_the_text():
    widths = column_widths([["a" * 4], ["a" * 12]], monospace, 200, padding=0)
    assert widths == pytest.approx([50, 150])


def test_the_slack_goes_to_the_column_that_still_breaks_most_lines():
    # Both columns have one long line; the first has it in every row, the second once.
    many = ["维修内容维修内容维修内容"] * 8
    once = ["一年"] * 7 + ["设计文件规定的该工程合理使用年限"]
    widths = column_widths([many, once], monospace, 260, padding=0)
    assert widths[0] == pytest.approx(monospace(many[0]))  # its every line on one line
    assert widths[1] == pytest.approx(260 - monospace(many[0]))


def test_when_not_even_the_tokens_fit_every_column_shrinks_alike():
    tokens = ["X" * 40, "Y" * 20]
    widths = column_widths([[tokens[0]], [tokens[1]]], monospace, 150, padding=0)
    assert widths == pytest.approx([100, 50])


def test_nothing_to_measure_is_no_error():
    assert column_widths([], monospace, 100) == []
    assert column_widths([[], [""]], monospace, 100) == pytest.approx([50, 50])


def test_a_grid_label_fits_on_one_line_within_its_bounds():
    assert label_width(["合同价款（大写）"], monospace, 60, 200) == 80 + CELL_PADDING
    assert label_width(["至"], monospace, 60, 200) == 60
    assert label_width(["甲方法定代表人/委托代理人" * 3], monospace, 60, 200) == 200


# --- the documents ------------------------------------------------------------------------

# Dates, times, ticket and record numbers, rooms, phone numbers, amounts.
IDENTIFIER = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|[A-Z]+-\d{4}-\d+|\d+(?:-\d+){2,}"
                        r"|\d{3,4}-\d{7,8}|\d[\d,]*\.\d{2}")


def identifiers(form, ctx: dict) -> Counter:
    """The identifiers the document prints as values of their own (a grid's value, a table's
    cell, a line of one), each as often as it is printed so: `2026-11-29 09:00` is two, for a
    line may break at its space. (Identifiers inside running text are kept whole by the line
    breaker, render/linebreak.py, once the column is wide enough for them, which it is.)"""
    values = []
    for key, fld in form.fields.items():
        if fld.columns:
            values += [row[column] for row in ctx["rows"][key] for column in fld.columns]
        else:
            values.append(ctx["f"][key])
    found: Counter = Counter()
    for value in values:
        for line in value.split("\n"):
            pieces = line.split()
            if pieces and all(IDENTIFIER.fullmatch(piece) for piece in pieces):
                found.update(pieces)
    return found


def broken(text: str, wanted: Counter) -> list[str]:
    """The identifiers in `wanted` found whole on fewer lines of `text` than they are printed:
    broken across lines somewhere."""
    lines = [squash(line) for line in text.splitlines()]
    return sorted(value for value, times in wanted.items()
                  if sum(line.count(value) for line in lines) < times)


def sample_context(workspace, name: str, ticket: str, blank: bool = False):
    form = load_form(workspace, name)
    number = None if form.ticket_mode == "none" else ticket
    if blank:
        return form, build_context(form, {}, config=workspace.config, blank=True)
    clean = prepare(workspace, form, form.sample, number, dt.datetime.now())
    return form, build_context(form, clean, config=workspace.config, ticket=number or "",
                               record_no=f"{form.record_prefix}-2026-0001")


def write_pdf(workspace, form, ctx, path: Path) -> Path:
    path.write_bytes(render_pdf(form, ctx, find_cjk_font(workspace.config)))
    return path


def write_docx(workspace, form, ctx, path: Path) -> Path:
    template = workspace.find("templates", form.template_name)
    path.write_bytes(render_docx(template, ctx, find_cjk_font(workspace.config), form))
    return path


@pytest.mark.parametrize("name", FORMS)
def test_no_identifier_of_a_sample_is_broken_in_its_pdf(workspace, ticket, tmp_path, name):
    form, ctx = sample_context(workspace, name, ticket)
    wanted = identifiers(form, ctx)
    assert wanted, f"{name}'s sample prints no identifiers"
    pdf = write_pdf(workspace, form, ctx, tmp_path / f"{name}.pdf")
    assert not broken(pdf_text(pdf), wanted)


REGISTER_IDS = {"2026-11-21", "2026-11-18", "SH-2026-000001", "3-2-1203", "14:00", "17:00",
                "1,040.00"}  # the sample's one repair (forms/repair-register.yaml)


def test_the_register_prints_its_dates_tickets_and_rooms_whole_in_pdf_and_docx(
        workspace, ticket, tmp_path):
    form, ctx = sample_context(workspace, "repair-register", ticket)
    wanted = identifiers(form, ctx)
    assert REGISTER_IDS <= set(wanted)
    pdf = write_pdf(workspace, form, ctx, tmp_path / "register.pdf")
    document = write_docx(workspace, form, ctx, tmp_path / "register.docx")
    printed = libreoffice_pdfs([document], tmp_path)[document]
    assert not broken(pdf_text(pdf), wanted)
    assert not broken(pdf_text(printed), wanted)
    # in the PDF each cell is a line of its own: the room, whole
    assert [squash(line) for line in pdf_text(pdf).splitlines()].count("3-2-1203") == 1


def header_positions(pdf: Path, labels: list[str]) -> dict[str, float]:
    """Where each of `labels` printed on one line starts on the first page (x, points)."""
    found: dict[str, float] = {}

    def visit(text, cm, tm, _font, _size):
        key = text.strip()
        if key in labels and key not in found:
            found[key] = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]

    PdfReader(str(pdf)).pages[0].extract_text(visitor_text=visit)
    assert len(found) > len(labels) // 2, f"{pdf.name} has few of {labels}: {found}"
    return found


def register_labels(form, ctx) -> list[str]:
    item = next(item for item in form.layout if "table" in item)
    return [ctx["L"]["repairs_columns"][column] for column in item["columns"]]


def test_a_blank_register_has_the_columns_of_its_filled_sample(workspace, ticket, tmp_path):
    """The blank form measures its sample rows, so its columns are the sample's: room for the
    same dates, tickets and rooms, written by hand."""
    form, filled = sample_context(workspace, "repair-register", ticket)
    _, blank = sample_context(workspace, "repair-register", ticket, blank=True)
    labels = register_labels(form, filled)
    sample = header_positions(write_pdf(workspace, form, filled, tmp_path / "f.pdf"), labels)
    empty = header_positions(write_pdf(workspace, form, blank, tmp_path / "b.pdf"), labels)
    # the labels printed on one line in both (header_positions asks for most of them), each
    # within a few points: the filled form also measures its totals line, which a blank has
    # not, and that moves the slack shared out (by 3 pt at most in this 13-column register)
    both = sorted(empty.keys() & sample.keys())
    assert len(both) > len(labels) // 2
    assert [empty[label] for label in both] == pytest.approx([sample[label] for label in both],
                                                             abs=4.0)
    # and a date column is no wider than a date needs, nor the ticket's than a ticket number
    font = find_cjk_font(workspace.config)
    date, ticket_no, room = (sample[label] for label in labels[:3])
    assert ticket_no - date < font.width("2026-12-31", 8) * 1.1 + CELL_PADDING + 1
    assert room - ticket_no < font.width("SH-2026-000001", 8) * 1.1 + CELL_PADDING + 1


def test_the_register_docx_has_the_pdfs_columns(workspace, ticket, tmp_path):
    """The DOCX template marks its row table; the renderer sizes it as the PDF is sized:
    LibreOffice prints the header labels where the PDF does, to the cells' padding."""
    form, ctx = sample_context(workspace, "repair-register", ticket)
    labels = register_labels(form, ctx)
    pdf = write_pdf(workspace, form, ctx, tmp_path / "register.pdf")
    document = write_docx(workspace, form, ctx, tmp_path / "register.docx")
    printed = libreoffice_pdfs([document], tmp_path)[document]
    ours, theirs = header_positions(pdf, labels), header_positions(printed, labels)
    both = [label for label in labels if label in ours and label in theirs]
    assert len(both) > len(labels) // 2
    assert [ours[label] - ours[both[0]] for label in both] == pytest.approx(
        [theirs[label] - theirs[both[0]] for label in both], abs=2)
    # the widths are on the table's grid and its cells, where LibreOffice and Word read them
    table = next(t for t in docx.Document(str(document)).tables if len(t.columns) == len(labels))
    grid = [column.width.pt for column in table.columns]
    cells = [cell.width.pt for cell in table.rows[0].cells]
    assert grid == pytest.approx(cells, abs=0.1)
    assert sum(grid) == pytest.approx(landscape(A4)[0] - 2 * MARGIN, abs=1)


def test_a_template_without_the_marks_keeps_its_own_widths(workspace, ticket, tmp_path):
    """A template restyled by hand (here: the marks taken out) still renders, as drawn."""
    form, ctx = sample_context(workspace, "repair-register", ticket)
    template = docx.Document(str(workspace.find("templates", form.template_name)))
    for caption in template.element.body.iter(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblCaption"):
        caption.getparent().remove(caption)
    restyled = tmp_path / "restyled.docx"
    template.save(str(restyled))
    drawn = [column.width for column in template.tables[1].columns]
    rendered = tmp_path / "rendered.docx"
    rendered.write_bytes(render_docx(restyled, ctx, find_cjk_font(workspace.config), form))
    assert [column.width for column in docx.Document(str(rendered)).tables[1].columns] == drawn


def test_a_grid_label_is_on_one_line_in_pdf_and_docx(workspace, ticket, tmp_path):
    """合同价款（大写） and its like fit their label column, which is as wide as its longest."""
    form, ctx = sample_context(workspace, "minor-works-agreement", ticket)
    label = ctx["L"]["total_capital"]
    assert label == "合同价款（大写）"
    pdf = write_pdf(workspace, form, ctx, tmp_path / "agreement.pdf")
    document = write_docx(workspace, form, ctx, tmp_path / "agreement.docx")
    printed = libreoffice_pdfs([document], tmp_path)[document]
    for text in (pdf_text(pdf), pdf_text(printed)):
        assert any(label in squash(line) for line in text.splitlines())
