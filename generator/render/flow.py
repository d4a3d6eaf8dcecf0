"""Page flow for reportlab stories: headings kept with the start of what follows them, and a
block (the signatures) kept with the end of what precedes it.

reportlab's own keep-with-next wraps a heading and the whole next flowable in a KeepTogether,
which sends both to the next page when the next one is longer than the space left — a table
moved whole leaves a nearly empty page — and leaves the heading behind when the next flowable is
itself a KeepTogether. Here a heading needs only the first rows or lines of what follows under
it, and a signature block takes at least the last row or lines of what precedes it along.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether, Table
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, NullActionFlowable

_FORCE_SPLIT = 0xFFFFFF  # a height no frame holds, so the frame asks the container to split
_ROOM = 1  # points of slack, for the rounding of heights reportlab adds up again


def _height(flowables: list[Flowable], width: float, canv) -> float:
    """The height `flowables` take one under another, the space between them included."""
    total = 0.0
    for position, flowable in enumerate(flowables):
        if isinstance(flowable, _Kept):
            total += flowable.content_height(width, canv)
        elif isinstance(flowable, KeepTogether):
            flowable.wrapOn(canv, width, _FORCE_SPLIT)
            total += flowable._H  # noqa: SLF001 (KeepTogether reports its height only so)
        else:
            total += flowable.wrapOn(canv, width, _FORCE_SPLIT)[1]
        if position:
            total += max(flowables[position - 1].getSpaceAfter(), flowable.getSpaceBefore())
    return total


def _handed_back(flowables: list[Flowable], fits: bool = True) -> list[Flowable]:
    """`flowables` as a split's result. reportlab draws a split's first part at once, without
    splitting it again, so unless it is a plain flowable that fits it is put behind an action
    that does nothing (reportlab then hands all of them back to the page, one at a time). A
    heading that fits comes first as it is, so that it is not grouped with what follows twice."""
    if fits and not isinstance(flowables[0], _Kept):
        return list(flowables)
    return [NullActionFlowable(), *flowables]


class _Kept(Flowable):
    """A group the frame always asks to split (as reportlab's KeepTogether): `split` decides
    what goes on this page. It is no KeepTogether, so a heading may keep with it in turn."""

    def __init__(self, content: list[Flowable]) -> None:
        super().__init__()
        self._content = content  # reportlab's keep-with-next reads this name

    def content_height(self, width: float, canv) -> float:
        return _height(self._content, width, canv)

    def wrap(self, available_width, available_height):
        return available_width, _FORCE_SPLIT

    def getSpaceBefore(self):  # noqa: N802 (reportlab's name)
        return self._content[0].getSpaceBefore()

    def getSpaceAfter(self):  # noqa: N802 (reportlab's name)
        return self._content[-1].getSpaceAfter()

    def _at_top(self) -> bool:
        frame = getattr(self, "_frame", None)
        return bool(frame is None or frame._atTop)  # noqa: SLF001 (the frame's own flag)

    def _to_next_page(self) -> list[Flowable]:
        """All of it on the next page; at the top of one already, as it comes (split)."""
        if self._at_top():
            return _handed_back(self._content, fits=False)
        return [FrameBreak(), *self._content]

    def draw(self) -> None:  # never drawn itself: split always hands out its content
        raise AssertionError("a kept group is split, never drawn")


def _moved(parts: list[Flowable]) -> bool:
    """Whether a split's result moves all to the next page rather than starting on this one:
    it leads with a frame break, or (a kept group at the top of a page already) the action
    that does nothing (_handed_back). A heading must not stay behind over such a group."""
    return isinstance(parts[0], ActionFlowable)


def _whole(flowable: Flowable) -> bool:
    """A flowable that is never split: moved to the next page whole, with what keeps with it."""
    return isinstance(flowable, (KeepTogether, KeepWhole))


class KeepWhole(_Kept):
    """reportlab's KeepTogether, which a heading can keep with: all on one page, unless no
    page holds it."""

    def split(self, available_width, available_height):
        if _height(self._content, available_width, self.canv) <= available_height:
            return _handed_back(self._content)
        return self._to_next_page()


class KeepWithStart(_Kept):
    """Headings (`lead`) on the page where what follows them (`follower`) starts: its first
    rows or lines must fit under them, else all go to the next page. reportlab's doc template
    builds one for each run of keepWithNext flowables (keepTogetherClass)."""

    def split(self, available_width, available_height):
        *lead, follower = self._content
        if _height(self._content, available_width, self.canv) <= available_height:
            return _handed_back(self._content)
        if self._at_top() or not lead or _whole(follower):
            return self._to_next_page()
        below = (available_height - _height(lead, available_width, self.canv)
                 - max(lead[-1].getSpaceAfter(), follower.getSpaceBefore()) - _ROOM)
        parts = follower.splitOn(self.canv, available_width, below) if below > 0 else []
        if len(parts) < 2 or _moved(parts):
            return self._to_next_page()
        # its start fits: the frame splits it again in the space the headings really leave
        return _handed_back(self._content)


def _split_between_rows(flowable: Flowable, canv, width: float, height: float) -> list:
    """`flowable` split to fit `height`; a table only between rows, so that what goes on with
    the block is a whole row, not the sliver of one a split inside a row leaves."""
    if not isinstance(flowable, Table):
        return flowable.splitOn(canv, width, height)
    by_row, in_row = flowable.splitByRow, flowable.splitInRow
    flowable.splitByRow, flowable.splitInRow = 1, 0
    try:
        parts = flowable.splitOn(canv, width, height)
    finally:
        flowable.splitByRow, flowable.splitInRow = by_row, in_row
    for part in parts:  # the parts split on over later pages as the table would
        part.splitByRow, part.splitInRow = by_row, in_row
    return parts


class KeepWithEnd(_Kept):
    """`block` (the signatures) on the page where `preceding` ends, with at least its last row
    or lines: it never stands alone on a page."""

    def __init__(self, preceding: Flowable, block: Flowable, tail: bool = False) -> None:
        super().__init__([preceding, block])
        self._tail = tail  # the end split off for the block: split no further below a page top

    def split(self, available_width, available_height):
        preceding, block = self._content
        if _height(self._content, available_width, self.canv) <= available_height:
            return _handed_back(self._content)
        if _whole(preceding) or (self._tail and not self._at_top()):
            return self._to_next_page()
        # all of `preceding` that fits, less at least its end, which goes on with the block
        alone = _height([preceding], available_width, self.canv)
        parts = _split_between_rows(preceding, self.canv, available_width,
                                    min(available_height, alone - _ROOM))
        if len(parts) < 2 or _moved(parts):
            return self._to_next_page()
        return _handed_back([*parts[:-1], KeepWithEnd(parts[-1], block, tail=True)])
