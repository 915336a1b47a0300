"""Splitting a row of cells into runs a painter can draw with one call each."""

from __future__ import annotations

from typing import NamedTuple

from krates_desktop.terminal.cell import Cell


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


def row_runs(cells: list[Cell]) -> list[Run]:
    """Return the runs of one row, left to right, covering every cell."""
    runs: list[Run] = []
    start = 0
    count = len(cells)
    while start < count:
        cell = cells[start]
        data = cell.data
        if data == "":
            runs.append(Run(start, 1, " ", cell))  # orphaned right half of a wide char
            start += 1
            continue
        if not (len(data) == 1 and data.isascii()):
            wide = start + 1 < count and cells[start + 1].data == ""
            runs.append(Run(start, 2 if wide else 1, data, cell))
            start += 2 if wide else 1
            continue
        attrs = cell[1:]
        stop = start + 1
        while stop < count:
            other = cells[stop]
            if other[1:] != attrs or len(other.data) != 1 or not other.data.isascii():
                break
            stop += 1
        runs.append(
            Run(start, stop - start, "".join(c.data for c in cells[start:stop]), cell)
        )
        start = stop
    return runs
