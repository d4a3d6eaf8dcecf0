"""Context → PDF with reportlab, following the form's layout.

All text goes through `para()`, which escapes Paragraph markup, so data is never read as markup.
The CJK font is embedded as a subset; tables split across pages and repeat their header rows.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from generator.render.charts import pdf_drawing
from generator.render.columns import grid_label_width, row_table_widths
from generator.render.flow import KeepWhole, KeepWithEnd, KeepWithStart
from generator.render.fonts import CJKFont
from generator.render.paragraph import ChineseParagraph

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form

MARGIN = 1.8 * cm
LABEL_SHADE = colors.Color(0.93, 0.93, 0.93)
GRID_ROW_BLANK = 0.9 * cm  # row heights of a blank form, so there is room to write by hand
TEXT_BLANK = 4 * cm
SEAL_ROOM = 4.4 * cm  # clear room to stamp a company seal (4.2 cm round) in
QR_SIZE = 2.6 * cm  # a grid's QR code, quiet zone included: ~0.7 mm a module, easily scanned
BLANK_SIGNATURE = "________"


def page_size(form: Form) -> tuple[float, float]:
    return landscape(A4) if form.definition.get("orientation") == "landscape" else A4


class Styles:
    """Paragraph styles, and the width they have to fill."""

    def __init__(self, font: str, width: float) -> None:
        self.width = width
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.body = base
        self.label = ParagraphStyle("label", parent=base)
        self.small = ParagraphStyle("small", parent=base, fontSize=9, leading=12)
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=4
        )
        self.meta = ParagraphStyle("meta", parent=base, fontSize=9, leading=12,
                                   alignment=TA_CENTER)
        self.clause = ParagraphStyle("clause", parent=base, leading=16, spaceAfter=3,
                                     firstLineIndent=0)
        self.clause_heading = ParagraphStyle("clause_heading", parent=base, fontSize=11,
                                             leading=16, spaceBefore=6, spaceAfter=3,
                                             keepWithNext=1)
        self.section = ParagraphStyle(
            "section", parent=base, fontSize=11, leading=16, spaceBefore=8, spaceAfter=3,
            keepWithNext=1,  # never stranded at the foot of a page
        )


def _style(st: Styles, commands: list) -> TableStyle:
    # Plain-string cells (the empty ones) are drawn in the table's own font, Helvetica by
    # default, which would then be listed in the PDF unembedded.
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), st.body.fontName), *commands])


_SPACES = re.compile(r"  +")


def para(text: str, style: ParagraphStyle) -> ChineseParagraph:
    """A paragraph holding `text` literally: markup characters escaped, line breaks kept, and
    runs of spaces kept too (a Paragraph would fold them into one)."""
    text = _SPACES.sub(lambda m: " " + "&nbsp;" * (len(m.group()) - 1), escape(text))
    return ChineseParagraph(text.replace("\n", "<br/>"), style)


def numbered_canvas(header: str, header_right: str, footer_contact: str, words: dict[str, str],
                    font: str, bare_first_page: bool = False):
    """A canvas that knows the page count, for '第 x 页 共 y 页' on every page, with a running
    header (and nothing on a cover page when `bare_first_page`)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            if bare_first_page and self._pageNumber == 1:
                return
            width, height = self._pagesize
            self.saveState()
            self.setFont(font, 8)
            self.setStrokeColor(colors.grey)
            self.drawString(MARGIN, height - MARGIN + 0.5 * cm, header)
            self.drawRightString(width - MARGIN, height - MARGIN + 0.5 * cm, header_right)
            self.line(MARGIN, height - MARGIN + 0.35 * cm, width - MARGIN,
                      height - MARGIN + 0.35 * cm)
            page = (f"{words['page_before']}{self._pageNumber}{words['page_middle']}"
                    f"{total}{words['page_after']}")
            # the contact line at the left, page x of y centred on the same line (the DOCX's
            # footer likewise: render/docx_template.py page_furniture)
            self.drawCentredString(width / 2, MARGIN - 0.8 * cm, page)
            self.setFont(font, 7)
            self.drawString(MARGIN, MARGIN - 0.8 * cm, footer_contact)
            self.restoreState()

    return NumberedCanvas


def _measure(style: ParagraphStyle):
    """The width of a line of text in `style`'s font, at a size."""
    return lambda text, size: stringWidth(text, style.fontName, size)


def _grid(item: dict, ctx: dict, st: Styles) -> list[Table]:
    """Label/value rows: two pairs a row, or one pair across the width. Each run of rows of
    one kind is its own table (they join seamlessly), because reportlab cannot split a
    spanned cell across pages: a long one-pair row needs a plain two-column table."""
    label_w = grid_label_width(item, ctx, _measure(st.label), st.label.fontSize, st.width)
    runs: list[list[list[str]]] = []
    for keys in item["grid"]:
        if runs and len(runs[-1][0]) == len(keys):
            runs[-1].append(keys)
        else:
            runs.append([keys])
    tables = []
    for run in runs:
        pairs = len(run[0])
        value_w = st.width / pairs - label_w
        rows = [[cell for key in keys for cell in (para(ctx["L"][key], st.label),
                                                     para(ctx["f"][key], st.body))]
                for keys in run]
        # a blank form's rows have room to write in (the layout's `row_height`, cm), unless
        # the form prints their text
        room = item.get("row_height", GRID_ROW_BLANK / cm) * cm
        widths = [label_w, value_w] * pairs
        heights = ([None if any(ctx["f"][key] for key in keys) else _at_least(room, row, widths)
                    for keys, row in zip(run, rows, strict=True)] if ctx["blank"] else None)
        table = Table(rows, colWidths=widths, rowHeights=heights, splitInRow=1)
        table.setStyle(_style(st, [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            # A one-pair row may be long text running over pages: its label stays at the top,
            # with the start of the text, rather than midway on a later page.
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE" if pairs == 2 else "TOP"),
            *[("BACKGROUND", (2 * p, 0), (2 * p, -1), LABEL_SHADE) for p in range(pairs)],
        ]))
        tables.append(table)
    return tables


CELL_PADDING = (6, 3)  # reportlab's default cell padding, points: at each side, above and below


def _at_least(room: float, cells: list, widths: list[float]) -> float:
    """A blank row's height: `room` to write in, or more where a label wraps to more lines
    than that holds (a fixed height would let it run over the row's borders)."""
    side, above = CELL_PADDING
    needed = max(cell.wrap(width - 2 * side, room)[1] for cell, width in zip(cells, widths,
                                                                           strict=True))
    return max(room, needed + 2 * above)


def _grid_with_qr(item: dict, ctx: dict, st: Styles, font: CJKFont, text: str) -> Table:
    """The grid, narrower, with the QR code of `text` on its right."""
    # imported here: reportlab's barcode package loads every barcode it knows (~50 ms), which
    # the forms without a QR code never need
    from generator.render.qr import QrCode

    narrow = Styles(font.name, st.width - QR_SIZE)
    # the grid may run on over pages (its tables split), the code staying on the first
    table = Table([[_grid(item, ctx, narrow), QrCode(text, QR_SIZE)]],
                  colWidths=[narrow.width, QR_SIZE], splitInRow=1)
    table.setStyle(_style(st, [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *[(side, (0, 0), (-1, -1), 0) for side in ("LEFTPADDING", "RIGHTPADDING",
                                                    "TOPPADDING", "BOTTOMPADDING")],
    ]))
    return table


def _text(item: dict, ctx: dict, st: Styles) -> Table:
    key = item["text"]
    rows = [[para(ctx["L"][key], st.label)], [para(ctx["f"][key], st.body)]]
    # a blank form's room to write in: the layout's `height` (cm), if it gives one
    heights = [None, item.get("height", TEXT_BLANK / cm) * cm] if ctx["blank"] else None
    table = Table(rows, colWidths=[st.width], rowHeights=heights, splitInRow=1)
    table.setStyle(_style(st, [
        ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _rows_table(form: Form, item: dict, ctx: dict, st: Styles) -> Table:
    key = item["table"]
    columns = item.get("columns") or list(form.fields[key].columns)
    cell = st.small
    if item.get("font_size"):  # wide registers print smaller rather than break values
        size = item["font_size"]
        cell = ParagraphStyle("cell", parent=st.small, fontSize=size, leading=size * 1.3)
    widths = row_table_widths(item, columns, ctx, _measure(cell), cell.fontSize, st.width)
    header = [para(ctx["L"][f"{key}_columns"][c], cell) for c in columns]
    body = [[para(row[c], cell) for c in columns] for row in ctx["rows"][key]]
    totals = item.get("totals")
    if totals and not ctx["blank"]:
        line = [para(ctx["M"]["total"], cell)] + [""] * (len(columns) - 1)
        for column, computed_key in totals.items():
            line[columns.index(column)] = para(ctx["f"][computed_key], cell)
        body.append(line)
    blank_row = item.get("row_height", GRID_ROW_BLANK / cm) * cm  # room to write by hand
    heights = [None] + [blank_row] * len(body) if ctx["blank"] else None
    padding = item.get("padding")  # points above and below a cell's text: a long table's rows
    # Long values run on over pages: a row is split where the page ends (splitByRow=0, as Word
    # and LibreOffice do) rather than moved whole to the next page, for then reportlab gives
    # the rest of the table, its repeated header first, the foot of the same page, printing the
    # header mid-page. A blank form's rows, room to write by hand, are never split.
    blank = ctx["blank"]
    table = Table([header, *body], colWidths=widths, rowHeights=heights, repeatRows=1,
                  splitByRow=int(blank), splitInRow=int(not blank))
    table.setStyle(_style(st, [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_SHADE),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        # The body's text starts at the top of its row, so a row split across pages reads on
        # from the top of the next (reportlab's split of a middle-aligned row strands text).
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        *([("TOPPADDING", (0, 0), (-1, -1), padding),
           ("BOTTOMPADDING", (0, 0), (-1, -1), padding)] if padding is not None else []),
    ]))
    return table


def _clauses(blocks: list, st: Styles) -> list:
    story = []
    for block in blocks:
        style = st.clause_heading if block["kind"] == "heading" else st.clause
        story.append(para(block["text"], style))
    return story


def _signatures(signatures: list[dict], ctx: dict, st: Styles,
                seal_room: float = SEAL_ROOM) -> Table:
    if any(sig["seal"] for sig in signatures):
        return _sealed_signatures(signatures, ctx, st, seal_room)
    words = ctx["M"]
    rows = [
        [para(f"{sig['label']}（{words['sign']}）：{sig['name']}", st.body),
         para(f"{words['date']}：{words['blank_date']}", st.body)]
        for sig in signatures
    ]
    # a name may be long text, over pages
    table = Table(rows, colWidths=[st.width * 0.55, st.width * 0.45], splitInRow=1)
    table.setStyle(_style(st, [
        ("LINEBELOW", (0, 0), (0, -1), 0.5, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 10),
    ]))
    return table


def _sealed_signatures(signatures: list[dict], ctx: dict, st: Styles,
                       seal_room: float) -> Table:
    """The parties side by side, each a column: '甲方（盖章）：company', a clear area for the
    seal, the signatory's line and the date."""
    words = ctx["M"]
    columns = [
        [para(f"{sig['label']}：{sig['party']}", st.body),
         "",  # the seal's room
         para(f"{sig['signatory']}：{sig['name'] or BLANK_SIGNATURE}", st.body),
         para(f"{words['date']}：{words['blank_date']}", st.body)]
        for sig in signatures
    ]
    table = Table([list(row) for row in zip(*columns, strict=True)],
                  colWidths=[st.width / len(signatures)] * len(signatures),
                  rowHeights=[None, seal_room, None, None], splitInRow=1)
    table.setStyle(_style(st, [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 12),
    ]))
    return table


def flowables(form: Form, ctx: dict[str, Any], font: CJKFont, width: float,
              titled: bool = True) -> list:
    """The form's body as platypus flowables, `width` wide: reused by the rulebook, which
    heads a form with its own heading (not `titled`)."""
    st = Styles(font.name, width)
    meta = ctx["M"]
    story: list = [
        *([para(ctx["form"]["title"], st.title)] if titled else []),
        para(f"{meta['code']}：{ctx['form']['code']}　　{meta['record_no']}：{ctx['record_no']}"
             + ("" if form.ticket_mode == "none" else f"　　{meta['ticket']}：{ctx['ticket']}"),
             st.meta),
        Spacer(1, 0.3 * cm),
    ]
    kept: list = []
    for number, item in enumerate(form.layout):
        if ctx["sections"][number]:
            story.append(para(ctx["sections"][number], st.section))
        if "grid" in item and ctx["qr_codes"][number]:
            story.append(_grid_with_qr(item, ctx, st, font, ctx["qr_codes"][number]))
        elif "grid" in item:
            story += _grid(item, ctx, st)
        elif "text" in item:
            # a text box starts on the next page rather than split, unless a page cannot hold it
            story.append(KeepWhole([_text(item, ctx, st)]))
        elif "table" in item:
            story.append(_rows_table(form, item, ctx, st))
        elif "clauses" in item:
            blocks = ctx["clauses"][number]
            story += _clauses([b for b in blocks if not b["keep"]], st)
            # the last lines go with the signatures below (context.py chose them)
            kept = _clauses([b for b in blocks if b["keep"]], st)
        elif "chart" in item:
            # no spacer above: a section heading keeps with the next flowable only
            story += [pdf_drawing(ctx["charts"][number], st.width, font), Spacer(1, 0.2 * cm)]
        elif "signatures" in item:
            # never alone on a page: with the clause lines kept for it, or else with the end
            # of what precedes it
            block = KeepWhole([*kept, Spacer(1, 0.4 * cm),
                               _signatures(ctx["signatures"][number], ctx, st,
                                           item.get("seal_room", SEAL_ROOM / cm) * cm)])
            story.append(block if kept or len(story) < 2 else KeepWithEnd(story.pop(), block))
            kept = []
    return story


def render_pdf(form: Form, ctx: dict[str, Any], font: CJKFont) -> bytes:
    buffer = io.BytesIO()
    size = page_size(form)
    company, centre, words = ctx["company"], ctx["centre"], ctx["M"]
    doc = SimpleDocTemplate(
        buffer, pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=ctx["form"]["title"], author=ctx["company"]["name"],
        subject=ctx["ticket"] or ctx["record_no"],
        # Start in the embedded font: reportlab's default Helvetica would otherwise be listed
        # in the PDF, unembedded, though no text uses it.
        initialFontName=font.name,
        keepTogetherClass=KeepWithStart,  # a heading keeps with the start of what follows
    )
    doc.build(flowables(form, ctx, font, size[0] - 2 * MARGIN),
              canvasmaker=numbered_canvas(
                  f"{company['name']} · {centre['name']}",
                  f"{words['service_phone']}：{centre['phone']}",
                  f"{company['address']}　{words['phone']}：{company['phone']}",
                  words, font.name))
    return buffer.getvalue()
