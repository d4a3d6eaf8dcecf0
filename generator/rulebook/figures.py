"""The rulebook's charts, read from data: organisation charts and flowcharts.

Each chart is read into one of two shapes — organisations (trees side by side, joined by
labelled links), or a graph of boxes down a main path with side boxes and labelled back or skip
edges — and drawn once from it as reportlab vector graphics: in the PDF as they are, in the DOCX
as a picture of the same drawing, so the two never disagree. The work-procedure chart is built
from the ticket lifecycle itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.documents.forms import localised
from generator.errors import ConfigError
from generator.tickets.lifecycle import Lifecycle

if TYPE_CHECKING:
    from generator.render.fonts import CJKFont


@dataclass
class TreeNode:
    label: str
    external: bool = False
    children: list[TreeNode] = field(default_factory=list)


@dataclass
class Link:
    """A relation that is not a reporting line (coordinates with, under contract with): drawn
    dashed and labelled between two boxes on the same level."""

    source: str
    target: str
    label: str = ""


@dataclass
class Organisations:
    """Trees side by side, left to right: solid lines report to the box above; a box marked
    external is an outside party, its box and its line to the box above dashed."""

    trees: list[TreeNode]
    links: list[Link] = field(default_factory=list)
    legend: dict[str, str] = field(default_factory=dict)  # solid, dashed, external: what each means


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
    shape: Organisations | Graph


def _tree(spec: dict[str, Any]) -> TreeNode:
    return TreeNode(spec["label"], bool(spec.get("external")),
                    [_tree(child) for child in spec.get("children", [])])


def levels(trees: list[TreeNode]) -> list[list[TreeNode]]:
    """The boxes of each level, left to right across all the trees."""
    rows: list[list[TreeNode]] = []

    def walk(node: TreeNode, depth: int) -> None:
        if depth == len(rows):
            rows.append([])
        rows[depth].append(node)
        for child in node.children:
            walk(child, depth + 1)

    for tree in trees:
        walk(tree, 0)
    return rows


def _organisations(name: str, spec: dict[str, Any]) -> Organisations:
    trees = [_tree(t) for t in (spec["trees"] if "trees" in spec else [spec["tree"]])]
    links = [Link(str(link["from"]), str(link["to"]), str(link.get("label", "")))
             for link in spec.get("links", [])]
    by_label = {node.label: (depth, rank) for depth, row in enumerate(levels(trees))
                for rank, node in enumerate(row)}
    for link in links:
        ends = [by_label.get(link.source), by_label.get(link.target)]
        if None in ends:
            raise ConfigError(f"figure '{name}': link {link.source} — {link.target} names a box "
                              f"the chart does not have")
        (depth, a), (other_depth, b) = ends
        if depth != other_depth or abs(a - b) != 1:
            raise ConfigError(f"figure '{name}': link {link.source} — {link.target} must join "
                              f"two neighbouring boxes on the same level (or it would cross "
                              f"the boxes between them)")
    legend = {key: str(spec.get("legend", {})[key])
              for key in ("solid", "dashed", "external") if key in spec.get("legend", {})}
    return Organisations(trees, links, legend)


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
        shape: Organisations | Graph = lifecycle_graph(lifecycle)
    elif "tree" in spec or "trees" in spec:
        shape = _organisations(name, spec)
    elif "steps" in spec:
        shape = _steps(spec["steps"])
    else:
        raise ConfigError(f"figure '{name}' needs trees, steps or lifecycle: true")
    return Figure(name, spec.get("title", name), shape)


def drawing(figure: Figure, font: str, width: float):
    """The figure as a reportlab Drawing (a flowable) at most `width` wide."""
    from generator.rulebook import flowchart, orgchart

    if isinstance(figure.shape, Organisations):
        return orgchart.draw(orgchart.layout(figure.shape, font, width), font, width)
    return flowchart.draw(flowchart.layout(figure.shape, font, width), font, width)


def picture(figure: Figure, font: CJKFont, width: float) -> bytes:
    """The figure's drawing as a PNG `width` points wide, for the DOCX."""
    from generator.render.picture import png

    return png(drawing(figure, font.name, width), font)


