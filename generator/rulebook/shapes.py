"""What the rulebook's charts are drawn with: boxes of centred lines, arrows, and labels
wrapped as Chinese is set (no line starts with closing punctuation or ends with opening)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LINE = 0.8  # stroke width of boxes and connectors
DASH = [3, 2]
ARROW = 5.0  # the arrowhead's length
CLOSING = "，。、；：？！）》」』”’,.;:?!)"
OPENING = "（《「『“‘("

Measure = Callable[[str, float], float]


@dataclass
class Rect:
    """An axis-aligned box in drawing points, origin bottom left."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def top(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Rect) -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.top and other.y < self.top)


def wrap(text: str, limit: float, size: float, measure: Measure) -> list[str]:
    """`text` in lines no wider than `limit` (a line holds one character at least), broken
    between any two characters except before closing or after opening punctuation."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and measure(line + char, size) > limit and char not in CLOSING:
            carried = ""
            while line and line[-1] in OPENING:
                line, carried = line[:-1], line[-1] + carried
            if line:
                lines.append(line)
            line = carried
        line += char
    return [*lines, line] if line else lines


def box(group, rect: Rect, lines: list[tuple[str, float]], font: str,
        dashed: bool = False) -> None:
    """A rounded box with `lines` (text, size) centred in it, one under the other."""
    from reportlab.graphics.shapes import Rect as Shape
    from reportlab.graphics.shapes import String
    from reportlab.lib import colors

    group.add(Shape(rect.x, rect.y, rect.w, rect.h, rx=3, ry=3, strokeWidth=LINE,
                    fillColor=colors.white, strokeColor=colors.black,
                    strokeDashArray=DASH if dashed else None))
    total = sum(size for _, size in lines) + 2 * (len(lines) - 1)
    baseline = rect.y + rect.h / 2 + total / 2
    for text, size in lines:
        baseline -= size
        group.add(String(rect.x + rect.w / 2, baseline + 1, text, fontName=font, fontSize=size,
                         textAnchor="middle"))
        baseline -= 2


def line(group, points: list[float], dashed: bool = False) -> None:
    from reportlab.graphics.shapes import PolyLine
    from reportlab.lib import colors

    group.add(PolyLine(points, strokeWidth=LINE, strokeColor=colors.black,
                       strokeDashArray=DASH if dashed else None))


def arrow(group, points: list[float], dashed: bool = False) -> None:
    """A polyline ending in an arrowhead at its last point."""
    from reportlab.graphics.shapes import Polygon
    from reportlab.lib import colors

    line(group, points, dashed)
    (x1, y1), (x2, y2) = points[-4:-2], points[-2:]
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    half = ARROW / 2
    group.add(Polygon([x2, y2, x2 - ARROW * ux + half * uy, y2 - ARROW * uy - half * ux,
                       x2 - ARROW * ux - half * uy, y2 - ARROW * uy + half * ux],
                      fillColor=colors.black, strokeWidth=0))


def text_lines(group, lines: list[str], x: float, top: float, size: float, leading: float,
               font: str, anchor: str = "start") -> None:
    """Lines of text hanging from `top`, each `leading` below the last, anchored at `x`."""
    from reportlab.graphics.shapes import String

    for number, text in enumerate(lines):
        baseline = top - number * leading - size * 0.9
        group.add(String(x, baseline, text, fontName=font, fontSize=size, textAnchor=anchor))
