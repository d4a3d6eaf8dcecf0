"""The rulebook as one DOCX, the twin of the PDF (rulebook/pdf.py): cover without running
header or page number, approvals and revisions, a table of contents (a Word TOC field over the
heading styles), chapters, the charts as pictures of the PDF's drawings, and the blank forms
rendered from their own templates and composed in with docxcompose, so their pictures, styles
and numbering come along, each in a section of its own orientation."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docxcompose.composer import Composer

from generator.documents.compute import blank_tables
from generator.documents.context import build_context
from generator.documents.forms import load_form
from generator.render.columns import Measure, widths_at
from generator.render.docx import render_docx
from generator.render.docx_template import (
    A4_CM,
    FRAME_PADDING_PT,
    FURNITURE_PT,
    KEEP_STYLES,
    LABEL_SHADE,
    MARGIN_CM,
    base_styles,
    field_code,
    in_frame,
    leading,
    running_header,
    set_page,
    shade,
    sized_table,
    slim,
    use_font,
)
from generator.render.fonts import find_cjk_font
from generator.render.markup import BULLET
from generator.rulebook.figures import load_figure, picture
from generator.rulebook.model import Edition, Rulebook
from generator.rulebook.pdf import approval_rows, lifecycle_rows
from generator.workspace import Workspace

CONTENT_CM = A4_CM[0] - 2 * MARGIN_CM  # the width of a portrait page's text

CELL_SIZE = 9.5  # points: a rulebook table's text, as the PDF's (rulebook/pdf.py Styles.cell)

# The PDF's paragraph styles (rulebook/pdf.py Styles): size, leading, space before and after
# (pt), and paragraph settings; made as the DOCX's own styles, so the forms composed in keep
# Normal for their own text.
STYLES = {
    "Rulebook Body": (10.5, 18, 0, 4, {"first_line_indent": Pt(21)}),
    "Rulebook Item": (10.5, 18, 0, 4, {"left_indent": Pt(21 + FRAME_PADDING_PT),
                                       "first_line_indent": Pt(-12)}),
    "Rulebook Cell": (CELL_SIZE, 13, 0, 0, {}),
    "Rulebook Caption": (9, 18, 0, 4, {"alignment": WD_ALIGN_PARAGRAPH.CENTER}),
    "Rulebook Cover": (13, 24, 0, 4, {"alignment": WD_ALIGN_PARAGRAPH.CENTER}),
    "Rulebook Cover Title": (26, 36, 0, 4, {"alignment": WD_ALIGN_PARAGRAPH.CENTER}),
    "Rulebook Title": (17, 26, 0, 12, {"alignment": WD_ALIGN_PARAGRAPH.CENTER}),
    "Rulebook Subtitle": (13, 20, 10, 6, {"keep_with_next": True}),
    "Rulebook Contents 1": (11, 20, 0, 0, {}),
    "Rulebook Contents 2": (9.5, 15, 0, 0, {"left_indent": Pt(20 + FRAME_PADDING_PT)}),
    "Heading 1": (17, 26, 0, 12, {"alignment": WD_ALIGN_PARAGRAPH.CENTER}),
    "Heading 2": (13, 20, 10, 6, {"keep_with_next": True}),
    "Heading 3": (11, 18, 6, 4, {"keep_with_next": True}),
}


def _styles(document) -> None:
    """Each of STYLES, made or (the headings) restyled: the document's one font (no theme
    fonts), black, the PDF's sizes and spacing; python-docx's other styles dropped."""
    slim(document, KEEP_STYLES | {f"Heading{level}{suffix}" for level in (1, 2, 3)
                                  for suffix in ("", "Char")})
    for style in document.styles:  # the headings' character styles name theme fonts
        fonts = style.element.rPr.find(qn("w:rFonts")) if style.element.rPr is not None else None
        if fonts is not None:
            fonts.getparent().remove(fonts)
    for name, (size, line, before, after, settings) in STYLES.items():
        if name in document.styles:
            style = document.styles[name]
        else:
            style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = document.styles["Normal"]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        leading(style, line, before, after)
        if name != "Rulebook Cell":
            in_frame(style.paragraph_format)
        for setting, value in settings.items():
            setattr(style.paragraph_format, setting, value)


def _furniture(section, edition: Edition, width: float) -> None:
    """The PDF's running header and page number, in a section `width` cm wide."""
    running_header(section, width, f"{edition.company} · {edition.title}",
                   f"版本 {edition.version}　生效日期 {edition.effective.isoformat()}　受控文件")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", "PAGE"), (" 页 共 ", "NUMPAGES"), (" 页", None)):
        footer.add_run(text).font.size = Pt(FURNITURE_PT)
        if field:
            field_code(footer, field, FURNITURE_PT)


def _table(document, rows: list[list[str]], measure: Measure):
    """A bordered table across the text width, header row shaded; columns sized as the PDF's
    (render/columns.py), `measure`d as the cells' text."""
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    widths = widths_at(list(zip(*rows, strict=True)), measure, CELL_SIZE, Cm(CONTENT_CM).pt)
    table = sized_table(document, len(rows), [Pt(width).cm for width in widths])
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
            cell.paragraphs[0].style = document.styles["Rulebook Cell"]
    for cell in table.rows[0].cells:
        shade(cell, LABEL_SHADE)
    leading(document.add_paragraph(), 4)  # tables apart, as little as the PDF's spacing
    return table


def _toc(document, workspace: Workspace, rulebook: Rulebook) -> None:
    """A TOC field; Word fills in page numbers when the document is opened (updateFields).
    Until then it lists what the PDF's contents list — chapters, their sections and forms —
    one paragraph each, as long as the PDF's."""
    entries = []
    for chapter in rulebook.chapters:
        entries.append(("Rulebook Contents 1", chapter.title))
        for block in chapter.blocks:
            if block.kind == "heading" and block.level == 2:
                entries.append(("Rulebook Contents 2", block.text))
            elif block.kind == "directive" and block.text == "form":
                form = load_form(workspace, block.argument)
                entries.append(("Rulebook Contents 2", f"附表：{form.title('zh')}"))
    paragraphs = [document.add_paragraph(text, style) for style, text in entries]
    begin = paragraphs[0].add_run()
    paragraphs[0]._p.remove(begin._r)  # the field begins before the first entry's text
    paragraphs[0].runs[0]._r.addprevious(begin._r)
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'),
                       ("separate", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        begin._r.append(element)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraphs[-1].add_run()._r.append(end)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _new_section(document, edition: Edition, landscape: bool) -> None:
    """A section on a new page, portrait or landscape, with its own running header (its
    right-hand text at the right margin of its own width)."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False  # only the cover is bare
    width = set_page(section, landscape)
    for part in (section.header, section.footer):
        part.is_linked_to_previous = False
    _furniture(section, edition, width)


def _form(document, composer: Composer, workspace: Workspace, edition: Edition,
          name: str, heading=None) -> None:
    """The blank form on a new page of its orientation, under `heading` (the section over it),
    if any, and its own, composed in whole (docxcompose carries its pictures, styles and
    numbering over)."""
    form = load_form(workspace, name)
    template = workspace.find("templates", form.template_name)
    blank = render_docx(template, build_context(form, blank_tables(form, workspace),
                                                 config=workspace.config, blank=True),
                        find_cjk_font(workspace.config), form)
    _new_section(document, edition, form.definition.get("orientation") == "landscape")
    if heading is not None:  # "表样" on the form's page, not at the foot of the one before
        document.add_heading(heading.text, level=min(heading.level, 3))
    document.add_paragraph(f"附表：{form.title('zh')}", "Heading 2")
    composer.append(Document(io.BytesIO(blank)))


def _figure(document, figure, font) -> None:
    """The figure as a picture of the PDF's drawing, as wide as the text."""
    width = Cm(CONTENT_CM)
    document.add_picture(io.BytesIO(picture(figure, font, width.pt)), width=width)
    layout = document.paragraphs[-1].paragraph_format
    layout.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # single spacing, the picture's own height: Normal's exact leading (the PDF's 14 pt) would
    # cut the picture down to one line in LibreOffice
    layout.line_spacing = 1.0
    layout.space_before = Pt(6)  # as the PDF's spacer above a figure
    layout.keep_with_next = True  # with its caption
    document.add_paragraph(f"图：{figure.title}", "Rulebook Caption")


def _front_matter(document, workspace: Workspace, rulebook: Rulebook,
                  edition: Edition, measure: Measure) -> None:
    """Cover (spaced as the PDF's), approvals and revisions, contents: each on its own page."""
    for text, style, space_before in (
            (edition.company, "Rulebook Cover", Cm(5)), (edition.title, "Rulebook Cover Title",
                                                          Cm(1)),
            (f"版本：{edition.version}", "Rulebook Cover", Cm(2)),
            (f"生效日期：{edition.effective.isoformat()}", "Rulebook Cover", 0),
            (f"发布部门：{edition.centre}", "Rulebook Cover", 0),
            ("受控文件　未经批准不得复制", "Rulebook Cover", Cm(3))):
        document.add_paragraph(text, style).paragraph_format.space_before = space_before

    title = document.add_paragraph("审批与修订记录", "Rulebook Title")
    title.paragraph_format.page_break_before = True
    document.add_paragraph("审批", "Rulebook Subtitle")
    _table(document, approval_rows(), measure)
    document.add_paragraph("修订记录", "Rulebook Subtitle")
    _table(document, [["版本", "生效日期", "修订内容"]]
           + [[str(r.get("version", "")), str(r.get("effective", "")),
               str(r.get("change", ""))] for r in edition.revisions], measure)

    document.add_paragraph("目录", "Rulebook Title").paragraph_format.page_break_before = True
    _toc(document, workspace, rulebook)


def _first_section(document, edition: Edition, font_family: str) -> None:
    """A4 portrait in the PDF's margins and font; the cover page bare (no running header, no
    page number), the pages after it with them."""
    set_page(document.sections[0], landscape=False)
    base_styles(document)
    use_font(document, font_family)
    _styles(document)
    section = document.sections[0]
    section.different_first_page_header_footer = True
    for part in (section.first_page_header, section.first_page_footer):
        part.is_linked_to_previous = False  # defined, and empty
    _furniture(section, edition, CONTENT_CM)


def _heads_form(block) -> bool:
    return block is not None and block.kind == "directive" and block.text == "form"


def render_rulebook_docx(workspace: Workspace, rulebook: Rulebook, edition: Edition) -> bytes:
    document = Document()
    _first_section(document, edition, find_cjk_font(workspace.config).family)
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

    measure = find_cjk_font(workspace.config).width
    _front_matter(document, workspace, rulebook, edition, measure)
    composer = Composer(document)
    lifecycle = rulebook.lifecycle
    after_form = False
    for chapter in rulebook.chapters:
        # a chapter starts a page, as the PDF's; after a form, a portrait section of its own
        if after_form:
            _new_section(document, edition, landscape=False)
        title = document.add_heading(chapter.title, level=1)
        title.paragraph_format.page_break_before = not after_form
        after_form = False
        heading = None
        for block, following in zip(chapter.blocks, [*chapter.blocks[1:], None],
                                    strict=True):
            is_form = _heads_form(block)
            if after_form and not is_form:  # what follows forms starts a page, portrait
                _new_section(document, edition, landscape=False)
            after_form = is_form
            if block.kind == "heading" and _heads_form(following):
                heading = block  # printed on the form's page (_form)
            elif block.kind == "heading":
                document.add_heading(block.text, level=min(block.level, 3))
            elif block.kind == "paragraph":
                document.add_paragraph(block.text, "Rulebook Body")
            elif block.kind in ("bullet", "numbered"):
                mark = BULLET if block.kind == "bullet" else f"{block.argument}."
                document.add_paragraph(f"{mark} {block.text}", "Rulebook Item")
            elif block.kind == "table":
                _table(document, block.rows, measure)
            elif block.text == "approval":
                _table(document, approval_rows(), measure)
            elif block.text == "lifecycle":
                _table(document, lifecycle_rows(lifecycle), measure)
            elif block.text == "figure":
                _figure(document, load_figure(block.argument, rulebook.figures, lifecycle),
                        find_cjk_font(workspace.config))
            elif is_form:
                _form(document, composer, workspace, edition, block.argument, heading)
                heading = None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
