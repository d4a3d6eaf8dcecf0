"""A packet's parts: attachments read and checked, then turned into PDF pages.

An attachment is refused unless its content really is what its name says (a PNG renamed .pdf, a
zip renamed .xlsx, an encrypted PDF), with a message naming the attachment, so the packet never
holds a part the reader cannot open. Converting keeps each kind's look: PDF pages as they are,
DOCX through LibreOffice, an image per A4 page, a spreadsheet as tables (generator.packets.sheets).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from generator.errors import AftersalesError, MissingDependency, UsageError
from generator.packets.sheets import csv_pdf, decode_csv, open_workbook, workbook_pdf
from generator.render.fonts import CJKFont
from generator.render.pdf import MARGIN

KINDS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
}
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
# LibreOffice's first run in a fresh profile takes a few seconds; a long DOCX a few more.
SOFFICE_TIMEOUT = 180
CAPTION = 0.8 * cm  # the line under a picture that names its file


@dataclass
class Part:
    """One part of a packet: the agreement or an attachment, with the bytes it was given as."""

    number: int
    title: str  # as the cover lists it: "现场勘查记录 XK-2026-0003", or the file name
    name: str  # the file name
    kind: str  # pdf | docx | image | xlsx | csv
    content: bytes
    record_no: str | None = None  # set by the caller for a document from the index
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def label(self) -> str:
        """How messages name it: "attachment 3 (qty.xlsx)"."""
        return f"attachment {self.number} ({self.name})"


def read_attachment(path: Path, number: int, title: str | None = None) -> Part:
    """The file at `path` as part `number`, its content checked against its extension."""
    path = Path(path)
    label = f"attachment {number} ({path.name})"
    _kind(path.name, label)  # an unknown type is refused before reading a byte of it
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{label}: no such file {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{label}: {path} is a directory, not a file") from None
    except PermissionError:
        raise UsageError(f"{label}: {path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise UsageError(f"{label}: {path} cannot be read ({exc.strerror or exc})") from None
    return part_from_bytes(number, path.name, content, title)


def part_from_bytes(number: int, name: str, content: bytes, title: str | None = None,
                    record_no: str | None = None) -> Part:
    """A part from bytes already in hand (a document from the store), checked as a file is."""
    label = f"attachment {number} ({name})"
    kind = _kind(name, label)
    if not content:
        raise UsageError(f"{label}: the file is empty")
    CHECKS[kind](content, label, Path(name).suffix.lower())
    return Part(number, title or name, name, kind, content, record_no)


def _kind(name: str, label: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise UsageError(f"{label}: unknown file type {suffix or '(no extension)'}; "
                         f"attach one of {known}")
    return KINDS[suffix]


def _check_pdf(content: bytes, label: str, suffix: str) -> None:
    if not content.startswith(b"%PDF-"):
        raise UsageError(f"{label}: not a PDF file (it does not start with %PDF-)")
    try:
        reader = PdfReader(io.BytesIO(content))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{label}: not a readable PDF file ({exc})") from None
    if encrypted:
        raise UsageError(f"{label}: encrypted PDF; attach an unprotected copy")
    if not pages:
        raise UsageError(f"{label}: the PDF has no pages")


def _zip_members(content: bytes, label: str, what: str) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except zipfile.BadZipFile:
        raise UsageError(f"{label}: not {what} file (not a zip archive)") from None


def _check_docx(content: bytes, label: str, suffix: str) -> None:
    if "word/document.xml" not in _zip_members(content, label, "a DOCX"):
        raise UsageError(f"{label}: not a DOCX file (a zip archive without word/document.xml)")


def _check_xlsx(content: bytes, label: str, suffix: str) -> None:
    if "xl/workbook.xml" not in _zip_members(content, label, "an XLSX"):
        raise UsageError(f"{label}: not an XLSX file (a zip archive without xl/workbook.xml)")
    open_workbook(content, label)


def _check_csv(content: bytes, label: str, suffix: str) -> None:
    decode_csv(content, label)


def _check_image(content: bytes, label: str, suffix: str) -> None:
    expected = IMAGE_FORMATS[suffix]
    try:
        with Image.open(io.BytesIO(content)) as image:
            found = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UsageError(f"{label}: not a readable {expected} image ({exc})") from None
    if found != expected:
        raise UsageError(f"{label}: not a {expected} image (the content is {found})")


CHECKS = {"pdf": _check_pdf, "docx": _check_docx, "xlsx": _check_xlsx, "csv": _check_csv,
          "image": _check_image}


def to_pdf(part: Part, *, font: CJKFont, converter: str = "soffice") -> bytes:
    """The part's pages as a PDF. `font` is the registered CJK font (find_cjk_font) that drawn
    pages use; `converter` the LibreOffice command that turns a DOCX into PDF."""
    if part.kind == "pdf":
        return part.content
    if part.kind == "docx":
        return _docx_to_pdf(part, converter)
    if part.kind == "image":
        return _image_pdf(part, font)
    if part.kind == "xlsx":
        return workbook_pdf(part.content, part.name, font, part.label)
    return csv_pdf(part.content, part.name, font, part.label)


def _docx_to_pdf(part: Part, converter: str) -> bytes:
    executable = shutil.which(converter)
    if executable is None:
        raise MissingDependency(
            f"{part.label}: converting DOCX needs LibreOffice "
            f"(apt-get install libreoffice-writer-nogui), or attach it as PDF")
    with tempfile.TemporaryDirectory(prefix="aftersales-docx-") as tmp:
        source = Path(tmp, "attachment.docx")
        source.write_bytes(part.content)
        outdir = Path(tmp, "out")
        # A profile of its own: two conversions sharing one would wait on, or break, each other.
        command = [executable, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
                   "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(outdir),
                   str(source)]
        returncode, output = _run(command, part)
        converted = outdir / "attachment.pdf"
        if returncode != 0 or not converted.is_file():
            raise AftersalesError(f"{part.label}: LibreOffice could not convert it to PDF "
                                  f"(exit {returncode}): {output.strip()[-500:]}")
        return converted.read_bytes()


def _run(command: list[str], part: Part) -> tuple[int, str]:
    # soffice is a launcher that starts soffice.bin: on a timeout, stop the whole group.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=SOFFICE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AftersalesError(f"{part.label}: LibreOffice did not convert it within "
                              f"{SOFFICE_TIMEOUT} s") from None
    return process.returncode, output


def _image_pdf(part: Part, font: CJKFont) -> bytes:
    """The picture upright (its EXIF orientation applied) on an A4 page turned its way, as large
    as fits inside the margins, its file name underneath."""
    with Image.open(io.BytesIO(part.content)) as original:
        upright = ImageOps.exif_transpose(original)
        size = upright.size
        drawn = _drawable(part, original, upright)
    page = landscape(A4) if size[0] > size[1] else A4
    box_width, box_height = page[0] - 2 * MARGIN, page[1] - 2 * MARGIN - CAPTION
    scale = min(box_width / size[0], box_height / size[1])
    width, height = size[0] * scale, size[1] * scale
    x, y = (page[0] - width) / 2, MARGIN + CAPTION + (box_height - height) / 2
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=page, invariant=True, initialFontName=font.name)
    canvas.setTitle(part.name)
    canvas.drawImage(drawn, x, y, width, height, mask="auto")
    canvas.setFont(font.name, 9)
    canvas.drawCentredString(page[0] / 2, MARGIN + 0.25 * cm, part.name)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _drawable(part: Part, original: Image.Image, upright: Image.Image) -> ImageReader:
    if upright is original and original.format == "JPEG":
        # An upright JPEG goes into the PDF as it is, not decoded and stored again losslessly.
        return ImageReader(io.BytesIO(part.content))
    if original.format == "JPEG":  # turned: stored as JPEG again, not as a page-sized bitmap
        buffer = io.BytesIO()
        upright.convert("CMYK" if upright.mode == "CMYK" else "RGB").save(
            buffer, "JPEG", quality=92)
        return ImageReader(io.BytesIO(buffer.getvalue()))
    if upright.mode not in ("RGB", "RGBA", "L"):  # palette, grey with alpha, 16-bit
        transparent = upright.has_transparency_data
        upright = upright.convert("RGBA" if transparent else "RGB")
    return ImageReader(upright.copy())
