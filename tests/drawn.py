"""Geometry read back from a reportlab Drawing, for tests that measure what a chart shows:
every string's outline as drawn (through the groups' transforms, so a slanted label is a
slanted box), every line's segments and every rectangle, in the drawing's points."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.shapes import Group, Line, PolyLine, Rect, String, UserNode
from reportlab.pdfbase.pdfmetrics import stringWidth

Point = tuple[float, float]
Segment = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
ASCENT, DESCENT = 0.88, 0.12  # of the size: where a CJK glyph's box reaches
EPS = 0.05  # points: boxes that only touch do not overlap


@dataclass
class Drawn:
    texts: list[tuple[str, list[Point]]]  # each string and the four corners of its box
    segments: list[tuple[Segment, bool]]  # each line piece, and whether it is dashed
    rects: list[tuple[list[Point], bool]]  # each rectangle's corners, and whether dashed


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    a0, a1, a2, a3, a4, a5 = a
    b0, b1, b2, b3, b4, b5 = b
    return (a0 * b0 + a2 * b1, a1 * b0 + a3 * b1, a0 * b2 + a2 * b3, a1 * b2 + a3 * b3,
            a0 * b4 + a2 * b5 + a4, a1 * b4 + a3 * b5 + a5)


def read(drawing) -> Drawn:
    """What `drawing` shows (its widgets expanded into the shapes they draw)."""
    drawn = Drawn([], [], [])
    _walk(drawing, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), drawn)
    return drawn


def _walk(group, matrix: Matrix, drawn: Drawn) -> None:
    matrix = _multiply(matrix, tuple(group.transform))

    def at(x: float, y: float) -> Point:
        return (matrix[0] * x + matrix[2] * y + matrix[4],
                matrix[1] * x + matrix[3] * y + matrix[5])

    for shape in group.contents:
        if isinstance(shape, UserNode):  # a chart widget: the shapes it draws
            shape = shape.provideNode()
        if isinstance(shape, Group):
            _walk(shape, matrix, drawn)
        elif isinstance(shape, String):
            w = stringWidth(shape.text, shape.fontName, shape.fontSize)
            left = shape.x - {"start": 0, "middle": w / 2, "end": w}.get(shape.textAnchor, 0)
            low, high = shape.y - DESCENT * shape.fontSize, shape.y + ASCENT * shape.fontSize
            drawn.texts.append((shape.text, [at(left, low), at(left + w, low),
                                             at(left + w, high), at(left, high)]))
        elif isinstance(shape, PolyLine | Line):
            flat = (shape.points if isinstance(shape, PolyLine)
                    else [shape.x1, shape.y1, shape.x2, shape.y2])
            points = [at(*flat[i:i + 2]) for i in range(0, len(flat), 2)]
            for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
                drawn.segments.append(((x1, y1, x2, y2), bool(shape.strokeDashArray)))
        elif isinstance(shape, Rect) and shape.strokeColor is not None and shape.strokeWidth:
            x, y, w, h = shape.x, shape.y, shape.width, shape.height
            drawn.rects.append(([at(x, y), at(x + w, y), at(x + w, y + h), at(x, y + h)],
                                bool(shape.strokeDashArray)))


def _axes(polygon: list[Point]) -> list[Point]:
    return [(-(b[1] - a[1]), b[0] - a[0])
            for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True)]


def overlap(a: list[Point], b: list[Point]) -> bool:
    """Whether two convex polygons (or a polygon and a segment's two ends) share more than an
    edge: no separating axis (the separating axis theorem)."""
    for ax, ay in _axes(a) + _axes(b):
        if ax == 0 and ay == 0:
            continue
        pa = [x * ax + y * ay for x, y in a]
        pb = [x * ax + y * ay for x, y in b]
        norm = (ax * ax + ay * ay) ** 0.5
        if min(pa) >= max(pb) - EPS * norm or min(pb) >= max(pa) - EPS * norm:
            return False
    return True


def crosses(s: Segment, t: Segment) -> bool:
    """Whether two segments meet anywhere (ends included)."""
    def side(ax, ay, bx, by, cx, cy) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    def within(a, b, c) -> bool:
        return min(a, b) - 1e-6 <= c <= max(a, b) + 1e-6

    x1, y1, x2, y2 = s
    x3, y3, x4, y4 = t
    d1, d2 = side(x3, y3, x4, y4, x1, y1), side(x3, y3, x4, y4, x2, y2)
    d3, d4 = side(x1, y1, x2, y2, x3, y3), side(x1, y1, x2, y2, x4, y4)
    if ((d1 > 0) != (d2 > 0) and d1 and d2) and ((d3 > 0) != (d4 > 0) and d3 and d4):
        return True
    return any(d == 0 and within(a, b, c) and within(e, f, g) for d, a, b, c, e, f, g in (
        (d1, x3, x4, x1, y3, y4, y1), (d2, x3, x4, x2, y3, y4, y2),
        (d3, x1, x2, x3, y1, y2, y3), (d4, x1, x2, x4, y1, y2, y4)))


def rect_corners(x: float, y: float, w: float, h: float) -> list[Point]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def segment_polygon(s: Segment) -> list[Point]:
    return [(s[0], s[1]), (s[2], s[3])]


def distance(rect: list[Point], s: Segment) -> float:
    """The gap between an axis-aligned box and an axis-aligned segment (0 when they meet)."""
    xs, ys = [p[0] for p in rect], [p[1] for p in rect]
    dx = max(0.0, min(s[0], s[2]) - max(xs), min(xs) - max(s[0], s[2]))
    dy = max(0.0, min(s[1], s[3]) - max(ys), min(ys) - max(s[1], s[3]))
    return (dx * dx + dy * dy) ** 0.5
