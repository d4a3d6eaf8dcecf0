"""Benchmark: median time to fill one complaint (validate + DOCX + PDF + index) against a bare
reportlab one-page Chinese table drawn in the same run, and the wall time of `aftersales --help`.

Run by hand (never part of the test suite):  .venv/bin/python bench/fill.py [--count 200]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.documents.fill import fill
from generator.documents.forms import load_form
from generator.render.fonts import find_cjk_font
from generator.workspace import Workspace


def bare_reportlab_page(font_name: str) -> bytes:
    """The baseline: one A4 page, a title and a 10×4 table of Chinese text, embedded font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    style = ParagraphStyle("b", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    rows = [[Paragraph(f"字段{r}{c}：主卫生间顶棚渗水", style) for c in range(4)]
            for r in range(10)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, initialFontName=font_name)
    doc.build([Paragraph("投诉/咨询/建议记录表", style), Table(rows)])
    return buffer.getvalue()


def median_ms(action, count: int) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def help_wall_ms(count: int = 10) -> float:
    command = shutil.which("aftersales") or str(Path(sys.executable).parent / "aftersales")
    times = []
    for _ in range(count):
        start = time.perf_counter()
        subprocess.run([command, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200, help="documents per measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace.open(home)
        font = find_cjk_font(workspace.config)
        sample = load_form(workspace, "complaint").sample
        fill(workspace, "complaint", sample)  # warm-up: imports, font parsing, index creation
        bare_reportlab_page(font.name)

        baseline = median_ms(lambda: bare_reportlab_page(font.name), args.count)
        filled = median_ms(lambda: fill(workspace, "complaint", sample), args.count)
        pdf_only = median_ms(lambda: fill(workspace, "complaint", sample, formats="pdf"),
                             args.count)
        docx_only = median_ms(lambda: fill(workspace, "complaint", sample, formats="docx"),
                              args.count)
    help_ms = help_wall_ms()

    print(f"documents per measurement: {args.count}")
    print(f"bare reportlab page (baseline)   {baseline:8.1f} ms")
    print(f"fill complaint, DOCX + PDF       {filled:8.1f} ms   {filled / baseline:5.2f}x baseline"
          f"   (aim <= 3x)")
    print(f"fill complaint, PDF only         {pdf_only:8.1f} ms   {pdf_only / baseline:5.2f}x")
    print(f"fill complaint, DOCX only        {docx_only:8.1f} ms   {docx_only / baseline:5.2f}x")
    print(f"aftersales --help (wall)         {help_ms:8.1f} ms   (aim <= 200 ms)")


if __name__ == "__main__":
    main()
