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
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

if TYPE_CHECKING:  # render draws a form's layout; it does not load forms
    from generator.documents.forms import Form


A4_CM = (21.0, 29.7)
MARGIN_CM = 1.8
LABEL_SHADE = "EDEDED"
# The family a scaffolded template names until render_docx gives it the PDF's own font.
DEFAULT_FONT = "SimSun"
# The PDF's text (render/pdf.py Styles): size and distance between baselines, in points.
BODY = (10, 14)
SMALL = (9, 12)
TITLE = (16, 22)
SECTION = (11, 16)
CLAUSE_LEADING = 16
FURNITURE_PT = 8  # running header and page number; the contact line is 7 pt
# reportlab's default cell padding, which the PDF's tables keep: points at each side.
# Word and LibreOffice add a 0.5 pt grid line's width to each row's height, where reportlab
# draws it over the cell's edge: a quarter point less above and below keeps rows as high.
CELL_PADDING = {"top": 2.75, "bottom": 2.75, "left": 6, "right": 6}
SIGNATURE_PADDING = {**CELL_PADDING, "top": 10}  # room to sign above each line
RULE_GREY = "808080"  # the PDF's colors.grey: the rule under the running header
SIGNATURE_SPACE_CM = 0.4
# reportlab's frame pads the page's text 6 pt inside the margins (its tables, as wide as the
# margins allow, stand out of it): the DOCX's page is as high, and its paragraphs as narrow.
FRAME_PADDING_PT = 6


def use_font(document, family: str) -> None:
    """`family` for every script (Latin, CJK, complex) as the document's default font, as the
    PDF draws all its text in one font; a style or run that names a font of its own keeps it.
    Theme fonts, which would take precedence in Word, are dropped."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    fonts.attrib.clear()
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), family)


def leading(paragraph, points: float, before: float = 0, after: float = 0) -> None:
    """Baselines `points` apart, as the PDF's leading, with space before and after (pt), for
    a paragraph or a paragraph style."""
    layout = paragraph.paragraph_format
    layout.line_spacing = Pt(points)  # exactly
    layout.space_before, layout.space_after = Pt(before), Pt(after)


# The order the schema gives the property elements we add (Word refuses a document whose
# property elements are out of order).
SEQUENCES = {
    "pPr": ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
            "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
            "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
            "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
            "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
            "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
            "sectPr", "pPrChange"),
    "tcPr": ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap",
             "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns",
             "cellDel", "cellMerge", "tcPrChange"),
    "tblPr": ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
              "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
              "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
              "tblPrChange"),
}


def in_frame(layout) -> None:
    """A paragraph (its paragraph_format, or a style's) as wide as the PDF's frame."""
    layout.left_indent = layout.right_indent = Pt(FRAME_PADDING_PT)


def _local(element) -> str:
    return element.tag.split("}")[1]


def in_order(parent, child) -> None:
    """Add `child` to `parent` (a pPr, tcPr or tblPr) where the schema's sequence wants it,
    replacing one of the same kind."""
    old = parent.find(child.tag)
    if old is not None:
        parent.remove(old)
    sequence = SEQUENCES[_local(parent)]
    later = sequence[sequence.index(_local(child)) + 1:]
    parent.insert_element_before(child, *(f"w:{tag}" for tag in later))


def padding(table, points: dict[str, float]) -> None:
    """Room between a cell's borders and its text, for every cell of `table`."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(round(points[side] * 20)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    in_order(table._tbl.tblPr, margins)


def border(element, sides: tuple[str, ...], color: str = "000000", space: float = 0) -> None:
    """A 0.5 pt line on `sides` of a paragraph (its pPr) or a cell (its tcPr)."""
    kind = "w:pBdr" if element.tag == qn("w:pPr") else "w:tcBorders"
    lines = OxmlElement(kind)
    for side in sides:
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")  # eighths of a point
        line.set(qn("w:space"), str(round(space)))
        line.set(qn("w:color"), color)
        lines.append(line)
    in_order(element, lines)


def shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    in_order(cell._tc.get_or_add_tcPr(), shading)


def _repeat_header(row) -> None:
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def field_code(paragraph, instruction: str, size: float | None = None) -> None:
    """A Word field such as PAGE or NUMPAGES, updated by Word and LibreOffice when shown."""
    run = paragraph.add_run()
    if size:
        run.font.size = Pt(size)
    begin, end = OxmlElement("w:fldChar"), OxmlElement("w:fldChar")
    text = OxmlElement("w:instrText")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _spaced_run(paragraph, text: str):
    """A run whose text keeps its spaces at either end once rendered: "第 " and " 页 共 " around
    the page fields, as the PDF prints them (Word and LibreOffice drop them otherwise)."""
    run = paragraph.add_run(text)
    run._r.find(qn("w:t")).set(qn("xml:space"), "preserve")
    return run


def sized_table(document, rows: int, widths_cm: list[float], *, borders: bool = True,
                cell_padding: dict[str, float] = CELL_PADDING):
    """A table with its column widths set where both Word and LibreOffice read them, and the
    PDF's cell padding."""
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
    padding(table, cell_padding)
    return table


LAYOUT_CAPTION = "aftersales layout "  # + the layout item's number: a table's invisible title


def mark_layout_item(table, number: int) -> None:
    """Title `table` (Word's alt text, never printed) with the layout item it draws, for the
    renderer to size its columns from the data as the PDF does (render/docx.py)."""
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), f"{LAYOUT_CAPTION}{number}")
    table._tbl.tblPr.append(caption)  # its place: last, after w:tblLook


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


def _set(cell, text: str, label: bool = False, size: tuple[float, float] = BODY) -> None:
    """`text` in `cell`, at the PDF's size and leading (points)."""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    if size != BODY:
        run.font.size = Pt(size[0])
        leading(paragraph, size[1])
    if label:  # label cells are shaded
        shade(cell, LABEL_SHADE)


def set_page(section, landscape: bool) -> float:
    """A4 with the PDF's margins; the width of the text, in cm."""
    width, height = A4_CM
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    if landscape:
        width, height = height, width
    section.page_width, section.page_height = Cm(width), Cm(height)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM) + Pt(FRAME_PADDING_PT)
    # where the PDF draws its running header (baseline 1.3 cm from the top) and page number
    section.header_distance, section.footer_distance = Cm(1.0), Cm(0.8)
    return width - 2 * MARGIN_CM


def base_styles(document) -> None:
    """Normal as the PDF's body text (10 pt on 14 pt, no space between paragraphs), in one
    font for every script, with no extra space between Chinese and Latin text (the PDF has
    none); header and footer without Word's letter-size tab stops, tables without a spacing
    of their own."""
    use_font(document, DEFAULT_FONT)
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY[0])
    leading(normal, BODY[1])
    for setting in ("autoSpaceDE", "autoSpaceDN"):
        off = OxmlElement(f"w:{setting}")
        off.set(qn("w:val"), "0")
        in_order(normal.element.get_or_add_pPr(), off)
    for name, setting in (("Header", "w:tabs"), ("Footer", "w:tabs"),
                          ("Table Grid", "w:spacing")):
        properties = document.styles[name].element.pPr
        found = properties.find(qn(setting)) if properties is not None else None
        if found is not None:
            properties.remove(found)
    chinese_line_breaking(document)


def running_header(section, content: float, left: str, right: str) -> None:
    """The PDF's running header: `left` and `right` at the margins of a text `content` cm
    wide, 8 pt, a grey rule under them."""
    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(Cm(content), WD_TAB_ALIGNMENT.RIGHT)
    header.add_run(f"{left}\t{right}").font.size = Pt(FURNITURE_PT)
    border(header._p.get_or_add_pPr(), ("bottom",), RULE_GREY, space=1)


def page_furniture(section, content: float) -> None:
    """A form's running header, and its footer: the contact line at the left, the page
    number centred on the same line, as in the PDF."""
    running_header(section, content, "{{ company.name }} · {{ centre.name }}",
                   "{{ M.service_phone }}：{{ centre.phone }}")
    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(content / 2), WD_TAB_ALIGNMENT.CENTER)
    footer.add_run("{{ company.address }}　{{ M.phone }}：{{ company.phone }}\t"
                   ).font.size = Pt(7)
    for text, field in (("{{ M.page_before }}", "PAGE"), ("{{ M.page_middle }}", "NUMPAGES"),
                        ("{{ M.page_after }}", None)):
        _spaced_run(footer, text).font.size = Pt(FURNITURE_PT)
        if field:
            field_code(footer, field, FURNITURE_PT)


def build_template(form: Form) -> bytes:
    """A docxtpl template for `form`, as DOCX bytes."""
    document = Document()
    content = set_page(document.sections[0], form.definition.get("orientation") == "landscape")
    base_styles(document)
    page_furniture(document.sections[0], content)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    leading(title, TITLE[1], after=4)
    run = title.add_run("{{ form.title }}")
    run.bold = True
    run.font.size = Pt(TITLE[0])
    meta = document.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    leading(meta, SMALL[1], after=Cm(0.3).pt)
    meta.add_run(
        "{{ M.code }}：{{ form.code }}　　{{ M.record_no }}：{{ record_no }}"
        + ("" if form.ticket_mode == "none" else "　　{{ M.ticket }}：{{ ticket }}")
    ).font.size = Pt(SMALL[0])

    for number, item in enumerate(form.layout):
        if "signatures" in item and number and document.tables:
            _keep_end_with_next(document.tables[-1])
        if item.get("section"):
            heading = document.add_paragraph()
            leading(heading, SECTION[1], before=8, after=3)
            in_frame(heading.paragraph_format)
            heading.paragraph_format.keep_with_next = True
            run = heading.add_run(f"{{{{ sections[{number}] }}}}")
            run.bold = True
            run.font.size = Pt(SECTION[0])
        if "signatures" in item:  # the PDF's space above the signatures
            _spacer(document, Cm(SIGNATURE_SPACE_CM).pt).paragraph_format.keep_with_next = True
        elif not item.get("section") and number and any(
                k in form.layout[number - 1] for k in ("grid", "text", "table")):
            # Adjacent tables merge into one in Word and LibreOffice, and a merged table's
            # header row no longer repeats: keep a paragraph between them, 1 pt high, where
            # the PDF has none.
            _spacer(document, 1)
        if "grid" in item:
            _grid(document, item, content, number)
        elif "text" in item:
            _text(document, item, content, number)
        elif "table" in item:
            _rows(document, form, item, content, number)
        elif "clauses" in item:
            _clauses(document, number)
        elif "chart" in item:
            _chart(document, number)
        elif "signatures" in item and any(sig.get("seal") for sig in item["signatures"]):
            _sealed_signatures(document, number, len(item["signatures"]), content,
                               item.get("seal_room", SEAL_ROOM_CM))
        elif "signatures" in item:
            _signatures(document, number, len(item["signatures"]), content)

    slim(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _spacer(document, points: float):
    """An empty paragraph exactly `points` high."""
    paragraph = document.add_paragraph()
    leading(paragraph, points)
    return paragraph


# Styles the scaffold uses (with what they are based on); python-docx's default template has
# hundreds more, and ~800 kB of style XML that every render would parse and zip again.
KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "Header",
               "HeaderChar", "Footer", "FooterChar"}
DROP_RELATIONS = ("stylesWithEffects", "customXml", "thumbnail", "webSettings")


def slim(document, keep: set[str] = KEEP_STYLES) -> None:
    """Only the styles `keep` names (their ids), and none of Word's unused parts."""
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in keep:
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
    mark_layout_item(table, number)
    for row, keys in zip(table.rows, item["grid"], strict=True):
        cells = row.cells
        if len(keys) == 1:
            cells[1].merge(cells[3])
        for position, key in enumerate(keys):
            _set(cells[2 * position], f"{{{{ L.{key} }}}}", label=True)
            _set(cells[2 * position + 1], f"{{{{ f.{key} }}}}")
        if len(keys) == 2:  # as the PDF: a row of two pairs centred, a long text at the top
            for cell in cells[:4]:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    if qr:
        column = table.columns[4].cells
        picture = column[0].merge(column[-1]) if len(column) > 1 else column[0]
        picture.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraphs[0].paragraph_format.line_spacing = 1.0  # a picture's own height
        picture.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        picture.paragraphs[0].add_run(f"{{{{ qr_codes[{number}] }}}}")


GRID_ROW_BLANK_CM = 0.9  # a blank register's rows: room to write by hand, as in the PDF
TEXT_BLANK_CM = 4.0  # as the PDF: room to write by hand in a blank form's text box


def _text(document, item: dict, content: float, number: int) -> None:
    """The label over the text; on a blank form the text's row is room to write in."""
    key = item["text"]
    table = sized_table(document, 6, [content])
    mark_layout_item(table, number)  # the renderer keeps a short text's row whole
    label, if_blank, blank, otherwise, filled, end_if = table.rows
    _set(label.cells[0], f"{{{{ L.{key} }}}}", label=True)
    _set(if_blank.cells[0], "{%tr if blank %}")
    _set(blank.cells[0], f"{{{{ f.{key} }}}}")
    blank.height = Cm(item.get("height", TEXT_BLANK_CM))
    blank.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _set(otherwise.cells[0], "{%tr else %}")
    _set(filled.cells[0], f"{{{{ f.{key} }}}}")
    _set(end_if.cells[0], "{%tr endif %}")
    _keep_with_next(label)  # never parted from the text (render/docx.py keeps that whole)


def _rows(document, form: Form, item: dict, content: float, number: int) -> None:
    """A row table; its columns evenly wide here, sized from the data when rendered."""
    key = item["table"]
    columns = item.get("columns") or list(form.fields[key].columns)
    totals = item.get("totals") or {}
    # points above and below a cell's text: a long table's rows, as in the PDF
    pad = item.get("padding")
    table = sized_table(document, 8 + 3 * bool(totals), [content / len(columns)] * len(columns),
                         cell_padding=(
        CELL_PADDING if pad is None else {**CELL_PADDING, "top": pad, "bottom": pad}))
    mark_layout_item(table, number)
    header, loop_start, if_blank, blank, otherwise, filled, end_if, loop_end = table.rows[:8]
    _repeat_header(header)
    size = cell_size(item)
    for cell, column in zip(header.cells, columns, strict=True):
        _set(cell, f"{{{{ L.{key}_columns.{column} }}}}", label=True, size=size)
    # docxtpl's row loop: the rows holding {%tr %} tags disappear, the body row repeats —
    # on a blank form at least `row_height` cm high, room to write by hand, as in the PDF.
    _set(loop_start.cells[0], f"{{%tr for r in rows.{key} %}}")
    _set(if_blank.cells[0], "{%tr if blank %}")
    blank.height = Cm(item.get("row_height", GRID_ROW_BLANK_CM))
    blank.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _set(otherwise.cells[0], "{%tr else %}")
    for body in (blank, filled):
        for cell, column in zip(body.cells, columns, strict=True):
            _set(cell, f"{{{{ r.{column} }}}}", size=size)
    # No cantSplit: a row taller than what is left of the page breaks across it, as in the
    # PDF, rather than being cut off at the foot of the page (Word) or moved whole.
    _set(end_if.cells[0], "{%tr endif %}")
    _set(loop_end.cells[0], "{%tr endfor %}")
    if totals:  # a blank form has nothing to total, so the row is left out
        if_blank, total_row, end_if = table.rows[8:11]
        _set(if_blank.cells[0], "{%tr if not blank %}")
        _set(total_row.cells[0], "{{ M.total }}", size=size)
        for column, computed in totals.items():
            _set(total_row.cells[columns.index(column)], f"{{{{ f.{computed} }}}}", size=size)
        _set(end_if.cells[0], "{%tr endif %}")


def cell_size(item: dict) -> tuple[float, float]:
    """A register's text: 9 pt on 12, or the layout's `font_size` on 1.3 times it."""
    size = item.get("font_size")
    return (size, size * 1.3) if size else SMALL


def _clauses(document, number: int) -> None:
    """A paragraph per clause block; headings bold, on the page of the text they head. The
    blocks kept with the signatures (b.keep) keep with the next paragraph and whole, so they
    move to the signatures' page together. {%p %} tags vanish with their paragraphs."""
    document.add_paragraph(f"{{%p for b in clauses[{number}] %}}")
    document.add_paragraph("{%p if b.kind == 'heading' %}")
    heading = document.add_paragraph()
    leading(heading, SECTION[1], before=6, after=3)
    in_frame(heading.paragraph_format)
    heading.paragraph_format.keep_with_next = True
    run = heading.add_run("{{ b.text }}")
    run.bold = True
    run.font.size = Pt(SECTION[0])
    document.add_paragraph("{%p elif b.keep %}")
    kept = document.add_paragraph("{{ b.text }}")
    leading(kept, CLAUSE_LEADING, after=3)
    in_frame(kept.paragraph_format)
    kept.paragraph_format.keep_with_next = True
    kept.paragraph_format.keep_together = True
    document.add_paragraph("{%p else %}")
    clause = document.add_paragraph("{{ b.text }}")
    leading(clause, CLAUSE_LEADING, after=3)
    in_frame(clause.paragraph_format)
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")


def _chart(document, number: int) -> None:
    """The chart's picture, which the renderer draws from the data (a tag alone in its
    paragraph, as wide as the text column)."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing = 1.0  # the picture's own height
    paragraph.paragraph_format.space_after = Cm(0.2)
    paragraph.add_run(f"{{{{ charts[{number}] }}}}")


def _signatures(document, number: int, count: int, content: float) -> None:
    """A row per signatory: a line to sign on (the cell's bottom border), and the date."""
    table = sized_table(document, count, [content * 0.55, content * 0.45], borders=False,
                        cell_padding=SIGNATURE_PADDING)
    for index, row in enumerate(table.rows):
        sig = f"signatures[{number}][{index}]"
        _set(row.cells[0], f"{{{{ {sig}.label }}}}（{{{{ M.sign }}}}）：{{{{ {sig}.name }}}}")
        border(row.cells[0]._tc.get_or_add_tcPr(), ("bottom",))
        _set(row.cells[1], "{{ M.date }}：{{ M.blank_date }}")
        if index < count - 1:  # the rows of the block on one page
            _keep_with_next(row)


SEAL_ROOM_CM = 4.4  # clear room to stamp a company seal (4.2 cm round) in


def _sealed_signatures(document, number: int, count: int, content: float,
                       seal_room: float) -> None:
    """The parties side by side, each a column: '甲方（盖章）：company', a clear area for the
    seal, the signatory's line and the date — one row that never splits, which the clause
    lines kept with it (keep-with-next) join on its page."""
    table = sized_table(document, 1, [content / count] * count, borders=False,
                        cell_padding={**CELL_PADDING, "left": 0, "right": 12})
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


def chinese_line_breaking(document) -> None:
    """Mark the document's East-Asian text as Chinese (python-docx's default says en-US) and
    keep the forbidden-character rules on (w:kinsoku), so Word and LibreOffice keep ，。）》
    off a line's start and （《 off its end by their Chinese lists. Set as the document's
    defaults, so every style, table, header and copied-in form keeps it."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    language = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    language.set(qn("w:eastAsia"), "zh-CN")
    paragraph = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    if paragraph.find(qn("w:kinsoku")) is None:  # w:kinsoku without a value is on
        paragraph.insert_element_before(OxmlElement("w:kinsoku"), *_AFTER_KINSOKU)


# What may follow w:kinsoku in a paragraph's properties: the schema's order, which Word holds to.
_AFTER_KINSOKU = tuple(f"w:{tag}" for tag in (
    "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
    "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
    "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl",
    "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"))
