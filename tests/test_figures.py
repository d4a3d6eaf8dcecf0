"""The rulebook's charts, measured rather than looked at: the work-procedure flowchart's loops
each in a lane of their own (no two lines cross, every label beside its own line and clear of
every other), the organisation chart as domain.md has it (the developer and the property
company side by side), and the DOCX picture painted from the very drawing the PDF carries."""

from __future__ import annotations

import functools
import io
import itertools
from pathlib import Path

import pytest
from PIL import Image

from generator.errors import ConfigError
from generator.render.fonts import find_cjk_font
from generator.render.picture import png
from generator.rulebook import flowchart, orgchart
from generator.rulebook.figures import (
    Edge,
    Graph,
    Node,
    Organisations,
    drawing,
    levels,
    lifecycle_graph,
    load_figure,
)
from generator.tickets.lifecycle import load_lifecycle
from generator.workspace import DEFAULT_CONFIG, Workspace, load_yaml
from tests import drawn

REPO = Path(__file__).resolve().parent.parent
WIDTH = 481.9  # points: the rulebook's text column (A4 less two 2 cm margins)
NEAR = flowchart.PAD + 1  # a label stands this close to its own line, at most


@functools.cache
def font():
    return find_cjk_font(DEFAULT_CONFIG)


def bundled_figures() -> dict:
    return load_yaml(REPO / "templates" / "rulebook" / "figures.yaml")


def bundled_lifecycle():
    return load_lifecycle(Workspace.open(REPO))


def graph_of(main: int, edges: list[tuple[object, object, str]], side: int = 0) -> Graph:
    """A graph of `main` boxes down the path (keys 0, 1, ...) and `side` boxes beside it
    (s0, s1, ...), the path's own steps and `edges` (source, target, label)."""
    nodes = ([Node(str(n), f"状态{n}") for n in range(main)]
             + [Node(f"s{n}", f"旁支{n}", main=False) for n in range(side)])
    steps = [Edge(str(n), str(n + 1)) for n in range(main - 1)]
    return Graph(nodes, steps + [Edge(str(a), str(b), label) for a, b, label in edges])


GRAPHS = {
    "the bundled lifecycle": None,
    "nested, touching and interleaving loops": graph_of(9, [
        (3, 2, "承建商未履行，改派"), (4, 3, "验收不合格，返工"), (6, 1, "业主不满意，重新开启"),
        (5, 2, "资料不全，退回补充"), (8, 0, "重新受理"), (8, 6, "费用有异议，重新核价"),
        (0, 8, "咨询当场答复"), (5, 8, "未列入回访的一般报修"), (1, "s0", ""), (2, "s0", ""),
        (3, "s1", "转交物业处理"), ("s0", 0, "申诉复核"), ("s1", 5, "")], side=2),
    "a loop back to its own box and long unlabelled moves": graph_of(6, [
        (2, 2, "再次勘查"), (5, 0, ""), (4, 1, ""), (0, 3, "")]),
}


def graph_named(name: str) -> Graph:
    return GRAPHS[name] or lifecycle_graph(bundled_lifecycle())


# --- the flowchart ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GRAPHS)
def test_no_two_moves_cross(name):
    plan = flowchart.layout(graph_named(name), font().name, WIDTH)
    routes = plan.routes
    assert any(r.looped for r in routes)
    for a, b in itertools.combinations(routes, 2):
        if a.edge and b.edge and a.edge.target == b.edge.target and a.edge.target[0] == "s":
            continue  # two moves into one side box may join before it
        for s, t in itertools.product(a.segments(), b.segments()):
            assert not drawn.crosses(s, t), f"{a.edge} crosses {b.edge}"


@pytest.mark.parametrize("name", GRAPHS)
def test_no_move_runs_through_a_box(name):
    plan = flowchart.layout(graph_named(name), font().name, WIDTH)
    for route in plan.routes:
        for key, (rect, _, _) in plan.boxes.items():
            inner = drawn.rect_corners(rect.x + 0.5, rect.y + 0.5, rect.w - 1, rect.h - 1)
            for s in route.segments():
                assert not drawn.overlap(inner, drawn.segment_polygon(s)), (
                    f"{route.edge} runs through box {key}")


@pytest.mark.parametrize("name", GRAPHS)
def test_each_label_stands_beside_its_own_line_and_clear_of_the_rest(name):
    graph = graph_named(name)
    plan = flowchart.layout(graph, font().name, WIDTH)
    main = {n.key for n in graph.nodes if n.main}
    labelled = [e for e in graph.edges if e.label or e.source not in main]
    assert sorted(id(label.edge) for label in plan.labels) == sorted(id(e) for e in labelled)
    for label in plan.labels:
        corners = drawn.rect_corners(label.rect.x, label.rect.y, label.rect.w, label.rect.h)
        own = [s for r in plan.routes if r.edge is label.edge for s in r.segments()]
        if not own:  # a side box's move, written beside the box
            box = plan.boxes[label.edge.source][0]
            own = [(box.right, box.y, box.right, box.top)]
        gap = min(drawn.distance(corners, s) for s in own)
        assert 0 < gap <= NEAR, f"{label.lines} stands {gap:.1f} pt from its line"
        for route in plan.routes:
            for s in route.segments():
                assert not drawn.overlap(corners, drawn.segment_polygon(s)), (
                    f"{label.lines} is crossed by {route.edge}")
        for rect, _, _ in plan.boxes.values():
            assert not label.rect.overlaps(rect), f"{label.lines} covers a box"
    for a, b in itertools.combinations(plan.labels, 2):
        assert not a.rect.overlaps(b.rect), f"{a.lines} overlaps {b.lines}"


@pytest.mark.parametrize("name", GRAPHS)
def test_loops_that_share_a_row_or_nest_take_different_lanes(name):
    plan = flowchart.layout(graph_named(name), font().name, WIDTH)
    loops = [r for r in plan.routes if r.looped]
    lanes = [(r.points[2], min(r.points[3], r.points[5]), max(r.points[3], r.points[5]))
             for r in loops]
    for (x1, low1, high1), (x2, low2, high2) in itertools.combinations(lanes, 2):
        if low1 <= high2 + flowchart.BOX_H and low2 <= high1 + flowchart.BOX_H:
            assert abs(x1 - x2) >= flowchart.LANE_MIN - 1e-6


def test_interleaving_loops_go_to_opposite_sides():
    """Rows 1–3 and 2–5: each has an end inside the other, so on one side they would cross."""
    graph = graph_of(7, [(3, 1, "甲"), (5, 2, "乙")])
    plan = flowchart.layout(graph, font().name, WIDTH)
    main_x = plan.boxes["0"][0].x
    first, second = (r for r in plan.routes if r.looped)
    assert (first.points[2] < main_x) != (second.points[2] < main_x)


@pytest.mark.parametrize("name", GRAPHS)
def test_the_drawing_is_the_layout_and_no_text_is_crossed(name):
    """What the PDF draws: every route and no other line, every string clear of every line
    and of every other string, and all of it inside the drawing."""
    graph = graph_named(name)
    plan = flowchart.layout(graph, font().name, WIDTH)
    d = flowchart.draw(plan, font().name, WIDTH)
    shown = drawn.read(d)
    expected = {(round(s[0], 3), round(s[1], 3), round(s[2], 3), round(s[3], 3))
                for r in plan.routes for s in r.segments()}
    scale = min(1.0, WIDTH / plan.width)
    seen = {tuple(round(v / scale, 3) for v in s) for s, _ in shown.segments}
    assert seen == expected
    assert_texts_clear(shown, d)
    labels = ([n.label for n in graph.nodes] + [n.sub for n in graph.nodes]
              + [line for label in plan.labels for line in label.lines])
    assert sorted(t for t, _ in shown.texts if t in labels) == sorted(
        t for t, _ in shown.texts)


def assert_texts_clear(shown: drawn.Drawn, d) -> None:
    for (a, box_a), (b, box_b) in itertools.combinations(shown.texts, 2):
        assert not drawn.overlap(box_a, box_b), f"{a!r} overlaps {b!r}"
    for text, corners in shown.texts:
        for s, _ in shown.segments:
            assert not drawn.overlap(corners, drawn.segment_polygon(s)), f"a line crosses {text!r}"
        for x, y in corners:
            assert -0.5 <= x <= d.width + 0.5 and -0.5 <= y <= d.height + 0.5, text
    for corners, _ in shown.rects:
        for x, y in corners:
            assert -0.5 <= x <= d.width + 0.5 and -0.5 <= y <= d.height + 0.5


def test_the_procedure_chart_routes_the_lifecycles_loops_on_the_left():
    """改派 and 返工 share the repair box: different lanes, each label by its own line."""
    graph = lifecycle_graph(bundled_lifecycle())
    plan = flowchart.layout(graph, font().name, WIDTH)
    main_x = plan.boxes["received"][0].x
    loops = {r.edge.label: r for r in plan.routes if r.looped}
    reassign, redo = loops["承建商未履行，改派"], loops["验收不合格，返工"]
    assert reassign.points[2] < main_x and redo.points[2] < main_x
    assert reassign.points[2] != redo.points[2]
    label = {"".join(x.lines): x for x in plan.labels}
    for route, text in ((reassign, "承建商未履行，改派"), (redo, "验收不合格，返工")):
        rect = label[text].rect
        lane_x = route.points[2]
        assert lane_x < rect.x <= lane_x + NEAR  # right of its own lane's line
        low, high = sorted((route.points[3], route.points[5]))
        assert low < rect.y and rect.top < high  # between the move's two ends


def test_a_label_never_starts_a_line_with_closing_punctuation():
    graph = graph_of(3, [(2, 1, "承建商未履行，改派，再次通知，限期到场")])
    plan = flowchart.layout(graph, font().name, WIDTH)
    (label,) = plan.labels
    assert len(label.lines) > 1
    assert not any(line[0] in "，。、；：）" for line in label.lines)


def test_steps_keep_their_notes_beside_them():
    figure = load_figure("site-survey", bundled_figures(), bundled_lifecycle())
    plan = flowchart.layout(figure.shape, font().name, WIDTH)
    notes = [label for label in plan.labels if label.edge is None]
    assert len(notes) == sum(1 for n in figure.shape.nodes if n.note)
    d = flowchart.draw(plan, font().name, WIDTH)
    assert_texts_clear(drawn.read(d), d)


# --- the organisation chart ---------------------------------------------------------------------


def org_chart() -> Organisations:
    figure = load_figure("org-chart", bundled_figures(), bundled_lifecycle())
    assert isinstance(figure.shape, Organisations)
    return figure.shape


def test_the_org_chart_has_the_developer_beside_the_property_company():
    """domain.md, "Who does what": the centre manager reports to the property company's
    general manager; the developer's engineering department is the developer's, not under
    the property company; builders and the outsourced contractor are outside parties."""
    chart = org_chart()
    roots = {tree.label: tree for tree in chart.trees}
    developer, property_gm = roots["地产公司"], roots["物业公司总经理"]
    assert [c.label for c in developer.children] == ["工程部"]
    assert [c.label for c in property_gm.children] == ["售后服务中心经理"]
    manager = property_gm.children[0]
    assert {c.label for c in manager.children} == {"客户服务", "核算组", "资料员"}
    everything = {n.label: n for row in levels(chart.trees) for n in row}
    assert everything["承建商"].external and everything["维修外包方"].external
    assert not any(n.external for n in (developer, property_gm, manager))
    under_property = {n.label for row in levels([property_gm]) for n in row}
    assert "工程部" not in under_property and "承建商" not in under_property
    links = {frozenset((link.source, link.target)) for link in chart.links}
    assert frozenset(("工程部", "售后服务中心经理")) in links
    assert frozenset(("地产公司", "物业公司总经理")) in links


def test_the_org_chart_draws_reporting_lines_solid_and_partners_dashed():
    chart = org_chart()
    plan = orgchart.layout(chart, font().name, WIDTH)
    where = {b.node.label: b.rect for b in plan.boxes if b.node.label}
    # the two organisations side by side, the developer on the left, tops level
    assert where["地产公司"].right < where["物业公司总经理"].x
    assert where["地产公司"].y == where["物业公司总经理"].y
    assert where["工程部"].top < where["地产公司"].y  # one level down
    assert where["工程部"].right < where["售后服务中心经理"].x
    solid = [line for line in plan.lines if not line.dashed]
    dashed = [line for line in plan.lines if line.dashed]

    def ends_at_top_of(lines, rect) -> bool:
        return any(abs(line.points[-1] - rect.top) < 0.01
                   and rect.x < line.points[-2] < rect.right for line in lines)

    for label in ("工程部", "售后服务中心经理", "客户服务", "核算组", "资料员", "维修工"):
        assert ends_at_top_of(solid, where[label]), label
    for label in ("承建商", "维修外包方"):
        assert ends_at_top_of(dashed, where[label]) and not ends_at_top_of(solid, where[label])
    for link_line, link_label in plan.links:
        xs, ys = link_line.points[0::2], link_line.points[1::2]
        assert ys[0] == ys[1] and link_line.dashed  # level, at the boxes' middle
        for b in plan.boxes:  # touching only the two boxes it joins
            r = b.rect
            if r.x < max(xs) and min(xs) < r.right:
                assert not (r.y < ys[0] < r.top), f"the link {link_label.text} crosses a box"
        assert min(xs) < link_label.rect.x and link_label.rect.right < max(xs)


def test_the_org_charts_boxes_and_words_are_clear_of_each_other():
    plan = orgchart.layout(org_chart(), font().name, WIDTH)
    assert plan.width <= WIDTH  # fits the column without shrinking
    for a, b in itertools.combinations(plan.boxes, 2):
        assert not a.rect.overlaps(b.rect), (a.node.label, b.node.label)
    d = orgchart.draw(plan, font().name, WIDTH)
    assert_texts_clear(drawn.read(d), d)


@pytest.mark.parametrize("links, problem", [
    ([{"from": "甲", "to": "丁"}], "same level"),
    ([{"from": "甲", "to": "丙"}], "neighbouring"),
    ([{"from": "甲", "to": "无此"}], "does not have"),
])
def test_a_link_that_would_cross_boxes_is_refused(links, problem):
    spec = {"chart": {"trees": [{"label": "甲", "children": [{"label": "丁"}]},
                                {"label": "乙"}, {"label": "丙"}], "links": links}}
    with pytest.raises(ConfigError, match="link") as refused:
        load_figure("chart", spec, bundled_lifecycle())
    assert problem.split()[0] in str(refused.value)


def test_a_single_tree_still_loads():
    spec = {"chart": {"tree": {"label": "经理", "children": [{"label": "员工"}]}}}
    shape = load_figure("chart", spec, bundled_lifecycle()).shape
    assert [t.label for t in shape.trees] == ["经理"] and not shape.links


# --- the DOCX picture ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["org-chart", "procedure"])
def test_the_picture_is_the_drawing_painted(name):
    """The PNG is the drawing's size at its resolution, and where the layout has a box's
    border the picture is dark, inside the box (away from its words) white."""
    figure = load_figure(name, bundled_figures(), bundled_lifecycle())
    d = drawing(figure, font().name, WIDTH)
    picture = Image.open(io.BytesIO(png(d, font(), dpi=144))).convert("L")
    assert picture.size == (round(d.width * 2), round(d.height * 2))
    shape = figure.shape
    if isinstance(shape, Organisations):
        plan = orgchart.layout(shape, font().name, WIDTH)
        rects = [b.rect for b in plan.boxes if b.node.label]
    else:
        plan = flowchart.layout(shape, font().name, WIDTH)
        rects = [rect for rect, _, _ in plan.boxes.values()]
    scale = min(1.0, WIDTH / plan.width)

    def pixel(x: float, y: float) -> int:
        return picture.getpixel((round(x * scale * 2), round((d.height - y * scale) * 2)))

    for rect in rects:
        # the left border's middle (solid, or a dash near), and a spot inside near the left
        border = [pixel(rect.x + dx, rect.y + rect.h / 2 + dy)
                  for dx in (-0.5, 0, 0.5) for dy in (-1.5, 0, 1.5)]
        assert min(border) < 100, rect
        assert pixel(rect.x + 3, rect.y + 4) > 200, rect


def test_a_small_chart_with_a_long_legend_keeps_the_legend_on_the_drawing():
    spec = {"chart": {"tree": {"label": "经理", "children": [{"label": "员工"}]},
                      "legend": {"solid": "隶属关系：下级向上级汇报工作",
                                 "dashed": "协作关系：双方对口协调",
                                 "external": "外部单位：按合同承担工作"}}}
    shape = load_figure("chart", spec, bundled_lifecycle()).shape
    plan = orgchart.layout(shape, font().name, 200.0)
    assert plan.width > 200.0  # widened for the legend, then drawn scaled to the column
    d = orgchart.draw(plan, font().name, 200.0)
    assert d.width == 200.0
    assert_texts_clear(drawn.read(d), d)
