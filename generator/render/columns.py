"""Column widths from what the columns hold, the one rule the PDF and DOCX renderers share.

As a browser lays out an automatic table: each column has a least width, its widest unbreakable
token (a date, a time, a ticket or record number, a room number, an amount — a run of
characters that are neither spaces nor CJK), and a natural width, its longest line unbroken.
When the natural widths fit, every column gets its natural width and the slack goes to the
columns with longer text; when they do not, every column gets its least width and the rest is
shared out by how much more each would need; when not even the least widths fit (long values
are valid up to a schema's maxlength), all shrink in proportion, and the renderer wraps.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

# A cell's left and right padding in the PDF (reportlab's default, 6 pt a side) and 2 pt of
# air, so a token measured to fit is not broken by rounding or by a slightly wider Latin face
# in Word or LibreOffice.
CELL_PADDING = 12 + 2
# A line this many characters (ems) wide or less is a word kept whole while there is room:
# 承建商, 物业维修, a column's header.
SHORT_LINE_EM = 4


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


def column_widths(columns: Sequence[Iterable[str]], measure: Callable[[str], float],
                  total: float, keep_whole: float = 0.0,
                  padding: float = CELL_PADDING) -> list[float]:
    """Widths for columns holding `columns` (per column, the texts it shows: its header and
    values), `measure(text)` wide each, sharing `total` out; each width includes `padding`.

    From the most room to the least: every column its natural width (the slack to the longer
    ones); short lines (up to `keep_whole` wide) and tokens whole, the rest to the columns that
    would wrap most; tokens whole, short lines wrapping; all shrunk alike."""
    columns = [list(texts) for texts in columns]
    if not columns:
        return []
    tokens = [least_width(texts, measure) + padding for texts in columns]
    words = [max(least_width(texts, measure, keep_whole) + padding, low)
             for texts, low in zip(columns, tokens, strict=True)]
    natural = [max(natural_width(texts, measure) + padding, low)
               for texts, low in zip(columns, words, strict=True)]
    for low, high in ((natural, natural), (words, natural), (tokens, words)):
        if sum(low) <= total:
            more = [b - a for a, b in zip(low, high, strict=True)]
            return _share(low, more if any(more) else high, total - sum(low))
    return [total * width / sum(tokens) for width in tokens]


def _share(widths: list[float], by: list[float], slack: float) -> list[float]:
    """`widths` with `slack` added in proportion to `by` (evenly if `by` is all nought)."""
    if not sum(by):
        by = [1.0] * len(widths)
    return [width + slack * share / sum(by) for width, share in zip(widths, by, strict=True)]


def label_width(labels: Iterable[str], measure: Callable[[str], float], floor: float,
                ceiling: float, padding: float = CELL_PADDING) -> float:
    """A grid's label column: wide enough for its longest label on one line (合同价款（大写）),
    never narrower than `floor` (labels line up from form to form) nor wider than `ceiling`
    (the value beside it keeps its room; a longer label wraps)."""
    longest = natural_width(labels, measure) + padding
    return min(max(longest, floor), ceiling)


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
