"""Benchmark: median time to assemble a packet (cover, parts, manifest, a stamp on every page,
bookmarks, embedded manifest) against a bare pypdf merge of the same parts' pages.

Run by hand (never part of the test suite):
    .venv/bin/python bench/packet_assembly.py [--parts 5] [--pages 40] [--count 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import time

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from generator.packets.assemble import PacketInfo, assemble
from generator.packets.parts import part_from_bytes
from generator.render.fonts import find_cjk_font
from generator.workspace import DEFAULT_CONFIG


def text_pdf(pages: int, font_name: str) -> bytes:
    """A part: pages of 50 lines of Chinese text each, embedded font."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font_name)
    for page in range(pages):
        canvas.setFont(font_name, 10)
        for line in range(50):
            canvas.drawString(60, 780 - line * 14,
                              f"第{page}页第{line}行：卫生间顶棚渗水，需重做防水层并修补吊顶。")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def bare_merge(pdfs: list[bytes]) -> bytes:
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def median_ms(action, count: int) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--parts", type=int, default=5)
    options.add_argument("--pages", type=int, default=40, help="pages per part")
    options.add_argument("--count", type=int, default=7)
    args = options.parse_args()
    font = find_cjk_font(DEFAULT_CONFIG)
    pdfs = [text_pdf(args.pages, font.name) for _ in range(args.parts)]
    parts = [(part_from_bytes(n, f"part{n}.pdf", pdf), pdf) for n, pdf in enumerate(pdfs, 1)]
    info = PacketInfo("PK-2026-0001", "SH-2026-000123", "零星工程施工协议文件包",
                      ["甲方：示例置业有限公司", "乙方：某某装饰工程有限公司"], dt.date(2026, 3, 5))
    bare = median_ms(lambda: bare_merge(pdfs), args.count)
    packet = median_ms(lambda: assemble(info, parts, font=font), args.count)
    pages = args.parts * args.pages
    print(f"{pages} pages: bare pypdf merge {bare:.1f} ms, packet {packet:.1f} ms "
          f"({packet / bare:.2f}×)")


if __name__ == "__main__":
    main()
