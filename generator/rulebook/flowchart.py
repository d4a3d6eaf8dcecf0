"""A flowchart laid out from a Graph: the main path down the middle, side boxes to its right,
and every longer move — a loop back or a skip forward — in a lane of its own beside the path.

The rules that keep lines from crossing, for any graph (the lifecycle is data):
- a move whose rows lie within another's takes a lane nearer the boxes, so the outer one's
  line passes round it (lanes nested by span); moves whose rows touch take different lanes;
- where several moves leave or enter one side of a box, those heading up leave from its upper
  part and those heading down from its lower part, the outer lanes nearer the middle, so no
  move's end crosses another's line;
- a move whose rows interleave with one already on a side (each has an end inside the other)
  goes to the other side; on the right it must also not pass a row where a side box or a note
  is reached across;
- a move's label stands inside its lane beside its own line, between the move's two ends,
  where no other line passes; each lane is as wide as its labels.
The layout is data (boxes, routes, labels) so that tests can measure what is drawn.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from generator.rulebook.figures import Edge, Graph
from generator.rulebook.shapes import LINE, Measure, Rect, arrow, box, text_lines, wrap

BOX_H = 30.0
GAP_Y = 22.0  # between two boxes of the main path
MIN_BOX_W = 96.0
MARGIN = 4.0
LABEL_SIZE = 7.0
LEADING = 8.5
PAD = 3.0  # between a label and a line
LABEL_CHARS = 5  # a label's lines are at least this many characters wide
PHRASE_CHARS = 7  # and as wide as its longest phrase, up to this many
LANE_MIN = 10.0  # between two lanes without labels
SIDE_GAP = 30.0  # from the last right lane to the side boxes, at least
NOTE_SIZE = 8.0


@dataclass
class Route:
    edge: Edge | None  # None: the dashed line to a note
    points: list[float]  # x0, y0, x1, y1, ...
    looped: bool = False  # in a lane beside the main path
    dashed: bool = False

    def segments(self) -> list[tuple[float, float, float, float]]:
        p = self.points
        return [(p[i], p[i + 1], p[i + 2], p[i + 3]) for i in range(0, len(p) - 2, 2)]


@dataclass
class Label:
    edge: Edge | None  # None: a box's note
    lines: list[str]
    rect: Rect
    anchor: str  # how each line stands at rect's x: start, end or middle
    size: float = LABEL_SIZE


@dataclass
class FlowLayout:
    width: float
    height: float
    boxes: dict[str, tuple[Rect, list[tuple[str, float]], bool]] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass
class _Lane:
    edge: Edge
    top: int  # the rows it joins, top < bottom (equal for a move back to its own box)
    bottom: int
    side: str = "L"
    lane: int = 0
    lines: list[str] = field(default_factory=list)

    def interleaves(self, other: _Lane) -> bool:
        return (self.top < other.top < self.bottom < other.bottom
                or other.top < self.top < other.bottom < self.bottom)

    def touches(self, other: _Lane) -> bool:
        return self.top <= other.bottom and other.top <= self.bottom

    def passes(self, row: int) -> bool:
        return self.top < row < self.bottom


def layout(graph: Graph, font: str, width: float) -> FlowLayout:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return _Planner(graph, font, lambda text, size: stringWidth(text, font, size)).plan(width)


class _Planner:
    def __init__(self, graph: Graph, font: str, measure: Measure) -> None:
        self.graph, self.font, self.measure = graph, font, measure
        self.main = [n for n in graph.nodes if n.main]
        self.row = {n.key: i for i, n in enumerate(self.main)}
        self.side_nodes = [n for n in graph.nodes if not n.main]
        self.box_w = max([MIN_BOX_W] + [max(measure(n.label, 10) + 24, measure(n.sub, 7.5) + 16)
                                        for n in graph.nodes])
        self.downs: list[Edge] = []  # a step down the main path
        self.lanes: list[_Lane] = []  # a move back, or ahead past the next box
        self.across: list[Edge] = []  # a move to a side box
        self.onward: list[Edge] = []  # a move out of a side box: written beside it
        for edge in graph.edges:
            if edge.source not in self.row:
                self.onward.append(edge)
            elif edge.target not in self.row:
                self.across.append(edge)
            elif self.row[edge.target] == self.row[edge.source] + 1:
                self.downs.append(edge)
            else:
                ends = sorted((self.row[edge.source], self.row[edge.target]))
                self.lanes.append(_Lane(edge, *ends))
        self.pitch = BOX_H + GAP_Y
        self.side_row = self._side_rows()

    # --- where things go ---------------------------------------------------------------

    def _side_rows(self) -> dict[str, int]:
        """A side box stands beside the first main box that leads to it (or the next free row)."""
        taken: set[int] = set()
        rows = {}
        for node in self.side_nodes:
            sources = [self.row[e.source] for e in self.across if e.target == node.key]
            row = min(sources, default=0)
            while row in taken:
                row += 1
            taken.add(row)
            rows[node.key] = row
        return rows

    def _reached_across(self) -> set[int]:
        """Rows from which a line runs right, to a side box or a note."""
        rows = {self.row[e.source] for e in self.across}
        return rows | {i for i, n in enumerate(self.main) if n.note}

    def _choose_sides(self) -> None:
        across = self._reached_across()
        placed: list[_Lane] = []
        for lane in sorted(self.lanes, key=lambda m: (m.bottom - m.top, m.top)):
            def cost(side: str, lane: _Lane = lane) -> int:
                clashes = sum(lane.interleaves(o) for o in placed if o.side == side)
                if side == "R":
                    clashes += sum(lane.passes(row) for row in across)
                return clashes
            back = self.row[lane.edge.target] < self.row[lane.edge.source]
            preferred = "L" if back else "R"
            other = "R" if back else "L"
            lane.side = other if cost(other) < cost(preferred) else preferred
            lane.lane = 1 + max((o.lane for o in placed
                                 if o.side == lane.side and o.touches(lane)), default=0)
            placed.append(lane)

    def _ports(self) -> dict[tuple[int, str], list[tuple[str, int, object]]]:
        """What leaves or enters each side of each main box, top to bottom: moves heading up
        (inner lanes first), lines across, then moves heading down (outer lanes first)."""
        ports: dict[tuple[int, str], list[tuple[str, int, object]]] = {}
        for lane in self.lanes:
            ports.setdefault((lane.bottom, lane.side), []).append(("up", lane.lane, lane))
            ports.setdefault((lane.top, lane.side), []).append(("down", lane.lane, lane))
        for edge in self.across:
            ports.setdefault((self.row[edge.source], "R"), []).append(("flat", 0, edge))
        for i, node in enumerate(self.main):
            if node.note:
                ports.setdefault((i, "R"), []).append(("flat", 0, node))
        rank = {"up": 0, "flat": 1, "down": 2}
        for entries in ports.values():
            entries.sort(key=lambda p: (rank[p[0]], p[1] if p[0] == "up" else -p[1]))
        return ports

    # --- the plan ------------------------------------------------------------------------

    def plan(self, width: float) -> FlowLayout:
        self._choose_sides()
        ports = self._ports()
        height = len(self.main) * self.pitch - GAP_Y + 2 * MARGIN
        top = lambda i: height - MARGIN - i * self.pitch  # noqa: E731 (a coordinate rule)

        def port_y(row: int, side: str, item: object, kind: str) -> float:
            entries = ports[(row, side)]
            index = next(n for n, p in enumerate(entries) if p[2] is item and p[0] == kind)
            return top(row) - BOX_H * (index + 1) / (len(entries) + 1)

        # lane labels: wrapped to fit between the move's two ends
        for lane in self.lanes:
            span = abs(port_y(lane.bottom, lane.side, lane, "up")
                       - port_y(lane.top, lane.side, lane, "down")) - 2 * PAD
            lane.lines = self._fit_label(lane.edge.label, span)
        offsets = {side: self._lane_offsets(side) for side in "LR"}
        left = offsets["L"][-1]
        right = offsets["R"][-1]
        notes = [n.note for n in self.main if n.note]
        gap = max([SIDE_GAP] + [self.measure(e.label, LABEL_SIZE) + 2 * PAD + 12
                                for e in self.across if e.label]
                  + [self.measure(t, NOTE_SIZE) + 30 for t in notes])
        sides = bool(self.side_nodes)
        onward = {n.key: self._onward_lines(n.key) for n in self.side_nodes}
        beyond = max((self.measure(t, LABEL_SIZE) + PAD for lines in onward.values()
                      for t in lines), default=0.0)
        natural = (2 * MARGIN + left + self.box_w + right
                   + (gap if sides or notes else 0) + (self.box_w + beyond if sides else 0))
        result = FlowLayout(max(width, natural), height)
        main_x = (result.width - natural) / 2 + MARGIN + left
        main_r = main_x + self.box_w
        side_x = main_r + right + gap

        for i, node in enumerate(self.main):
            result.boxes[node.key] = (Rect(main_x, top(i) - BOX_H, self.box_w, BOX_H),
                                      self._lines(node), False)
        for node in self.side_nodes:
            row = self.side_row[node.key]
            result.boxes[node.key] = (Rect(side_x, top(row) - BOX_H, self.box_w, BOX_H),
                                      self._lines(node), True)
            self._write_onward(result, node.key, onward[node.key], side_x + self.box_w,
                               top(row) - BOX_H / 2)
        for edge in self.downs:
            x = main_x + self.box_w / 2
            result.routes.append(Route(edge, [x, top(self.row[edge.source]) - BOX_H, x,
                                              top(self.row[edge.target])]))
        for lane in self.lanes:
            self._route_lane(result, lane, offsets, main_x, main_r, port_y)
        for edge in self.across:
            self._route_across(result, edge, main_r, main_r + right, side_x, top, port_y)
        for i, node in enumerate(self.main):
            if node.note:
                y = port_y(i, "R", node, "flat")
                note_x = main_r + right + 30
                result.routes.append(Route(None, [main_r, y, note_x - 4, y], dashed=True))
                result.labels.append(Label(None, [node.note], Rect(
                    note_x, y - NOTE_SIZE / 2, self.measure(node.note, NOTE_SIZE), NOTE_SIZE),
                    "start", NOTE_SIZE))
        return result

    def _onward_lines(self, key: str) -> list[str]:
        """Where a side box's moves lead, as words: "→ 已受理（申诉复核）". A side box stands
        beside the main path with lanes and other boxes all round, so its moves are written
        to its right rather than drawn across them."""
        names = {n.key: n.label for n in self.graph.nodes}
        return [f"→ {names.get(e.target, e.target)}" + (f"（{e.label}）" if e.label else "")
                for e in self.onward if e.source == key]

    def _write_onward(self, result: FlowLayout, key: str, lines: list[str], x: float,
                      middle: float) -> None:
        edges = [e for e in self.onward if e.source == key]
        for number, (edge, text) in enumerate(zip(edges, lines, strict=True)):
            y = middle + (len(lines) / 2 - number - 1) * LEADING
            result.labels.append(Label(edge, [text], Rect(
                x + PAD, y, self.measure(text, LABEL_SIZE), LEADING), "start"))

    def _lines(self, node) -> list[tuple[str, float]]:
        return [(node.label, 10)] + ([(node.sub, 7.5)] if node.sub else [])

    def _fit_label(self, text: str, span: float) -> list[str]:
        """The label in lines as narrow as keep it within `span` of height (one line when even
        that does not), broken after its commas where the phrases are not too long."""
        if not text:
            return []
        em = self.measure("中", LABEL_SIZE)
        phrases = [p for p in re.split(r"(?<=[，、；])", text) if p]
        limit = max(em * LABEL_CHARS, min(em * PHRASE_CHARS, max(
            self.measure(p, LABEL_SIZE) for p in phrases)))
        while True:
            lines = self._wrap_evenly(phrases, limit)
            if len(lines) * LEADING <= span or len(lines) == 1:
                return lines
            phrases = [text]
            limit += em

    def _wrap_evenly(self, phrases: list[str], limit: float) -> list[str]:
        """Each phrase in lines no wider than `limit`, its lines about equally long."""
        lines = []
        for phrase in phrases:
            count = len(wrap(phrase, limit, LABEL_SIZE, self.measure))
            em = self.measure("中", LABEL_SIZE)
            even = math.ceil(self.measure(phrase, LABEL_SIZE) / count / em - 1e-6) * em + 0.01
            shorter = wrap(phrase, min(limit, even), LABEL_SIZE, self.measure)
            lines += shorter if len(shorter) == count else wrap(phrase, limit, LABEL_SIZE,
                                                                self.measure)
        return lines

    def _label_width(self, lines: list[str]) -> float:
        return max((self.measure(t, LABEL_SIZE) for t in lines), default=0.0)

    def _lane_offsets(self, side: str) -> list[float]:
        """How far each lane runs from the boxes' side: [0, lane 1, lane 2, ...]."""
        on_side = [m for m in self.lanes if m.side == side]
        offsets = [0.0]
        for number in range(1, max((m.lane for m in on_side), default=0) + 1):
            widest = max((self._label_width(m.lines) for m in on_side if m.lane == number),
                         default=0.0)
            offsets.append(offsets[-1] + max(LANE_MIN, widest + 2 * PAD if widest else 0))
        return offsets

    def _route_lane(self, result: FlowLayout, lane: _Lane, offsets, main_x: float,
                    main_r: float, port_y) -> None:
        edge, side = lane.edge, lane.side
        edge_x = main_x if side == "L" else main_r
        lane_x = (main_x - offsets["L"][lane.lane] if side == "L"
                  else main_r + offsets["R"][lane.lane])
        down_y = port_y(lane.top, side, lane, "down")
        up_y = port_y(lane.bottom, side, lane, "up")
        backwards = self.row[edge.target] < self.row[edge.source]
        start, end = (up_y, down_y) if backwards else (down_y, up_y)
        result.routes.append(Route(edge, [edge_x, start, lane_x, start, lane_x, end, edge_x, end],
                                   looped=True))
        if not lane.lines:
            return
        w = self._label_width(lane.lines)
        h = len(lane.lines) * LEADING
        middle = (down_y + up_y) / 2
        if side == "L":  # inside the lane: right of its own line
            rect, anchor = Rect(lane_x + PAD, middle - h / 2, w, h), "start"
        else:
            rect, anchor = Rect(lane_x - PAD - w, middle - h / 2, w, h), "end"
        result.labels.append(Label(edge, lane.lines, rect, anchor))

    def _route_across(self, result: FlowLayout, edge: Edge, main_r: float, lanes_end: float,
                      side_x: float, top, port_y) -> None:
        i = self.row[edge.source]
        y = port_y(i, "R", edge, "flat")
        row = self.side_row[edge.target]
        if row == i:
            points = [main_r, y, side_x, y]
        else:
            centre = side_x + self.box_w / 2
            entry = top(row) - BOX_H if row < i else top(row)
            points = [main_r, y, centre, y, centre, entry]
        result.routes.append(Route(edge, points))
        if edge.label:
            w = self.measure(edge.label, LABEL_SIZE)
            result.labels.append(Label(edge, [edge.label],
                                       Rect(lanes_end + PAD, y + LINE + 1, w, LEADING), "start"))


def draw(plan: FlowLayout, font: str, width: float):
    """The layout as a reportlab Drawing `width` wide (scaled down when it is wider)."""
    from reportlab.graphics.shapes import Drawing

    scale = min(1.0, width / plan.width)
    d = Drawing(width, plan.height * scale, initialFontName=font)  # else Helvetica, unembedded
    d.scale(scale, scale)
    for rect, lines, dashed in plan.boxes.values():
        box(d, rect, lines, font, dashed)
    for route in plan.routes:
        arrow(d, route.points, route.dashed)
    for label in plan.labels:
        x = {"start": label.rect.x, "end": label.rect.right,
             "middle": label.rect.x + label.rect.w / 2}[label.anchor]
        leading = LEADING if label.size == LABEL_SIZE else label.size
        text_lines(d, label.lines, x, label.rect.top, label.size, leading, font, label.anchor)
    return d
