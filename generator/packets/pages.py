"""The packet's own pages: the cover sheet with its table of contents, and the manifest that
lists every part with the SHA-256 of the bytes it was given as. Both are drawn from the manifest
data that the PDF also embeds, so what is printed and what a program reads cannot differ."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from generator.render.columns import widths_at
from generator.render.fonts import CJKFont
from generator.render.pdf import LABEL_SHADE, MARGIN, para

if TYPE_CHECKING:
    from generator.packets.assemble import PacketInfo

WIDTH = A4[0] - 2 * MARGIN

WORDS = {
    "zh": {
        "cover": "封面", "manifest": "清单", "contents": "目录", "number": "序号",
        "title": "名称", "file": "文件", "pages": "页码", "size": "大小",
        "packet_no": "文件包编号", "ticket": "工单号", "parties": "当事方", "date": "日期",
        "manifest_title": "文件清单", "bytes": "{size:,} 字节",
        "note": "SHA-256 为各部分原始文件的校验值。本清单同时以 manifest.json 嵌入本 PDF，供核验。",
        "page": "第 {page} 页 共 {total} 页",
        "stamp": "工单 {ticket}　文件包 {packet}　{page}",
    },
    "en": {
        "cover": "Cover", "manifest": "Manifest", "contents": "Contents", "number": "No.",
        "title": "Title", "file": "File", "pages": "Pages", "size": "Size",
        "packet_no": "Packet no.", "ticket": "Ticket", "parties": "Parties", "date": "Date",
        "manifest_title": "Manifest", "bytes": "{size:,} bytes",
        "note": "SHA-256 is the checksum of each part's original file. This manifest is also "
                "embedded in this PDF as manifest.json, for verification.",
        "page": "Page {page} of {total}",
        "stamp": "Ticket {ticket}   Packet {packet}   {page}",
    },
}


class _Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=11)
        self.cover_title = ParagraphStyle("cover", parent=base, fontSize=24, leading=34,
                                          alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontSize=16, leading=22,
                                    alignment=TA_CENTER)
        self.meta = ParagraphStyle("meta", parent=base, fontSize=9, leading=12,
                                   alignment=TA_CENTER)
        self.heading = ParagraphStyle("heading", parent=base, fontSize=13, leading=20,
                                      spaceAfter=6)


def page_range(pages: list[int]) -> str:
    first, last = pages
    return str(first) if first == last else f"{first}–{last}"


def _grid(rows: list[list], widths: list[float], font: str, header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TableStyle([
        # plain-string cells would be drawn in Helvetica, listed in the PDF unembedded
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        *([("BACKGROUND", (0, 0), (-1, 0), LABEL_SHADE)] if header else []),
    ]))
    return table


def cover_pdf(info: PacketInfo, manifest: dict, manifest_pages: list[int], font: CJKFont) -> bytes:
    """Title, packet and ticket numbers, parties, date and the table of contents with the
    packet page numbers of every part and of the manifest."""
    words, st = WORDS[info.language], _Styles(font.name)
    details = [
        (words["packet_no"], info.packet_no),
        (words["ticket"], info.ticket),
        (words["parties"], "\n".join(info.parties)),
        (words["date"], info.created.isoformat()),
    ]
    details_table = Table([[para(label, st.body), para(value, st.body)]
                           for label, value in details],
                          colWidths=[3.2 * cm, WIDTH - 6.4 * cm])
    details_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font.name),
        ("LINEBELOW", (1, 0), (1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    texts = [[words[key] for key in ("number", "title", "file", "pages")],
             *([str(p["number"]), p["title"], p["name"], page_range(p["pages"])]
               for p in manifest["parts"]),
             ["", words["manifest"], "", page_range(manifest_pages)]]
    # columns as wide as what they hold (render/columns.py): a file name is never cut
    widths = widths_at(list(zip(*texts, strict=True)), font.width, st.body.fontSize, WIDTH)
    rows = [[para(text, st.small if column == 2 and number else st.body) if text else ""
             for column, text in enumerate(row)] for number, row in enumerate(texts)]
    story = [
        Spacer(1, 2.5 * cm),
        para(info.title, st.cover_title),
        Spacer(1, 1.2 * cm),
        details_table,
        Spacer(1, 1.2 * cm),
        para(words["contents"], st.heading),
        _grid(rows, widths, font.name),
    ]
    return _build(story, f"{info.title} — {words['cover']}", font)


def manifest_pdf(info: PacketInfo, manifest: dict, font: CJKFont) -> bytes:
    """Every part: number, title, file name, size, pages and the SHA-256 of its original bytes,
    printed whole on one line so it can be copied and compared."""
    words, st = WORDS[info.language], _Styles(font.name)
    widths = [1.2 * cm, WIDTH - 5.4 * cm, 2.4 * cm, 1.8 * cm]
    widest = max("0123456789abcdef", key=lambda digit: font.width(digit, 10))
    digest = _fitting(st.small, "SHA-256：" + widest * 64, widths[1] - 12, font)
    header = [para(words[key], st.body) for key in ("number", "title", "size", "pages")]
    rows = [[para(str(p["number"]), st.body),
             [para(p["title"], st.body), para(f"{words['file']}：{p['name']}", st.small),
              para(f"SHA-256：{p['sha256']}", digest)],
             para(words["bytes"].format(size=p["size"]), st.small),
             para(page_range(p["pages"]), st.body)]
            for p in manifest["parts"]]
    story = [
        para(words["manifest_title"], st.title),
        para(f"{words['packet_no']}：{info.packet_no}　　{words['ticket']}：{info.ticket}",
             st.meta),
        Spacer(1, 0.5 * cm),
        _grid([header, *rows], widths, font.name),
        Spacer(1, 0.4 * cm),
        para(words["note"], st.small),
    ]
    return _build(story, f"{info.title} — {words['manifest']}", font)


def _fitting(style: ParagraphStyle, text: str, width: float, font: CJKFont) -> ParagraphStyle:
    """`style`, made small enough that `text` fits on one line `width` wide."""
    size = min(style.fontSize, style.fontSize * width / font.width(text, style.fontSize))
    return ParagraphStyle("fitting", parent=style, fontSize=size, leading=size * 1.35)


def _build(story: list, title: str, font: CJKFont) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                      topMargin=MARGIN, bottomMargin=MARGIN, title=title,
                      initialFontName=font.name, invariant=True).build(story)
    return buffer.getvalue()
