"""A reportlab Drawing as a PNG, drawn with Pillow from the drawing's own shapes.

The DOCX carries the rulebook's charts as pictures of exactly what the PDF draws. reportlab's
own bitmap renderer (renderPM) needs rlPyCairo, which is not a dependency, so this walks the
drawing — groups and their transforms, rectangles (rounded, dashed), lines, polylines,
polygons and strings — and paints each with Pillow in the same TrueType font. Only those
shapes are understood; another one is an error, not a silent gap in the picture.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

    from generator.render.fonts import CJKFont

DPI = 200
Matrix = tuple[float, float, float, float, float, float]


def png(drawing: Drawing, font: CJKFont, dpi: int = DPI) -> bytes:
    """`drawing` as a PNG at `dpi`, its size in points kept (recorded in the file's DPI)."""
    from PIL import Image, ImageDraw

    scale = dpi / 72
    size = (math.ceil(drawing.width * scale), math.ceil(drawing.height * scale))
    image = Image.new("RGB", size, "white")
    page = (scale, 0.0, 0.0, -scale, 0.0, drawing.height * scale)  # y down, in pixels
    _Painter(ImageDraw.Draw(image), font).group(drawing, page)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buffer.getvalue()


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    """The transform that applies `b`, then `a` (as reportlab composes a group's transform)."""
    a0, a1, a2, a3, a4, a5 = a
    b0, b1, b2, b3, b4, b5 = b
    return (a0 * b0 + a2 * b1, a1 * b0 + a3 * b1, a0 * b2 + a2 * b3, a1 * b2 + a3 * b3,
            a0 * b4 + a2 * b5 + a4, a1 * b4 + a3 * b5 + a5)


def _colour(colour: Any) -> str | None:
    if colour is None:
        return None
    return "#" + colour.hexval()[2:]


class _Painter:
    def __init__(self, draw, font: CJKFont) -> None:
        self.draw, self.font = draw, font
        self.faces: dict[int, Any] = {}

    def group(self, group, matrix: Matrix) -> None:
        from reportlab.graphics.shapes import Group

        matrix = _multiply(matrix, tuple(group.transform))
        for shape in group.contents:
            if isinstance(shape, Group):
                self.group(shape, matrix)
            else:
                self.shape(shape, matrix)

    def shape(self, shape, m: Matrix) -> None:
        from reportlab.graphics.shapes import Line, Polygon, PolyLine, Rect, String

        def at(x: float, y: float) -> tuple[float, float]:
            return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]

        size = math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))  # points to pixels, here
        if isinstance(shape, String):
            self.string(shape, at(shape.x, shape.y), size)
        elif isinstance(shape, Rect):
            self.rect(shape, at, size)
        elif isinstance(shape, Polygon):
            points = [at(*shape.points[i:i + 2]) for i in range(0, len(shape.points), 2)]
            self.draw.polygon(points, fill=_colour(shape.fillColor),
                              outline=_colour(shape.strokeColor) if shape.strokeWidth else None)
        elif isinstance(shape, PolyLine | Line):
            flat = shape.points if isinstance(shape, PolyLine) else [shape.x1, shape.y1,
                                                                      shape.x2, shape.y2]
            points = [at(*flat[i:i + 2]) for i in range(0, len(flat), 2)]
            self.stroke(points, shape, size)
        else:
            raise TypeError(f"cannot draw a {type(shape).__name__} as a picture")

    def string(self, shape, point: tuple[float, float], size: float) -> None:
        from PIL import ImageFont

        pixels = round(shape.fontSize * size)
        if pixels not in self.faces:
            self.faces[pixels] = ImageFont.truetype(self.font.path, pixels, index=self.font.index)
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[shape.textAnchor]
        self.draw.text(point, shape.text, font=self.faces[pixels],
                       fill=_colour(shape.fillColor) or "black", anchor=anchor)

    def rect(self, shape, at, size: float) -> None:
        (x1, y1), (x2, y2) = at(shape.x, shape.y), at(shape.x + shape.width,
                                                     shape.y + shape.height)
        box = [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
        fill = _colour(shape.fillColor)
        if fill:
            self.draw.rounded_rectangle(box, radius=shape.rx * size, fill=fill)
        if shape.strokeColor is None or not shape.strokeWidth:
            return
        if shape.strokeDashArray:  # a dashed outline: its four sides (the corners left square)
            left, top, right, bottom = box
            self.stroke([(left, top), (right, top), (right, bottom), (left, bottom), (left, top)],
                        shape, size)
        else:  # Pillow strokes inside the box, reportlab across its edge: widen by half
            width = max(1, round(shape.strokeWidth * size))
            left, top, right, bottom = box
            half = width / 2
            self.draw.rounded_rectangle([left - half, top - half, right + half, bottom + half],
                                        radius=shape.rx * size + half,
                                        outline=_colour(shape.strokeColor), width=width)

    def stroke(self, points: list[tuple[float, float]], shape, size: float) -> None:
        colour = _colour(shape.strokeColor) or "black"
        width = max(1, round(shape.strokeWidth * size))
        if not shape.strokeDashArray:
            self.draw.line(points, fill=colour, width=width, joint="curve")
            return
        on, off = (d * size for d in shape.strokeDashArray)
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            length = math.hypot(x2 - x1, y2 - y1)
            start = 0.0
            while start < length:
                end = min(start + on, length)
                self.draw.line([(x1 + (x2 - x1) * start / length, y1 + (y2 - y1) * start / length),
                                (x1 + (x2 - x1) * end / length, y1 + (y2 - y1) * end / length)],
                               fill=colour, width=width)
                start = end + off
