"""Scaffold a form's DOCX template (docxtpl) from its layout.

The bundled templates/*.docx were made by this module (`aftersales forms template FORM`); a user
may restyle a copy in Word and keep the `{{ ... }}` tags. Tags name context keys only — labels
included — so one template serves Chinese and English documents.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form


A4_CM = (21.0, 29.7)
MARGIN_CM = 1.8
LABEL_SHADE = "EDEDED"


def east_asian_font(style, name: str) -> None:
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def field_code(paragraph, instruction: str) -> None:
    """A Word field such as PAGE or NUMPAGES, updated by Word and LibreOffice when shown."""
    run = paragraph.add_run()
    begin, end = OxmlElement("w:fldChar"), OxmlElement("w:fldChar")
    text = OxmlElement("w:instrText")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _spaced_run(paragraph, text: str) -> None:
    """A run whose text keeps its spaces at either end once rendered: "第 " and " 页 共 " around
    the page fields, as the PDF prints them (Word and LibreOffice drop them otherwise)."""
    paragraph.add_run(text)._r.find(qn("w:t")).set(qn("xml:space"), "preserve")


def sized_table(document, rows: int, widths_cm: list[float], borders: bool = True):
    """A table with its column widths set where both Word and LibreOffice read them."""
    table = document.add_table(rows=rows, cols=len(widths_cm))
    if borders:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # LibreOffice reads the grid's column widths, Word the cells'; set both.
    for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm,
                               strict=True):
        grid_col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    return table


def _keep_end_with_next(table) -> None:
    """The table's last row on the page of what follows (the signatures, never alone on a
    page). In a row table that is any row the loop makes, and the total: each keeps with the
    next, which Word and LibreOffice honour as far as a page holds them."""
    tagged = [row.cells[0].text.startswith("{%tr") for row in table.rows]
    rows = [row for row, tag in zip(table.rows, tagged, strict=True) if not tag]
    for row in rows[1:] if any(tagged) else rows[-1:]:  # a row table's first is its header
        _keep_with_next(row)


def _keep_with_next(row) -> None:
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


def _set(cell, text: str, label: bool = False, size: float | None = None) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    if size:
        run.font.size = Pt(size)
    if label:  # label cells are shaded
        shade(cell, LABEL_SHADE)


def build_template(form: Form) -> bytes:
    """A docxtpl template for `form`, as DOCX bytes."""
    document = Document()
    section = document.sections[0]
    width, height = A4_CM
    if form.definition.get("orientation") == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = Cm(width), Cm(height)
    content = width - 2 * MARGIN_CM
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))

    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    east_asian_font(normal, "SimSun")

    header = section.header.paragraphs[0]
    header.text = ("{{ company.name }} · {{ centre.name }}　　"
                   "{{ M.service_phone }}：{{ centre.phone }}")
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    contact = section.footer.add_paragraph()
    contact.alignment = WD_ALIGN_PARAGRAPH.CENTER
    contact.add_run("{{ company.address }}　{{ M.phone }}：{{ company.phone }}").font.size = Pt(7)

    footer = section.footer.paragraphs[0]  # page x of y, above the contact line
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spaced_run(footer, "{{ M.page_before }}")
    field_code(footer, "PAGE")
    _spaced_run(footer, "{{ M.page_middle }}")
    field_code(footer, "NUMPAGES")
    _spaced_run(footer, "{{ M.page_after }}")

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("{{ form.title }}")
    run.bold = True
    run.font.size = Pt(16)
    meta = document.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta.add_run(
        "{{ M.code }}：{{ form.code }}　　{{ M.record_no }}：{{ record_no }}"
        + ("" if form.ticket_mode == "none" else "　　{{ M.ticket }}：{{ ticket }}")
    ).font.size = Pt(9)

    for number, item in enumerate(form.layout):
        if "signatures" in item and number and document.tables:
            _keep_end_with_next(document.tables[-1])
        if item.get("section"):
            heading = document.add_paragraph()
            heading.paragraph_format.space_before = Pt(8)
            # on the page where what it heads starts (Word keeps it with a table's first row)
            heading.paragraph_format.keep_with_next = True
            heading.add_run(f"{{{{ sections[{number}] }}}}").bold = True
        elif number and any(k in form.layout[number - 1] for k in ("grid", "text", "table")):
            # Adjacent tables merge into one in Word and LibreOffice, and a merged table's
            # header row no longer repeats: keep a small paragraph between them.
            spacer = document.add_paragraph()
            spacer.paragraph_format.space_after = Pt(0)
            spacer.paragraph_format.keep_with_next = "signatures" in item
        if "grid" in item:
            _grid(document, item, content, number)
        elif "text" in item:
            _text(document, item, content)
        elif "table" in item:
            _rows(document, form, item, content)
        elif "clauses" in item:
            _clauses(document, number)
        elif "chart" in item:
            _chart(document, number)
        elif "signatures" in item and any(sig.get("seal") for sig in item["signatures"]):
            _sealed_signatures(document, number, len(item["signatures"]), content,
                               item.get("seal_room", SEAL_ROOM_CM))
        elif "signatures" in item:
            _signatures(document, number, len(item["signatures"]), content)

    _slim(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# Styles the scaffold uses (with what they are based on); python-docx's default template has
# hundreds more, and ~800 kB of style XML that every render would parse and zip again.
KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "Header",
               "HeaderChar", "Footer", "FooterChar"}
DROP_RELATIONS = ("stylesWithEffects", "customXml", "thumbnail", "webSettings")


def _slim(document) -> None:
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in KEEP_STYLES:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for owner in (document.part, document.part.package):
        for rel_id, rel in list(owner.rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in DROP_RELATIONS:
                del owner.rels[rel_id]


QR_COLUMN_CM = 2.6  # a grid's QR code (2.2 cm) and the cell's margins


def _grid(document, item: dict, content: float, number: int) -> None:
    """Label/value rows; with `qr:`, a last column down the whole grid holds the QR code, a
    picture the renderer draws from the data (nothing on a blank form)."""
    qr = QR_COLUMN_CM if item.get("qr") else 0
    label, value = 3.0, (content - qr) / 2 - 3.0
    table = sized_table(document, len(item["grid"]), [label, value, label, value]
                        + ([qr] if qr else []))
    for row, keys in zip(table.rows, item["grid"], strict=True):
        cells = row.cells
        if len(keys) == 1:
            cells[1].merge(cells[3])
        for position, key in enumerate(keys):
            _set(cells[2 * position], f"{{{{ L.{key} }}}}", label=True)
            _set(cells[2 * position + 1], f"{{{{ f.{key} }}}}")
    if qr:
        column = table.columns[4].cells
        picture = column[0].merge(column[-1]) if len(column) > 1 else column[0]
        picture.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        picture.paragraphs[0].add_run(f"{{{{ qr_codes[{number}] }}}}")


def _text(document, item: dict, content: float) -> None:
    key = item["text"]
    table = sized_table(document, 2, [content])
    _set(table.rows[0].cells[0], f"{{{{ L.{key} }}}}", label=True)
    _set(table.rows[1].cells[0], f"{{{{ f.{key} }}}}")
    table.rows[1].height = Cm(item.get("height", 2.0))  # at least: room to write by hand


def _rows(document, form: Form, item: dict, content: float) -> None:
    key = item["table"]
    columns = item.get("columns") or list(form.fields[key].columns)
    weights = item.get("widths") or [1] * len(columns)
    widths = [content * w / sum(weights) for w in weights]
    totals = item.get("totals") or {}
    table = sized_table(document, 4 + 3 * bool(totals), widths)
    header, loop_start, body, loop_end = table.rows[:4]
    # at least: room to write by hand on a blank form (`row_height`, cm, for a long table)
    body.height = Cm(item.get("row_height", 0.8))
    body.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _repeat_header(header)
    for cell, column in zip(header.cells, columns, strict=True):
        _set(cell, f"{{{{ L.{key}_columns.{column} }}}}", label=True,
             size=item.get("font_size", 9))
    # docxtpl's row loop: the rows holding {%tr %} tags disappear, the body row repeats.
    size = item.get("font_size", 9)
    _set(loop_start.cells[0], f"{{%tr for r in rows.{key} %}}")
    for cell, column in zip(body.cells, columns, strict=True):
        _set(cell, f"{{{{ r.{column} }}}}", size=size)
    # No cantSplit: a row taller than what is left of the page breaks across it, as in the
    # PDF, rather than being cut off at the foot of the page (Word) or moved whole.
    _set(loop_end.cells[0], "{%tr endfor %}")
    if totals:  # a blank form has nothing to total, so the row is left out
        if_blank, total_row, end_if = table.rows[4:7]
        _set(if_blank.cells[0], "{%tr if not blank %}")
        _set(total_row.cells[0], "{{ M.total }}", size=size)
        for column, computed in totals.items():
            _set(total_row.cells[columns.index(column)], f"{{{{ f.{computed} }}}}", size=size)
        _set(end_if.cells[0], "{%tr endif %}")


def _clauses(document, number: int) -> None:
    """A paragraph per clause block; headings bold, on the page of the text they head. The
    blocks kept with the signatures (b.keep) keep with the next paragraph and whole, so they
    move to the signatures' page together. {%p %} tags vanish with their paragraphs."""
    document.add_paragraph(f"{{%p for b in clauses[{number}] %}}")
    document.add_paragraph("{%p if b.kind == 'heading' %}")
    heading = document.add_paragraph()
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.keep_with_next = True
    heading.add_run("{{ b.text }}").bold = True
    document.add_paragraph("{%p elif b.keep %}")
    kept = document.add_paragraph("{{ b.text }}")
    kept.paragraph_format.keep_with_next = True
    kept.paragraph_format.keep_together = True
    document.add_paragraph("{%p else %}")
    document.add_paragraph("{{ b.text }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")


def _chart(document, number: int) -> None:
    """The chart's picture, which the renderer draws from the data (a tag alone in its
    paragraph, as wide as the text column)."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(4)
    paragraph.add_run(f"{{{{ charts[{number}] }}}}")


def _signatures(document, number: int, count: int, content: float) -> None:
    table = sized_table(document, count, [content * 0.55, content * 0.45], borders=False)
    for index, row in enumerate(table.rows):
        sig = f"signatures[{number}][{index}]"
        _set(row.cells[0], f"{{{{ {sig}.label }}}}（{{{{ M.sign }}}}）：{{{{ {sig}.name }}}}")
        _set(row.cells[1], "{{ M.date }}：{{ M.blank_date }}")
        row.height = Cm(1.0)
        if index < count - 1:  # the rows of the block on one page
            _keep_with_next(row)


SEAL_ROOM_CM = 4.4  # clear room to stamp a company seal (4.2 cm round) in


def _sealed_signatures(document, number: int, count: int, content: float,
                       seal_room: float) -> None:
    """The parties side by side, each a column: '甲方（盖章）：company', a clear area for the
    seal, the signatory's line and the date — one row that never splits, which the clause
    lines kept with it (keep-with-next) join on its page."""
    table = sized_table(document, 1, [content / count] * count, borders=False)
    row = table.rows[0]
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for index, cell in enumerate(row.cells):
        sig = f"signatures[{number}][{index}]"
        _set(cell, f"{{{{ {sig}.label }}}}：{{{{ {sig}.party }}}}")
        signatory = cell.add_paragraph(
            f"{{{{ {sig}.signatory }}}}：{{{{ {sig}.name or '________' }}}}")
        signatory.paragraph_format.space_before = Cm(seal_room)
        cell.add_paragraph("{{ M.date }}：{{ M.blank_date }}")
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
