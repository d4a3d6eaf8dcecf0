"""Charts of a row table (a layout's `- chart: TABLE`): the form checks that refuse a bad one,
the plan that lays one out (value axis, category labels, bars, legend), and the chart as each
format carries it — drawn in the PDF, a picture in the DOCX, a native chart in the XLSX —
filled and blank."""

from __future__ import annotations

import functools
import io
import json
import math
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.shared import Cm
from lxml import etree
from openpyxl.utils.cell import range_to_tuple
from PIL import Image, ImageChops
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.forms import load_form
from generator.errors import ConfigError
from generator.render import charts
from generator.render.fonts import find_cjk_font
from generator.render.pdf import MARGIN
from generator.workspace import DEFAULT_CONFIG, Workspace
from tests.conftest import need_tool, pdf_text, squash, write_sample

A4_WIDTH = 595.2756  # points
COLUMN = A4_WIDTH - 2 * MARGIN  # the text column of a portrait form: as wide as its tables
NOVEMBER = [f"11-{day:02d}" for day in range(1, 31)]
TREND = [{"bucket": f"11-{day:02d}", "received": (day * 7) % 5, "closed": (day * 3) % 4}
         for day in range(1, 31)]
CATEGORIES = ["渗漏", "开裂", "门窗", "给排水", "电气", "墙地面", "设施设备", "其他"]
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@functools.cache
def font():
    """The CJK font the documents embed (the cjk_font fixture skips the tests without one)."""
    return find_cjk_font(DEFAULT_CONFIG)


def measure(text: str, size: float) -> float:
    return font().width(text, size)


# --- the form checks ----------------------------------------------------------------------------

FORM = """\
title: {zh: 图表测试, en: Chart test}
code: T-01
record_prefix: TT
schema: summary
ticket: none
layout:
  - table: by_category
  - CHART
"""
GOOD = "chart: by_category\n    kind: bar\n    x: category\n    series: [received, closed]"


def write_form(home: Path, chart: str) -> Workspace:
    """A workspace with forms/chart-test.yaml: the summary schema, its by_category table and
    the chart item `chart` (YAML, indented to sit in the layout list)."""
    (home / "forms").mkdir(exist_ok=True)
    (home / "forms" / "chart-test.yaml").write_text(FORM.replace("CHART", chart), "utf-8")
    return Workspace.open(home)


def test_a_well_formed_chart_loads(home):
    form = load_form(write_form(home, GOOD + "\n    height: 8\n    title: {zh: 分类, en: By "
                                       "category}"), "chart-test")
    assert form.layout[1]["chart"] == "by_category"


@pytest.mark.parametrize("chart, problem", [
    (GOOD.replace("by_category", "nosuch", 1), "a chart draws a row table"),
    (GOOD.replace("by_category", "project", 1), "a chart draws a row table"),
    (GOOD.replace("[received, closed]", "[category]"), "series 'category' is not a number"),
    (GOOD.replace("[received, closed]", "[received, nosuch]"), "no column 'nosuch'"),
    (GOOD.replace("[received, closed]", "[received, received]"), "names a column twice"),
    (GOOD.replace("[received, closed]", "[]"), "'series' must be a list"),
    (GOOD.replace("kind: bar", "kind: pie"), "'kind' must be one of bar, line, got 'pie'"),
    (GOOD.replace("    kind: bar\n", ""), "'kind' must be one of bar, line"),
    (GOOD.replace("x: category", "x: nosuch"), "'x' must name a column of the table"),
    (GOOD + "\n    height: 2", "'height' must be a number of cm from 3 to 20, got 2"),
    (GOOD + "\n    height: 25", "'height' must be a number of cm from 3 to 20, got 25"),
    (GOOD + "\n    height: '6'", "'height' must be a number of cm from 3 to 20, got '6'"),
    (GOOD + "\n    height: true", "'height' must be a number"),
    (GOOD + "\n    colour: red", "unknown keys ['colour']"),
    (GOOD + "\n    title: 5", "'title' must be text or {zh: ..., en: ...}"),
    (GOOD + "\n    title: {fr: Catégories}", "'title' must be text"),
])
def test_a_bad_chart_is_refused_naming_the_problem(home, chart, problem):
    workspace = write_form(home, chart)
    with pytest.raises(ConfigError) as caught:
        load_form(workspace, "chart-test")
    message = str(caught.value)
    assert problem in message
    assert "chart-test.yaml" in message  # which file to fix


def test_the_cli_refuses_a_form_with_a_bad_chart(home, run):
    write_form(home, GOOD.replace("kind: bar", "kind: pie"))
    result = run("forms", "show", "chart-test")
    assert result.exit_code == 2
    assert "'kind' must be one of bar, line" in result.output


# --- the value axis -----------------------------------------------------------------------------


def steps(low: float, high: float, step: float) -> int:
    count = (high - low) / step
    assert count == pytest.approx(round(count)), "the axis ends on a step"
    return round(count)


@pytest.mark.parametrize("values, axis", [
    ([18, 16, 9, 1], (0, 20, 5)),
    ([52, 49], (0, 60, 10)),
    ([7, 0], (0, 8, 2)),
    ([89.4, 97.5, 100], (0, 100, 25)),
    ([12860.0, 7425.5], (0, 15000, 2500)),
    ([0.3, 0.12], (0, 0.3, 0.05)),
    ([-3.5, 2, 7], (-5, 7.5, 2.5)),
])
def test_the_axis_runs_from_zero_to_a_round_number_in_round_steps(values, axis):
    low, high, step = charts.scale(values)
    assert (low, high, step) == pytest.approx(axis)
    assert low <= min(values) and high >= max(values)
    assert 4 <= steps(low, high, step) <= 10


@pytest.mark.parametrize("values", [[1], [2, 1], [3], [5, 4], [9], [13], [31, 2], [99], [1234]])
def test_whole_numbers_get_whole_steps(values):
    low, high, step = charts.scale(values)
    assert low == 0 and high >= max(values)
    assert float(step).is_integer()
    assert step == 1 or steps(low, high, step) >= 4  # the longest whole step that makes 4
    ticks = [charts.tick_text(low + i * step, step) for i in range(steps(low, high, step) + 1)]
    assert all(re.fullmatch(r"[\d,]+", t) for t in ticks), ticks  # no "0.5" on a count axis


def test_an_all_zero_chart_still_has_an_axis():
    low, high, step = charts.scale([0, 0, 0])
    assert (low, high, step) == (0, 5, 1)
    p = chart_plan(["A", "B", "C"], [0, 0, 0])
    assert [text for _, text in p.ticks] == ["0", "1", "2", "3", "4", "5"]
    assert p.y_of(0) == p.plot[1]  # the zero line is the plot's bottom


def test_tick_labels_show_the_steps_digits():
    assert charts.tick_text(12500.0, 2500.0) == "12,500"
    assert charts.tick_text(0.15, 0.05) == "0.15"
    assert charts.tick_text(7.5, 2.5) == "7.5"


# --- the plan: category labels, bars, legend ----------------------------------------------------


def chart_data(categories: list[str], *series: list[float], kind: str = "bar", labels=None,
               title: str = "", height: float = 6) -> dict:
    """A chart as the context hands it to the renderers (context._chart)."""
    labels = labels or [f"系列{n}" for n in range(1, len(series) + 1)]
    return {"table": "t", "kind": kind, "title": title, "height": height, "x": "x",
            "categories": categories,
            "series": [{"key": f"s{n}", "label": label, "values": list(values)}
                       for n, (label, values) in enumerate(zip(labels, series, strict=True))]}


def chart_plan(categories, *series, width: float = COLUMN, **options) -> charts.Plan:
    return charts.plan(chart_data(categories, *series, **options), width, measure)


def drawn_labels(p: charts.Plan) -> list[tuple[float, str]]:
    """The category labels the plan draws, each with its tick's x."""
    left = p.plot[0]
    return [(left + (n + 0.5) * p.slot(), text) for n, text in enumerate(p.categories) if text]


def assert_labels_clear(p: charts.Plan) -> None:
    """No two drawn category labels overlap, and every one stays on the drawing."""
    labels = drawn_labels(p)
    assert labels, "no category label drawn"
    size, theta = p.label_size, math.radians(p.angle)
    top = p.plot[1] - charts.TICK - 1  # where a label hangs from
    for (x1, a), (x2, b) in zip(labels, labels[1:], strict=False):
        if p.angle == 0:
            room = (measure(a, size) + measure(b, size)) / 2
            assert x2 - x1 >= room, f"{a!r} and {b!r} overlap"
        else:  # parallel slanted or upright labels: their distance across the text
            assert (x2 - x1) * math.sin(theta) >= size, f"{a!r} and {b!r} touch"
    for x, text in labels:
        wide = measure(text, size)
        if p.angle == 0:
            assert x - wide / 2 >= 0 and x + wide / 2 <= p.width and top - size >= 0, text
        elif p.angle == 45:  # hung by its top right corner
            assert x - wide * math.cos(theta) >= 0, f"{text!r} runs off the left"
            assert top - (wide + size) * math.sin(theta) >= 0, f"{text!r} runs off the bottom"
        else:  # upright, hung by its right end
            assert top - wide >= 0, f"{text!r} runs off the bottom"


def test_a_months_days_stand_slanted_and_all_show():
    p = chart_plan([f"12-{day:02d}" for day in range(1, 32)], range(31), range(31),
                   kind="line")
    assert p.angle == 45 and p.label_size == charts.SMALL_SIZE
    assert p.categories == [f"12-{day:02d}" for day in range(1, 32)]
    assert_labels_clear(p)


@pytest.mark.parametrize("count, width", [(31, 260.0), (92, COLUMN), (366, COLUMN)])
def test_too_many_days_are_thinned_to_every_nth(count, width):
    days = [f"D{n:03d}" for n in range(count)]
    p = chart_plan(days, range(count), width=width, kind="line")
    assert p.angle == 90
    kept = [n for n, text in enumerate(p.categories) if text]
    every = kept[1] - kept[0]
    assert every > 1 and kept == list(range(0, count, every))  # the first, then every n-th
    assert all(p.categories[n] == days[n] for n in kept)
    assert_labels_clear(p)


def test_a_few_short_labels_stand_level():
    p = chart_plan(["一月", "二月", "三月"], [3, 5, 4])
    assert p.angle == 0 and p.categories == ["一月", "二月", "三月"]
    assert_labels_clear(p)


def test_long_labels_are_slanted_and_cut_short():
    long = ["卫生间地漏周边防水层破损渗水", "外墙开裂", "门窗密封条老化脱落漏风",
            "给排水", "电气线路短路跳闸", "墙地面空鼓", "设施设备", "其他问题"]
    p = chart_plan(long, [18, 9, 8, 7, 4, 3, 2, 1], [16, 8, 8, 6, 4, 3, 1, 1])
    assert p.angle == 45
    assert p.categories[1] == "外墙开裂"
    assert p.categories[0].endswith("…") and long[0].startswith(p.categories[0][:-1])
    assert_labels_clear(p)
    # the labels take at most their share of the height, the plot the rest
    assert p.plot[1] <= p.height * charts.LABEL_ROOM + charts.GAP + charts.TICK
    assert p.plot[3] >= p.height * 0.4


def test_eight_categories_as_the_summary_has_them_stand_level():
    p = chart_plan(CATEGORIES, [18, 9, 8, 7, 4, 3, 2, 1], [16, 8, 8, 6, 4, 3, 1, 1])
    assert p.angle == 0 and p.categories == CATEGORIES
    assert_labels_clear(p)


def test_one_category_gets_a_bar_of_normal_width_in_the_middle():
    p = chart_plan(["渗漏"], [1], [0])
    (first,), (second,) = charts.bar_geometry(p)
    assert first[1] == pytest.approx(charts.MAX_BAR) and second[1] == pytest.approx(first[1])
    middle = p.plot[0] + p.plot[2] / 2
    assert first[0] + first[1] == pytest.approx(middle)  # the pair is centred on its tick
    assert second[0] == pytest.approx(middle)


def test_many_categories_get_bars_that_fill_their_slots():
    p = chart_plan(CATEGORIES, range(8), range(8))
    bars = charts.bar_geometry(p)
    for n in range(8):
        group = bars[1][n][0] + bars[1][n][1] - bars[0][n][0]
        assert group == pytest.approx(p.slot() * 2 / 2.5)  # two bars of 10, a gap of 5
        assert bars[0][n][1] < charts.MAX_BAR


def bar_rects(drawing) -> list[tuple[float, float]]:
    """The (x, width) of every bar reportlab draws, left to right."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Group, Rect

    widget = next(s for s in drawing.contents if isinstance(s, VerticalBarChart))
    found = []

    def walk(shape):
        if isinstance(shape, Group):
            for child in shape.contents:
                walk(child)
        elif isinstance(shape, Rect) and shape.fillColor is not None and shape.height:
            found.append((round(shape.x, 3), round(shape.width, 3), shape.fillColor.hexval()))

    walk(widget.draw())
    palette = {f"0x{c[1:].lower()}" for c in charts.PALETTE}
    return sorted((x, w) for x, w, colour in found if colour in palette)


@pytest.mark.parametrize("categories", [["渗漏"], CATEGORIES])
def test_the_pdf_draws_the_bars_where_the_docx_picture_has_them(categories):
    data = chart_data(categories, [5] * len(categories), [3] * len(categories))
    p = charts.plan(data, COLUMN, measure)
    planned = sorted((round(x, 3), round(w, 3)) for bars in charts.bar_geometry(p)
                     for x, w in bars)
    drawn = bar_rects(charts.pdf_drawing(data, COLUMN, font()))
    assert len(drawn) == len(planned)
    flat = [v for bar in drawn for v in bar]
    assert flat == pytest.approx([v for bar in planned for v in bar], abs=0.01)


def test_a_long_legend_wraps_and_stays_on_the_drawing():
    labels = [f"第{n}个相当长的系列名称（件）" for n in range(1, 9)]
    p = chart_plan(["A", "B"], *[[n, n + 1] for n in range(8)], labels=labels, width=300.0)
    assert [label for _, label, _, _ in p.legend] == labels
    rows = sorted({y for _, _, _, y in p.legend}, reverse=True)
    assert len(rows) > 1
    for _, label, x, _ in p.legend:
        assert x >= 0 and x + charts.LEGEND_SIZE + 4 + measure(label, charts.LEGEND_SIZE) \
            <= p.width, label
    plot_top = p.plot[1] + p.plot[3]
    assert plot_top < rows[-1] - charts.LEGEND_SIZE / 2  # the plot starts under the legend


def test_a_short_legend_is_one_centred_line():
    p = chart_plan(CATEGORIES, range(8), range(8), labels=["受理（件）", "办结（件）"])
    assert len({y for _, _, _, y in p.legend}) == 1
    first, last = p.legend[0], p.legend[-1]
    right = last[2] + charts.LEGEND_SIZE + 4 + measure(last[1], charts.LEGEND_SIZE)
    assert first[2] == pytest.approx(p.width - right, abs=0.01)


def test_a_title_sits_above_the_legend():
    p = chart_plan(CATEGORIES, range(8), title="分类统计")
    assert p.title_y > p.legend[0][3] > p.plot[1] + p.plot[3]


def test_an_empty_chart_is_a_frame_title_and_legend():
    p = chart_plan([], [], [], title="走势")
    assert p.empty and not p.ticks and not p.categories
    left, bottom, width, height = p.plot
    assert left >= 0 and bottom >= 0 and left + width <= p.width and height > p.height / 2


LONG = ["卫生间地漏周边防水层破损渗水", "外墙开裂", "门窗密封条老化脱落漏风", "给排水",
        "电气线路短路跳闸", "墙地面空鼓", "设施设备", "其他问题"]
DRAWN_CHARTS = {
    "eight categories": lambda: chart_data(CATEGORIES, range(8), range(8), title="按类别"),
    "a month's days": lambda: chart_data(NOVEMBER, range(30), range(30), kind="line"),
    "a year's days": lambda: chart_data([f"D{n:03d}" for n in range(366)], range(366),
                                        kind="line", title="全年走势"),
    "long labels, a large value": lambda: chart_data(LONG, [1, 2, 3, 4, 5, 6, 7, 1_000_000]),
    "negative values": lambda: chart_data(CATEGORIES, [-5, 3, 8, -2, 0, 1, 2, 3]),
    "a long legend": lambda: chart_data(
        CATEGORIES, *[[n] * 8 for n in range(7)],
        labels=[f"很长的系列名称第{n}号（件）" for n in range(7)], title="分类统计"),
}


@pytest.mark.parametrize("width", [COLUMN, 260.0])
@pytest.mark.parametrize("name", DRAWN_CHARTS)
def test_no_word_of_a_chart_touches_another_or_a_line(name, width):
    """Every string the PDF draws (title, legend, value and category labels, slanted ones as
    slanted boxes) is clear of every other and of every line, and on the drawing."""
    import itertools

    from tests import drawn as geometry

    d = charts.pdf_drawing(DRAWN_CHARTS[name](), width, font())
    shown = geometry.read(d)
    assert len(shown.texts) > 8
    for (a, box_a), (b, box_b) in itertools.combinations(shown.texts, 2):
        assert not geometry.overlap(box_a, box_b), f"{a!r} overlaps {b!r}"
    for text, corners in shown.texts:
        for segment, _ in shown.segments:
            assert not geometry.overlap(corners, geometry.segment_polygon(segment)), text
        assert all(-0.5 <= x <= d.width + 0.5 and -0.5 <= y <= d.height + 0.5
                   for x, y in corners), f"{text!r} runs off the drawing"


# --- the documents ------------------------------------------------------------------------------
#
# A form of the summaries' schema with a layout of its own, so these tests do not follow the
# bundled summaries' layout as it changes: a line chart under its own heading, then a table with
# a bar chart under it, then another section.

CHART_FORM = """\
title: {zh: 图表测试表, en: Chart test}
code: T-02
record_prefix: TB
schema: summary
ticket: none
layout:
  - grid:
      - [project, compiled_by]
      - [period_from, period_to]
  - section: {zh: 受理与办结走势, en: Received and closed}
    chart: trend
    kind: line
    x: bucket
    series: [received, closed]
  - section: {zh: 分类统计, en: By category}
    table: by_category
    columns: [category, received, closed, open]
    blank_rows: 3
  - chart: by_category
    kind: bar
    x: category
    series: [received, closed]
  - section: {zh: 按楼栋, en: By building}
    table: by_building
    columns: [building, received, closed, open]
"""
BY_CATEGORY = [("leakage", 18, 16, 5), ("cracks", 9, 8, 2), ("doors_windows", 8, 8, 1),
               ("plumbing", 7, 6, 2), ("electrical", 4, 4, 0), ("walls_floors", 3, 3, 1),
               ("fixtures", 2, 1, 1), ("other", 1, 1, 0)]
DATA = {
    "project": "示例花园一期", "period_from": "2026-11-01", "period_to": "2026-11-30",
    "compiled_by": "赵敏", "received": 52, "closed": 47, "carried_over": 12,
    "open_at_start": 8, "rejected": 1, "overdue": 4,
    "trend": TREND,
    "by_category": [{"category": c, "received": r, "closed": d, "open": o}
                    for c, r, d, o in BY_CATEGORY],
    "by_building": [{"building": "1", "received": 30, "closed": 28, "open": 2}],
}


def invoke(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """The chart test form filled with DATA (pdf, docx, xlsx) and blank (blank-pdf, …)."""
    home = tmp_path_factory.mktemp("charts")
    (home / "forms").mkdir()
    (home / "forms" / "chart-demo.yaml").write_text(CHART_FORM, "utf-8")
    invoke(home, "forms", "template", "chart-demo")  # its DOCX template: {{ charts[N] }}
    data = home / "data.json"
    data.write_text(json.dumps(DATA, ensure_ascii=False), "utf-8")
    filled = json.loads(invoke(home, "fill", "chart-demo", "--data", str(data), "--format",
                               "pdf,docx,xlsx", "--json"))
    paths = {d["format"]: home / d["path"] for d in filled["documents"]}
    invoke(home, "forms", "blank", "chart-demo", "--format", "pdf,docx,xlsx", "-o",
           str(home / "blank"))
    paths |= {f"blank-{fmt}": home / "blank" / f"chart-demo.{fmt}"
              for fmt in ("pdf", "docx", "xlsx")}
    return paths


# --- the PDF ------------------------------------------------------------------------------------


def pieces(pdf: Path) -> list[tuple[int, float, float, str]]:
    """Every piece of text drawn in the PDF: page, x, y (up from the page's foot) and text,
    in reading order."""
    found = []
    for number, page in enumerate(PdfReader(str(pdf)).pages):
        def visit(text, cm, tm, _font, _size, number=number):
            if text.strip():
                e, f = float(tm[4]), float(tm[5])
                a, b, c, d, x, y = (float(v) for v in cm)
                found.append((number, e * a + f * c + x, e * b + f * d + y, text.strip()))
        page.extract_text(visitor_text=visit)
    return sorted(found, key=lambda p: (p[0], -round(p[2], 1), p[1]))


def between(found, first: str, last: str) -> list[tuple[int, float, float, str]]:
    """The pieces under the line of the first `first` and before the first `last` after it."""
    texts = [t for _, _, _, t in found]
    start = texts.index(first)
    end = texts.index(last, start)
    page, _, y, _ = found[start]
    return [p for p in found[start + 1:end] if p[0] > page or p[2] < y - 1]


def test_the_line_chart_follows_its_heading_with_legend_axis_and_every_day(documents):
    chart = between(pieces(documents["pdf"]), "受理与办结走势", "分类统计")
    texts = [t for _, _, _, t in chart]
    assert texts[:2] == ["受理", "办结"]  # the legend first, under the heading
    assert texts[2:7] == ["4", "3", "2", "1", "0"]  # the value axis, top down
    assert sorted(texts[7:]) == NOVEMBER  # and the days under it: nothing else
    assert len({page for page, _, _, _ in chart}) == 1  # on one page


def test_the_bar_chart_sits_under_its_table(documents):
    chart = between(pieces(documents["pdf"]), "其他", "按楼栋")  # under the table's last row
    texts = [t for _, _, _, t in chart]
    assert texts[:2] == ["受理（件）", "办结（件）"]  # the legend, under the table
    assert texts[2:7] == ["20", "15", "10", "5", "0"]
    assert texts[7:] == CATEGORIES  # level, left to right, once each
    legend, label = chart[0], chart[7]
    assert legend[0] == label[0] and legend[2] > label[2]


def page_pixels(pdf: Path, page: int, tmp_path: Path) -> Image.Image:
    """Page `page` (from 0) at 72 dpi, grey: a pixel is a point."""
    need_tool("pdftoppm", "poppler-utils")
    subprocess.run(["pdftoppm", "-r", "72", "-gray", "-png", "-singlefile", "-f", str(page + 1),
                    "-l", str(page + 1), str(pdf), str(tmp_path / "page")], check=True)
    return Image.open(tmp_path / "page.png").convert("L")


def ink_columns(image: Image.Image, top: float, bottom: float) -> tuple[int, int]:
    """The leftmost column with ink and the one past the rightmost, between heights `top` and
    `bottom` (points up from the page's foot, top > bottom)."""
    band = image.crop((0, round(image.height - top), image.width,
                       round(image.height - bottom)))
    box = band.point(lambda v: 255 if v < 200 else 0).getbbox()
    assert box, "nothing drawn there"
    return box[0], box[2]


@pytest.mark.parametrize("document", ["pdf", "blank-pdf"])
@pytest.mark.parametrize("heading, following", [("受理与办结走势", "分类统计"),
                                                ("未结（件）", "按楼栋")],
                         ids=["line-chart", "bar-chart"])
def test_a_chart_stays_inside_the_text_column(documents, document, heading, following,
                                              tmp_path):
    found = pieces(documents[document])
    chart = between(found, heading, following)
    if heading == "未结（件）":  # under the table: from its legend on
        chart = chart[[t for _, _, _, t in chart].index("受理（件）"):]
    page, _, top, _ = chart[0]
    image = page_pixels(documents[document], page, tmp_path)
    # the tables' outer lines mark the text column
    header = next(y for p, _, y, t in found if t == "问题类别")
    column = ink_columns(image, header + 1, header - 1)
    assert column == (pytest.approx(MARGIN, abs=1), pytest.approx(A4_WIDTH - MARGIN, abs=1))
    after = next((p, y) for p, _, y, t in found if t == following)
    bottom = after[1] + 12 if after[0] == page else MARGIN  # the next heading, or the foot
    ink = ink_columns(image, top + 8, bottom)  # from the legend down
    assert column[0] <= ink[0] and ink[1] <= column[1], (ink, column)
    assert ink[1] - ink[0] >= (column[1] - column[0]) - 30  # and spans nearly all of it


def test_the_blank_pdf_has_the_legend_over_an_empty_frame(documents):
    chart = between(pieces(documents["blank-pdf"]), "受理与办结走势", "分类统计")
    assert [t for _, _, _, t in chart] == ["受理", "办结"]


# --- the DOCX -----------------------------------------------------------------------------------


def picture(document, shape) -> Image.Image:
    blip = shape._inline.graphic.graphicData.pic.blipFill.blip
    image = Image.open(io.BytesIO(document.part.related_parts[blip.embed].blob))
    image.load()
    return image


def text_column(document) -> int:
    section = document.sections[-1]
    return section.page_width - section.left_margin - section.right_margin


def colour_count(image: Image.Image, colour: str) -> int:
    """How many pixels are exactly `colour` ("#RRGGBB")."""
    rgb = image.convert("RGB")
    difference = ImageChops.difference(rgb, Image.new("RGB", rgb.size, colour)).convert("L")
    return difference.point(lambda v: 255 if v == 0 else 0).histogram()[255]


@pytest.mark.parametrize("document", ["docx", "blank-docx"])
def test_the_docx_has_a_picture_per_chart_as_wide_as_the_text(documents, document):
    document = docx.Document(str(documents[document]))
    shapes = document.inline_shapes
    assert len(shapes) == 2  # the trend and the categories
    for shape in shapes:
        assert shape.width == text_column(document)
        assert shape.height == Cm(6)  # the layout's default height
        image = picture(document, shape)
        assert image.format == "PNG"
        assert image.width / image.height == pytest.approx(shape.width / shape.height,
                                                           rel=0.01)
        assert image.width >= shape.width / 914400 * 140  # about 150 dpi


def test_the_docx_pictures_show_lines_and_bars(documents):
    document = docx.Document(str(documents["docx"]))
    trend, categories = (picture(document, s) for s in document.inline_shapes)
    blue, orange = charts.PALETTE[:2]
    # the bars of 18 received and 16 closed leakage complaints alone are thousands of pixels
    assert colour_count(categories, blue) > 5000 and colour_count(categories, orange) > 5000
    assert colour_count(trend, blue) > 1000 and colour_count(trend, orange) > 1000
    for image in (trend, categories):  # black text: the labels and the axis' numbers
        assert colour_count(image, charts.TEXT) > 200


def test_the_blank_docx_pictures_are_empty_frames(documents):
    document = docx.Document(str(documents["blank-docx"]))
    for shape in document.inline_shapes:
        image = picture(document, shape)
        assert colour_count(image, charts.FRAME) > 1000  # the frame
        assert 0 < colour_count(image, charts.PALETTE[0]) < 500  # the legend's swatch only


def body_order(document) -> list[str]:
    """The body's paragraphs and tables in order: a paragraph's text, "[picture]" for one
    holding a picture, "[table]" for a table."""
    order = []
    for element in document.element.body.iterchildren():
        tag = etree.QName(element).localname
        if tag == "tbl":
            order.append("[table]")
        elif tag == "p":
            if element.findall(".//{*}drawing"):
                order.append("[picture]")
            text = "".join(t.text or "" for t in element.iter(f"{W}t")).strip()
            if text:
                order.append(text)
    return order


def test_the_docx_pictures_stand_where_the_layout_puts_the_charts(documents):
    order = body_order(docx.Document(str(documents["docx"])))
    trend = order.index("受理与办结走势")
    assert order[trend + 1:trend + 3] == ["[picture]", "分类统计"]
    assert order[trend + 3:trend + 6] == ["[table]", "[picture]", "按楼栋"]


# --- the XLSX -----------------------------------------------------------------------------------


def excel_charts(path: Path) -> dict[str, etree._Element]:
    """The workbook's charts by kind (barChart, lineChart)."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name):
                plot = etree.fromstring(archive.read(name)).find(f".//{C}plotArea")
                for element in plot:
                    if element.tag in (f"{C}barChart", f"{C}lineChart"):
                        assert etree.QName(element).localname not in found
                        found[etree.QName(element).localname] = element
    return found


def cells(workbook, reference: str) -> list:
    """The values of the cells a chart's formula like 'Sheet'!$B$5:$B$9 refers to."""
    sheet, (min_col, min_row, max_col, max_row) = range_to_tuple(reference)
    ws = workbook[sheet.strip("'")]
    return [c.value for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                                            max_col=max_col) for c in row]


def series_of(workbook, chart: etree._Element) -> tuple[list, dict[str, list]]:
    """A chart's categories and each series' values, read from the cells it refers to."""
    categories, series = None, {}
    for ser in chart.findall(f"{C}ser"):
        (title,) = cells(workbook, ser.find(f"{C}tx/{C}strRef/{C}f").text)
        these = cells(workbook, ser.find(f"{C}cat//{C}f").text)
        assert categories is None or these == categories
        categories = these
        series[title] = cells(workbook, ser.find(f"{C}val/{C}numRef/{C}f").text)
    return categories, series


def test_the_xlsx_has_native_charts_of_the_tables_cells(documents):
    found = excel_charts(documents["xlsx"])
    assert set(found) == {"barChart", "lineChart"}
    workbook = openpyxl.load_workbook(documents["xlsx"])
    assert series_of(workbook, found["lineChart"]) == (
        NOVEMBER, {"受理": [r["received"] for r in TREND], "办结": [r["closed"] for r in TREND]})
    assert series_of(workbook, found["barChart"]) == (
        CATEGORIES, {"受理（件）": [r for _, r, _, _ in BY_CATEGORY],
                     "办结（件）": [d for _, _, d, _ in BY_CATEGORY]})
    assert found["barChart"].find(f"{C}barDir").get("val") == "col"


def test_the_xlsx_charts_are_anchored_across_the_main_sheet(documents):
    with zipfile.ZipFile(documents["xlsx"]) as archive:
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawings/drawing1.xml" in rels
        drawing = etree.fromstring(archive.read("xl/drawings/drawing1.xml"))
    anchors = [e for e in drawing if etree.QName(e).localname == "twoCellAnchor"]
    assert len(anchors) == 2
    for anchor in anchors:  # from the first column across the tables' columns
        start, end = (anchor.find(f"{{*}}{edge}") for edge in ("from", "to"))
        assert start.findtext("{*}col") == "0" and int(end.findtext("{*}col")) >= 4
        rows = int(end.findtext("{*}row")) - int(start.findtext("{*}row"))
        assert rows * 20 >= 6 / 2.54 * 72  # rows of 20 points, as tall as the chart


def test_a_blank_xlsx_charts_nothing(documents):
    workbook = openpyxl.load_workbook(documents["blank-xlsx"])
    for chart in excel_charts(documents["blank-xlsx"]).values():
        _, series = series_of(workbook, chart)  # a chart over the blank rows, to fill in
        assert all(v is None for values in series.values() for v in values)


# --- the bundled summaries ----------------------------------------------------------------------

SUMMARIES = ["weekly-summary", "monthly-summary", "quarterly-summary", "annual-summary"]


@pytest.mark.parametrize("name", SUMMARIES)
def test_each_summary_carries_its_charts_in_every_format(name, home, run, tmp_path):
    form = load_form(Workspace.open(None), name)
    items = [item for item in form.layout if "chart" in item]
    assert items, f"{name} has no chart"
    result = run("fill", name, "--data", str(write_sample(tmp_path, name)), "--format",
                 "pdf,docx,xlsx", "--json")
    assert result.exit_code == 0, result.output
    paths = {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}
    text = squash(pdf_text(paths["pdf"]))
    columns = {item["chart"]: form.fields[item["chart"]].columns for item in items}
    for item in items:  # each chart's legend
        for series in item["series"]:
            assert columns[item["chart"]][series].label("zh") in text
    document = docx.Document(str(paths["docx"]))
    assert len(document.inline_shapes) == len(items)
    assert all(s.width == text_column(document) for s in document.inline_shapes)
    drawn = [item for item in items if form.sample.get(item["chart"])]
    with zipfile.ZipFile(paths["xlsx"]) as archive:
        count = sum(1 for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
    assert count == len(drawn)
