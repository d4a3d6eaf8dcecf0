"""The rulebook as one PDF: cover, approval and revision page, table of contents, chapters with
bookmarks, the charts as vector graphics and the blank forms drawn by the forms' own layout."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from generator.documents.compute import blank_tables
from generator.documents.context import build_context
from generator.documents.forms import load_form, localised
from generator.render.columns import widths_at
from generator.render.flow import KeepWhole, KeepWithStart
from generator.render.fonts import CJKFont
from generator.render.markup import BULLET
from generator.render.paragraph import ChineseParagraph
from generator.render.pdf import MARGIN, flowables, page_size
from generator.rulebook.figures import drawing, load_figure
from generator.rulebook.model import Edition, Rulebook
from generator.tickets.lifecycle import Lifecycle
from generator.workspace import Workspace

SHADE = colors.Color(0.93, 0.93, 0.93)


class Anchor(Flowable):
    """An invisible mark where a chapter, section or form starts: a bookmark and a TOC entry."""

    def __init__(self, level: int, text: str, key: str, in_toc: bool = True) -> None:
        super().__init__()
        self.outline_level, self.outline_text, self.outline_key = level, text, key
        self.in_toc = in_toc
        # Go where the heading after it goes: a heading pushed to the next page must not
        # leave its bookmark and TOC entry behind on this one.
        self.keepWithNext = True

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        pass


class RulebookDocument(BaseDocTemplate):
    def __init__(self, buffer, edition: Edition, font: str) -> None:
        super().__init__(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=MARGIN, bottomMargin=MARGIN, title=edition.title,
                         author=edition.company, subject=f"{edition.title} {edition.version}",
                         initialFontName=font, invariant=True,
                         # a heading keeps with the start of what follows it
                         keepTogetherClass=KeepWithStart)
        self.edition = edition
        self.font = font
        self.pages_last_pass = 0
        portrait_frame = Frame(MARGIN, MARGIN, A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN, id="p")
        wide = landscape(A4)
        landscape_frame = Frame(MARGIN, MARGIN, wide[0] - 2 * MARGIN, wide[1] - 2 * MARGIN,
                                id="l")
        self.addPageTemplates([
            PageTemplate("cover", [portrait_frame], pagesize=A4),
            PageTemplate("portrait", [portrait_frame], onPage=self._decorate, pagesize=A4),
            PageTemplate("landscape", [landscape_frame], onPage=self._decorate, pagesize=wide),
        ])

    def build(self, flowables, **kwargs):
        # multiBuild makes passes until the TOC is stable; each pass tells the next how many
        # pages there are, for "共 y 页" (the last two passes lay out identically).
        super().build(flowables, **kwargs)
        self.pages_last_pass = self.page

    def afterFlowable(self, flowable) -> None:  # noqa: N802 (reportlab's hook)
        if isinstance(flowable, Anchor):
            self.canv.bookmarkPage(flowable.outline_key)
            self.canv.addOutlineEntry(flowable.outline_text, flowable.outline_key,
                                      level=flowable.outline_level, closed=True)
            if flowable.in_toc:
                self.notify("TOCEntry", (flowable.outline_level, flowable.outline_text,
                                         self.page, flowable.outline_key))

    def _decorate(self, canvas, doc) -> None:
        width, height = canvas._pagesize
        edition = self.edition
        canvas.saveState()
        canvas.setFont(self.font, 8)
        canvas.setStrokeColor(colors.grey)
        canvas.drawString(MARGIN, height - MARGIN + 0.5 * cm,
                          f"{edition.company} · {edition.title}")
        canvas.drawRightString(width - MARGIN, height - MARGIN + 0.5 * cm,
                               f"版本 {edition.version}　生效日期 {edition.effective.isoformat()}"
                               f"　受控文件")
        canvas.line(MARGIN, height - MARGIN + 0.35 * cm, width - MARGIN,
                    height - MARGIN + 0.35 * cm)
        total = self.pages_last_pass or doc.page
        canvas.drawCentredString(width / 2, MARGIN - 0.8 * cm, f"第 {doc.page} 页 共 {total} 页")
        canvas.restoreState()


class Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=18,
                              wordWrap="CJK", spaceAfter=4)
        self.body = ParagraphStyle("para", parent=base, firstLineIndent=21)
        self.item = ParagraphStyle("item", parent=base, leftIndent=21, firstLineIndent=-12)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, spaceAfter=0)
        self.h1 = ParagraphStyle("h1", parent=base, fontSize=17, leading=26, spaceAfter=12,
                                 alignment=TA_CENTER)
        self.h2 = ParagraphStyle("h2", parent=base, fontSize=13, leading=20, spaceBefore=10,
                                 spaceAfter=6, keepWithNext=1)
        self.h3 = ParagraphStyle("h3", parent=base, fontSize=11, leading=18, spaceBefore=6,
                                 spaceAfter=4, keepWithNext=1)
        self.form_heading = ParagraphStyle("form_heading", parent=self.h2, leading=18,
                                           spaceBefore=0, spaceAfter=2)
        self.caption = ParagraphStyle("caption", parent=base, fontSize=9, alignment=TA_CENTER)
        self.cover_title = ParagraphStyle("cover", parent=base, fontSize=26, leading=36,
                                          alignment=TA_CENTER)
        self.cover = ParagraphStyle("coverline", parent=base, fontSize=13, leading=24,
                                    alignment=TA_CENTER)
        self.toc = [
            ParagraphStyle("toc0", parent=base, fontSize=11, leading=20, leftIndent=0),
            ParagraphStyle("toc1", parent=base, fontSize=9.5, leading=15, leftIndent=20),
        ]


def _p(text: str, style: ParagraphStyle) -> ChineseParagraph:
    return ChineseParagraph(escape(text).replace("\n", "<br/>"), style)


def _table(rows: list[list[str]], st: Styles, width: float, font: str) -> Table:
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    widths = widths_at(list(zip(*rows, strict=True)),
                       lambda text, size: stringWidth(text, font, size), st.cell.fontSize, width)
    table = Table([[_p(c, st.cell) for c in r] for r in rows], colWidths=widths, repeatRows=1,
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def approval_rows() -> list[list[str]]:
    return [["", "编制", "审核", "审批"],
            ["签名", "", "", ""],
            ["日期", "____年__月__日", "____年__月__日", "____年__月__日"]]


def lifecycle_rows(lifecycle: Lifecycle) -> list[list[str]]:
    rows = [["状态", "含义", "办理岗位", "下一步"]]
    for state in lifecycle.states.values():
        moves = []
        for move in state.next:
            label = localised(lifecycle.states[move.to].label)
            why = localised(move.when)
            moves.append(f"{label}（{why}）" if why else label)
        rows.append([localised(state.label), localised(state.meaning),
                     localised(state.role), "；".join(moves) or "流程结束"])
    return rows


def _front_matter(edition: Edition, st: Styles, width: float, font: str) -> list:
    story: list = [
        Spacer(1, 5 * cm),
        _p(edition.company, st.cover),
        Spacer(1, 1 * cm),
        _p(edition.title, st.cover_title),
        Spacer(1, 2 * cm),
        _p(f"版本：{edition.version}", st.cover),
        _p(f"生效日期：{edition.effective.isoformat()}", st.cover),
        _p(f"发布部门：{edition.centre}", st.cover),
        Spacer(1, 3 * cm),
        _p("受控文件　未经批准不得复制", st.cover),
        NextPageTemplate("portrait"),
        PageBreak(),
        Anchor(0, "审批与修订记录", "approval", in_toc=False),
        _p("审批与修订记录", st.h1),
        _p("审批", st.h2),
        _table(approval_rows(), st, width, font),
        _p("修订记录", st.h2),
        _table([["版本", "生效日期", "修订内容"]]
               + [[str(r.get("version", "")), str(r.get("effective", "")),
                   str(r.get("change", ""))] for r in edition.revisions],
               st, width, font),
        PageBreak(),
        Anchor(0, "目录", "contents", in_toc=False),
        _p("目录", st.h1),
    ]
    toc = TableOfContents(levelStyles=st.toc, dotsMinLevel=0, tableStyle=TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),  # its default would add Helvetica, unembedded
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]))
    story.append(toc)
    return story


def _form_pages(workspace: Workspace, name: str, font: CJKFont, st: Styles, key: str,
                headings: list) -> list:
    form = load_form(workspace, name)
    ctx = build_context(form, blank_tables(form, workspace), config=workspace.config,
                        blank=True)
    wide = form.definition.get("orientation") == "landscape"
    width = page_size(form)[0] - 2 * MARGIN
    return [
        NextPageTemplate("landscape" if wide else "portrait"),
        PageBreak(),
        # the headings over the form, set close: the form's page holds them and the form
        *[flowable for anchor in headings if isinstance(anchor, Anchor)
          for flowable in (anchor, _p(anchor.outline_text, st.form_heading))],
        Anchor(1, f"附表：{form.title('zh')}", key),
        _p(f"附表：{form.title('zh')}", st.form_heading),
        *flowables(form, ctx, font, width, titled=False),  # 附表：… is its title
        NextPageTemplate("portrait"),
    ]


def _block(block, rulebook: Rulebook, st: Styles, width: float, font: str) -> list:
    """The flowables of one block of a chapter (a form's pages aside)."""
    if block.kind == "paragraph":
        return [_p(block.text, st.body)]
    if block.kind in ("bullet", "numbered"):
        mark = BULLET if block.kind == "bullet" else f"{block.argument}."
        return [_p(f"{mark} {block.text}", st.item)]
    if block.kind == "table":
        return [_table(block.rows, st, width, font)]
    if block.text == "approval":
        table = _table(approval_rows(), st, width, font)
        table.spaceBefore = 6  # not a Spacer: a heading above keeps with the table itself
        return [table]
    if block.text == "lifecycle":
        return [_table(lifecycle_rows(rulebook.lifecycle), st, width, font)]
    if block.text == "figure":
        figure = load_figure(block.argument, rulebook.figures, rulebook.lifecycle)
        return [KeepWhole([Spacer(1, 6), drawing(figure, font, width),
                           _p(f"图：{figure.title}", st.caption)])]
    raise AssertionError(f"rulebook block {block.kind} {block.text} has no renderer")


def render_rulebook_pdf(workspace: Workspace, rulebook: Rulebook, edition: Edition,
                        font: CJKFont) -> bytes:
    st = Styles(font.name)
    width = A4[0] - 2 * MARGIN
    story = _front_matter(edition, st, width, font.name)
    for number, chapter in enumerate(rulebook.chapters):
        story += [PageBreak(), Anchor(0, chapter.title, f"ch{number}"),
                  _p(chapter.title, st.h1)]
        after_form = False
        headings: list = []  # the headings just read, which go where what they head goes
        for index, block in enumerate(chapter.blocks):
            key = f"ch{number}-{index}"
            if after_form and not (block.kind == "directive" and block.text == "form"):
                story.append(PageBreak())
            after_form = False
            if block.kind == "heading":
                style = st.h2 if block.level == 2 else st.h3
                headings += [Anchor(block.level - 1, block.text, key, in_toc=block.level == 2),
                             _p(block.text, style)]
                continue
            if block.kind == "directive" and block.text == "form":
                # a heading over a form ("表样") starts the form's page, not ends this one
                story += _form_pages(workspace, block.argument, font, st, key, headings)
                after_form = True
            else:
                story += [*headings, *_block(block, rulebook, st, width, font.name)]
            headings = []
        story += headings
    buffer = io.BytesIO()
    document = RulebookDocument(buffer, edition, font.name)
    document.multiBuild(story)
    return buffer.getvalue()
