"""Benchmark: time to build the whole rulebook as PDF and as DOCX (aim: PDF <= 2 s), next to
a bare reportlab page in the same run for scale.

Run by hand (never part of the test suite):  .venv/bin/python bench/rulebook.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fill import bare_reportlab_page, median_ms  # noqa: E402 (bench/fill.py beside this)
from pypdf import PdfReader  # noqa: E402

from generator.render.fonts import find_cjk_font  # noqa: E402
from generator.rulebook.docx import render_rulebook_docx  # noqa: E402
from generator.rulebook.model import edition, load  # noqa: E402
from generator.rulebook.pdf import render_rulebook_pdf  # noqa: E402
from generator.workspace import Workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace.open(home)
        font = find_cjk_font(workspace.config)
        effective = dt.date(2026, 12, 1)

        def pdf() -> bytes:
            book = load(workspace)
            return render_rulebook_pdf(workspace, book, edition(workspace, book, "1", effective),
                                       font)

        def docx() -> bytes:
            book = load(workspace)
            return render_rulebook_docx(workspace, book, edition(workspace, book, "1", effective))

        pages = len(PdfReader(io.BytesIO(pdf())).pages)  # warm-up, and the size for scale
        page = median_ms(lambda: bare_reportlab_page(font.name), 50)
        pdf_ms = median_ms(pdf, args.runs)
        docx_ms = median_ms(docx, args.runs)
    print(f"runs: {args.runs}")
    print(f"bare reportlab page          {page:8.1f} ms")
    print(f"rulebook PDF ({pages} pages)    {pdf_ms:8.1f} ms   (aim <= 2000 ms; "
          f"{pdf_ms / page:.0f}x one bare page)")
    print(f"rulebook DOCX                {docx_ms:8.1f} ms")


if __name__ == "__main__":
    main()
