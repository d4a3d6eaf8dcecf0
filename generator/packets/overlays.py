"""Drawing over a packet's pages without touching what is on them: the stamp every page carries
and the company seal on the agreement's signature page.

What is drawn is made by reportlab as form XObjects, all in one small document, and each target
page calls its form after its own content. The target pages' content streams are left as they
are, compressed: pypdf's merge_page would decode and rewrite every page, which takes longer than
the rest of the assembly and writes them out uncompressed.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import xObjectName
from reportlab.pdfgen.canvas import Canvas

from generator.render.fonts import CJKFont
from generator.render.pdf import MARGIN

STAMP_SIZE = 7
STAMP_BASELINE = 0.5 * cm  # under a document's own footer, which sits about 1 cm up
STAMP_GREY = colors.Color(0.25, 0.25, 0.25)


@dataclass(frozen=True)
class Placement:
    """A page as it is shown: its displayed width and height, and the matrix from those
    upright coordinates to the page's own user space (which /Rotate turns for display)."""

    width: float
    height: float
    matrix: tuple[float, float, float, float, float, float]


def placement(page: PageObject) -> Placement:
    box = page.cropbox  # what a viewer shows and a printer prints
    x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    width, height = x1 - x0, y1 - y0
    turn = page.rotation % 360
    if turn == 90:
        return Placement(height, width, (0, 1, -1, 0, x1, y0))
    if turn == 180:
        return Placement(width, height, (-1, 0, 0, -1, x1, y1))
    if turn == 270:
        return Placement(height, width, (0, -1, 1, 0, x0, y1))
    return Placement(width, height, (1, 0, 0, 1, x0, y0))


def drawn_forms(sizes: list[tuple[float, float]], draw: Callable[[Canvas, int], None],
                font: CJKFont) -> list[StreamObject]:
    """Form XObjects of the given sizes, the i-th drawn by `draw(canvas, i)`; made in one
    reportlab document and read back once, rather than a page (and a parse) each."""
    buffer = io.BytesIO()
    # in the CJK font from the start: reportlab's default Helvetica would be listed, unembedded
    canvas = Canvas(buffer, invariant=True, initialFontName=font.name)
    for index, (width, height) in enumerate(sizes):
        canvas.beginForm(f"overlay{index}", 0, 0, width, height)
        draw(canvas, index)
        canvas.endForm()
    for index in range(len(sizes)):  # a form reaches the file only when a page uses it
        canvas.doForm(f"overlay{index}")
    canvas.showPage()
    canvas.save()
    xobjects = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]["/Resources"]["/XObject"]
    return [xobjects[f"/{xObjectName(f'overlay{index}')}"].get_object()
            for index in range(len(sizes))]


def stamp_pages(overlays: Overlays, lines: list[str], font: CJKFont) -> None:
    """Writes `lines[i]` into the bottom margin of page i, right-aligned, upright as the page
    is shown, whatever its size."""
    writer = overlays.writer
    typesetter = Typesetter(writer, "".join(sorted(set("".join(lines)))), font)
    for page, line in zip(writer.pages, lines, strict=True):
        place = placement(page)
        x = place.width - MARGIN - font.width(line, STAMP_SIZE)
        form = typesetter.form(line, x, STAMP_BASELINE, place.width, place.height)
        overlays.draw(page, form, place.matrix)


class Typesetter:
    """Writes lines of text in the CJK font as form XObjects made directly in `writer`, for
    the stamps: a reportlab form per page, read back with pypdf, costs more than the rest of
    the assembly. reportlab embeds the font once, subset to `characters`, and the code it
    gives each character is read back from the one line it drew of them all."""

    def __init__(self, writer: PdfWriter, characters: str, font: CJKFont) -> None:
        self.writer = writer

        def draw(canvas: Canvas, index: int) -> None:
            canvas.setFont(font.name, STAMP_SIZE)
            canvas.drawString(0, 0, characters)

        [specimen] = drawn_forms([(1, 1)], draw, font)
        self.codes: dict[str, tuple[str, int]] = {}  # character → (font resource, code)
        remaining = iter(characters)
        resource = ""
        for operands, operator in ContentStream(specimen, None).operations:
            if operator == b"Tf":
                resource = operands[0]
            elif operator == b"Tj":
                text = operands[0]
                raw = text.original_bytes if isinstance(text, TextStringObject) else text
                for code in raw:  # reportlab's subsets are single-byte encodings
                    self.codes[next(remaining)] = (resource, code)
        if next(remaining, None) is not None:
            raise RuntimeError("reportlab drew the stamp's characters in a way not foreseen")
        fonts = specimen["/Resources"]["/Font"]
        self.resources = self.writer._add_object(DictionaryObject({
            NameObject("/Font"): DictionaryObject({
                NameObject(name): fonts.raw_get(name).clone(writer)
                for name in {resource for resource, _ in self.codes.values()}}),
        }))

    def form(self, line: str, x: float, y: float, width: float, height: float) -> StreamObject:
        """A form XObject, width × height, showing `line` from (x, y) in STAMP_GREY."""
        runs = []
        for resource, characters in itertools.groupby(line, key=lambda c: self.codes[c][0]):
            codes = bytes(self.codes[c][1] for c in characters)
            runs.append(f"{resource} {STAMP_SIZE} Tf <{codes.hex()}> Tj")
        grey = STAMP_GREY.red
        content = (f"BT {grey:.2f} {grey:.2f} {grey:.2f} rg 1 0 0 1 {x:.3f} {y:.3f} Tm "
                   + " ".join(runs) + " ET\n")
        form = DecodedStreamObject()
        form.set_data(content.encode())
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (0, 0, width, height)),
            NameObject("/Resources"): self.resources,
        })
        self.writer._add_object(form)
        return form


class Overlays:
    """Draws form XObjects over the pages of `writer`."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        # The page's own content runs inside q … Q, so a transformation it leaves behind
        # does not move what is drawn over it. Every page shares these two streams.
        self._save = self._stream(b"q\n")
        self._restore = self._stream(b"\nQ\n")
        self._calls: dict[bytes, IndirectObject] = {}  # pages of one size share theirs

    def draw(self, page: PageObject, form: StreamObject, matrix: tuple[float, ...]) -> None:
        """Draws `form` (of this writer or another PDF) over `page`, its origin put where
        `matrix` says."""
        # Resources may be shared between pages: this page gets its own copy naming its form.
        resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        name = _free_name(xobjects)
        xobjects[NameObject(name)] = form.clone(self.writer).indirect_reference
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        numbers = " ".join(f"{v:.4f}" for v in matrix)
        call = f"q {numbers} cm {name} Do Q\n".encode()
        if call not in self._calls:
            self._calls[call] = self._stream(call)
        page[NameObject("/Contents")] = ArrayObject([
            self._save, *_contents(page), self._restore, self._calls[call],
        ])

    def _stream(self, data: bytes) -> IndirectObject:
        stream = DecodedStreamObject()
        stream.set_data(data)
        return self.writer._add_object(stream)  # pypdf has no public name for a new object


def _contents(page: PageObject) -> list[IndirectObject]:
    if "/Contents" not in page:
        return []
    contents = page.raw_get("/Contents")
    resolved = contents.get_object()
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return [contents]


def _free_name(xobjects: DictionaryObject) -> str:
    """A name the page does not use yet (a packet may itself be attached to a packet)."""
    number = 0
    while f"/AftersalesOverlay{number}" in xobjects:
        number += 1
    return f"/AftersalesOverlay{number}"


SEAL_WIDTH = 4 * cm


def find_text(reader: PdfReader, text: str, font: CJKFont) -> tuple[int, float, float] | None:
    """Where `text` first shows in the document: its page's number (from 0) and the middle of
    the text, in that page's user space. The text may be split over several drawing operations;
    its width is measured in `font`, which drew it in the documents this library makes."""
    for number, page in enumerate(reader.pages):
        pieces: list[tuple[str, list[float], float]] = []

        def visit(piece, ctm, tm, font_dict, size, pieces=pieces):
            if piece:
                pieces.append((piece, _multiply(tm, ctm), size))

        page.extract_text(visitor_text=visit)
        at = "".join(piece for piece, _, _ in pieces).find(text)
        if at >= 0:
            return (number, *_middle(pieces, at, text, font))
    return None


def _middle(pieces: list[tuple[str, list[float], float]], at: int, text: str,
            font: CJKFont) -> tuple[float, float]:
    """The middle of `text`, which starts `at` characters into the joined pieces."""
    for piece, matrix, size in pieces:
        if at < len(piece):
            # half the text's width along, half an em-height up from the baseline (text space)
            across = font.width(piece[:at], size) + font.width(text, size) / 2
            up = size * 0.35
            return (matrix[0] * across + matrix[2] * up + matrix[4],
                    matrix[1] * across + matrix[3] * up + matrix[5])
        at -= len(piece)
    raise ValueError(f"no piece holds character {at}")


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """m × n, for PDF's [a b c d e f] matrices."""
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def place_seal(overlays: Overlays, page: PageObject, x: float, y: float, seal: bytes,
               font: CJKFont) -> None:
    """Draws the seal image, SEAL_WIDTH wide and upright as the page is shown, centred on the
    user-space point (x, y) of `page`; its transparency is kept."""
    place = placement(page)
    a, b, c, d, e, f = place.matrix
    # from user space back to the upright page (the matrix is a rotation: its inverse is its
    # transpose)
    u, v = a * (x - e) + b * (y - f), c * (x - e) + d * (y - f)
    image = ImageReader(io.BytesIO(seal))
    pixels_wide, pixels_high = image.getSize()
    width, height = SEAL_WIDTH, SEAL_WIDTH * pixels_high / pixels_wide

    def draw(canvas: Canvas, index: int) -> None:
        canvas.drawImage(image, u - width / 2, v - height / 2, width, height, mask="auto")

    [form] = drawn_forms([(place.width, place.height)], draw, font)
    overlays.draw(page, form, place.matrix)
