"""The rulebook as one DOCX, with the same structure as the PDF: cover, approvals and
revisions, a table of contents (a Word TOC field over the heading styles), chapters, the charts
as tables, and the blank forms rendered from their own templates and copied in."""

from __future__ import annotations

import copy
import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from generator.documents.compute import blank_tables
from generator.documents.context import build_context
from generator.documents.forms import load_form
from generator.render.docx import render_docx
from generator.render.docx_template import (
    A4_CM,
    MARGIN_CM,
    east_asian_font,
    field_code,
    shade,
    sized_table,
)
from generator.render.fonts import find_cjk_font
from generator.rulebook.figures import Graph, TreeNode, graph_rows, load_figure, tree_lines
from generator.rulebook.model import Edition, Rulebook
from generator.rulebook.pdf import approval_rows, lifecycle_rows
from generator.workspace import Workspace

CONTENT_CM = A4_CM[0] - 2 * MARGIN_CM  # the width of a portrait page's text


def _styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    east_asian_font(normal, "SimSun")
    for name, size in (("Heading 1", 17), ("Heading 2", 13), ("Heading 3", 11)):
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        east_asian_font(style, "SimHei")
    document.styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _header_footer(section, edition: Edition) -> None:
    header = section.header.paragraphs[0]
    header.text = (f"{edition.company} · {edition.title}　　版本 {edition.version}　"
                   f"生效日期 {edition.effective.isoformat()}　受控文件")
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    field_code(footer, "PAGE")
    footer.add_run(" 页 共 ")
    field_code(footer, "NUMPAGES")
    footer.add_run(" 页")


def _table(document, rows: list[list[str]], weights: list[float] | None = None):
    """A bordered table across the text width, header row shaded; columns by `weights`."""
    weights = weights or [1] * max(len(r) for r in rows)
    table = sized_table(document, len(rows), [CONTENT_CM * w / sum(weights) for w in weights])
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=False):
            cell.text = value
    for cell in table.rows[0].cells:
        shade(cell, "EDEDED")
    document.add_paragraph()
    return table


def _toc(document, rulebook: Rulebook) -> None:
    """A TOC field; Word fills in page numbers when the document is opened (updateFields).
    Until then it lists the chapter titles."""
    paragraph = document.add_paragraph()
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    for chapter in rulebook.chapters:
        paragraph.add_run(chapter.title).add_break()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _insert_body(document, source_bytes: bytes) -> None:
    """Copy another document's body (not its section settings) to the end of `document`,
    with its pictures (a summary's charts): each is added to `document` and the copy pointed
    at it, under a drawing id of `document`'s own."""
    source = Document(io.BytesIO(source_bytes))
    body = document.element.body
    for element in source.element.body:
        if element.tag == qn("w:sectPr"):
            continue
        copied = copy.deepcopy(element)
        for blip in copied.iter(qn("a:blip")):
            image = source.part.related_parts[blip.get(qn("r:embed"))]
            rid, _ = document.part.get_or_add_image(io.BytesIO(image.blob))
            blip.set(qn("r:embed"), rid)
        for drawing in copied.iter(qn("wp:docPr")):
            drawing.set("id", str(document.part.next_id))
        body.sectPr.addprevious(copied)


def _new_section(document, landscape: bool) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    width, height = Cm(A4_CM[0]), Cm(A4_CM[1])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)


def _form(document, workspace: Workspace, name: str, heading=None) -> None:
    """The blank form on a page of its own, under `heading` (the section over it), if any."""
    form = load_form(workspace, name)
    landscape = form.definition.get("orientation") == "landscape"
    template = workspace.find("templates", form.template_name)
    blank = render_docx(template, build_context(form, blank_tables(form, workspace),
                                                 config=workspace.config, blank=True),
                        find_cjk_font(workspace.config))
    _new_section(document, landscape)
    if heading is not None:
        document.add_heading(heading.text, level=min(heading.level, 3))
    document.add_heading(f"附表：{form.title('zh')}", level=2)
    _insert_body(document, blank)
    if landscape:
        _new_section(document, False)
    else:
        document.add_page_break()


def _figure(document, figure) -> None:
    if isinstance(figure.shape, TreeNode):
        table = document.add_table(rows=1, cols=1)
        table.style = document.styles["Table Grid"]
        cell = table.rows[0].cells[0]
        cell.text = "\n".join(tree_lines(figure.shape))
    elif isinstance(figure.shape, Graph):
        rows = graph_rows(figure.shape)
        table = document.add_table(rows=len(rows), cols=2)
        for row, (box, beside) in zip(table.rows, rows, strict=True):
            row.cells[0].text, row.cells[1].text = box, beside
            row.cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if box != "↓":
                _borders(row.cells[0])
    caption = document.add_paragraph(f"图：{figure.title}")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _borders(cell) -> None:
    borders = OxmlElement("w:tcBorders")
    for side in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "6")
        borders.append(line)
    cell._tc.get_or_add_tcPr().append(borders)


def _front_matter(document, rulebook: Rulebook, edition: Edition) -> None:
    for _ in range(6):
        document.add_paragraph()
    for text, size in ((edition.company, 14), (edition.title, 26), ("", 12),
                       (f"版本：{edition.version}", 13),
                       (f"生效日期：{edition.effective.isoformat()}", 13),
                       (f"发布部门：{edition.centre}", 13), ("", 12),
                       ("受控文件　未经批准不得复制", 12)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).font.size = Pt(size)
    document.add_page_break()

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("审批与修订记录").font.size = Pt(17)
    document.add_paragraph().add_run("审批").bold = True
    _table(document, approval_rows(), [1, 2, 2, 2])
    document.add_paragraph().add_run("修订记录").bold = True
    _table(document, [["版本", "生效日期", "修订内容"]]
           + [[str(r.get("version", "")), str(r.get("effective", "")),
               str(r.get("change", ""))] for r in edition.revisions], [1, 1.5, 4])
    document.add_page_break()

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("目录").font.size = Pt(17)
    _toc(document, rulebook)


def _heads_form(block) -> bool:
    return block is not None and block.kind == "directive" and block.text == "form"


def render_rulebook_docx(workspace: Workspace, rulebook: Rulebook, edition: Edition) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(A4_CM[0]), Cm(A4_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    _styles(document)
    _header_footer(section, edition)
    properties = document.core_properties
    properties.title = edition.title
    properties.author = edition.company
    properties.version = edition.version
    properties.subject = f"{edition.title} {edition.version}"
    # Dated by the edition, not the build, so an unchanged version builds the same document.
    stamp = dt.datetime.combine(edition.effective, dt.time())
    properties.created = properties.modified = stamp
    properties.last_modified_by = edition.company
    properties.revision = 1

    _front_matter(document, rulebook, edition)
    lifecycle = rulebook.lifecycle
    for chapter in rulebook.chapters:
        title = document.add_heading(chapter.title, level=1)
        title.paragraph_format.page_break_before = True
        heading = None
        for block, following in zip(chapter.blocks, [*chapter.blocks[1:], None],
                                    strict=True):
            if block.kind == "heading" and _heads_form(following):
                heading = block  # "表样" starts the form's page, not ends this one
            elif block.kind == "heading":
                document.add_heading(block.text, level=min(block.level, 3))
            elif block.kind == "paragraph":
                paragraph = document.add_paragraph(block.text)
                paragraph.paragraph_format.first_line_indent = Pt(21)
            elif block.kind in ("bullet", "numbered"):
                mark = "•" if block.kind == "bullet" else f"{block.argument}."
                paragraph = document.add_paragraph(f"{mark} {block.text}")
                paragraph.paragraph_format.left_indent = Pt(21)
            elif block.kind == "table":
                _table(document, block.rows)
            elif block.text == "approval":
                _table(document, approval_rows(), [1, 2, 2, 2])
            elif block.text == "lifecycle":
                _table(document, lifecycle_rows(lifecycle), [1.2, 3, 1.3, 3])
            elif block.text == "figure":
                _figure(document, load_figure(block.argument, rulebook.figures, lifecycle))
            elif block.text == "form":
                _form(document, workspace, block.argument, heading)
                heading = None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
