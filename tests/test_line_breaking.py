"""Chinese line breaking (CLREQ; GB/T 15834): no line starts with closing punctuation or ends
with opening punctuation, and a Latin run (a date, a ticket number, a room, an amount) is not
cut — in the PDFs reportlab draws and in the DOCX as LibreOffice lays it out. Measured on the
printed lines (pdftotext's word boxes), never by looking."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import SimpleDocTemplate

from generator.cli import cli
from generator.render.docx_template import chinese_line_breaking
from generator.render.fonts import find_cjk_font
from generator.render.linebreak import break_lines, may_break
from generator.render.paragraph import ChineseParagraph
from generator.render.pdf import MARGIN, para
from generator.workspace import DEFAULT_CONFIG
from tests.conftest import REPO, libreoffice_pdfs, need_tool, sample_forms, squash

# The rule as this test states it, apart from the module's own tables.
CLOSING = "，。、；：？！）》」』】〕…’”,.;:?!)]"
OPENING = "（《「『【〔‘“(["
UNITS = {"%", "‰", "℃"}  # a unit column's cell holds one alone
LEADER = re.compile(r"^[.\s]*\d*$")  # a contents entry's dot leader and page number
FRAME_PADDING = 6  # reportlab's, on each side of a page's frame


# --- the rule, on text whose every character is 1 wide ------------------------------------------


def lines(text: str, width: float, first: float | None = None) -> list[str]:
    widths = [1.0] * len(text)
    return [text[line.start:line.end]
            for line in break_lines(text, widths, [first or width, width])]


@pytest.mark.parametrize(("text", "width", "expected"), [
    # a full stop that does not fit hangs at the end of its line rather than start the next
    ("一二三四。五六", 4, ["一二三四。", "五六"]),
    # a comma takes the character before it down with it
    ("一二三四，五六", 4, ["一二三", "四，五六"]),
    # one mark may hang, not two: the character before them goes down with them
    ("一二三四）。五", 4, ["一二三", "四）。五"]),
    ("一二三四：“五”", 4, ["一二三", "四：", "“五”"]),
    # an opening mark never ends a line
    ("一二三（四五）", 4, ["一二三", "（四五）"]),
    ("一二三《四》", 4, ["一二三", "《四》"]),
    ("一二三“四”", 4, ["一二三", "“四”"]),
    # a unit stays with its number
    ("合格率为98.5%", 8, ["合格率为", "98.5%"]),
    # Latin runs are words: the date, the ticket number and the room go down whole
    ("受理日期2026-11-29", 12, ["受理日期", "2026-11-29"]),
    ("工单SH-2026-000001已受理", 15, ["工单", "SH-2026-000001已", "受理"]),
    ("房号3-2-1203漏水", 8, ["房号", "3-2-1203", "漏水"]),
    ("金额12.50元", 5, ["金额", "12.50", "元"]),
    # …unless one alone is wider than the line: then it is cut where it overflows
    ("ABCDEFGHIJ", 4, ["ABCD", "EFGH", "IJ"]),
    ("码ABCDEFGH，", 4, ["码", "ABCD", "EFG", "H，"]),
    # "——" and "……" are never split; "……" does not start a line either
    ("一二三——四", 4, ["一二三", "——四"]),
    ("一二三……", 4, ["一二", "三……"]),
    # spaces are break opportunities and stay, unseen, at the end of their line
    ("ab cd ef", 4, ["ab ", "cd ", "ef"]),
    ("签字：\u00a0\u00a0 \u00a0日期：", 7, ["签字：\u00a0\u00a0 \u00a0", "日期："]),
    # a forced break ends its line; a hanging mark takes it along rather than leave a blank
    ("一二\n三", 4, ["一二\n", "三"]),
    ("一二三四。\n五", 4, ["一二三四。\n", "五"]),
    # a full line with its comma exactly at the end is one line
    ("一二三，", 4, ["一二三，"]),
])
def test_break_rule(text, width, expected):
    assert lines(text, width) == expected


def test_the_first_line_has_its_own_width():
    assert lines("一二三四五六七", 5, first=3) == ["一二三", "四五六七"]


def test_hanging_marks_and_spaces_do_not_count_in_a_lines_width():
    text = "一二三四。五六七 八九"
    widths = [1.0] * len(text)
    assert [line.width for line in break_lines(text, widths, [4])] == [4, 3, 2]


@pytest.mark.parametrize(("text", "index", "allowed"), [
    ("一，", 1, False), ("（一", 1, False), ("一二", 1, True), ("a b", 2, True),
    ("a\u00a0b", 2, False), ("12", 1, False), ("一1", 1, True), ("——", 1, False),
    ("9%", 1, False), ("￥5", 1, False), ("a-b", 2, False),
])
def test_may_break(text, index, allowed):
    assert may_break(text, index) is allowed


# --- reading printed lines ---------------------------------------------------------------------


def printed_lines(pdf: Path) -> list[tuple[int, str]]:
    """Each line of text as pdftotext lays it out (-bbox-layout), cut where two words stand
    more than a character's height apart: cells side by side are lines of their own."""
    need_tool("pdftotext", "poppler-utils")
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                          capture_output=True).stdout
    found = []
    root = ElementTree.fromstring(html)
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), 1):
        for line in page.iter("{http://www.w3.org/1999/xhtml}line"):
            words, end = [], None
            for word in line.iter("{http://www.w3.org/1999/xhtml}word"):
                start, height = float(word.get("xMin")), float(word.get("yMax")) - float(
                    word.get("yMin"))
                if end is not None and start - end > 0.9 * height:
                    found.append((number, " ".join(words)))
                    words = []
                words.append(word.text or "")
                end = float(word.get("xMax"))
            found.append((number, " ".join(words)))
    return found


def misbroken(pdf: Path) -> list[str]:
    """The printed lines that start with closing punctuation or end with opening punctuation
    (a contents entry's leader dots and a unit alone in its cell aside)."""
    bad = []
    for page, text in printed_lines(pdf):
        text = text.strip()
        if not text or LEADER.match(text) or text in UNITS:
            continue
        if text[0] in CLOSING or text[-1] in OPENING:
            bad.append(f"{pdf.name} page {page}: {text}")
    return bad


# --- the PDF's paragraphs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def font_name() -> str:
    return find_cjk_font(DEFAULT_CONFIG).name


def pdf_of(paragraphs: list, path: Path, font_name: str) -> Path:
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, initialFontName=font_name)
    doc.build(paragraphs)
    return path


def test_a_comma_just_past_the_line_end_takes_a_character_down_and_opening_brackets_go_down(
        tmp_path, font_name):
    """Ten characters fill the line; what follows is a comma (reportlab let it start the next
    line), a closing pair, an opening bracket after nine, a date across the edge."""
    style = ParagraphStyle("body", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    width = 100.0  # ten 10-point Chinese characters
    texts = {
        "comma": "一二三四五六七八九十，十一十二",
        "closing pair": "一二三四五六七八九十）。十一",
        "opening": "一二三四五六七八九《十一》",
        "date": "受理日期为二〇二六年2026-11-29，请知悉",
        "spaces": "一二三四五六七八九十 十一",
    }
    broken = {}
    for name, text in texts.items():
        paragraph = para(text, style)
        paragraph.wrap(width, 1000)
        broken[name] = ["".join(w.text for w in line.words) for line in paragraph.blPara.lines]
    assert broken == {
        "comma": ["一二三四五六七八九", "十，十一十二"],
        "closing pair": ["一二三四五六七八九", "十）。十一"],
        "opening": ["一二三四五六七八九", "《十一》"],
        "date": ["受理日期为二〇二六年", "2026-11-29，请知悉"],
        "spaces": ["一二三四五六七八九十 ", "十一"],
    }
    # the same, printed: no misbroken line, and every character there once
    frame = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
    narrow = ParagraphStyle("narrow", parent=style, rightIndent=frame - width)
    pdf = pdf_of([para(text, narrow) for text in texts.values()], tmp_path / "forced.pdf",
                 font_name)
    assert misbroken(pdf) == []
    printed = [text for _, text in printed_lines(pdf)]
    assert printed[:2] == ["一二三四五六七八九", "十，十一十二"]
    assert squash("".join(printed)) == squash("".join(texts.values()))


def test_centred_and_right_aligned_lines_ignore_a_trailing_space(font_name):
    style = ParagraphStyle("c", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    paragraph = para("一二三四五六七八九 十", style)
    paragraph.wrap(95, 1000)
    first = paragraph.blPara.lines[0]
    assert first.extraSpace == pytest.approx(5)  # 95 - nine characters; the space hangs


def test_a_paragraph_split_across_pages_keeps_its_characters(font_name):
    """reportlab's split put a space at each line end of the part that goes to the next page;
    Chinese has none, and the breaks must stay where they were."""
    style = ParagraphStyle("body", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    text = "售后服务中心应在受理后二十四小时内联系业主，约定上门时间。" * 12
    paragraph = ChineseParagraph(text, style)
    paragraph.wrap(200, 10_000)
    whole = ["".join(w.text for w in line.words) for line in paragraph.blPara.lines]
    first, rest = paragraph.split(200, 14 * 5)
    assert "".join(frag.text for frag in rest.frags) == "".join(whole[5:])
    rest.wrap(200, 10_000)
    assert ["".join(w.text for w in line.words) for line in rest.blPara.lines] == whole[5:]


def test_line_breaks_written_in_the_text_are_kept(font_name):
    style = ParagraphStyle("body", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    paragraph = para("第一行\n\n第三行", style)
    paragraph.wrap(200, 1000)
    assert ["".join(w.text for w in line.words) for line in paragraph.blPara.lines] == [
        "第一行", "", "第三行"]


def test_the_pdfs_text_comes_out_as_it_went_in(tmp_path, font_name):
    """No character added or dropped by the breaking (Latin, spaces kept inside a line)."""
    style = ParagraphStyle("body", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    text = ("业主张伟（3-2-1203）于 2026-11-29 09:30 来电，工单 SH-2026-000001；"
            "维修费用 1,250.00 元，约占合同价款的 2.5%。") * 4
    pdf = pdf_of([para(text, style)], tmp_path / "text.pdf", font_name)
    assert squash("".join(t for _, t in printed_lines(pdf))) == squash(text)


# --- the bundled documents ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    """The demo (every sample form, the agreements packet) and the rulebook, in one fresh
    workspace. Read-only."""
    home = tmp_path_factory.mktemp("line-breaking") / "ws"
    home.mkdir()
    runner = CliRunner()
    for args in (("demo", "--packet", "--json"),
                 ("rulebook", "build", "--version", "1.0", "--effective", "2026-12-01")):
        result = runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return home


def outputs(home: Path, suffix: str) -> list[Path]:
    return sorted((home / "output").rglob(f"*{suffix}"))


def test_no_pdf_line_starts_with_closing_or_ends_with_opening_punctuation(demo_home):
    pdfs = outputs(demo_home, ".pdf")
    made = {path.name.split("_")[0] for path in pdfs}
    assert set(sample_forms()) | {"packet", "rulebook-v1.0.pdf"} <= made, made
    assert [line for pdf in pdfs for line in misbroken(pdf)] == []


# --- the DOCX, as Word and LibreOffice lay it out -----------------------------------------------


def marks_chinese(document) -> bool:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    language = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    kinsoku = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:kinsoku')}")
    return language.get(qn("w:eastAsia")) == "zh-CN" and kinsoku is not None


@pytest.mark.parametrize("template", sorted(p.name for p in (REPO / "templates").glob("*.docx")))
def test_bundled_templates_mark_their_text_chinese(template):
    assert marks_chinese(docx.Document(str(REPO / "templates" / template)))


def test_filled_documents_and_the_rulebook_mark_their_text_chinese(demo_home):
    documents = outputs(demo_home, ".docx")
    assert any(path.name.startswith("rulebook") for path in documents)
    assert [path.name for path in documents if not marks_chinese(docx.Document(str(path)))] == []


@pytest.mark.soffice
def test_no_line_of_the_rulebook_or_agreements_docx_breaks_against_the_rules(
        demo_home, tmp_path):
    documents = [path for path in outputs(demo_home, ".docx")
                 if path.name.startswith("rulebook") or "agreement" in path.name]
    assert len(documents) >= 3, documents
    converted = libreoffice_pdfs(documents, tmp_path)
    assert [line for pdf in converted.values() for line in misbroken(pdf)] == []


@pytest.mark.soffice
def test_chinese_marked_text_keeps_the_middle_dot_off_a_lines_start(tmp_path):
    """LibreOffice breaks unmarked (en-US) East-Asian text by Unicode's rules, which let "·"
    start a line; marked zh-CN, by its Chinese forbidden characters, which do not."""
    files = []
    for marked in (True, False):
        document = docx.Document()
        if marked:
            chinese_line_breaking(document)
        document.add_paragraph("售后·" * 200)
        path = tmp_path / f"{'zh' if marked else 'en'}.docx"
        document.save(str(path))
        files.append(path)
    converted = libreoffice_pdfs(files, tmp_path)
    starts = {path.stem: [text.strip()[0] for _, text in printed_lines(pdf) if text.strip()]
              for path, pdf in converted.items()}
    assert "·" not in starts["zh"]
    assert "·" in starts["en"]  # the control: without the marking the case does arise

