"""An agreement packet: ONE PDF of a cover sheet, the agreement, every attachment and a manifest
page, each page stamped with the ticket, the packet number and its place in the packet, one
bookmark per part, and the manifest embedded as manifest.json for `packet verify`.

The parts' pages are copied, never drawn again: only the cover, the manifest and the stamps are
made here, so a packet builds in about the time a plain merge of its pages takes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from generator.errors import UsageError
from generator.packets.overlays import Overlays, find_text, place_seal, stamp_pages
from generator.packets.pages import WORDS, cover_pdf, manifest_pdf
from generator.packets.parts import Part
from generator.render.fonts import CJKFont

MANIFEST_NAME = "manifest.json"


@dataclass
class PacketInfo:
    packet_no: str  # "PK-2026-0001"
    ticket: str
    title: str  # "零星工程施工协议文件包"
    parties: list[str] = field(default_factory=list)
    created: dt.date = field(default_factory=dt.date.today)
    language: str = "zh"  # of the cover, the manifest and the stamps: "zh" or "en"


def assemble(info: PacketInfo, parts: list[tuple[Part, bytes]], *, font: CJKFont,
             seal: bytes | None = None, seal_on: str | None = None) -> bytes:
    """The packet PDF. `parts` are each part with its pages as PDF (`to_pdf`), the agreement
    first; `font` the registered CJK font (find_cjk_font). With `seal` (PNG or JPEG bytes), the
    seal is drawn over the first place the agreement shows the text `seal_on`."""
    if info.language not in WORDS:
        raise UsageError(f"packet language {info.language!r}: use one of {', '.join(WORDS)}")
    if not parts:
        raise UsageError("a packet needs at least the agreement")
    if (seal is None) != (seal_on is None):
        raise UsageError("a seal needs both the image and the text to place it over (seal_on)")
    words = WORDS[info.language]
    readers = [_pages(part, pdf) for part, pdf in parts]
    counts = [len(reader.pages) for reader in readers]
    cover, manifest = _cover(info, parts, counts, font)
    manifest_reader = PdfReader(io.BytesIO(manifest_pdf(info, manifest, font)))

    writer = PdfWriter()
    writer.append(cover, outline_item=words["cover"], import_outline=False)
    for (part, _), reader in zip(parts, readers, strict=True):
        # a part's own bookmarks (a rulebook's chapters) nest under its title
        writer.append(reader, outline_item=part.title)
    writer.append(manifest_reader, outline_item=words["manifest"], import_outline=False)

    overlays = Overlays(writer)
    if seal is not None:
        _seal(overlays, readers[0], len(cover.pages), parts[0][0], seal, seal_on, font)
    total = len(writer.pages)
    stamp_pages(overlays, [
        words["stamp"].format(ticket=info.ticket, packet=info.packet_no,
                              page=words["page"].format(page=n, total=total))
        for n in range(1, total + 1)
    ], font)
    writer.add_attachment(MANIFEST_NAME,
                          json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    writer.add_metadata({"/Title": info.title, "/Subject": f"{info.packet_no} {info.ticket}"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def read_manifest(pdf: bytes) -> dict | None:
    """The manifest a packet embeds, or None for a PDF without one."""
    try:
        files = PdfReader(io.BytesIO(pdf)).attachments
        found = files.get(MANIFEST_NAME)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"not a readable PDF ({exc})") from None
    if not found:
        return None
    try:
        return json.loads(found[0])
    except ValueError as exc:
        raise UsageError(f"the packet's {MANIFEST_NAME} is not valid JSON ({exc})") from None


def _pages(part: Part, pdf: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise UsageError(f"{part.label}: encrypted PDF; attach an unprotected copy")
        if not reader.pages:
            raise UsageError(f"{part.label}: the PDF has no pages")
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{part.label}: not a readable PDF ({exc})") from None
    return reader


def _manifest(info: PacketInfo, parts: list[tuple[Part, bytes]], counts: list[int],
              first_page: int) -> dict:
    entries = []
    for (part, _), count in zip(parts, counts, strict=True):
        entries.append({
            "number": part.number, "title": part.title, "name": part.name, "kind": part.kind,
            "record_no": part.record_no, "sha256": part.sha256, "size": part.size,
            "pages": [first_page, first_page + count - 1],
        })
        first_page += count
    return {"packet": info.packet_no, "ticket": info.ticket, "parts": entries}


def _cover(info: PacketInfo, parts: list[tuple[Part, bytes]], counts: list[int],
           font: CJKFont) -> tuple[PdfReader, dict]:
    """The cover and the manifest data, whose page numbers count the cover's own pages: a
    cover is laid out for one page, and again for as many as it took (a long table of
    contents) until the count it assumed is the count it has."""
    cover_pages = 1
    for _ in range(4):
        manifest = _manifest(info, parts, counts, cover_pages + 1)
        manifest_start = cover_pages + sum(counts) + 1
        # the manifest's own last page is not known yet; the cover names where it starts
        cover = PdfReader(io.BytesIO(cover_pdf(info, manifest, [manifest_start] * 2, font)))
        if len(cover.pages) == cover_pages:
            return cover, manifest
        cover_pages = len(cover.pages)
    # only page numbers change between layouts, so the second one settles it
    raise RuntimeError("the cover's page count does not settle")


def _seal(overlays: Overlays, agreement: PdfReader, first_page: int, part: Part, seal: bytes,
          seal_on: str, font: CJKFont) -> None:
    try:
        with Image.open(io.BytesIO(seal)) as image:
            image.verify()
            if image.format not in ("PNG", "JPEG"):
                raise UsageError(f"seal: a PNG or JPEG image is needed, not {image.format}")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UsageError(f"seal: not a readable PNG or JPEG image ({exc})") from None
    found = find_text(agreement, seal_on, font)
    if found is None:
        raise UsageError(f"seal: the agreement, {part.label}, has no text “{seal_on}” to place "
                         f"the seal over; the seal was not placed")
    page, x, y = found
    place_seal(overlays, overlays.writer.pages[first_page + page], x, y, seal, font)
