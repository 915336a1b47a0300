"""Splitting a row of cells into runs a painter can draw with one call each."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from krates_desktop.terminal.cell import Cell

# Every field of a cell but its character: cells equal here share one style.
_STYLE = itemgetter(*range(1, len(Cell._fields)))
_DATA = itemgetter(0)


class Run(NamedTuple):
    """Cells `column .. column + width - 1` of a row, all drawn with `style`'s attributes.

    `text` has one character per cell for narrow ASCII runs; a wide or non-ASCII
    character is a run of its own (its `width` is 2 for a wide one), so a painter can
    place it on its cell grid even when its glyph comes from a fallback font.
    """

    column: int
    width: int
    text: str
    style: Cell


def row_runs(cells: Iterable[Cell]) -> list[Run]:
    """Return the runs of one row, left to right, covering every cell."""
    runs: list[Run] = []
    column = 0
    for _, group in groupby(cells, _STYLE):
        members = list(group)
        text = "".join(map(_DATA, members))
        width = len(members)
        if len(text) == width and text.isascii():
            runs.append(Run(column, width, text, members[0]))
        else:
            _mixed_runs(runs, members, column)
        column += width
    return runs


def _mixed_runs(runs: list[Run], cells: list[Cell], column: int) -> None:
    """Runs of same-style cells holding wide, combined or non-ASCII characters."""
    start = 0
    count = len(cells)
    while start < count:
        data = cells[start].data
        if data == "":  # the right half of a wide character whose left half is gone
            runs.append(Run(column + start, 1, " ", cells[start]))
            start += 1
            continue
        if not (len(data) == 1 and data.isascii()):
            wide = start + 1 < count and cells[start + 1].data == ""
            runs.append(Run(column + start, 2 if wide else 1, data, cells[start]))
            start += 2 if wide else 1
            continue
        stop = start + 1
        while (
            stop < count and len(cells[stop].data) == 1 and cells[stop].data.isascii()
        ):
            stop += 1
        text = "".join(map(_DATA, cells[start:stop]))
        runs.append(Run(column + start, stop - start, text, cells[start]))
        start = stop
