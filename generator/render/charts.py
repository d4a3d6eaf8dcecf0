"""Charts of a row table (a layout's `- chart: TABLE`), drawn alike in the PDF and the DOCX.

One plan decides everything that shapes a chart: the value axis (from 0, with round ticks),
where the plot sits, how the category labels go — level, at 45°, upright, or only every n-th
when even upright ones would touch — and the legend. The PDF draws the plan with reportlab's
chart widgets in the embedded CJK font; the DOCX gets a PNG of the same plan drawn with Pillow
from the same TrueType file (reportlab's own bitmap renderer needs rlPyCairo, which is not a
dependency). The XLSX has a native Excel chart instead (render/xlsx.py).

A chart with no rows — a blank form's — is its frame, title and legend only.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

    from generator.render.fonts import CJKFont

PALETTE = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1",
           "#FF9DA7", "#9C755F", "#BAB0AC")
GRID, AXIS, FRAME, TEXT = "#D9D9D9", "#595959", "#BFBFBF", "#000000"
DPI = 150  # the DOCX picture's resolution
CM = 72 / 2.54  # points

TITLE_SIZE = 10.0
LEGEND_SIZE = 8.0
AXIS_SIZE = 8.0  # value labels, and the category labels of up to SMALL_FROM categories
SMALL_SIZE = 7.0
SMALL_FROM = 16
GAP = 4.0
TICK = 3.0
LABEL_ROOM = 0.35  # of the chart's height, at most, for the category labels
LABEL_PITCH = 1.25  # rotated labels stand at least this many times their size apart
SIN45 = math.sqrt(0.5)
ANCHORS = {0: "n", 45: "ne", 90: "e"}  # where a category label hangs from its tick
BAR_WIDTH, GROUP_SPACING = 10, 5  # reportlab's units: one bar, and the gap between groups
MAX_BAR = 1.0 * 72 / 2.54  # points: few categories get wider gaps, not bars a slot wide
LEGEND_GAP = 12.0  # between two legend entries
LINE_WIDTH = 1.5
MARKER = 4.0  # a line's point marker, when the points are few enough to show them
MARKERS_UP_TO = 40

Measure = Callable[[str, float], float]


@dataclass
class Plan:
    """A chart laid out in points, origin bottom left (as reportlab draws)."""

    width: float
    height: float
    kind: str
    title: str = ""
    title_y: float = 0.0  # baseline
    # colour, label, x and the swatch's middle: centred lines under the title, as many as the
    # entries need to stay on the drawing
    legend: list[tuple[str, str, float, float]] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # left, bottom, w, h
    empty: bool = True
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # as drawn: "" where thinned out
    label_size: float = AXIS_SIZE
    angle: int = 0
    series: list[tuple[str, str, list[float | None]]] = field(default_factory=list)
    group_spacing: float = GROUP_SPACING  # reportlab's units, as BAR_WIDTH

    def y_of(self, value: float) -> float:
        left, bottom, width, height = self.plot
        return bottom + (value - self.low) / (self.high - self.low) * height

    def slot(self) -> float:
        return self.plot[2] / max(len(self.categories), 1)


def scale(values: list[float]) -> tuple[float, float, float]:
    """The value axis: from 0 (or below, for negative values) to a round number at or past the
    largest value, in the longest round step (1, 2, 2.5 or 5 times a power of ten) that still
    makes 4 steps or more; whole steps when every value is whole (so 0 to 2 in steps of 1)."""
    whole = all(float(v).is_integer() for v in values)
    low, high = min([0.0, *values]), max([0.0, *values])
    if high == low:
        high = low + (5 if whole else 1)
    power = 10.0 ** math.floor(math.log10(high - low))  # the range is 1 to 10 of them

    def steps(step: float) -> int:
        return math.ceil(round(high / step, 9)) - math.floor(round(low / step, 9))

    candidates = [round(unit * multiple, 12) for unit in (power / 10, power, power * 10)
                  for multiple in (1, 2, 2.5, 5)]
    fitting = [c for c in candidates
               if steps(c) >= 4 and not (whole and not float(c).is_integer())]
    step = max(fitting) if fitting else 1.0  # whole numbers below 4: steps of 1
    low = float(f"{math.floor(round(low / step, 9)) * step:.12g}")  # 0.3, not 0.30000000000000004
    high = float(f"{math.ceil(round(high / step, 9)) * step:.12g}")
    return low, high, step


def tick_text(value: float, step: float) -> str:
    if float(step).is_integer():
        return f"{value:,.0f}"
    digits = max(0, -math.floor(math.log10(step)))
    if not float(round(step * 10**digits, 9)).is_integer():
        digits += 1  # 0.25
    return f"{value:,.{digits}f}"


def _fit(text: str, size: float, room: float, measure: Measure) -> str:
    """`text`, cut short with an ellipsis if it is wider than `room`."""
    if measure(text, size) <= room:
        return text
    while text and measure(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def plan(chart: dict[str, Any], width: float, measure: Measure) -> Plan:
    height = chart["height"] * CM
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(chart["series"]))]
    result = Plan(width, height, chart["kind"], title=chart["title"],
                  series=[(colour, s["label"], s["values"])
                          for colour, s in zip(colours, chart["series"], strict=True)])
    top = height - GAP
    if chart["title"]:
        result.title_y = top - TITLE_SIZE * 0.9
        top -= TITLE_SIZE * 1.3
    top = _legend(result, top, measure) - GAP

    # A category is a value of the table printed beside the chart; on an axis it is one line
    # (and cut short if long), its line breaks read as spaces.
    categories = [" ".join(c.splitlines()) for c in chart["categories"]]
    numbers = [v for s in chart["series"] for v in s["values"] if v is not None]
    if not categories:
        result.plot = (GAP, GAP, width - 2 * GAP, top - GAP)
        return result
    result.empty = False
    result.low, result.high, result.step = scale(numbers)
    count = round((result.high - result.low) / result.step)
    result.ticks = [(result.low + i * result.step,
                     tick_text(result.low + i * result.step, result.step))
                    for i in range(count + 1)]
    left = max(measure(text, AXIS_SIZE) for _, text in result.ticks) + GAP + TICK
    right = width - 2 * GAP

    # Category labels: level when they fit their slot, else at 45°, else upright, and only
    # every n-th when even upright ones would touch. They take at most LABEL_ROOM of the
    # height; a longer one is cut short.
    size = AXIS_SIZE if len(categories) <= SMALL_FROM else SMALL_SIZE
    slot = (right - left) / len(categories)
    widest = max(measure(c, size) for c in categories)
    every = 1
    room = height * LABEL_ROOM
    if widest <= slot - 2:
        angle, labels = 0, list(categories)
        below = size * 1.2
    else:
        angle = 45 if slot * SIN45 >= size * LABEL_PITCH else 90
        if angle == 90:
            every = math.ceil(size * LABEL_PITCH / slot)
        longest = (room - TICK) / SIN45 - size if angle == 45 else room - TICK
        labels = [_fit(c, size, longest, measure) for c in categories]
        widest = max(measure(c, size) for c in labels)
        if angle == 45:
            below = (widest + size) * SIN45
            # the first label runs down to the left of its tick: keep it on the drawing
            left = max(left, widest * SIN45 - slot / 2 + GAP)
        else:
            below = widest
    result.categories = [c if i % every == 0 else "" for i, c in enumerate(labels)]
    result.label_size, result.angle = size, angle
    bottom = below + TICK + GAP
    result.plot = (left, bottom, right - left, top - bottom)
    if result.kind == "bar":
        # bars as wide as the slots allow, up to MAX_BAR: the rest goes to the gap between groups
        unit = result.slot() / (len(result.series) * BAR_WIDTH + GROUP_SPACING)
        if unit * BAR_WIDTH > MAX_BAR:
            result.group_spacing = (result.slot() / (MAX_BAR / BAR_WIDTH)
                                    - len(result.series) * BAR_WIDTH)
    return result


def _legend(result: Plan, top: float, measure: Measure) -> float:
    """The legend under `top`: a swatch and the series' label each, in centred lines no wider
    than the drawing (a label longer than a line cut short). Returns the legend's bottom."""
    room = result.width - 2 * GAP
    swatch = LEGEND_SIZE + 4
    entries = [(colour, _fit(label, LEGEND_SIZE, room - swatch, measure))
               for colour, label, _ in result.series]
    lines: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for colour, label in entries:
        wide = swatch + measure(label, LEGEND_SIZE)
        if lines[-1] and used + LEGEND_GAP + wide > room:
            lines.append([])
            used = 0.0
        used += (LEGEND_GAP if lines[-1] else 0.0) + wide
        lines[-1].append((colour, label, wide))
    for line in lines:
        middle = top - LEGEND_SIZE * 0.6
        x = (result.width - sum(w for _, _, w in line) - LEGEND_GAP * (len(line) - 1)) / 2
        for colour, label, wide in line:
            result.legend.append((colour, label, x, middle))
            x += wide + LEGEND_GAP
        top -= LEGEND_SIZE * 1.3
    return top


def bar_geometry(p: Plan) -> list[list[tuple[float, float]]]:
    """Each series' bars as (x, width), per category — as reportlab's VerticalBarChart
    places them with barWidth BAR_WIDTH, the plan's groupSpacing and no barSpacing."""
    slot = p.slot()
    unit = slot / (len(p.series) * BAR_WIDTH + p.group_spacing)
    left = p.plot[0]
    return [[(left + i * slot + unit * (p.group_spacing / 2 + s * BAR_WIDTH), unit * BAR_WIDTH)
             for i in range(len(p.categories))] for s in range(len(p.series))]


# --- the PDF: reportlab graphics ----------------------------------------------------------


def pdf_drawing(chart: dict[str, Any], width: float, font: CJKFont) -> Drawing:
    """The chart as a reportlab Drawing `width` points wide (a flowable)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib.colors import HexColor

    p = plan(chart, width, font.width)
    drawing = Drawing(width, p.height)
    # centred, as the tables are: both are the text column's width, which a platypus frame
    # narrows by its padding, so a left-aligned drawing would stick out on the right
    drawing.hAlign = "CENTER"
    # reportlab starts every drawing in Helvetica, which would then be named (not embedded) in
    # the PDF even when nothing is written in it
    drawing.initialFontName = font.name
    if p.title:
        drawing.add(String(width / 2, p.title_y, p.title, fontName=font.name,
                           fontSize=TITLE_SIZE, textAnchor="middle"))
    for colour, label, x, middle in p.legend:
        if p.kind == "bar":
            drawing.add(Rect(x, middle - LEGEND_SIZE / 2, LEGEND_SIZE, LEGEND_SIZE,
                             fillColor=HexColor(colour), strokeColor=None))
        else:
            drawing.add(Line(x, middle, x + LEGEND_SIZE, middle, strokeColor=HexColor(colour),
                             strokeWidth=LINE_WIDTH))
            drawing.add(Circle(x + LEGEND_SIZE / 2, middle, MARKER / 2,
                               fillColor=HexColor(colour), strokeColor=None))
        drawing.add(String(x + LEGEND_SIZE + 4, middle - LEGEND_SIZE * 0.35, label,
                           fontName=font.name, fontSize=LEGEND_SIZE))
    left, bottom, plot_w, plot_h = p.plot
    if p.empty:
        drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None,
                         strokeColor=HexColor(FRAME), strokeWidth=0.5))
        return drawing

    chart_widget = VerticalBarChart() if p.kind == "bar" else HorizontalLineChart()
    chart_widget.x, chart_widget.y, chart_widget.width, chart_widget.height = p.plot
    chart_widget.data = [tuple(values) for _, _, values in p.series]
    axis = chart_widget.categoryAxis
    axis.categoryNames = p.categories
    axis.joinAxisMode = "bottom"  # below negative values too, not across the plot at 0
    axis.strokeColor = HexColor(AXIS)
    axis.tickDown = TICK
    axis.labels.fontName, axis.labels.fontSize = font.name, p.label_size
    axis.labels.angle, axis.labels.boxAnchor = p.angle, ANCHORS[p.angle]
    axis.labels.dx, axis.labels.dy = 0, -TICK - 1
    values = chart_widget.valueAxis
    values.valueMin, values.valueMax, values.valueStep = p.low, p.high, p.step
    values.labelTextFormat = lambda v: tick_text(v, p.step)
    values.labels.fontName, values.labels.fontSize = font.name, AXIS_SIZE
    values.strokeColor = HexColor(AXIS)
    values.visibleGrid = True
    values.gridStrokeColor, values.gridStrokeWidth = HexColor(GRID), 0.5
    values.tickLeft = TICK
    values.labels.dx = -TICK - 2
    if p.kind == "bar":
        chart_widget.barWidth, chart_widget.groupSpacing = BAR_WIDTH, p.group_spacing
        chart_widget.barSpacing = 0
        for number, (colour, _, _) in enumerate(p.series):
            chart_widget.bars[number].fillColor = HexColor(colour)
            chart_widget.bars[number].strokeColor = None
    else:
        chart_widget.joinedLines = True
        for number, (colour, _, _) in enumerate(p.series):
            line = chart_widget.lines[number]
            line.strokeColor, line.strokeWidth = HexColor(colour), LINE_WIDTH
            if len(p.categories) <= MARKERS_UP_TO:
                line.symbol = makeMarker("FilledCircle", size=MARKER,
                                         fillColor=HexColor(colour), strokeColor=None)
    drawing.add(chart_widget)
    return drawing


# --- the DOCX: a PNG drawn with Pillow ----------------------------------------------------


def png(chart: dict[str, Any], width: float, font: CJKFont, dpi: int = DPI) -> bytes:
    """The chart as a PNG picture of `width` points, at `dpi`: the PDF's drawing, pixel for
    pixel as near as Pillow draws it."""
    from PIL import Image, ImageDraw, ImageFont

    p = plan(chart, width, font.width)
    s = dpi / 72
    image = Image.new("RGB", (round(p.width * s), round(p.height * s)), "white")
    draw = ImageDraw.Draw(image)
    faces: dict[float, Any] = {}

    def face(size: float):
        if size not in faces:
            faces[size] = ImageFont.truetype(font.path, round(size * s), index=font.index)
        return faces[size]

    def at(x: float, y: float) -> tuple[float, float]:
        return x * s, (p.height - y) * s

    def line(points: list[tuple[float, float]], colour: str, weight: float) -> None:
        draw.line([at(x, y) for x, y in points], fill=colour, width=max(1, round(weight * s)),
                  joint="curve")

    def dot(x: float, y: float, colour: str, diameter: float) -> None:
        cx, cy = at(x, y)
        r = diameter * s / 2
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)

    if p.title:
        draw.text(at(width / 2, p.title_y), p.title, font=face(TITLE_SIZE), fill=TEXT,
                  anchor="ms")
    for colour, label, x, middle in p.legend:
        if p.kind == "bar":
            draw.rectangle([at(x, middle + LEGEND_SIZE / 2),
                            at(x + LEGEND_SIZE, middle - LEGEND_SIZE / 2)], fill=colour)
        else:
            line([(x, middle), (x + LEGEND_SIZE, middle)], colour, LINE_WIDTH)
            dot(x + LEGEND_SIZE / 2, middle, colour, MARKER)
        draw.text(at(x + LEGEND_SIZE + 4, middle - LEGEND_SIZE * 0.35), label,
                  font=face(LEGEND_SIZE), fill=TEXT, anchor="ls")
    left, bottom, plot_w, plot_h = p.plot
    if p.empty:
        draw.rectangle([at(left, bottom + plot_h), at(left + plot_w, bottom)], outline=FRAME,
                       width=max(1, round(0.5 * s)))
        return _png_bytes(image, dpi)

    for value, text in p.ticks:
        y = p.y_of(value)
        line([(left, y), (left + plot_w, y)], GRID, 0.5)
        line([(left - TICK, y), (left, y)], AXIS, 1)
        draw.text(at(left - TICK - 2, y), text, font=face(AXIS_SIZE), fill=TEXT, anchor="rm")
    zero = p.y_of(max(p.low, 0.0))
    slot = p.slot()
    if p.kind == "bar":
        for (colour, _, values), bars in zip(p.series, bar_geometry(p), strict=True):
            for value, (x, bar_w) in zip(values, bars, strict=True):
                if value:
                    top, base = sorted((p.y_of(value), zero), reverse=True)
                    draw.rectangle([at(x, top), at(x + bar_w, base)], fill=colour)
    else:
        for colour, _, values in p.series:
            # a missing value is left out, its neighbours joined (as reportlab does)
            points = [(left + (i + 0.5) * slot, p.y_of(v)) for i, v in enumerate(values)
                      if v is not None]
            if len(points) > 1:
                line(points, colour, LINE_WIDTH)
            if len(p.categories) <= MARKERS_UP_TO:
                for x, y in points:
                    dot(x, y, colour, MARKER)
    line([(left, bottom), (left, bottom + plot_h)], AXIS, 1)
    line([(left, bottom), (left + plot_w, bottom)], AXIS, 1)
    for number in range(len(p.categories) + 1):  # ticks between the categories
        line([(left + number * slot, bottom), (left + number * slot, bottom - TICK)], AXIS, 1)
    for number, label in enumerate(p.categories):
        if label:
            _category_label(image, face(p.label_size), label,
                            at(left + (number + 0.5) * slot, bottom - TICK - 1), p.angle,
                            p.label_size * s)
    return _png_bytes(image, dpi)


def _category_label(image, face, text: str, point: tuple[float, float], angle: int,
                    size: float) -> None:
    """`text` turned `angle`° anticlockwise, hung from `point` by its ANCHORS corner."""
    from PIL import Image, ImageDraw

    width = max(1, math.ceil(face.getlength(text)))
    height = max(1, math.ceil(size * 1.2))
    label = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((0, height / 2), text, font=face, fill=TEXT, anchor="lm")
    # the anchor in the label's own box: top middle, top right or middle right
    ax, ay = {0: (width / 2, 0.0), 45: (float(width), 0.0), 90: (float(width), height / 2)}[angle]
    if angle:
        turned = label.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
        theta = math.radians(angle)
        dx, dy = ax - width / 2, ay - height / 2
        ax = turned.width / 2 + dx * math.cos(theta) + dy * math.sin(theta)
        ay = turned.height / 2 - dx * math.sin(theta) + dy * math.cos(theta)
        label = turned
    image.paste(label, (round(point[0] - ax), round(point[1] - ay)), label)


def _png_bytes(image, dpi: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buffer.getvalue()
