"""Context → DOCX with docxtpl, in a sandboxed, autoescaping Jinja environment.

Autoescape keeps `& < >` in data from breaking the document XML (docxtpl's default would mangle
them); the sandbox keeps a user-edited template from reaching into Python. Values are only ever
substituted, never evaluated, so `{{ }}` in data prints as typed. A tag naming an unknown key
is an error, not a blank.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, Twips
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from generator.errors import ConfigError
from generator.render.columns import grid_label_width, row_table_widths
from generator.render.docx_template import (
    BODY,
    CELL_PADDING,
    LAYOUT_CAPTION,
    cell_size,
    use_font,
)
from generator.render.fonts import CJKFont

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form


class _Environment(SandboxedEnvironment):
    """docxtpl compiles each XML part of the template on every render; the parts of a given
    template never change, so keep the compiled ones (most of a render's time otherwise)."""

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one environment lives as long as the process)
    def from_string(self, source, globals=None, template_class=None):
        return super().from_string(source, globals, template_class)


_ENVIRONMENT = _Environment(undefined=StrictUndefined, autoescape=True)


def jinja_environment() -> SandboxedEnvironment:
    """The environment every DOCX template renders in, for a check to parse templates in."""
    return _ENVIRONMENT


class _Template(DocxTemplate):
    """docxtpl cleans each XML part with some forty regular expressions before every render;
    the result depends on the part's XML alone (patch_xml reads no state), so keep it."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


@functools.lru_cache(maxsize=256)
def _patched(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_Template.__new__(_Template), src_xml)


def render_docx(template: Path, ctx: dict[str, Any], font: CJKFont | None = None,
                form: Form | None = None) -> bytes:
    """The template filled with `ctx`, its text in `font`, the workspace's CJK font, as the
    PDF's (without one, in the template's own font). A layout's charts (ctx["charts"]) go in
    as pictures, drawn in `font` (needed when there are charts), and its QR codes
    (ctx["qr_codes"]) as pictures too. Given the `form` and the font, the tables the template
    marks as its layout's row tables and grids get the PDF's column widths."""
    document = _Template(str(template))
    if font is not None:
        document.init_docx()
        use_font(document.docx, font.family)
    if any(ctx.get("charts") or ()):
        ctx = {**ctx, "charts": _chart_pictures(document, ctx["charts"], font)}
    if "qr_codes" in ctx:
        ctx = {**ctx, "qr_codes": _qr_pictures(document, ctx["qr_codes"])}
    try:
        document.render(ctx, jinja_env=_ENVIRONMENT, autoescape=True)
    except TemplateError as exc:
        raise ConfigError(f"template {template}: {exc}") from exc
    if form is not None and font is not None:
        _follow_the_layout(document.docx, form, ctx, font)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _chart_pictures(document: DocxTemplate, charts: list, font: CJKFont | None) -> list:
    """Each chart's picture (None where the layout has no chart), as wide as the template's
    text column: a PNG of what the PDF draws (render/charts.py)."""
    from generator.render.charts import png

    if font is None:
        raise ValueError("render_docx: a layout with charts needs the CJK font to draw them")
    document.init_docx()
    section = document.docx.sections[-1]  # the body's own section properties
    width = Emu(section.page_width - section.left_margin - section.right_margin)
    pictures = []
    for chart in charts:
        if not chart:
            pictures.append(chart)
            continue
        picture = png(chart, width.pt, font)
        pictures.append(InlineImage(document, io.BytesIO(picture), width=width,
                                    height=Cm(chart["height"])))
    return pictures


QR_SIZE_CM = 2.2  # fits the grid's last column (render/docx_template.py)


def _qr_pictures(document: DocxTemplate, texts: list[str | None]) -> list:
    """Each QR code's picture ("" where the layout has none, or the form is blank)."""
    if not any(texts):
        return ["" for _ in texts]  # without loading reportlab's barcodes and PIL (~60 ms)
    from generator.render.qr import qr_png

    return [InlineImage(document, io.BytesIO(qr_png(text)), width=Cm(QR_SIZE_CM))
            if text else "" for text in texts]


def _follow_the_layout(document, form: Form, ctx: dict[str, Any], font: CJKFont) -> None:
    """Lay out each table the template marks (render/docx_template.py, mark_layout_item) as
    the PDF lays out the layout item it draws: row tables' columns sized from their content,
    grids' labels from theirs, a short text box kept whole. A table that no longer matches its
    item (a restyled template) is left as it is drawn."""
    section = document.sections[-1]
    content = Emu(section.page_width - section.left_margin - section.right_margin).pt
    for table in document.tables:
        item = _layout_item(table, form)
        if item is None:  # not marked: a table the template's author added
            continue
        grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
        if "table" in item:
            columns = item.get("columns") or list(form.fields[item["table"]].columns)
            widths = row_table_widths(item, columns, ctx, font.width,
                                      cell_size(item)[0], content)
        elif "grid" in item and len(grid) in (4, 5) and len(table.rows) == len(item["grid"]):
            beside = Twips(int(grid[4].get(qn("w:w")))).pt if len(grid) == 5 else 0.0  # QR
            label = grid_label_width(item, ctx, font.width, BODY[0], content - beside)
            value = (content - beside) / 2 - label
            widths = [label, value, label, value] + ([beside] if beside else [])
        elif "text" in item and len(table.rows) == 2:
            _keep_short_text_whole(table, item, ctx, font)
            continue
        else:  # no longer what the layout draws
            continue
        if len(widths) == len(grid):
            _set_widths(table, grid, widths)


# A text box's row shorter than this many lines (about two thirds of a portrait page) cannot
# be taller than a page, so it may be kept whole: Word cuts a row it may not split off at the
# foot of a page, where LibreOffice and the PDF carry it on.
WHOLE_TEXT_LINES = 36


def _keep_short_text_whole(table, item: dict, ctx: dict[str, Any], font: CJKFont) -> None:
    """A text box on one page, as the PDF's (a page break before it rather than inside it),
    when its text is short enough to fit on one; a longer one breaks across pages."""
    width = sum(Twips(int(column.get(qn("w:w")))).pt
                for column in table._tbl.tblGrid.findall(qn("w:gridCol")))
    line = max(width - CELL_PADDING["left"] - CELL_PADDING["right"], 1.0)
    lines = sum(max(1, math.ceil(font.width(part, BODY[0]) / line))
                for part in ctx["f"][item["text"]].split("\n"))
    if lines <= WHOLE_TEXT_LINES:
        table.rows[1]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _layout_item(table, form: Form) -> dict | None:
    """The layout item the template marks `table` as drawing, if any."""
    caption = table._tbl.tblPr.find(qn("w:tblCaption"))
    title = "" if caption is None else caption.get(qn("w:val"), "")
    number = title.removeprefix(LAYOUT_CAPTION)
    if title.startswith(LAYOUT_CAPTION) and number.isdigit() and int(number) < len(form.layout):
        return form.layout[int(number)]
    return None


def _set_widths(table, grid: list, widths: list[float]) -> None:
    """Column widths in points, where LibreOffice reads them (the grid) and Word (the cells)."""
    for column, width in zip(grid, widths, strict=True):
        column.set(qn("w:w"), str(round(Pt(width).twips)))
    for row in table._tbl.tr_lst:
        first = 0
        for cell in row.tc_lst:
            cell.width = Pt(sum(widths[first:first + cell.grid_span]))
            first += cell.grid_span
