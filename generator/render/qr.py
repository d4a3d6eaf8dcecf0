"""QR codes: reportlab's encoder draws them in a PDF, and the same modules become a PNG for
DOCX, so both formats carry the same code."""

from __future__ import annotations

import io

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
LEVEL = "M"  # error correction: survives a smudge or a stamp's edge (15%)


def _widget(text: str, size: float) -> QrCodeWidget:
    return QrCodeWidget(text, barWidth=size, barHeight=size, barBorder=QUIET_ZONE,
                        barLevel=LEVEL)


def qr_drawing(text: str, size: float, font_name: str) -> Drawing:
    """`text` as a QR code `size` points square (quiet zone included), for a PDF whose font
    is `font_name`."""
    drawing = Drawing(size, size)
    # reportlab starts every drawing in Helvetica, which would then be named (not embedded) in
    # the PDF though the code has no text
    drawing.initialFontName = font_name
    drawing.add(_widget(text, size))
    return drawing


def modules(text: str) -> list[list[bool]]:
    """The code's dark (True) and light modules, row by row, without the quiet zone."""
    widget = _widget(text, 1)
    widget.qr.make()
    return [[bool(dark) for dark in row] for row in widget.qr.modules]


def qr_png(text: str, pixels_per_module: int = 8) -> bytes:
    """`text` as a QR code PNG, quiet zone included: the modules the PDF draws."""
    from PIL import Image

    dark = modules(text)
    count = len(dark) + 2 * QUIET_ZONE
    image = Image.new("1", (count, count), 1)
    for r, row in enumerate(dark):
        for c, is_dark in enumerate(row):
            if is_dark:
                image.putpixel((c + QUIET_ZONE, r + QUIET_ZONE), 0)
    scaled = image.resize((count * pixels_per_module,) * 2, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    scaled.save(buffer, format="PNG")
    return buffer.getvalue()
