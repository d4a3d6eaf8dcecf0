"""A reportlab Paragraph that breaks its lines by the Chinese rules of `linebreak`.

reportlab's own CJK wrapping (`wordWrap="CJK"`) knows only a short Japanese list of characters
that may not start a line (no ，：；？！》」), hangs at most one of them, ignores those that may
not end a line, and cuts Latin runs anywhere ("2026-11-2" / "9"). This class keeps everything
else of reportlab's: its glyph and line objects, <br/> breaks, alignment, indents, splitting
across pages and table cells.
"""

from __future__ import annotations

from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import ParaLines, cjkU, makeCJKParaLine

from generator.render.linebreak import FORCED_BREAK, break_lines


def _lines_frags(bl_para, start: int, stop: int) -> list:
    """The fragments of lines start…stop, for the part of a split paragraph that goes on the
    next page. reportlab's version adds a space at each line end, which Chinese has none of."""
    return [word for line in bl_para.lines[start:stop] for word in line.words]


class ChineseParagraph(Paragraph):
    """A Paragraph (wordWrap="CJK") whose lines break where Chinese typesetting allows."""

    def breakLinesCJK(self, maxWidths):  # noqa: N802, N803 (reportlab's names)
        widths = maxWidths if isinstance(maxWidths, list | tuple) else [maxWidths]
        if getattr(self, "_splitpara", 0) and hasattr(self, "blPara"):
            return self.blPara  # the first part of a split: its lines are already made
        if self.bulletText or self.style.endDots or any(
                hasattr(frag, "cbDefn") for frag in self.frags):
            return super().breakLinesCJK(maxWidths)  # none of which this project draws
        # A paragraph is wrapped again and again at the same widths (each page-flow trial,
        # each of the rulebook's passes for its contents): its lines depend on nothing else.
        cache = self.__dict__.setdefault("_lines_at", {})
        key = tuple(widths)
        if key not in cache:
            glyphs = list(_glyphs(self.frags))
            if not glyphs:
                return super().breakLinesCJK(maxWidths)
            cache[key] = ParaLines(kind=1, lines=self._lines(glyphs, widths))
        return cache[key]

    def _lines(self, glyphs: list, max_widths) -> list:
        text = "".join(glyph or FORCED_BREAK for glyph in glyphs)
        auto_leading = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        lines = []
        for number, line in enumerate(break_lines(text, [g.width for g in glyphs], max_widths)):
            max_width = max_widths[min(number, len(max_widths) - 1)]
            lines.append(makeCJKParaLine(glyphs[line.start:line.end], max_width, line.width,
                                         max_width - line.width,
                                         text[line.end - 1] == FORCED_BREAK,
                                         auto_leading not in ("", "off")))
        return lines

    def _get_split_blParaFunc(self):  # noqa: N802 (reportlab's name)
        if self.style.wordWrap == "CJK" and self.blPara.kind == 1:
            return _lines_frags
        return super()._get_split_blParaFunc()


def _glyphs(frags):
    """Each character with its fragment (font, size, colour) and width, as reportlab's CJK
    wrapping holds them; a <br/> is an empty glyph."""
    for frag in frags:
        if frag.text:
            yield from (cjkU(char, frag, "utf8") for char in frag.text)
        elif hasattr(frag, "lineBreak"):
            yield cjkU("", frag, "utf8")

