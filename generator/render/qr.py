"""QR codes: reportlab's encoder draws them in a PDF, and the same modules become a PNG for
DOCX, so both formats carry the same code."""

from __future__ import annotations

import io

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.platypus import Flowable

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
LEVEL = "M"  # error correction: survives a smudge or a stamp's edge (15%)


def _widget(text: str, size: float) -> QrCodeWidget:
    return QrCodeWidget(text, barWidth=size, barHeight=size, barBorder=QUIET_ZONE,
                        barLevel=LEVEL)


class QrCode(Flowable):
    """`text` as a QR code `size` points square (quiet zone included). Drawn as one filled
    path of each row's runs of dark modules: reportlab's own widget makes a shape per module,
    which took 40% of a warranty card's time."""

    def __init__(self, text: str, size: float) -> None:
        super().__init__()
        self.dark = modules(text)
        self.size = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        unit = self.size / (len(self.dark) + 2 * QUIET_ZONE)
        path = self.canv.beginPath()
        for r, row in enumerate(self.dark):
            y = self.size - (r + QUIET_ZONE + 1) * unit
            for start, length in _runs(row):
                path.rect((start + QUIET_ZONE) * unit, y, length * unit, unit)
        self.canv.drawPath(path, stroke=0, fill=1)


def _runs(row: list[bool]) -> list[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row."""
    runs, start = [], None
    for column, is_dark in enumerate([*row, False]):
        if is_dark and start is None:
            start = column
        elif not is_dark and start is not None:
            runs.append((start, column - start))
            start = None
    return runs


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
