"""Benchmark: an agreement packet — the minor-works agreement plus 20 attachment pages — built
and signed, beside a bare pypdf merge of the same pages in the same run.

The attachments are what an administrator attaches: a 10-page quote (PDF), 5 site photos (JPEG)
and a bill of quantities (XLSX) long enough for 5 pages, 20 pages in all. Measured, each as the
median of --runs after one untimed run:
1. converting the attachments to pages (`to_pdf`; photos and sheet drawn, the PDF as is);
2. a bare pypdf merge of the agreement and those pages (the baseline);
3. `assemble` — cover, parts, manifest page, a stamp on every page, bookmarks, embedded
   manifest — on the same converted pages;
4. `sign_pdf` of the assembled packet (PAdES, the test certificate's EC P-256 key);
5. the whole `packet build --sign` as a command runs it (reading, checking, converting,
   assembling, signing, filing and indexing), in a workspace of its own.
Aim: assemble + sign <= 2 × (bare merge) + one signature.

Run by hand (never part of the test suite):
    .venv/bin/python bench/packet.py [--pages 20] [--runs 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas


def median_ms(action, runs: int) -> float:
    action()  # untimed: imports, font loading
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def quote_pdf(path: Path, pages: int, font_name: str) -> None:
    canvas = Canvas(str(path), pagesize=A4, initialFontName=font_name)
    for page in range(pages):
        canvas.setFont(font_name, 10)
        for line in range(50):
            canvas.drawString(60, 780 - line * 14,
                              f"报价单第{page + 1}页第{line + 1}行：卫生间防水层拆除重做。")
        canvas.showPage()
    canvas.save()


def attachments(folder: Path, pages: int, font_name: str) -> list[Path]:
    """A quote of half the pages, a photo per quarter page, and a sheet for the rest."""
    quote_pages, photos = pages // 2, pages // 4
    quote_pdf(folder / "quote.pdf", quote_pages, font_name)
    files = [folder / "quote.pdf"]
    for number in range(photos):
        path = folder / f"site{number + 1}.jpg"
        Image.new("RGB", (2000, 1500), (90 + number * 20, 140, 190)).save(path, quality=85)
        files.append(path)
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "施工项目", "规格/做法", "单位", "数量", "单价（元）", "金额（元）"])
    for row in range(1, 40 * (pages - quote_pages - photos) - 20):
        sheet.append([row, f"卫生间地面拆除及清运 {row}", "拆至结构层，含地砖、找平层", "㎡", 4.5,
                      65, 292.5])
    book.save(folder / "qty.xlsx")
    return [*files, folder / "qty.xlsx"]


def bare_merge(pdfs: list[bytes]) -> bytes:
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--pages", type=int, default=20, help="attachment pages (20)")
    options.add_argument("--runs", type=int, default=7)
    args = options.parse_args()

    from generator.documents.fill import fill
    from generator.documents.forms import load_form
    from generator.packets.assemble import PacketInfo, assemble
    from generator.packets.packet import build
    from generator.packets.parts import part_from_bytes, read_attachment, to_pdf
    from generator.packets.signing import load_signer, make_test_cert, sign_pdf
    from generator.render.fonts import find_cjk_font
    from generator.workspace import Workspace

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "ws").mkdir()
        workspace = Workspace.open(root / "ws")
        font = find_cjk_font(workspace.config)
        complaint = load_form(workspace, "complaint").sample
        ticket = fill(workspace, "complaint", complaint, formats="pdf").ticket
        agreement_data = load_form(workspace, "minor-works-agreement").sample
        agreement = fill(workspace, "minor-works-agreement", agreement_data, ticket=ticket,
                         formats="pdf")
        agreement_pdf = (workspace.root / agreement.documents[0].path).read_bytes()
        files = attachments(root, args.pages, font.name)
        passphrase = b"bench"
        make_test_cert(root / "bench.p12", passphrase)
        signer = load_signer(root / "bench.p12", passphrase)

        parts = [part_from_bytes(1, "agreement.pdf", agreement_pdf, record_no="LX")]
        parts += [read_attachment(path, number) for number, path in enumerate(files, start=2)]
        convert = median_ms(lambda: [to_pdf(p, font=font) for p in parts[1:]], args.runs)
        pages = [(part, to_pdf(part, font=font)) for part in parts]
        counts = [len(PdfReader(io.BytesIO(pdf)).pages) for _, pdf in pages]
        info = PacketInfo("PK-2026-0001", ticket, "零星工程施工协议文件包",
                          ["示例置业有限公司", "示例市安居建筑装饰工程有限公司"], dt.date.today())
        bare = median_ms(lambda: bare_merge([pdf for _, pdf in pages]), args.runs)
        packet = assemble(info, pages, font=font)
        assembled = median_ms(lambda: assemble(info, pages, font=font), args.runs)
        signing = median_ms(lambda: sign_pdf(packet, signer), args.runs)

        os.environ.setdefault("AFTERSALES_SIGN_PASSPHRASE", passphrase.decode())
        whole = median_ms(lambda: build(workspace, agreement=agreement.record_no,
                                        attachments=[str(p) for p in files], signer=signer),
                          args.runs)
        workspace.close()

    attached = sum(counts[1:])
    print(f"packet: agreement ({counts[0]} pages) + {attached} attachment pages "
          f"({len(files)} files), {sum(counts) + 2} pages with cover and manifest")
    print(f"  convert attachments   {convert:8.1f} ms   (photos and sheet drawn; for reference)")
    print(f"  bare pypdf merge      {bare:8.1f} ms   baseline")
    print(f"  assemble              {assembled:8.1f} ms   {assembled / bare:.2f}× the bare merge")
    print(f"  sign (PAdES)          {signing:8.1f} ms")
    budget = 2 * bare + signing
    print(f"  assemble + sign       {assembled + signing:8.1f} ms   aim ≤ 2× merge + sign = "
          f"{budget:.1f} ms: {'met' if assembled + signing <= budget else 'NOT met'}")
    print(f"  packet build --sign   {whole:8.1f} ms   the whole command's work, filed and indexed")


if __name__ == "__main__":
    main()
