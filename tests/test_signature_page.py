"""An agreement's signatures never stand alone on a page, and each party has room for its seal.

The clause text is lengthened a line at a time (a workspace copy of the clauses), so the
signature block meets every position of a page break; each agreement is filed at every length
and the page that holds the signatures is read back from the PDF and from the DOCX as
LibreOffice prints it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import (
    PrintedLine,
    libreoffice_pdfs,
    pdf_lines,
    squash,
    ticket_ready_for,
    write_sample,
)

AGREEMENTS = ["minor-works-agreement", "maintenance-agreement"]
# A page of clause text is some 40 one-line paragraphs: enough extra lines to move the
# signatures through a whole page.
EXTRA_LINES = range(0, 44)
EXTRA = "双方另行约定的其他事项第{}项，以双方书面确认的文件为准。"
CLOSING = "（以下无正文）"
SIGNATURE_PAGE = "（本页无正文，为签署页）"
SEAL_LABELS = ("甲方（盖章）", "乙方（盖章）")
SIGNATORY = "法定代表人或委托代理人"
SEAL_ROOM_PT = 4 * 72 / 2.54  # 4 cm
SOFFICE_TIMEOUT = 240


def lengthen(home: Path, name: str, lines: int) -> None:
    """The workspace's copy of the clauses with `lines` more paragraphs before the last
    article."""
    text = load_form(Workspace.open(None), name).clauses[name]
    head, marker, tail = text.rpartition("\n## ")
    extra = "".join(f"{EXTRA.format(n + 1)}\n" for n in range(lines))
    path = home / "templates" / "clauses" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}\n{extra}{marker.lstrip()}{tail}" if lines else text, "utf-8")


@pytest.fixture(scope="module")
def filed(tmp_path_factory) -> dict[str, list[dict[str, Path]]]:
    """Each agreement filed at every length: per agreement, the documents of each (PDF and
    DOCX paths by format), shortest first."""
    root = tmp_path_factory.mktemp("signature-page")
    home = root / "ws"
    home.mkdir()
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(cli, [*args, "--home", str(home), "--json"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    ticket = run("fill", "complaint", "--data", str(write_sample(root, "complaint")))["ticket"]
    documents: dict[str, list[dict[str, Path]]] = {}
    for name in AGREEMENTS:
        ticket_ready_for(home, ticket, name)
        data = str(write_sample(root, name, ticket=ticket))
        documents[name] = []
        for lines in EXTRA_LINES:
            lengthen(home, name, lines)
            report = run("fill", name, "--data", data, "--ticket", ticket,
                         "--format", "pdf,docx")
            documents[name].append({d["format"]: home / d["path"] for d in report["documents"]})
        lengthen(home, name, 0)
    return documents


def signature_page(pdf: Path) -> tuple[int, list[PrintedLine]]:
    """The page (counted from the end: -1 is the last) that holds the signatures, and its
    lines; fails unless every signature line is on that one page. The signatures end the
    agreement, so the last two pages are read."""
    pages = pdf_lines(pdf, last=2)
    holding = [n for n, lines in enumerate(pages, -len(pages))
               if any(SIGNATORY in line.text or any(label in line.text for label in SEAL_LABELS)
                      for line in lines)]
    assert len(holding) == 1, f"{pdf.name}: signature lines on pages {holding} (from the end)"
    return holding[0], pages[holding[0]]


def check_signature_page(pdf: Path) -> None:
    number, lines = signature_page(pdf)
    text = squash("".join(line.text for line in lines))
    assert CLOSING in text or SIGNATURE_PAGE in text, \
        f"{pdf.name}: the signatures stand alone on page {number}"
    for label in SEAL_LABELS:
        assert squash(label) in text, f"{pdf.name}: no {label} on page {number}"
    labels = [line for line in lines if any(label in squash(line.text) for label in SEAL_LABELS)]
    signatories = [line for line in lines if SIGNATORY in line.text]
    assert len(labels) == 1 and len(signatories) == 1, "the parties stand side by side"
    # the clear room between the seal line's foot and the top of the signatory's line
    room = labels[0].y - signatories[0].y - signatories[0].size
    assert room >= SEAL_ROOM_PT, f"{pdf.name}: {room / 72 * 2.54:.1f} cm for the seal"


@pytest.mark.parametrize("name", AGREEMENTS)
def test_the_pdf_signature_page_holds_the_last_clause_and_room_for_seals(filed, name):
    pages = set()
    for documents in filed[name]:
        check_signature_page(documents["pdf"])
        pages.add(len(PdfReader(documents["pdf"]).pages))
    assert len(pages) > 1, "the extra lines never moved the signatures over a page break"


@pytest.mark.soffice
def test_the_docx_signature_page_holds_the_last_clause_and_room_for_seals(filed, tmp_path):
    # every second length: LibreOffice takes over half a second a file, and the signatures
    # would stand alone at several lengths in a row
    docx_files = [documents["docx"] for name in AGREEMENTS for documents in filed[name][::2]]
    pages = set()
    for converted in libreoffice_pdfs(docx_files, tmp_path, timeout=SOFFICE_TIMEOUT).values():
        check_signature_page(converted)
        pages.add(len(PdfReader(converted).pages))
    assert len(pages) > 1, "the extra lines never moved the signatures over a page break"
