"""Agreement packets assembled from real parts: a reportlab agreement, a Letter PDF, a rotated
scan, photos (one turned by its EXIF orientation), a workbook, a GBK CSV and (with LibreOffice) a
DOCX. The packet is read back with pypdf and poppler: page count, bookmarks, the cover's table of
contents, every page's stamp, the manifest printed and embedded, where pictures and the seal are
drawn, and how sheet cells print."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image, ImageChops, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfgen.canvas import Canvas

from generator.errors import MissingDependency, UsageError
from generator.packets.assemble import PacketInfo, assemble, read_manifest
from generator.packets.parts import read_attachment, to_pdf
from generator.render.fonts import find_cjk_font
from generator.render.pdf import MARGIN
from generator.workspace import DEFAULT_CONFIG
from tests.conftest import need_tool, squash

INFO = PacketInfo("PK-2026-0001", "SH-2026-000123", "零星工程施工协议文件包",
                  ["甲方：示例置业有限公司", "乙方：某某装饰工程有限公司"], dt.date(2026, 3, 5))
SEAL_ON = "甲方（盖章）"


@pytest.fixture(scope="module")
def font():
    return find_cjk_font(DEFAULT_CONFIG)


# --- real inputs -------------------------------------------------------------------------------


def write_agreement(path: Path, font) -> Path:
    """Two pages; the second holds the signature block with the text the seal goes over."""
    canvas = Canvas(str(path), pagesize=A4, initialFontName=font.name)
    canvas.setFont(font.name, 14)
    canvas.drawString(MARGIN, 760, "零星工程施工协议")
    canvas.showPage()
    canvas.setFont(font.name, 11)
    canvas.drawString(MARGIN, 320, f"{SEAL_ON}：示例置业有限公司")
    canvas.drawString(MARGIN, 240, "乙方（盖章）：某某装饰工程有限公司")
    canvas.showPage()
    canvas.save()
    return path


def write_letter_pdf(path: Path, font) -> Path:
    canvas = Canvas(str(path), pagesize=letter, initialFontName=font.name)
    canvas.setFont(font.name, 11)
    canvas.drawString(72, 700, "报价单 Letter")
    canvas.showPage()
    canvas.save()
    return path


def write_rotated_pdf(path: Path, font) -> Path:
    """A portrait page shown turned a quarter (/Rotate 90), as scanners write them."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font.name)
    canvas.setFont(font.name, 11)
    canvas.drawString(MARGIN, 700, "扫描件")
    canvas.showPage()
    canvas.save()
    writer = PdfWriter(clone_from=PdfReader(buffer))
    writer.pages[0].rotate(90)
    writer.write(path)
    return path


def write_png(path: Path, size: tuple[int, int], colour) -> Path:
    Image.new("RGB", size, colour).save(path, "PNG")  # whatever the name says
    return path


def write_turned_jpeg(path: Path) -> Path:
    """Stored 800×400, with EXIF orientation 6 (turn 90° clockwise to view): shown 400×800."""
    image = Image.new("RGB", (800, 400), "orange")
    ImageDraw.Draw(image).rectangle((0, 0, 100, 400), fill="navy")
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, "JPEG", exif=exif)
    return path


def write_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    quantities = workbook.active
    quantities.title = "工程量"
    quantities.append(["项目", "数量", "单价", "合计", "日期"])
    quantities.append(["卫生间防水重做", 1203.0, 45.5, 54736.5, dt.date(2026, 3, 1)])
    quantities.append(["墙面修补：铲除旧腻子并重新批刮两遍，涂料两遍", 12, 30, 360,
                       dt.datetime(2026, 3, 2)])
    quantities["C2"].number_format = "0.00"
    quantities["D2"].number_format = "#,##0.00"
    wide = workbook.create_sheet("材料明细")
    wide.append([f"规格{i}" for i in range(1, 19)])
    for row in range(3):
        wide.append([row * 100 + i for i in range(1, 19)])
    long = workbook.create_sheet("日志")
    long.append(["序号", "记录"])
    for row in range(1, 121):
        long.append([row, f"第 {row} 次巡查"])
    workbook.save(path)
    return path


def write_gbk_csv(path: Path) -> Path:
    path.write_bytes("材料,数量,单位\n瓷砖,120,片\n水泥,3.5,吨\n".encode("gbk"))
    return path


def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("现场勘查记录", level=1)
    document.add_paragraph("勘查结论：卫生间地面渗水，需重做防水层。")
    document.save(path)
    return path


def seal_png() -> bytes:
    """A red ring on a transparent ground."""
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 290, 290), outline=(220, 0, 0, 255), width=14)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- reading the packet back -------------------------------------------------------------------


def drawn_images(page) -> list[tuple[float, float, float, float]]:
    """Every image the page draws, as (x, y, width, height) in the page's user space: the
    content is walked with its transformations, into form XObjects too."""
    found: list[tuple[float, float, float, float]] = []

    def walk(content, resources, ctm):
        stack = []
        xobjects = resources.get("/XObject", {})
        for operands, operator in ContentStream(content, None).operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q":
                ctm = stack.pop()
            elif operator == b"cm":
                ctm = multiply([float(v) for v in operands], ctm)
            elif operator == b"Do":
                xobject = xobjects[operands[0]].get_object()
                if xobject["/Subtype"] == "/Image":
                    found.append((ctm[4], ctm[5], ctm[0], ctm[3]))
                else:
                    matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    walk(xobject, xobject.get("/Resources", {}).get_object(),
                         multiply(matrix, ctm))

    walk(page.get_contents(), page["/Resources"], [1, 0, 0, 1, 0, 0])
    return found


def multiply(m, n):
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def page_text(path: Path, number: int, layout: bool = False) -> str:
    need_tool("pdftotext", "poppler-utils")
    options = ["-layout"] if layout else []
    return subprocess.run(["pdftotext", *options, "-f", str(number), "-l", str(number),
                           "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def words_with_boxes(path: Path, number: int) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) as poppler places them on the page as shown (y down)."""
    need_tool("pdftotext", "poppler-utils")
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(number), "-l", str(number),
                           "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    return [(m[5], *map(float, m.groups()[:4])) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
        r"([^<]*)</word>", html)]


def outline(reader: PdfReader) -> list[tuple[str, int]]:
    return [(item.title, reader.get_destination_page_number(item))
            for item in reader.outline if not isinstance(item, list)]


# --- one packet of every kind (LibreOffice aside) ----------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, font):
    folder = tmp_path_factory.mktemp("packet")
    files = [
        write_agreement(folder / "agreement.pdf", font),
        write_letter_pdf(folder / "quote.pdf", font),
        write_rotated_pdf(folder / "scan.pdf", font),
        write_png(folder / "tall.png", (400, 1200), "steelblue"),
        write_png(folder / "wide.png", (1600, 400), "seagreen"),
        write_turned_jpeg(folder / "photo.jpg"),
        write_workbook(folder / "qty.xlsx"),
        write_gbk_csv(folder / "materials.csv"),
    ]
    titles = {1: "零星工程施工协议 LX-2026-0001", 2: "报价单"}
    parts = [read_attachment(path, n, titles.get(n)) for n, path in enumerate(files, start=1)]
    parts[0].record_no = "LX-2026-0001"
    pdfs = [(part, to_pdf(part, font=font)) for part in parts]
    packet = folder / "packet.pdf"
    packet.write_bytes(assemble(INFO, pdfs, font=font, seal=seal_png(), seal_on=SEAL_ON))
    counts = [len(PdfReader(io.BytesIO(pdf)).pages) for _, pdf in pdfs]
    return packet, parts, counts


def first_pages(counts: list[int]) -> list[int]:
    """Each part's first packet page: after the one-page cover."""
    starts, page = [], 2
    for count in counts:
        starts.append(page)
        page += count
    return starts


def test_the_packet_is_cover_parts_and_manifest(built):
    packet, parts, counts = built
    reader = PdfReader(packet)
    assert counts[0] == 2  # the agreement
    assert counts[6] >= 4  # the workbook: three sheets, the log over several pages
    assert len(reader.pages) == 1 + sum(counts) + 1


def test_one_bookmark_per_part_at_its_first_page(built):
    packet, parts, counts = built
    reader = PdfReader(packet)
    expected = [("封面", 0)]
    starts = first_pages(counts)
    expected += [(part.title, start - 1) for part, start in zip(parts, starts, strict=True)]
    expected.append(("清单", len(reader.pages) - 1))
    assert outline(reader) == expected


def test_the_covers_contents_give_each_parts_pages(built):
    packet, parts, counts = built
    cover = page_text(packet, 1, layout=True)
    for part, start, count in zip(parts, first_pages(counts), counts, strict=True):
        pages = str(start) if count == 1 else f"{start}–{start + count - 1}"
        row = re.search(rf"^\s*{part.number}\s+(.+?)\s+{part.name}\s+{pages}\s*$", cover,
                        re.MULTILINE)
        assert row, f"no contents row for {part.name} at {pages}:\n{cover}"
        assert squash(row[1]) == squash(part.title)
    total = 1 + sum(counts) + 1
    assert re.search(rf"^\s*清单\s+{total}\s*$", cover, re.MULTILINE), cover
    for value in (INFO.packet_no, INFO.ticket, *INFO.parties, "2026-03-05", INFO.title):
        assert squash(value) in squash(cover)


def test_every_page_is_stamped_with_its_place_in_the_packet(built):
    packet, _, _ = built
    total = len(PdfReader(packet).pages)
    for number in range(1, total + 1):
        text = squash(page_text(packet, number))
        stamp = f"工单{INFO.ticket}文件包{INFO.packet_no}第{number}页共{total}页"
        assert stamp in text, f"page {number}: {text[-120:]}"


def test_stamps_sit_in_the_bottom_margin_of_each_page_as_shown(built):
    """A4, Letter, landscape sheets and a page turned by /Rotate alike: the stamp's words are
    below the content area, inside the page, right-aligned at the margin."""
    packet, _, _ = built
    reader = PdfReader(packet)
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if page.rotation % 180:
            width, height = height, width
        # the lowest mention of the packet number (the cover names it in its details too)
        _, x_min, y_min, x_max, y_max = max(
            (w for w in words_with_boxes(packet, number) if w[0] == INFO.packet_no),
            key=lambda w: w[2])
        assert height - MARGIN < y_min < y_max < height, (number, y_min, height)
        assert x_max < width - MARGIN + 60, (number, x_max, width)


def test_the_rotated_scan_keeps_its_rotation_and_reads_upright(built):
    packet, parts, counts = built
    scan = first_pages(counts)[2]
    page = PdfReader(packet).pages[scan - 1]
    assert page.rotation == 90
    # poppler lays out a shown page; upright text comes out as words on one line
    assert "文件包PK-2026-0001第" in squash(page_text(packet, scan))


def test_the_manifest_lists_every_part_and_is_embedded(built):
    packet, parts, counts = built
    total = len(PdfReader(packet).pages)
    printed = page_text(packet, total)
    for part in parts:
        assert part.sha256 in printed, part.name  # whole, on one line: it can be copied
        assert f"{part.size:,}" in printed
    starts = first_pages(counts)
    assert read_manifest(packet.read_bytes()) == {
        "packet": INFO.packet_no, "ticket": INFO.ticket,
        "parts": [{"number": part.number, "title": part.title, "name": part.name,
                   "kind": part.kind, "record_no": part.record_no, "sha256": part.sha256,
                   "size": len(part.content), "pages": [start, start + count - 1]}
                  for part, start, count in zip(parts, starts, counts, strict=True)],
    }
    assert parts[0].record_no == "LX-2026-0001"


def test_read_manifest_of_a_pdf_without_one_is_none(built, tmp_path, font):
    agreement = write_agreement(tmp_path / "a.pdf", font)
    assert read_manifest(agreement.read_bytes()) is None
    with pytest.raises(UsageError, match="not a readable PDF"):
        read_manifest(b"%PDF-1.4 nonsense")


def test_pictures_fit_inside_the_margins_upright_with_their_proportions(built):
    packet, parts, counts = built
    reader = PdfReader(packet)
    shown = {"tall.png": 400 / 1200, "wide.png": 1600 / 400, "photo.jpg": 400 / 800}
    for part, start in zip(parts, first_pages(counts), strict=True):
        if part.kind != "image":
            continue
        page = reader.pages[start - 1]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width > height) == (shown[part.name] > 1), part.name  # landscape for wide
        [(x, y, w, h)] = drawn_images(page)
        assert x >= MARGIN - 0.5 and y >= MARGIN - 0.5, part.name
        assert x + w <= width - MARGIN + 0.5 and y + h <= height - MARGIN + 0.5, part.name
        assert w / h == pytest.approx(shown[part.name], rel=0.01), part.name
        assert max(w / (width - 2 * MARGIN), h / (height - 2 * MARGIN)) > 0.9  # as large as fits
        assert part.name in page.extract_text()  # the caption


def test_the_turned_photo_is_shown_upright(built, tmp_path):
    """EXIF orientation 6: the navy stripe stored at the left shows at the top."""
    packet, parts, counts = built
    need_tool("pdftoppm", "poppler-utils")
    number = first_pages(counts)[5]
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(number), "-l", str(number),
                    str(packet), str(tmp_path / "photo")], check=True)
    [png] = tmp_path.glob("photo*.png")
    with Image.open(png) as image:
        pixels = image.convert("RGB")
    # the picture is what is not white, less the caption and the stamp below it
    picture = ImageChops.difference(pixels, Image.new("RGB", pixels.size, "white")).getbbox()
    left, top, right, _ = picture
    assert pixels.getpixel(((left + right) // 2, top + 2)) == pytest.approx((0, 0, 128), abs=40)
    middle = pixels.getpixel(((left + right) // 2, (top + picture[3]) // 2))
    assert middle == pytest.approx((255, 165, 0), abs=40)


def test_sheet_cells_print_as_excel_shows_them(built):
    packet, parts, counts = built
    start = first_pages(counts)[6]
    first_sheet = page_text(packet, start)
    assert "1203" in first_sheet and "1203.0" not in first_sheet
    assert "45.50" in first_sheet and "54,736.50" in first_sheet  # "0.00", "#,##0.00"
    assert "2026-03-01" in first_sheet and "2026-03-02" in first_sheet
    assert "00:00" not in first_sheet
    assert "墙面修补：铲除旧腻子并重新批刮两遍，涂料两遍" in squash(first_sheet)  # wrapped, whole
    assert "qty.xlsx·工程量" in squash(first_sheet)


def test_a_wide_sheet_goes_landscape_and_a_long_one_repeats_its_header(built):
    packet, parts, counts = built
    reader = PdfReader(packet)
    start = first_pages(counts)[6]
    wide = reader.pages[start]  # the second sheet
    assert wide.mediabox.width > wide.mediabox.height
    assert "规格18" in squash(page_text(packet, start + 1))
    log_pages = range(start + 2, start + counts[6])
    assert len(log_pages) >= 2
    for number in log_pages:
        assert re.search(r"^\s*序号\s+记录", page_text(packet, number, layout=True),
                         re.MULTILINE), f"page {number} lacks the header row"
    assert "第120次巡查" in squash(page_text(packet, log_pages[-1]))


def test_a_gbk_csv_reads_as_chinese(built):
    packet, parts, counts = built
    text = squash(page_text(packet, first_pages(counts)[7]))
    assert "材料数量单位瓷砖120片水泥3.5吨" in text


def test_the_seal_is_drawn_over_the_text_on_the_signature_page(built):
    packet, parts, counts = built
    reader = PdfReader(packet)
    signature_page = first_pages(counts)[0] + 1
    assert SEAL_ON in reader.pages[signature_page - 1].extract_text()
    assert drawn_images(reader.pages[signature_page - 2]) == []  # the agreement's first page
    [(x, y, w, h)] = drawn_images(reader.pages[signature_page - 1])
    assert w == pytest.approx(4 * 28.3465, rel=0.01) and h == pytest.approx(w)
    [image] = reader.pages[signature_page - 1].images
    assert image.image.mode == "RGBA"  # its transparency kept: the text shows through
    assert image.image.getpixel((150, 150))[3] == 0
    # poppler's box of the text, turned into PDF user space (y up), lies inside the seal
    height = float(reader.pages[signature_page - 1].mediabox.height)
    [(_, x_min, y_min, x_max, y_max)] = [
        word for word in words_with_boxes(packet, signature_page)
        if word[0].startswith(SEAL_ON)]
    text_x = x_min + (x_max - x_min) * len(SEAL_ON) / 2 / len(f"{SEAL_ON}：示例置业有限公司")
    text_y = height - (y_min + y_max) / 2
    assert x < text_x < x + w and y < text_y < y + h
    assert abs((x + w / 2) - text_x) < 15 and abs((y + h / 2) - text_y) < 10


def test_a_seal_without_its_text_is_refused(tmp_path, font):
    part = read_attachment(write_agreement(tmp_path / "agreement.pdf", font), 1)
    with pytest.raises(UsageError, match="has no text “丙方（盖章）”"):
        assemble(INFO, [(part, to_pdf(part, font=font))], font=font, seal=seal_png(),
                 seal_on="丙方（盖章）")


@pytest.mark.poppler
def test_the_packets_own_pages_embed_their_fonts(tmp_path, font):
    need_tool("pdffonts", "poppler-utils")
    part = read_attachment(write_png(tmp_path / "p.png", (300, 200), "grey"), 1)
    packet = tmp_path / "packet.pdf"
    packet.write_bytes(assemble(INFO, [(part, to_pdf(part, font=font))], font=font))
    listing = subprocess.run(["pdffonts", str(packet)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing and all(" yes yes " in line for line in listing), listing


def test_an_english_packet(tmp_path, font):
    part = read_attachment(write_png(tmp_path / "p.png", (300, 200), "grey"), 1)
    info = PacketInfo("PK-2026-0002", "SH-2026-000124", "Minor works packet", ["A", "B"],
                      dt.date(2026, 3, 5), language="en")
    reader = PdfReader(io.BytesIO(assemble(info, [(part, to_pdf(part, font=font))], font=font)))
    assert [title for title, _ in outline(reader)] == ["Cover", "p.png", "Manifest"]
    assert "Page 3 of 3" in reader.pages[2].extract_text()


# --- DOCX through LibreOffice ------------------------------------------------------------------


@pytest.mark.soffice
def test_a_docx_attachment_is_converted_by_libreoffice(tmp_path, font):
    need_tool("soffice", "libreoffice-writer-nogui")
    part = read_attachment(write_docx(tmp_path / "survey.docx"), 2, "现场勘查记录 XK-2026-0003")
    agreement = read_attachment(write_agreement(tmp_path / "agreement.pdf", font), 1)
    packet = tmp_path / "packet.pdf"
    packet.write_bytes(assemble(INFO, [(agreement, to_pdf(agreement, font=font)),
                                       (part, to_pdf(part, font=font))], font=font))
    assert outline(PdfReader(packet))[2] == ("现场勘查记录 XK-2026-0003", 3)
    text = squash(page_text(packet, 4))
    assert "勘查结论：卫生间地面渗水，需重做防水层。" in text
    assert f"文件包{INFO.packet_no}第4页共5页" in text


def test_a_docx_without_libreoffice_says_how_to_get_it(tmp_path, font, monkeypatch):
    part = read_attachment(write_docx(tmp_path / "survey.docx"), 4)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MissingDependency) as caught:
        to_pdf(part, font=font)
    assert str(caught.value.message) == (
        "attachment 4 (survey.docx): converting DOCX needs LibreOffice "
        "(apt-get install libreoffice-writer-nogui), or attach it as PDF")


# --- refused attachments -----------------------------------------------------------------------


def encrypted_pdf(path: Path, font) -> Path:
    writer = PdfWriter(clone_from=PdfReader(write_agreement(path, font)))
    writer.encrypt("secret")
    writer.write(path)
    return path


def png_named(path: Path) -> Path:
    return write_png(path, (10, 10), "red")


def zip_named(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return path


BAD = {
    "missing": ("gone.pdf", lambda p, f: p,
                r"attachment 3 \(gone\.pdf\): no such file .*gone\.pdf"),
    "png named .pdf": ("quote.pdf", lambda p, f: png_named(p),
                       r"attachment 3 \(quote\.pdf\): not a PDF file"),
    "encrypted": ("quote.pdf", encrypted_pdf,
                  r"attachment 3 \(quote\.pdf\): encrypted PDF; attach an unprotected copy"),
    "zip named .xlsx": ("qty.xlsx", lambda p, f: zip_named(p),
                        r"attachment 3 \(qty\.xlsx\): not an XLSX file \(a zip archive without"),
    "text named .xlsx": ("qty.xlsx", lambda p, f: p.write_text("a,b") and p,
                         r"attachment 3 \(qty\.xlsx\): not an XLSX file \(not a zip archive\)"),
    "zip named .docx": ("survey.docx", lambda p, f: zip_named(p),
                        r"attachment 3 \(survey\.docx\): not a DOCX file"),
    "jpeg named .png": ("photo.png", lambda p, f: write_turned_jpeg(p),
                        r"attachment 3 \(photo\.png\): not a PNG image \(the content is JPEG\)"),
    "broken image": ("photo.jpg", lambda p, f: p.write_bytes(b"\xff\xd8\xff\xe0junk") and p,
                     r"attachment 3 \(photo\.jpg\): not a readable JPEG image"),
    "binary csv": ("list.csv", lambda p, f: p.write_bytes(b"a,b\x00\x01\x02") and p,
                   r"attachment 3 \(list\.csv\): not a CSV text file"),
    "empty": ("quote.pdf", lambda p, f: p.write_bytes(b"") or p,
              r"attachment 3 \(quote\.pdf\): the file is empty"),
    "unknown extension": ("notes.txt", lambda p, f: p.write_text("hi") and p,
                          r"attachment 3 \(notes\.txt\): unknown file type \.txt; attach one of "
                          r"\.csv, \.docx, \.jpeg, \.jpg, \.pdf, \.png, \.xlsx"),
    "directory": ("folder.pdf", lambda p, f: p.mkdir() or p,
                  r"attachment 3 \(folder\.pdf\): .*folder\.pdf is a directory"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_attachment_is_refused_naming_it(case, tmp_path, font):
    name, make, message = BAD[case]
    path = make(tmp_path / name, font)
    with pytest.raises(UsageError, match=message):
        read_attachment(path, 3)
