"""The rulebook: `aftersales rulebook build` makes one controlled PDF and DOCX of the preface,
fifteen chapters and every blank form; `aftersales rulebook check` names what is wrong with the
sources.

The bundled rulebook is built ONCE per module (`book`) and read by many tests; the tests that
change a source (configuration, a schema, the lifecycle, a chapter) build in their own
workspace.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import docx
import jinja2
import pytest
import yaml
from click.testing import CliRunner
from docx.oxml.ns import qn
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.forms import load_form
from generator.rulebook.model import placeholder_values
from generator.workspace import Workspace
from tests.conftest import docx_text, libreoffice_pdfs, need_tool, pdftotext, squash

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "templates" / "rulebook"
VERSION, EFFECTIVE = "2.1", "2026-12-01"
BUILD = ("rulebook", "build", "--version", VERSION, "--effective", EFFECTIVE,
         "--format", "pdf,docx")
FRONT_MATTER = ["审批与修订记录", "目录"]
SOFFICE_TIMEOUT = 240


# --- the sources, read independently of the generator --------------------------------------


def chapter_files() -> list[str]:
    outline = yaml.safe_load((SOURCES / "rulebook.yaml").read_text("utf-8"))
    return [outline["preface"], *outline["chapters"]]


def source_lines(name: str) -> list[str]:
    return (SOURCES / name).read_text("utf-8").splitlines()


def chapter_title(name: str) -> str:
    first = source_lines(name)[0]
    assert first.startswith("# "), f"{name}: first line is not '# title'"
    return first[2:].strip()


FILES = chapter_files()
CHAPTER_TITLES = [chapter_title(name) for name in FILES]


def form_names(name: str) -> list[str]:
    return [line.split(None, 1)[1].strip() for line in source_lines(name)
            if line.startswith("@form ")]


ALL_FORMS = [form for name in FILES for form in form_names(name)]


def expected_children(name: str, workspace: Workspace) -> list[tuple[str, list[str]]]:
    """A chapter's outline beneath its title, from its file: each `## section` (with its
    `### sub-sections`) and each `@form NAME` (as 附表：TITLE), in file order."""
    children: list[tuple[str, list[str]]] = []
    values = placeholder_values(workspace)  # headings may name ticket states: {{ states.x }}
    for line in (jinja2.Template(line).render(values) for line in source_lines(name)[1:]):
        if line.startswith("## "):
            children.append((line[3:].strip(), []))
        elif line.startswith("### "):
            children[-1][1].append(line[4:].strip())
        elif line.startswith("@form "):
            form = load_form(workspace, line.split(None, 1)[1].strip())
            children.append((f"附表：{form.title('zh')}", []))
    return children


# --- building and reading ---------------------------------------------------------------------


def invoke(home: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)


@dataclass
class Entry:
    title: str
    page: int  # 1-based
    children: list[Entry] = field(default_factory=list)


def outline_tree(reader: PdfReader, items) -> list[Entry]:
    entries: list[Entry] = []
    for item in items:
        if isinstance(item, list):
            entries[-1].children = outline_tree(reader, item)
        else:
            entries.append(Entry(item.title, reader.get_destination_page_number(item) + 1))
    return entries


@dataclass
class Book:
    """One built rulebook: its workspace, files and text, read lazily."""

    home: Path
    report: dict

    @property
    def pdf(self) -> Path:
        return self.home / "output" / "rulebook" / f"rulebook-v{VERSION}.pdf"

    @property
    def docx(self) -> Path:
        return self.home / "output" / "rulebook" / f"rulebook-v{VERSION}.docx"

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(str(self.pdf))

    @cached_property
    def text(self) -> str:
        return pdftotext(self.pdf)

    @cached_property
    def pages(self) -> list[str]:
        """pdftotext's text of each page; pages[0] is page 1."""
        pages = self.text.split("\f")
        assert pages[-1].strip() == ""
        pages = pages[:-1]
        assert len(pages) == len(self.reader.pages)
        return pages

    def page(self, number: int) -> str:
        return self.pages[number - 1]

    @cached_property
    def outline(self) -> list[Entry]:
        return outline_tree(self.reader, self.reader.outline)

    @cached_property
    def chapters(self) -> dict[str, Entry]:
        return {e.title: e for e in self.outline if e.title in CHAPTER_TITLES}

    def chapter_pages(self, title: str) -> range:
        """The pages from where chapter `title` starts to where the next one starts."""
        index = CHAPTER_TITLES.index(title)
        start = self.chapters[title].page
        end = (self.chapters[CHAPTER_TITLES[index + 1]].page if index + 1 < len(CHAPTER_TITLES)
               else len(self.pages) + 1)
        return range(start, end)

    def chapter_text(self, title: str) -> str:
        return "\n".join(self.page(n) for n in self.chapter_pages(title))

    def heading_pages(self, title: str, pages: range | None = None) -> list[int]:
        """Pages with a line that is exactly `title`: where it is printed as a heading. (The
        TOC's pages can match too: pdftotext puts a long entry's title on a line of its own.)"""
        wanted = squash(title)
        pages = pages or range(1, len(self.pages) + 1)
        return [n for n in pages if wanted in (squash(line) for line in self.page(n).splitlines())]

    @cached_property
    def docx_text(self) -> str:
        return docx_text(self.docx)

    @cached_property
    def document(self):
        return docx.Document(str(self.docx))


def build_book(home: Path, *extra: str) -> Book:
    result = invoke(home, *BUILD, "--json", *extra)
    assert result.exit_code == 0, result.output
    return Book(home, json.loads(result.output))


def fresh_home(tmp_path_factory, name: str) -> Path:
    home = tmp_path_factory.mktemp(name) / "ws"
    home.mkdir()
    return home


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    """The bundled rulebook, version 2.1, PDF and DOCX, in a fresh workspace. Read-only."""
    return build_book(fresh_home(tmp_path_factory, "rulebook"))


def layout_text(pdf: Path, first: int, last: int) -> str:
    need_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-f", str(first), "-l",
                           str(last), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


TOC_LINE = re.compile(r"^(?P<indent>\s*)(?P<title>[^\s.].*?)\s*(?:\.\s*){3,}(?P<page>\d+)\s*$")


def toc_pages(book: Book) -> range:
    """The printed table of contents: from the 目录 heading up to where the preface starts."""
    contents = book.heading_pages("目录")[0]
    preface = next(n for n in book.heading_pages("序言") if n > contents)
    return range(contents, preface)


def toc_entries(book: Book) -> list[tuple[int, str, int]]:
    """(indent, title, page) of every line of the printed table of contents."""
    pages = toc_pages(book)
    contents, preface = pages.start, pages.stop
    entries = []
    for line in layout_text(book.pdf, contents, preface - 1).splitlines():
        if match := TOC_LINE.match(line):
            entries.append((len(match["indent"]), squash(match["title"]), int(match["page"])))
    assert entries, "no table-of-contents lines found"
    return entries


def documents_in(home: Path) -> list[Path]:
    output = home / "output"
    return sorted(p for p in output.rglob("*") if p.is_file() and "index.sqlite3" not in p.name) \
        if output.exists() else []


# --- outline (bookmarks) -----------------------------------------------------------------------


def test_outline_has_the_preface_and_fifteen_chapters_in_order(book):
    assert len(CHAPTER_TITLES) == 16 and CHAPTER_TITLES[0] == "序言"
    titles = [entry.title for entry in book.outline]
    assert titles == [*FRONT_MATTER, *CHAPTER_TITLES]


def test_outline_nests_every_section_and_form_under_its_chapter(book):
    workspace = Workspace.open(book.home)
    for name, title in zip(FILES, CHAPTER_TITLES, strict=True):
        entry = book.chapters[title]
        expected = expected_children(name, workspace)
        assert [c.title for c in entry.children] == [t for t, _ in expected], name
        for child, (_, subsections) in zip(entry.children, expected, strict=True):
            assert [g.title for g in child.children] == subsections, f"{name}: {child.title}"


def test_chapter_bookmarks_lead_to_the_page_where_the_chapter_starts(book):
    after_toc = toc_pages(book).stop
    for title in CHAPTER_TITLES:
        page = book.chapters[title].page
        headings = [n for n in book.heading_pages(title) if n >= after_toc]
        assert headings and page == headings[0], \
            f"{title}: bookmark → page {page}, heading printed on {headings}"
    pages = [book.chapters[t].page for t in CHAPTER_TITLES]
    assert pages == sorted(pages) and len(set(pages)) == len(pages)


def test_section_bookmarks_lead_to_the_page_where_the_section_heading_is(book):
    """Every ##/### and form bookmark's page shows that heading. (A heading kept with its next
    paragraph moves to the next page; its bookmark must move with it.)"""
    wrong = []
    for title in CHAPTER_TITLES:
        pages = book.chapter_pages(title)
        for child in book.chapters[title].children:
            for entry in (child, *child.children):
                if entry.page not in book.heading_pages(entry.title, pages):
                    wrong.append(f"{title} / {entry.title}: bookmark → page {entry.page}, "
                                 f"heading on page {book.heading_pages(entry.title, pages)}")
    assert not wrong, "\n".join(wrong)


# --- table of contents ------------------------------------------------------------------------


def test_toc_chapter_page_numbers_are_where_the_chapters_start(book):
    entries = toc_entries(book)
    top = min(indent for indent, _, _ in entries)
    chapters = [(title, page) for indent, title, page in entries if indent == top]
    assert [t for t, _ in chapters] == [squash(t) for t in CHAPTER_TITLES]
    # the TOC's own pages print the titles too (a long one on a line of its own): skip them
    after_toc = toc_pages(book).stop
    for (_, printed), title in zip(chapters, CHAPTER_TITLES, strict=True):
        headings = [n for n in book.heading_pages(title) if n >= after_toc]
        assert headings, f"{title}: not printed as a heading after the contents"
        assert printed == headings[0], f"{title}: TOC says {printed}, starts on {headings[0]}"
        assert printed == book.chapters[title].page, f"{title}: TOC and bookmark disagree"


def test_toc_section_page_numbers_are_where_the_sections_are(book):
    entries = toc_entries(book)
    top = min(indent for indent, _, _ in entries)
    wrong, chapter, after = [], None, 0
    for indent, title, printed in entries:
        if indent == top:
            chapter = next(t for t in CHAPTER_TITLES if squash(t) == title)
            after = book.chapters[chapter].page
            continue
        pages = range(after, book.chapter_pages(chapter).stop)
        found = book.heading_pages(title, pages)
        if not found or found[0] != printed:
            wrong.append(f"{chapter} / {title}: TOC says {printed}, heading on {found[:1]}")
        if found:
            after = found[0]
    assert not wrong, "\n".join(wrong)


# --- text: chapters, forms, placeholders ------------------------------------------------------


def test_every_chapter_and_form_title_is_in_the_pdf_and_the_docx(book):
    workspace = Workspace.open(book.home)
    pdf, docx_all = squash(book.text), squash(book.docx_text)
    form_titles = [load_form(workspace, name).title("zh") for name in ALL_FORMS]
    assert len(form_titles) == 19
    for title in CHAPTER_TITLES + form_titles:
        assert squash(title) in pdf, f"PDF lacks {title}"
        assert squash(title) in docx_all, f"DOCX lacks {title}"


def test_no_placeholder_is_left_unfilled(book):
    for text in (book.text, book.docx_text):
        assert "{{" not in text and "}}" not in text and "{%" not in text
    defaults = Workspace.open(book.home).config
    assert squash(defaults["centre"]["phone"]) in squash(book.chapter_text(CHAPTER_TITLES[15]))


def test_the_blank_forms_charts_come_with_their_pictures(book):
    """A blank summary's charts are pictures in its own DOCX; copied into the rulebook, each
    must point at an image the rulebook holds, under a drawing id of its own (or Word reports
    the file unreadable and LibreOffice shows nothing)."""
    from docx.oxml.ns import qn
    from PIL import Image

    document = book.document
    related = document.part.related_parts
    blips = list(document.element.body.iter(qn("a:blip")))
    charts = sum(1 for name in ALL_FORMS
                 for item in load_form(Workspace.open(book.home), name).layout if "chart" in item)
    assert charts and len(blips) >= charts
    for blip in blips:
        picture = Image.open(io.BytesIO(related[blip.get(qn("r:embed"))].blob))
        assert picture.width > 100
    ids = [d.get("id") for d in document.element.body.iter(qn("wp:docPr"))]
    assert len(ids) == len(set(ids))


def test_each_figure_is_a_picture_of_the_pdfs_drawing_in_the_docx(book):
    """Every @figure of the sources is one picture in the DOCX, just above its caption, as
    wide as the text and shaped as the drawing the PDF carries (not a table of its words)."""
    from PIL import Image

    from generator.render.fonts import find_cjk_font
    from generator.rulebook.docx import CONTENT_CM
    from generator.rulebook.figures import drawing, load_figure
    from generator.rulebook.model import inspect

    workspace = Workspace.open(book.home)
    rulebook, problems = inspect(workspace)
    assert rulebook and not problems
    names = [line.split()[1] for name in chapter_files() for line in source_lines(name)
             if line.startswith("@figure ")]
    assert len(names) == 4
    paragraphs = book.document.paragraphs
    captions = [n for n, p in enumerate(paragraphs) if p.text.startswith("图：")]
    assert len(captions) == len(names)
    related = book.document.part.related_parts
    font = find_cjk_font(workspace.config)
    for number, name in zip(captions, names, strict=True):
        figure = load_figure(name, rulebook.figures, rulebook.lifecycle)
        assert paragraphs[number].text == f"图：{figure.title}"
        above = paragraphs[number - 1]._p
        # its line as high as the picture: not the body's exact leading, which would cut it
        assert paragraphs[number - 1].paragraph_format.line_spacing == 1.0, name
        (blip,) = list(above.iter(qn("a:blip")))
        (extent,) = list(above.iter(qn("wp:extent")))
        width, height = int(extent.get("cx")), int(extent.get("cy"))
        assert width == pytest.approx(docx.shared.Cm(CONTENT_CM), rel=0.001), name
        expected = drawing(figure, font.name, docx.shared.Cm(CONTENT_CM).pt)
        assert height / width == pytest.approx(expected.height / expected.width, rel=0.01)
        picture = Image.open(io.BytesIO(related[blip.get(qn("r:embed"))].blob))
        assert picture.width >= 1200  # sharp in print: about 200 dpi over the text's width
        assert picture.height / picture.width == pytest.approx(height / width, rel=0.01)
    tables = [t for t in book.document.tables if "已受理" in t._tbl.xml and "↓" in t._tbl.xml]
    assert not tables, "a chart is still drawn as a table"


def test_docx_has_the_same_chapters_as_headings_and_a_toc_field(book):
    document = book.document
    headings = [(p.style.name, p.text) for p in document.paragraphs
                if p.style.name in ("Heading 1", "Heading 2")]
    assert [text for style, text in headings if style == "Heading 1"] == CHAPTER_TITLES
    workspace = Workspace.open(book.home)
    # each chapter's Heading 2s: its sections and its forms, as in the PDF's outline
    by_chapter: dict[str, list[str]] = {}
    current = None
    for style, text in headings:
        if style == "Heading 1":
            current = text
            by_chapter[current] = []
        else:
            by_chapter[current].append(text)
    for name, title in zip(FILES, CHAPTER_TITLES, strict=True):
        assert by_chapter[title] == [t for t, _ in expected_children(name, workspace)], name
    instructions = [e.text or "" for e in document.element.body.iter(qn("w:instrText"))]
    assert any("TOC" in i for i in instructions), instructions


# --- cover, approval page, running header and footer, fonts ------------------------------------


def test_cover_and_approval_page(book):
    config = Workspace.open(book.home).config
    cover = squash(book.page(1))
    for text in (config["company"]["name"], "商品房售后服务中心管理制度汇编", VERSION, EFFECTIVE):
        assert squash(text) in cover, f"cover lacks {text}"
    approval = squash(book.page(2))
    assert "审批" in approval and "修订记录" in approval
    assert VERSION in approval and EFFECTIVE in approval  # this version in the revision history


def test_every_page_after_the_cover_has_the_header_and_page_x_of_y(book):
    company = Workspace.open(book.home).config["company"]["name"]
    total = len(book.pages)
    assert total > 40
    for number in range(2, total + 1):
        text = squash(book.page(number))
        assert company in text, f"page {number}: no running header"
        footer = f"第 {number} 页 共 {total} 页"
        assert squash(footer) in text, f"page {number}: no '{footer}'"


def test_every_font_is_embedded(book):
    need_tool("pdffonts", "poppler-utils")
    listing = subprocess.run(["pdffonts", str(book.pdf)], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    fonts = listing[2:]  # after the heading and the ---- line
    assert fonts, listing
    for line in fonts:
        # columns: name type encoding emb sub uni object ID — emb is the 5th from the end
        assert line.split()[-5] == "yes", f"font not embedded: {line}"


# --- placeholders from the configuration -------------------------------------------------------


CONFIG = """\
[company]
name = "测试地产有限公司"

[centre]
phone = "400-123-4567"

[promises]
onsite_hours = 12
"""


def test_placeholders_are_filled_from_the_configuration(book, tmp_path_factory):
    home = fresh_home(tmp_path_factory, "configured")
    (home / "aftersales.toml").write_text(CONFIG, "utf-8")
    configured = build_book(home)
    header = squash(f"测试地产有限公司 · {configured.reader.metadata.title}")
    pdf_all, docx_all = squash(configured.text), squash(configured.docx_text)

    # the company in the chapters themselves, not only in the running header
    preface = "".join(squash(configured.page(n)).replace(header, "")
                      for n in configured.chapter_pages("序言"))
    assert "测试地产有限公司" in preface
    body = "\n".join(p.text for p in configured.document.paragraphs)
    assert "测试地产有限公司" in body
    assert "400-123-4567" in squash(configured.chapter_text(CHAPTER_TITLES[15]))
    assert "400-123-4567" in docx_all
    assert "12小时" in pdf_all and "12小时" in docx_all
    assert "12小时" not in squash(book.text)  # not there by accident
    for text in (pdf_all, docx_all):
        assert "示例置业有限公司" not in text
        assert "400-800-1234" not in text
        assert "{{" not in text and "}}" not in text


# --- blank forms are the real ones -------------------------------------------------------------


def form_pages_text(built: Book, form_title: str) -> str:
    """The text of a form's pages: from its 附表 bookmark to the end of its chapter."""
    for chapter in CHAPTER_TITLES:
        for child in built.chapters[chapter].children:
            if child.title == f"附表：{form_title}":
                pages = range(child.page, built.chapter_pages(chapter).stop)
                return "\n".join(built.page(n) for n in pages)
    raise AssertionError(f"no bookmark for the form {form_title}")


def test_every_label_of_the_complaint_form_is_in_the_rulebook(book):
    form = load_form(Workspace.open(book.home), "complaint")
    page = squash(form_pages_text(book, form.title("zh")))
    labels = [fld.label("zh") for fld in form.fields.values()]
    assert len(labels) >= 10
    for label in labels:
        assert squash(label) in page, f"blank complaint form lacks {label}"
        assert squash(label) in squash(book.docx_text), f"DOCX lacks {label}"


def test_a_workspace_schema_changes_the_form_in_the_rulebook(book, tmp_path_factory):
    home = fresh_home(tmp_path_factory, "schema")
    (home / "schemas").mkdir()
    bundled = (REPO / "schemas" / "complaint.yaml").read_text("utf-8")
    assert "label: {zh: 紧急程度," in bundled
    (home / "schemas" / "complaint.yaml").write_text(
        bundled.replace("label: {zh: 紧急程度,", "label: {zh: 紧急级别,"), "utf-8")
    changed = build_book(home)
    title = load_form(Workspace.open(home), "complaint").title("zh")
    assert "紧急程度" in squash(form_pages_text(book, title))  # before
    assert "紧急级别" not in squash(book.text) + squash(book.docx_text)
    page = squash(form_pages_text(changed, title))
    assert "紧急级别" in page and "紧急程度" not in page
    assert "紧急级别" in squash(changed.docx_text)


# --- the procedure chart follows the lifecycle ------------------------------------------------


def test_the_procedure_chart_and_state_table_follow_the_lifecycle(book, tmp_path_factory):
    home = fresh_home(tmp_path_factory, "lifecycle")
    (home / "forms").mkdir()
    bundled = (REPO / "forms" / "_lifecycle.yaml").read_text("utf-8")
    assert bundled.count("{zh: 已派工,") == 1
    (home / "forms" / "_lifecycle.yaml").write_text(
        bundled.replace("{zh: 已派工,", "{zh: 已分派,"), "utf-8")
    changed = build_book(home)
    chapter = CHAPTER_TITLES[4]
    assert chapter.startswith("四、")
    before = squash(book.chapter_text(chapter))
    assert "已分派" not in before and before.count("已派工") >= 4
    after = squash(changed.chapter_text(chapter))
    # chart box, state table (its row, and as the next step of two states), and the prose,
    # which names states by {{ states.assigned }}: nothing still says 已派工
    assert after.count("已分派") >= 5, after
    assert "已派工" not in after
    pages = changed.chapter_pages(chapter)
    chart_page = changed.heading_pages("工作流程图", pages)[0]
    assert "已分派" in squash(changed.page(chart_page)), "the flowchart does not show 已分派"
    table_page = changed.heading_pages("工单状态", pages)[0]
    assert "已分派" in squash(changed.page(table_page) + changed.page(table_page + 1))
    assert squash(changed.docx_text).count("已分派") >= 4


# --- index, once per version, the same text twice ----------------------------------------------


def test_both_documents_are_indexed_as_the_controlled_version(book):
    assert book.report["record_no"] == VERSION
    assert {d["format"] for d in book.report["documents"]} == {"pdf", "docx"}
    listing = invoke(book.home, "index", "list", "--form", "rulebook", "--json")
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.output)
    assert len(rows) == 2
    assert {r["record_no"] for r in rows} == {VERSION}
    assert {r["format"] for r in rows} == {"pdf", "docx"}
    assert {r["path"] for r in rows} == {"output/rulebook/rulebook-v2.1.pdf",
                                         "output/rulebook/rulebook-v2.1.docx"}
    verify = invoke(book.home, "index", "verify")
    assert verify.exit_code == 0, verify.output
    assert verify.output.startswith("OK")


def test_a_built_version_is_never_rebuilt(book):
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in documents_in(book.home)}
    rows = invoke(book.home, "index", "list", "--json").output
    result = invoke(book.home, *BUILD)
    assert result.exit_code == 2
    assert "already built" in result.output
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size)
            for p in documents_in(book.home)} == before
    assert invoke(book.home, "index", "list", "--json").output == rows


def test_the_same_version_from_the_same_sources_builds_the_same_text(book, tmp_path_factory):
    again = build_book(fresh_home(tmp_path_factory, "again"))
    assert again.text == book.text
    assert again.docx_text == book.docx_text
    # reportlab runs with invariant=True: the PDF is the same byte for byte
    assert again.pdf.read_bytes() == book.pdf.read_bytes()
    # the DOCX's parts are identical (the zip entries' timestamps are the build's)
    with zipfile.ZipFile(again.docx) as a, zipfile.ZipFile(book.docx) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_a_bad_version_is_refused(home, run):
    result = run("rulebook", "build", "--version", "bad version!", "--effective", EFFECTIVE)
    assert result.exit_code == 2
    assert "--version" in result.output
    assert documents_in(home) == []


# --- rulebook check ----------------------------------------------------------------------------


def test_check_passes_on_the_bundled_sources(home, run):
    result = run("rulebook", "check")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    result = run("rulebook", "check", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == {"ok": True, "problems": []}


def own_outline(home: Path, edit) -> None:
    (home / "templates" / "rulebook").mkdir(parents=True, exist_ok=True)
    outline = yaml.safe_load((SOURCES / "rulebook.yaml").read_text("utf-8"))
    edit(outline)
    (home / "templates" / "rulebook" / "rulebook.yaml").write_text(
        yaml.safe_dump(outline, allow_unicode=True), "utf-8")


def own_chapter(home: Path, name: str, edit) -> None:
    (home / "templates" / "rulebook").mkdir(parents=True, exist_ok=True)
    text = (SOURCES / name).read_text("utf-8")
    changed = edit(text)
    assert changed != text
    (home / "templates" / "rulebook" / name).write_text(changed, "utf-8")


BROKEN = {
    "missing-file": (
        lambda home: own_outline(home, lambda o: o["chapters"].append("16-appendix.md")),
        ["chapter missing", "16-appendix.md", "does not exist"]),
    "dropped-chapter": (
        lambda home: own_outline(home, lambda o: o["chapters"].remove("05-site-survey.md")),
        ["chapter missing", "chapter 5 should follow chapter 4"]),
    "unknown-placeholder": (
        lambda home: own_chapter(home, "03-office-and-training.md", lambda t: t.replace(
            "{{ company.name }}", "{{ company.nmae }}", 1)),
        ["03-office-and-training.md", "unknown placeholder", "nmae"]),
    "unknown-form": (
        lambda home: own_chapter(home, "09-complaint-record.md",
                                 lambda t: t + "\n@form no-such-form\n"),
        ["09-complaint-record.md", "@form no-such-form", "no such form"]),
    "unknown-directive": (
        lambda home: own_chapter(home, "06-payment-flow.md",
                                 lambda t: t.replace("@figure payment", "@foo payment")),
        ["06-payment-flow.md", "unknown directive @foo"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_names_what_is_wrong(case, home, run):
    setup, expected = BROKEN[case]
    setup(home)
    result = run("rulebook", "check")
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output, f"{case}: {text!r} not in {result.output}"
    report = run("rulebook", "check", "--json")
    assert report.exit_code == 1
    problems = json.loads(report.output)["problems"]
    assert problems and any(expected[-1] in p for p in problems)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_build_with_broken_sources_writes_nothing(case, home, run):
    BROKEN[case][0](home)
    result = run(*BUILD)
    assert result.exit_code == 2, result.output
    assert "nothing was built" in result.output
    assert BROKEN[case][1][-1] in result.output
    assert documents_in(home) == []
    assert json.loads(run("index", "list", "--json").output) == []


def test_check_names_the_unknown_placeholder_as_written(home, run):
    """`{{ company.nmae }}` is reported as `company.nmae`, the name the clerk typed — not only
    as jinja's "'dict object' has no attribute 'nmae'"."""
    BROKEN["unknown-placeholder"][0](home)
    result = run("rulebook", "check")
    assert result.exit_code == 1
    assert "company.nmae" in result.output, result.output


# --- the DOCX in a real client -----------------------------------------------------------------


@pytest.mark.soffice
def test_the_docx_converts_in_libreoffice_with_every_chapter(book, tmp_path):
    converted = libreoffice_pdfs([book.docx], tmp_path, timeout=SOFFICE_TIMEOUT)[book.docx]
    text = squash(pdftotext(converted))
    workspace = Workspace.open(book.home)
    for title in CHAPTER_TITLES + [load_form(workspace, n).title("zh") for n in ALL_FORMS]:
        assert squash(title) in text, f"converted DOCX lacks {title}"
