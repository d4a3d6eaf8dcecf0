"""The DOCX the twin of the PDF: converted by a real LibreOffice, every document of the demo,
every blank form and the rulebook has the PDF's page count (within 5%), its text in the PDF's
font, the running header laid out as the PDF's, signature lines, and a rulebook cover without
header or page number; a customised template's picture survives into the rulebook DOCX."""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.blanks import write_blank
from generator.documents.forms import list_forms, load_form
from generator.render.fonts import find_cjk_font
from generator.workspace import Workspace
from tests.conftest import libreoffice_pdfs, need_tool, pdftotext

SOFFICE_TIMEOUT = 300
RULEBOOK = ("rulebook", "build", "--version", "1.0", "--effective", "2026-12-01")


def _invoker(home: Path):
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> dict:
    """One workspace with the demo (`demo --packet`), every form blank and the rulebook: each
    DOCX with its PDF and the PDF LibreOffice made of the DOCX (one soffice call for all)."""
    need_tool("soffice", "libreoffice-writer")
    root = tmp_path_factory.mktemp("twins")
    home = root / "ws"
    home.mkdir()
    invoke = _invoker(home)
    invoke("demo", "--packet")
    invoke(*RULEBOOK)
    workspace = Workspace.open(home)
    for name in list_forms(workspace):
        write_blank(workspace, name, home / "blank-forms", ["docx", "pdf"])
    docx_files = sorted([*(home / "output").rglob("*.docx"),
                         *(home / "blank-forms").glob("*.docx")])
    converted = libreoffice_pdfs(docx_files, root, timeout=SOFFICE_TIMEOUT)
    return {"workspace": workspace, "home": home,
            "pairs": {path: (path.with_suffix(".pdf"), converted[path]) for path in docx_files}}


def pages(pdf: Path) -> int:
    return len(PdfReader(str(pdf)).pages)


def test_page_counts_of_docx_and_pdf_agree(twins):
    """Within 5%: the same for any document under 20 pages."""
    pairs = twins["pairs"]
    names = {path.parent.name + "/" + path.stem for path in pairs}
    assert any("rulebook" in n for n in names) and any("blank-forms" in n for n in names)
    assert len(pairs) >= 2 * len(list_forms(twins["workspace"]))  # demo and blank of each
    counts = {f"{path.parent.name}/{path.stem}": (pages(ours), pages(theirs))
              for path, (ours, theirs) in pairs.items()}
    apart = {name: f"PDF {pdf}, DOCX {docx_pages}" for name, (pdf, docx_pages) in counts.items()
             if abs(docx_pages - pdf) > 0.05 * pdf}
    assert not apart, f"page counts differ: {apart}"


def test_docx_names_the_pdf_font_for_every_script(twins):
    """The document's default font is the family of the PDF's font for Latin, CJK and complex
    text (no theme font that Word would prefer), and no style or run names another one."""
    family = find_cjk_font(twins["workspace"].config).family
    for path in twins["pairs"]:
        document = docx.Document(str(path))
        fonts = document.styles.element.find(qn("w:docDefaults")).find(
            f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
        assert dict(fonts.attrib) == {qn(f"w:{script}"): family
                                      for script in ("ascii", "hAnsi", "eastAsia", "cs")}, path
        named = {value for part in (document.styles.element, document.element.body)
                 for element in part.iter(qn("w:rFonts")) for value in element.attrib.values()}
        assert named == {family}, f"{path.name}: fonts named {named}"


def test_converted_docx_draws_everything_in_the_pdf_font(twins):
    """LibreOffice draws digits and Latin letters in the CJK font too: the converted PDF lists
    that one font only, as our PDF does (no serif fallback)."""
    need_tool("pdffonts", "poppler-utils")
    family = re.sub(r"\s", "", find_cjk_font(twins["workspace"].config).family)
    for path, (_, converted) in twins["pairs"].items():
        listing = subprocess.run(["pdffonts", str(converted)], capture_output=True, text=True,
                                 check=True).stdout.splitlines()[2:]
        names = {line.split()[0].split("+")[-1] for line in listing}
        assert names == {family}, f"{path.name}: LibreOffice drew in {names}"


def _words(pdf: Path, page: int) -> list[tuple[float, float, float, str]]:
    """(xMin, yMin, xMax, text) of each word pdftotext finds on `page` (1-based)."""
    need_tool("pdftotext", "poppler-utils")
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(x0), float(y0), float(x1), text) for x0, y0, x1, text in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        out)]


def _find(words, prefix: str) -> tuple[float, float, float, str]:
    found = [w for w in words if w[3].startswith(prefix)]
    assert found, f"no word starting {prefix!r} in {[w[3] for w in words]}"
    return found[0]


@pytest.mark.parametrize("form_name", ["site-survey", "repair-register"])  # portrait, landscape
def test_running_header_as_the_pdf(twins, form_name):
    """Company · centre at the left margin, the service phone ending at the right one (where
    the PDF puts them, within 2 pt), the page number centred in the footer."""
    home = twins["home"]
    path = next((home / "output").rglob(f"{form_name}_*.docx"))
    ours, theirs = twins["pairs"][path]
    width = float(PdfReader(str(ours)).pages[0].mediabox.width)
    for pdf in (ours, theirs):
        words = _words(pdf, 1)
        company, phone = _find(words, "示例置业有限公司"), _find(words, "服务电话")
        assert company[0] == pytest.approx(51.02, abs=2), pdf
        assert phone[2] == pytest.approx(width - 51.02, abs=2), f"{pdf}: phone not at the right"
        assert company[1] < 45 and phone[1] < 45  # at the top, above the text
        page = _find(words, "第")
        assert (page[0] + _find(words, "共")[2]) / 2 == pytest.approx(width / 2, abs=25), pdf


def test_header_rule_and_signature_lines_in_the_docx(twins):
    """A grey rule under the running header (the paragraph's bottom border), and a line to
    sign on under each signature (the signature cell's bottom border); a sealed block's lines
    are drawn as the PDF's: ________."""
    home = twins["home"]
    survey = docx.Document(str(next((home / "output").rglob("site-survey_*.docx"))))
    rule = survey.sections[0].header.paragraphs[0]._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule is not None and rule.get(qn("w:val")) == "single"
    signatures = survey.tables[-1]
    lines = [cell._tc.tcPr.find(f"{qn('w:tcBorders')}/{qn('w:bottom')}")
             for cell in signatures.columns[0].cells]
    assert len(lines) == 2 and all(line is not None and line.get(qn("w:val")) == "single"
                                   for line in lines)
    blank = twins["pairs"][home / "blank-forms" / "maintenance-agreement.docx"][1]
    assert pdftotext(blank).count("________") >= 2


def test_rulebook_cover_has_no_header_or_page_number(twins):
    home = twins["home"]
    path = next((home / "output").rglob("rulebook-*.docx"))
    converted = twins["pairs"][path][1]
    cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(converted), "-"],
                           capture_output=True, text=True, check=True).stdout
    following = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(converted), "-"],
                               capture_output=True, text=True, check=True).stdout
    assert "商品房售后服务中心管理制度汇编" in cover
    assert "受控文件" in cover and "未经批准不得复制" in cover
    assert "版本 1.0" not in cover and not re.search(r"第\s*\d+\s*页", cover)
    assert "版本 1.0" in following and re.search(r"第\s*2\s*页\s*共\s*\d+\s*页", following)


def _png(width: int, height: int) -> bytes:
    """A small red PNG, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\0" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_customised_template_picture_survives_into_the_rulebook_docx(tmp_path):
    """A logo added to a workspace's copy of a form's template is in the rulebook DOCX — the
    picture's part and the relationship its drawing names — and LibreOffice draws it."""
    need_tool("pdfimages", "poppler-utils")
    home = tmp_path / "ws"
    home.mkdir()
    invoke = _invoker(home)
    workspace = Workspace.open(home)
    form = load_form(workspace, "complaint")
    logo = _png(40, 20)
    template = docx.Document(str(workspace.find("templates", form.template_name)))
    first = template.paragraphs[0]
    picture = first.insert_paragraph_before()
    picture.add_run().add_picture(io.BytesIO(logo), width=docx.shared.Cm(2))
    (home / "templates").mkdir()
    template.save(str(home / "templates" / form.template_name))
    result = invoke(*RULEBOOK, "--format", "docx", "--json")
    rulebook = home / json.loads(result.output)["documents"][0]["path"]

    document = docx.Document(str(rulebook))
    embedded = [blip.get(qn("r:embed")) for blip in document.element.body.iter(qn("a:blip"))]
    images = [document.part.related_parts[rid].blob for rid in embedded]
    assert logo in images, "the template's picture is not in the rulebook DOCX"

    converted = libreoffice_pdfs([rulebook], tmp_path, timeout=SOFFICE_TIMEOUT)[rulebook]
    listing = subprocess.run(["pdfimages", "-list", str(converted)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert any(line.split()[3:5] == ["40", "20"] for line in listing), listing
