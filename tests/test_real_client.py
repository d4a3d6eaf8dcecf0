"""The documents in real clients: every DOCX aftersales writes converts with LibreOffice and the
values are in the result; every PDF it writes is A4, embeds subset TrueType fonts and numbers its
pages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.demo import retarget
from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import (
    body_text,
    expected_values,
    libreoffice_pdfs,
    need_tool,
    pdf_text,
    pdftotext,
    sample_forms,
    squash,
    write_sample,
)

FORMS = sample_forms()
A4 = (595.28, 841.89)  # points
SOFFICE_TIMEOUT = 180
LONG_ROWS = 60


# --- helpers -----------------------------------------------------------------------------------


def demo_reports(invoke, home: Path) -> dict[str, dict]:
    """`aftersales demo`: per form, its record number, ticket and document paths."""
    result = invoke("demo", "--json")
    assert result.exit_code == 0, result.output
    reports = {r["form"]: r for r in json.loads(result.output)}
    assert set(reports) == set(FORMS)
    for report in reports.values():
        report["paths"] = {d["format"]: home / d["path"] for d in report["documents"]}
        assert set(report["paths"]) == {"docx", "pdf"}
    return reports


def long_register(invoke, home: Path, workspace: Workspace, scratch: Path) -> dict:
    """A repair register whose table has LONG_ROWS rows: its fill report."""
    opened = invoke("fill", "complaint", "--data",
                    str(write_sample(scratch, "complaint")), "--json")  # the rows' ticket
    assert opened.exit_code == 0, opened.output
    form = load_form(workspace, "repair-register")
    data = retarget(form.sample, json.loads(opened.output)["ticket"])
    sample_rows = data[table_key(workspace)]
    data[table_key(workspace)] = [dict(sample_rows[i % len(sample_rows)])
                                  for i in range(LONG_ROWS)]
    data_file = scratch / "register.json"
    data_file.write_text(json.dumps(data, default=str, ensure_ascii=False), "utf-8")
    result = invoke("fill", "repair-register", "--data", str(data_file), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    report["paths"] = {d["format"]: home / d["path"] for d in report["documents"]}
    return report


def table_key(workspace: Workspace) -> str:
    form = load_form(workspace, "repair-register")
    return next(k for k, f in form.fields.items() if f.columns)


def header_labels(workspace: Workspace) -> list[str]:
    """Column headings of the register's table that appear nowhere else on a page (not 日期,
    which every signature line has)."""
    form = load_form(workspace, "repair-register")
    labels = [col.label("zh") for col in form.fields[table_key(workspace)].columns.values()]
    return labels[1:4]


def is_landscape(workspace: Workspace, name: str) -> bool:
    return load_form(workspace, name).definition.get("orientation") == "landscape"


def assert_a4(path: Path, landscape: bool) -> None:
    want = tuple(reversed(A4)) if landscape else A4
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(path).pages]
    assert sizes, f"{path.name} has no pages"
    for width, height in sizes:
        assert abs(width - want[0]) < 2 and abs(height - want[1]) < 2, \
            f"{path.name}: page {width:.1f}x{height:.1f} pt, not A4 {want}"


def page_texts(pdf: Path) -> list[str]:
    """pdftotext's text of each page (each page ends with a form feed)."""
    return pdftotext(pdf).split("\f")[: len(PdfReader(pdf).pages)]


def assert_page_numbers(pdf: Path) -> None:
    """'第 i 页 共 n 页' on every page (pdftotext closes up the spaces between CJK glyphs)."""
    texts = page_texts(pdf)
    for page, text in enumerate(texts, start=1):
        assert f"第{page}页共{len(texts)}页" in squash(text), \
            f"{pdf.name} page {page}: no '第 {page} 页 共 {len(texts)} 页'"


def assert_header_on_every_page(pdf: Path, labels: list[str], row_marker: str) -> None:
    """Every page that carries table rows (`row_marker` is in each row) has the headings; a last
    page holding only the signatures has no rows and needs none."""
    texts = page_texts(pdf)
    with_rows = [(page, text) for page, text in enumerate(texts, start=1)
                 if squash(row_marker) in squash(text)]
    assert len(with_rows) >= 2, f"{pdf.name}: {LONG_ROWS} rows fit on one page"
    missing = [(page, label) for page, text in with_rows for label in labels
               if squash(label) not in squash(text)]
    assert not missing, f"{pdf.name} ({len(texts)} pages): column headings missing on " \
                        f"(page, heading) {missing}"


def fonts(path: Path) -> list[dict[str, str]]:
    """`pdffonts` rows: name, type, emb, sub, uni."""
    need_tool("pdffonts", "poppler-utils")
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["name", "type"] and lines[1].startswith("---"), out
    rows = []
    for line in lines[2:]:
        # name, type (maybe two words: "CID TrueType"), encoding, emb, sub, uni, object, gen
        parts = line.split()
        rows.append({"name": parts[0], "type": " ".join(parts[1:-6]), "emb": parts[-5],
                     "sub": parts[-4], "uni": parts[-3]})
    return rows


# --- LibreOffice -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict:
    """One workspace with the demo's five records and a long register, every DOCX converted to
    PDF by ONE `soffice --headless --convert-to pdf` run with a private profile. Read-only for
    the tests that use it."""
    need_tool("soffice", "libreoffice-writer")
    root = tmp_path_factory.mktemp("real-client")
    home = root / "ws"
    home.mkdir()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)

    workspace = Workspace.open(home)
    reports = demo_reports(invoke, home)
    register = long_register(invoke, home, workspace, root)
    docx_files = [reports[name]["paths"]["docx"] for name in FORMS] + [register["paths"]["docx"]]
    pdfs = libreoffice_pdfs(docx_files, root, timeout=SOFFICE_TIMEOUT)
    return {"workspace": workspace, "reports": reports, "register": register, "pdfs": pdfs}


@pytest.mark.parametrize("name", FORMS)
def test_converted_docx_has_every_value(converted, name):
    workspace = converted["workspace"]
    report = converted["reports"][name]
    pdf = converted["pdfs"][report["paths"]["docx"]]
    form = load_form(workspace, name)
    text = squash(pdftotext(pdf))
    # the demo's one ticket; forms of no ticket have none, but their samples name it too
    ticket = converted["reports"]["complaint"]["ticket"]
    for fixed in (form.title("zh"), form.code, report["record_no"], report["ticket"] or "",
                  "示例置业有限公司", "商品房售后服务中心"):
        assert squash(fixed) in text, f"{name}: converted PDF lacks {fixed}"
    # pdftotext drops a hyphen that ends a line, so a value LibreOffice wrapped at a hyphen in a
    # narrow column ("2026-11-" / "29") comes back as "2026-1129"; pypdf keeps the hyphen.
    kept = squash(pdf_text(pdf))
    body = body_text(pdftotext(pdf))
    values = expected_values(workspace, name,
                             retarget(load_form(workspace, name).sample, ticket),
                             report["ticket"])
    assert values
    missing = [v for v in values
               if squash(v) not in text and squash(v) not in kept and squash(v) not in body]
    assert not missing, f"{name}: converted PDF lacks {missing}"


@pytest.mark.parametrize("name", FORMS)
def test_converted_docx_is_a4_with_page_numbers(converted, name):
    pdf = converted["pdfs"][converted["reports"][name]["paths"]["docx"]]
    assert_a4(pdf, landscape=is_landscape(converted["workspace"], name))
    assert_page_numbers(pdf)


def test_converted_long_table_repeats_its_header_row(converted):
    pdf = converted["pdfs"][converted["register"]["paths"]["docx"]]
    assert_a4(pdf, landscape=True)
    assert_page_numbers(pdf)
    assert_header_on_every_page(pdf, header_labels(converted["workspace"]), "3-2-1203")


# --- aftersales' own PDFs ----------------------------------------------------------------------


@pytest.fixture
def demo(run, home) -> dict[str, dict]:
    return demo_reports(run, home)


def test_pdf_fonts_are_embedded_subset_truetype(demo):
    for name in FORMS:
        rows = fonts(demo[name]["paths"]["pdf"])
        assert rows, f"{name}: pdffonts lists no font"
        unembedded = [r["name"] for r in rows if r["emb"] != "yes"]
        assert not unembedded, f"{name}: fonts not embedded: {unembedded}"
        for row in rows:
            assert row["sub"] == "yes", f"{name}: {row['name']} is not a subset"
            assert "TrueType" in row["type"], f"{name}: {row['name']} is {row['type']}"


def test_pdfs_are_a4_with_page_numbers(demo, workspace):
    for name in FORMS:
        pdf = demo[name]["paths"]["pdf"]
        landscape = is_landscape(workspace, name)
        assert_a4(pdf, landscape=landscape)
        pages = len(PdfReader(pdf).pages)
        # drawn with spaces, which pypdf keeps and pdftotext closes up between CJK glyphs
        assert f"第 1 页 共 {pages} 页" in pdf_text(pdf), f"{name}: no '第 1 页 共 {pages} 页'"
        assert_page_numbers(pdf)


def test_pdf_long_table_repeats_its_header_row(run, home, workspace, tmp_path):
    report = long_register(run, home, workspace, tmp_path)
    pdf = report["paths"]["pdf"]
    assert_a4(pdf, landscape=True)
    assert_page_numbers(pdf)
    assert_header_on_every_page(pdf, header_labels(workspace), "3-2-1203")
    fonts_ok = [r for r in fonts(pdf) if r["emb"] == "yes"]
    assert fonts_ok and len(fonts_ok) == len(fonts(pdf))
