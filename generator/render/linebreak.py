"""Where a line of Chinese text may end, by the rules of Chinese typesetting (CLREQ; GB/T 15834
on punctuation), and a greedy line filler that keeps to them.

- No line starts with closing punctuation (，。、；：？！）》」 … ’” and the like, ASCII ones too,
  and the units that follow a number: % ‰ ℃), and none ends with opening punctuation (（《「‘“).
- Lines may break between any two Chinese characters, and after a space.
- A run of Latin letters, digits and ASCII punctuation (2026-11-29, SH-2026-000001, 3-2-1203,
  12.50) is one word: it is cut only when it alone is wider than the line.
- "——" and "……" are never split.

Pure text and widths, no renderer: the PDF's paragraphs (render/paragraph.py) break by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple
from unicodedata import east_asian_width

CANNOT_START = frozenset(
    "，。、；：？！）》」』】〕〗〉｝］…’”·・"  # closing and middle punctuation
    ",.;:?!)]}"  # their ASCII counterparts
    "%％‰℃°′″"  # what follows a number
)
CANNOT_END = frozenset(
    "（《「『【〔〖〈｛［‘“"  # opening punctuation
    "([{"  # the ASCII ones
    "￥＄"  # what precedes a number
)
# The closing marks reportlab hangs in the margin (行尾点号悬挂) when one does not fit, so the
# lines it broke right stay as they were. The others (，：；？！》” …) take the character
# before them down to the next line: hung, a comma would reach into the next cell of a table.
HANGING = frozenset("、。）」』】〕］,.;:?!)]")
INSEPARABLE = frozenset("—…")  # the halves of "——" and "……"
NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")
FORCED_BREAK = "\n"
_FUZZ = 1e-6  # widths are sums of floats: a line that fits exactly must fit


def _in_word(char: str) -> bool:
    """Part of a Latin word: letters, digits and ASCII punctuation, not spaces and not the
    full-width forms that set like Chinese characters."""
    if char.isspace():
        return False
    return char.isascii() or (char.isalnum() and east_asian_width(char) not in ("W", "F"))


def _breaking_space_before(text: str, index: int) -> bool:
    """Whether the run of spaces ending just before `index` holds one a line may break at."""
    while index > 0 and text[index - 1].isspace():
        index -= 1
        if text[index] not in NO_BREAK_SPACES:
            return True
    return False


def may_break(text: str, index: int) -> bool:
    """Whether a line may end between text[index - 1] and text[index] (0 < index < len)."""
    before, after = text[index - 1], text[index]
    if before == FORCED_BREAK:
        return True
    if after in CANNOT_START or before in CANNOT_END or after.isspace():
        return False  # spaces stay on the line they follow, where they hang unseen
    if before.isspace():
        return _breaking_space_before(text, index)
    if before in INSEPARABLE and after == before:
        return False
    return not (_in_word(before) and _in_word(after))


class Line(NamedTuple):
    start: int
    end: int  # text[start:end] is the line, a FORCED_BREAK that ends it included
    width: float  # what it fills of its width: spaces and punctuation hanging at its end not


def _line_end(text: str, widths: Sequence[float], start: int, limit: float) -> int:
    """Where the line that starts at `start` ends: after as much as fits, at the last place
    it may break."""
    used = 0.0
    last_break = None
    for index in range(start, len(text)):
        if text[index] == FORCED_BREAK:
            return index + 1
        if index > start and may_break(text, index):
            last_break = index
        used += widths[index]
        if used > limit + _FUZZ and not text[index].isspace():
            if _may_hang(text, start, index) and used - widths[index] <= limit + _FUZZ:
                return _after_hanging(text, index + 1)
            if last_break is not None:
                return last_break
            return _cut(text, start, index)
    return len(text)


def _may_hang(text: str, start: int, index: int) -> bool:
    """Whether text[index] may hang past the line's end: one full-width closing mark, not
    followed by another (which would then start the next line)."""
    following = text[index + 1:index + 2]
    return (index > start and text[index] in HANGING
            and not (following and following in CANNOT_START))


def _after_hanging(text: str, end: int) -> int:
    """A hanging mark's line takes the spaces and the forced break after it too, so the next
    line does not start with them (or stand empty)."""
    while end < len(text) and text[end].isspace() and text[end] != FORCED_BREAK:
        end += 1
    return end + (text[end:end + 1] == FORCED_BREAK)


def _cut(text: str, start: int, overflow: int) -> int:
    """Where to cut a line with nowhere to break (a run wider than the line): before the
    character that overflows, or the one before it if that would start the next line with
    closing punctuation — but never an empty line."""
    if text[overflow] in CANNOT_START and overflow - 1 > start:
        return overflow - 1
    return max(overflow, start + 1)


def _filled(text: str, widths: Sequence[float], start: int, end: int, limit: float) -> float:
    """The width a line fills: its spaces at the end hang unseen, and so does a closing mark
    that did not fit."""
    while end > start and text[end - 1].isspace():
        end -= 1
    used = sum(widths[start:end])
    if used > limit + _FUZZ and end > start and text[end - 1] in HANGING:
        used -= widths[end - 1]
    return used


def break_lines(text: str, widths: Sequence[float], max_widths: Sequence[float]) -> list[Line]:
    """The lines of `text`, each filled as far as its width allows.

    `widths[i]` is the width of text[i]; line n may be `max_widths[n]` wide (the last width
    holds for the lines after). A FORCED_BREAK character ends its line and stays on it.
    Spaces at a line's end, and one closing mark that did not fit, hang past its width.
    """
    lines: list[Line] = []
    start = 0
    while start < len(text):
        limit = max_widths[min(len(lines), len(max_widths) - 1)]
        end = _line_end(text, widths, start, limit)
        lines.append(Line(start, end, _filled(text, widths, start, end, limit)))
        start = end
    return lines
