"""Column widths from what the columns hold: the one rule the PDF, DOCX and XLSX renderers share.

Much as a browser lays out an automatic table. No column is narrower than its widest token, a
run of characters that are neither spaces nor CJK (a date, a time, a ticket, record or room
number, an amount), so a line never breaks inside one; short words stay whole while there is
room; the rest of the width goes to the columns that would otherwise break the most lines.
When not even the tokens fit (long values are valid up to a schema's maxlength), all columns
shrink alike and the renderer breaks what it must: a document is never refused for its widths.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence

# A cell's left and right padding in the PDF (reportlab's default, 6 pt a side) and 2 pt of
# air, so a token measured to fit is not broken by rounding or by a slightly wider Latin face
# in Word or LibreOffice.
CELL_PADDING = 12 + 2
# A line this many characters (ems) wide or less is a word kept whole while there is room:
# 承建商, 物业维修, a column's header.
SHORT_LINE_EM = 4
USUAL = 0.75  # a column's usual width holds three in four of its lines unbroken


def _is_wide(char: str) -> bool:
    """A character a line may break before or after (CJK ideographs and full-width marks)."""
    return unicodedata.east_asian_width(char) in "WF"


def unbreakable_pieces(text: str) -> list[str]:
    """The pieces a line never breaks inside: runs of non-space, non-CJK characters, and each
    CJK character by itself."""
    pieces: list[str] = []
    run = ""
    for char in text:
        if char.isspace() or _is_wide(char):
            if run:
                pieces.append(run)
                run = ""
            if not char.isspace():
                pieces.append(char)
        else:
            run += char
    if run:
        pieces.append(run)
    return pieces


def least_width(texts: Iterable[str], measure: Callable[[str], float],
                keep_whole: float = 0.0) -> float:
    """The width of the widest piece of `texts` that must not be broken: an unbreakable
    piece, or a whole line no wider than `keep_whole` (a short word such as 承建商)."""
    widths = [0.0]
    for text in texts:
        for line in text.split("\n"):
            whole = measure(line)
            widths += [whole] if whole <= keep_whole else map(measure, unbreakable_pieces(line))
    return max(widths)


def natural_width(texts: Iterable[str], measure: Callable[[str], float]) -> float:
    """The width of the longest line of `texts`, unbroken."""
    return max((measure(line) for text in texts for line in text.split("\n")), default=0.0)


def usual_width(texts: Sequence[str], measure: Callable[[str], float]) -> float:
    """The width within which most lines of `texts` (USUAL of them) fit unbroken."""
    widths = sorted(measure(line) for text in texts for line in text.split("\n"))
    return widths[math.ceil(USUAL * len(widths)) - 1] if widths else 0.0


def column_widths(columns: Sequence[Iterable[str]], measure: Callable[[str], float],
                  total: float, keep_whole: float = 0.0,
                  padding: float = CELL_PADDING) -> list[float]:
    """Widths for columns holding `columns` (per column, the texts it shows: its header and
    values), `measure(text)` wide each, sharing `total` out; each width includes `padding`.

    Each column has four widths, from the most room to the least: natural (its longest line
    unbroken), usual (most of its lines unbroken), words (its short lines, up to `keep_whole`
    wide, and tokens unbroken) and tokens (only its tokens unbroken). All columns get the
    first of these that fits, and a share of what is left over: above the natural widths in
    proportion to them, above the usual ones by how many lines each still breaks, lower down
    in proportion to how far each is from the width above. When not even the tokens fit, all
    shrink alike (and break their tokens)."""
    columns = [list(texts) for texts in columns]
    if not columns:
        return []
    measure = functools.cache(measure)  # each line is measured four or five times
    tokens = [least_width(texts, measure) + padding for texts in columns]
    words = _padded([least_width(texts, measure, keep_whole) for texts in columns], padding,
                    tokens)
    usual = _padded([usual_width(texts, measure) for texts in columns], padding, words)
    natural = _padded([natural_width(texts, measure) for texts in columns], padding, usual)
    if sum(natural) <= total:
        return _share(natural, natural, total - sum(natural))
    if sum(usual) <= total:
        # to the columns with most lines still broken, each up to its natural width: a column
        # with one long line then needs no more than a column with many
        broken = [sum(measure(line) + padding > width for text in texts
                      for line in text.split("\n"))
                  for texts, width in zip(columns, usual, strict=True)]
        return _share(usual, broken, total - sum(usual), most=natural)
    for high, low in itertools.pairwise((usual, words, tokens)):
        if sum(low) <= total:
            gaps = [b - a for a, b in zip(low, high, strict=True)]
            return _share(low, gaps, total - sum(low))
    return [total * width / sum(tokens) for width in tokens]


def _padded(widths: list[float], padding: float, least: list[float]) -> list[float]:
    """`widths` with `padding`, none less than `least`."""
    return [max(width + padding, low) for width, low in zip(widths, least, strict=True)]


def _share(widths: list[float], by: list[float], slack: float,
           most: list[float] | None = None) -> list[float]:
    """`widths` with `slack` added in proportion to `by` (evenly if `by` is all nought), none
    beyond its `most`: what one cannot take goes to the others."""
    widths = list(widths)
    most = most or [math.inf] * len(widths)
    open_ = [i for i, width in enumerate(widths) if width < most[i]]
    while slack > 0 and open_:
        weight = sum(by[i] for i in open_)
        shares = {i: slack * by[i] / weight if weight else slack / len(open_) for i in open_}
        full = [i for i in open_ if widths[i] + shares[i] >= most[i]]
        if not full:
            return [width + shares.get(i, 0.0) for i, width in enumerate(widths)]
        for i in full:
            slack -= most[i] - widths[i]
            widths[i] = most[i]
            open_.remove(i)
    return widths


def label_width(labels: Iterable[str], measure: Callable[[str], float], floor: float,
                ceiling: float, padding: float = CELL_PADDING) -> float:
    """A grid's label column: wide enough for its longest label on one line (合同价款（大写）),
    never narrower than `floor` (labels line up from form to form) nor wider than `ceiling`
    (the value beside it keeps its room; a longer label wraps)."""
    longest = natural_width(labels, measure) + padding
    return min(max(longest, floor), ceiling)


Measure = Callable[[str, float], float]  # the width of a line of text at a font size
# Word and LibreOffice may draw Latin text in a wider face than the PDF's font (DejaVu Serif,
# ~9% wider, stands in for a SimSun they lack): text is measured a tenth wider, in both
# formats, so their columns are the same and a token fits in either.
WIDER_FACE = 1.1


def _at(measure: Measure, size: float) -> Callable[[str], float]:
    return lambda text: measure(text, size) * WIDER_FACE


def widths_at(columns: Sequence[Iterable[str]], measure: Measure, size: float,
              total: float) -> list[float]:
    """`column_widths` of text printed at `size`, its short words kept whole."""
    return column_widths(columns, _at(measure, size), total,
                         keep_whole=SHORT_LINE_EM * size * WIDER_FACE)


def row_table_widths(item: dict, columns: list[str], ctx: dict, measure: Measure, size: float,
                     total: float) -> list[float]:
    """The widths of a layout's row table (`item`, showing `columns`) printed at `size`."""
    return widths_at(row_table_texts(item, columns, ctx), measure, size, total)


LABEL_FLOOR = 3.0 * 72 / 2.54  # points: a grid's label column at its narrowest, so forms line up
LABEL_CEILING = 0.45  # of a label and value pair's width, so the value keeps its room


def grid_label_width(item: dict, ctx: dict, measure: Measure, size: float,
                     total: float) -> float:
    """The label columns of a layout's grid, `total` wide, its labels printed at `size`: one
    width for all its rows, so their columns line up."""
    pairs = max(len(keys) for keys in item["grid"])
    labels = [ctx["L"][key] for keys in item["grid"] for key in keys]
    return label_width(labels, _at(measure, size), LABEL_FLOOR, LABEL_CEILING * total / pairs)


def row_table_texts(item: dict, columns: list[str], ctx: dict) -> list[list[str]]:
    """Per column of a layout's row table, what it shows: its header, the values the context
    measured for it (documents/context.py `column_texts`) and, filled, its totals line."""
    key = item["table"]
    labels, measured = ctx["L"][f"{key}_columns"], ctx["column_texts"][key]
    texts = [[labels[column], *measured[column]] for column in columns]
    totals = item.get("totals")
    if totals and not ctx["blank"]:
        texts[0].append(ctx["M"]["total"])
        for column, computed in totals.items():
            texts[columns.index(column)].append(ctx["f"][computed])
    return texts
