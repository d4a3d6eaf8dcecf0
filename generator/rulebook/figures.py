"""The rulebook's charts, drawn from data: an organisation chart and flowcharts.

Each chart is read into one of two shapes — a tree, or a graph of boxes down a main path with
side boxes and labelled back or skip edges — and drawn twice from it: as reportlab vector
graphics for the PDF, and as a bordered table for the DOCX, so the two never disagree. The
work-procedure chart is built from the ticket lifecycle itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.documents.forms import localised
from generator.errors import ConfigError
from generator.tickets.lifecycle import Lifecycle


@dataclass
class TreeNode:
    label: str
    external: bool = False
    children: list[TreeNode] = field(default_factory=list)


@dataclass
class Node:
    key: str
    label: str
    sub: str = ""  # a second, smaller line: who acts
    note: str = ""  # drawn beside the box
    main: bool = True  # on the main path (drawn top to bottom) or beside it


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]


@dataclass
class Figure:
    name: str
    title: str
    shape: TreeNode | Graph


def _tree(spec: dict[str, Any]) -> TreeNode:
    return TreeNode(spec["label"], bool(spec.get("external")),
                    [_tree(child) for child in spec.get("children", [])])


def _steps(spec: list[dict[str, Any]]) -> Graph:
    nodes = [Node(str(i), step["label"], note=step.get("note", "")) for i, step in enumerate(spec)]
    edges = [Edge(a.key, b.key) for a, b in zip(nodes, nodes[1:], strict=False)]
    return Graph(nodes, edges)


def lifecycle_graph(lifecycle: Lifecycle, language: str = "zh") -> Graph:
    text = localised
    main = [k for k in lifecycle.main_path]
    others = [k for k in lifecycle.states if k not in main]
    nodes = [Node(k, text(lifecycle.states[k].label, language),
                  sub=text(lifecycle.states[k].role, language), main=k in main)
             for k in main + others]
    edges = [Edge(state.key, move.to, text(move.when, language))
             for state in lifecycle.states.values() for move in state.next]
    return Graph(nodes, edges)


def load_figure(name: str, specs: dict[str, Any], lifecycle: Lifecycle) -> Figure:
    spec = specs.get(name)
    if spec is None:
        raise ConfigError(f"no figure '{name}' in templates/rulebook/figures.yaml "
                          f"(known: {', '.join(sorted(specs))})")
    if spec.get("lifecycle"):
        shape: TreeNode | Graph = lifecycle_graph(lifecycle)
    elif "tree" in spec:
        shape = _tree(spec["tree"])
    elif "steps" in spec:
        shape = _steps(spec["steps"])
    else:
        raise ConfigError(f"figure '{name}' needs tree, steps or lifecycle: true")
    return Figure(name, spec.get("title", name), shape)


# --- PDF: reportlab vector graphics ----------------------------------------------------------

BOX_H = 30.0
GAP_Y = 20.0
LINE = 0.8


def drawing(figure: Figure, font: str, width: float):
    """The figure as a reportlab Drawing (a flowable) at most `width` wide."""
    if isinstance(figure.shape, TreeNode):
        return _draw_tree(figure.shape, font, width)
    return _draw_graph(figure.shape, font, width)


def _text_width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def _box(group, x: float, y: float, w: float, h: float, lines: list[tuple[str, float]],
         font: str, dashed: bool = False) -> None:
    from reportlab.graphics.shapes import Rect, String
    from reportlab.lib import colors

    group.add(Rect(x, y, w, h, rx=3, ry=3, strokeWidth=LINE, fillColor=colors.white,
                   strokeColor=colors.black, strokeDashArray=[3, 2] if dashed else None))
    total = sum(size for _, size in lines) + 2 * (len(lines) - 1)
    baseline = y + h / 2 + total / 2
    for text, size in lines:
        baseline -= size
        group.add(String(x + w / 2, baseline + 1, text, fontName=font, fontSize=size,
                         textAnchor="middle"))
        baseline -= 2


def _arrow(group, points: list[float], dashed: bool = False) -> None:
    """A polyline ending in an arrowhead at its last point."""
    from reportlab.graphics.shapes import Polygon, PolyLine
    from reportlab.lib import colors

    group.add(PolyLine(points, strokeWidth=LINE, strokeColor=colors.black,
                       strokeDashArray=[3, 2] if dashed else None))
    (x1, y1), (x2, y2) = points[-4:-2], points[-2:]
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    size = 5
    group.add(Polygon([x2, y2, x2 - size * ux + size / 2 * uy, y2 - size * uy - size / 2 * ux,
                       x2 - size * ux - size / 2 * uy, y2 - size * uy + size / 2 * ux],
                      fillColor=colors.black, strokeWidth=0))


def _draw_graph(graph: Graph, font: str, width: float):
    from reportlab.graphics.shapes import Drawing, String

    main = [n for n in graph.nodes if n.main]
    side = [n for n in graph.nodes if not n.main]
    order = {n.key: i for i, n in enumerate(main)}
    box_w = max(110.0, *(_text_width(n.label, font, 10) + 24 for n in graph.nodes))
    main_x = width * 0.38 - box_w / 2
    height = len(main) * (BOX_H + GAP_Y) + 10
    top = lambda i: height - 5 - i * (BOX_H + GAP_Y)  # noqa: E731 (a coordinate rule)
    d = Drawing(width, height, initialFontName=font)  # else Helvetica, unembedded

    # Side boxes sit beside the first main box that leads to them.
    side_row = {}
    for node in side:
        sources = [order[e.source] for e in graph.edges if e.target == node.key
                   and e.source in order]
        side_row[node.key] = min(sources) if sources else 0
    side_x = main_x + box_w + 70

    for i, node in enumerate(main):
        lines = [(node.label, 10)] + ([(node.sub, 7.5)] if node.sub else [])
        _box(d, main_x, top(i) - BOX_H, box_w, BOX_H, lines, font)
        if node.note:
            note_x = main_x + box_w + 30
            d.add(String(note_x, top(i) - BOX_H / 2 - 3, node.note, fontName=font, fontSize=8))
            _arrow(d, [main_x + box_w, top(i) - BOX_H / 2, note_x - 4, top(i) - BOX_H / 2],
                   dashed=True)
    for node in side:
        row = side_row[node.key]
        lines = [(node.label, 10)] + ([(node.sub, 7.5)] if node.sub else [])
        _box(d, side_x, top(row) - BOX_H, box_w, BOX_H, lines, font, dashed=True)

    left_lane, right_lane = 0, 0
    back_edges = sum(1 for e in graph.edges if e.source in order and e.target in order
                     and order[e.target] < order[e.source])
    label_x = main_x - 12 * back_edges - 3  # reasons stand clear of every lane
    for edge in graph.edges:
        if edge.source not in order:
            continue
        i = order[edge.source]
        y_mid = top(i) - BOX_H / 2
        if edge.target not in order:  # to a side box: across, then up or down into it
            row = side_row[edge.target]
            if row == i:
                _arrow(d, [main_x + box_w, y_mid, side_x, y_mid])
            else:
                centre = side_x + box_w / 2
                entry = top(row) - BOX_H if row < i else top(row)
                _arrow(d, [main_x + box_w, y_mid, centre, y_mid, centre, entry])
            if edge.label:
                d.add(String((main_x + box_w + side_x) / 2, y_mid + 3, edge.label,
                             fontName=font, fontSize=7, textAnchor="middle"))
            continue
        j = order[edge.target]
        if j == i + 1:
            _arrow(d, [main_x + box_w / 2, top(i) - BOX_H, main_x + box_w / 2, top(j)])
            continue
        target_mid = top(j) - BOX_H / 2
        if j < i:  # back edges run up the left side, each in its own lane
            left_lane += 1
            lane = main_x - 12 * left_lane
            _arrow(d, [main_x, y_mid - 4, lane, y_mid - 4, lane, target_mid + 4, main_x,
                       target_mid + 4])
            # the reason sits at the height where the move starts
            d.add(String(label_x, y_mid - 7, edge.label, fontName=font, fontSize=7,
                         textAnchor="end"))
        else:  # forward skips run down the right side
            right_lane += 1
            lane = main_x + box_w + 12 * right_lane
            _arrow(d, [main_x + box_w, y_mid - 6, lane, y_mid - 6, lane, target_mid + 6,
                       main_x + box_w, target_mid + 6])
            d.add(String(lane + 4, (y_mid + target_mid) / 2, edge.label, fontName=font,
                         fontSize=7))
    return d


def _tree_width(node: TreeNode, font: str, gap: float) -> float:
    own = _text_width(node.label, font, 9) + 16
    if not node.children:
        return own
    return max(own, sum(_tree_width(c, font, gap) for c in node.children)
               + gap * (len(node.children) - 1))


def _tree_depth(node: TreeNode) -> int:
    return 1 + max((_tree_depth(c) for c in node.children), default=0)


def _draw_tree(root: TreeNode, font: str, width: float):
    from reportlab.graphics.shapes import Drawing, Line

    gap = 12.0
    natural = _tree_width(root, font, gap)
    scale = min(1.0, width / natural)
    depth = _tree_depth(root)
    height = depth * (BOX_H + GAP_Y)
    d = Drawing(width, height * scale, initialFontName=font)
    d.scale(scale, scale)

    def place(node: TreeNode, left: float, level: int) -> float:
        """Draw `node` within [left, left + its width); return its box's centre x."""
        span = _tree_width(node, font, gap)
        y = height - level * (BOX_H + GAP_Y) - BOX_H
        centres, x = [], left + (span - (sum(_tree_width(c, font, gap) for c in node.children)
                                         + gap * (len(node.children) - 1))) / 2
        for child in node.children:
            centres.append(place(child, x, level + 1))
            x += _tree_width(child, font, gap) + gap
        w = _text_width(node.label, font, 9) + 16
        centre = left + span / 2
        _box(d, centre - w / 2, y, w, BOX_H, [(node.label, 9)], font, dashed=node.external)
        if centres:
            bus = y - GAP_Y / 2
            d.add(Line(centre, y, centre, bus, strokeWidth=LINE))
            d.add(Line(min(centres), bus, max(centres), bus, strokeWidth=LINE))
            for c in centres:
                d.add(Line(c, bus, c, bus - GAP_Y / 2, strokeWidth=LINE))
        return centre

    place(root, (width / scale - natural) / 2, 0)
    return d


# --- DOCX: the same shapes as tables ---------------------------------------------------------


def tree_lines(root: TreeNode) -> list[str]:
    """The organisation chart as indented lines: 物业公司总经理 / └─ 售后服务中心经理 / ..."""
    lines = [root.label]

    def walk(node: TreeNode, prefix: str) -> None:
        for number, child in enumerate(node.children):
            last = number == len(node.children) - 1
            mark = "（外部单位）" if child.external else ""
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{child.label}{mark}")
            walk(child, prefix + ("    " if last else "│  "))

    walk(root, "")
    return lines


def graph_rows(graph: Graph) -> list[tuple[str, str]]:
    """The flow as rows of (box text, what happens beside it), an arrow row between boxes."""
    labels = {n.key: n.label for n in graph.nodes}
    rows: list[tuple[str, str]] = []
    main = [n for n in graph.nodes if n.main]
    order = {n.key: i for i, n in enumerate(main)}
    for i, node in enumerate(main):
        beside = [node.note] if node.note else []
        for edge in graph.edges:
            if edge.source != node.key or order.get(edge.target) == i + 1:
                continue
            arrow = "↩" if order.get(edge.target, i + 1) < i else "→"
            reason = f"（{edge.label}）" if edge.label else ""
            beside.append(f"{arrow} {labels[edge.target]}{reason}")
        box = node.label + (f"\n{node.sub}" if node.sub else "")
        rows.append((box, "\n".join(beside)))
        if i < len(main) - 1:
            rows.append(("↓", ""))
    return rows
