"""Organisation charts: trees side by side (one per organisation, and outside parties), each
box centred over its children, joined across by dashed, labelled links between neighbouring
boxes of one level, with a legend saying what solid and dashed mean.

A link runs level at the middle of its boxes' height, where no connector passes (connectors
run between the levels), and the gap between two trees is wide enough for its label. The
layout is data (boxes, lines, labels), so that tests can measure what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.rulebook.figures import Organisations, TreeNode
from generator.rulebook.shapes import LINE, Measure, Rect, box, line, text_lines

BOX_H = 30.0
GAP_Y = 24.0  # between levels: the connectors' room
GAP_X = 12.0  # between two boxes of one tree
TREE_GAP = 30.0  # between two trees, at least
MARGIN = 4.0
SIZE = 9.0
LINK_SIZE = 7.5
PAD = 3.0
LEGEND_SIZE = 7.5
LEGEND_H = 26.0
LEGEND_SAMPLE = 18.0  # the sample line's length
LEGEND_GAP = 16.0


@dataclass
class OrgBox:
    node: TreeNode
    rect: Rect


@dataclass
class OrgLine:
    points: list[float]
    dashed: bool = False


@dataclass
class OrgLabel:
    text: str
    rect: Rect
    size: float = LINK_SIZE


@dataclass
class OrgLayout:
    width: float
    height: float
    boxes: list[OrgBox] = field(default_factory=list)
    lines: list[OrgLine] = field(default_factory=list)  # connectors, links, legend samples
    labels: list[OrgLabel] = field(default_factory=list)  # the links' and the legend's words
    links: list[tuple[OrgLine, OrgLabel]] = field(default_factory=list)


def layout(chart: Organisations, font: str, width: float) -> OrgLayout:
    """The chart laid out at its natural size, centred in `width` when it is narrower."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return _Planner(chart, font, lambda text, size: stringWidth(text, font, size)).plan(width)


class _Planner:
    def __init__(self, chart: Organisations, font: str, measure: Measure) -> None:
        self.chart, self.font, self.measure = chart, font, measure
        self.depth = max(_depth(t) for t in chart.trees)
        self.legend = bool(chart.legend)

    def own(self, node: TreeNode) -> float:
        return self.measure(node.label, SIZE) + 16

    def span(self, node: TreeNode) -> float:
        if not node.children:
            return self.own(node)
        return max(self.own(node), self.children_span(node))

    def children_span(self, node: TreeNode) -> float:
        return sum(self.span(c) for c in node.children) + GAP_X * (len(node.children) - 1)

    def tree_gap(self, left: TreeNode, right: TreeNode) -> float:
        """Room between two trees for the labels of the links that cross it."""
        mine = {n.label for n in _nodes(left)}
        theirs = {n.label for n in _nodes(right)}
        widths = [self.measure(link.label, LINK_SIZE) + 4 * PAD for link in self.chart.links
                  if {link.source, link.target} & mine and {link.source, link.target} & theirs]
        return max([TREE_GAP, *widths])

    def plan(self, width: float) -> OrgLayout:
        trees = self.chart.trees
        gaps = [self.tree_gap(a, b) for a, b in zip(trees, trees[1:], strict=False)]
        forest = sum(self.span(t) for t in trees) + sum(gaps)
        natural = max(forest, self.legend_width()) + 2 * MARGIN
        levels_h = self.depth * (BOX_H + GAP_Y) - GAP_Y
        height = levels_h + 2 * MARGIN + (LEGEND_H if self.legend else 0)
        result = OrgLayout(max(width, natural), height)
        x = (result.width - forest) / 2
        for number, tree in enumerate(trees):
            self.place(result, tree, x, 0, height - MARGIN)
            x += self.span(tree) + (gaps[number] if number < len(gaps) else 0)
        self.link(result)
        if self.legend:
            self.draw_legend(result)
        return result

    def place(self, result: OrgLayout, node: TreeNode, left: float, level: int,
              top: float) -> float:
        """Place `node` within [left, left + its span); return its box's centre x."""
        span = self.span(node)
        y = top - level * (BOX_H + GAP_Y) - BOX_H
        x = left + (span - self.children_span(node)) / 2 if node.children else left
        centres = []
        for child in node.children:
            centres.append((self.place(result, child, x, level + 1, top), child.external))
            x += self.span(child) + GAP_X
        centre = left + span / 2
        w = self.own(node)
        result.boxes.append(OrgBox(node, Rect(centre - w / 2, y, w, BOX_H)))
        self.connect(result, centre, y - GAP_Y / 2, centres)
        return centre

    def connect(self, result: OrgLayout, centre: float, bus: float,
                children: list[tuple[float, bool]]) -> None:
        """Lines from a box's bottom (`bus` below it) down to its children's tops: solid to its
        own staff, dashed all the way to an outside party."""
        if not children:
            return
        staff = [c for c, external in children if not external]
        if staff:
            result.lines.append(OrgLine([centre, bus + GAP_Y / 2, centre, bus]))
            reach = [*staff, centre]
            if min(reach) < max(reach):
                result.lines.append(OrgLine([min(reach), bus, max(reach), bus]))
            for c in staff:
                result.lines.append(OrgLine([c, bus, c, bus - GAP_Y / 2]))
        for c, external in children:
            if external:
                result.lines.append(OrgLine([centre, bus + GAP_Y / 2, centre, bus, c, bus,
                                             c, bus - GAP_Y / 2], dashed=True))

    def link(self, result: OrgLayout) -> None:
        where = {b.node.label: b.rect for b in result.boxes}
        for link in self.chart.links:
            a, b = sorted((where[link.source], where[link.target]), key=lambda r: r.x)
            y = a.y + a.h / 2
            drawn = OrgLine([a.right, y, b.x, y], dashed=True)
            w = self.measure(link.label, LINK_SIZE)
            label = OrgLabel(link.label, Rect((a.right + b.x - w) / 2, y + LINE + 1, w,
                                              LINK_SIZE))
            result.lines.append(drawn)
            if link.label:
                result.labels.append(label)
            result.links.append((drawn, label))

    def legend_entries(self) -> list[tuple[str, str, float]]:
        """(kind, meaning, width with its sample) for each entry of the legend."""
        return [(kind, self.chart.legend[kind],
                 LEGEND_SAMPLE + 4 + self.measure(self.chart.legend[kind], LEGEND_SIZE))
                for kind in ("solid", "dashed", "external") if kind in self.chart.legend]

    def legend_width(self) -> float:
        entries = self.legend_entries()
        return sum(w for _, _, w in entries) + LEGEND_GAP * max(len(entries) - 1, 0)

    def draw_legend(self, result: OrgLayout) -> None:
        """Samples of a solid line, a dashed line and a dashed box, each with its meaning,
        centred under the chart."""
        sample = LEGEND_SAMPLE
        x = (result.width - self.legend_width()) / 2
        middle = MARGIN + LEGEND_SIZE / 2 + 6
        for kind, text, w in self.legend_entries():
            if kind == "external":
                result.boxes.append(OrgBox(TreeNode("", external=True),
                                           Rect(x, middle - 5, sample, 10)))
            else:
                result.lines.append(OrgLine([x, middle, x + sample, middle],
                                            dashed=kind == "dashed"))
            result.labels.append(OrgLabel(text, Rect(x + sample + 4, middle - LEGEND_SIZE / 2,
                                                     w - sample - 4, LEGEND_SIZE),
                                          LEGEND_SIZE))
            x += w + LEGEND_GAP


def _depth(node: TreeNode) -> int:
    return 1 + max((_depth(c) for c in node.children), default=0)


def _nodes(node: TreeNode) -> list[TreeNode]:
    return [node, *(n for c in node.children for n in _nodes(c))]


def draw(plan: OrgLayout, font: str, width: float):
    """The layout as a reportlab Drawing `width` wide (scaled down when it is wider)."""
    from reportlab.graphics.shapes import Drawing

    scale = min(1.0, width / plan.width)
    d = Drawing(width, plan.height * scale, initialFontName=font)  # else Helvetica, unembedded
    d.scale(scale, scale)
    for org_line in plan.lines:
        line(d, org_line.points, org_line.dashed)
    for org_box in plan.boxes:
        lines = [(org_box.node.label, SIZE)] if org_box.node.label else []
        box(d, org_box.rect, lines, font, org_box.node.external)
    for label in plan.labels:
        text_lines(d, [label.text], label.rect.x, label.rect.top + label.size * 0.1,
                   label.size, label.size, font)
    return d
