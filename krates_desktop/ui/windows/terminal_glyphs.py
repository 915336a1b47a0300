"""A terminal's ASCII text drawn as glyph runs: one draw call per font and colour.

`QPainter.drawText` lays its string out on every call, and a screen of coloured
output is hundreds of short runs: at 200x60 that layout was most of a frame's cost.
ASCII text in a monospaced font needs no layout, since each character sits on its own
cell, so `GlyphBatch` looks the glyphs up with `QRawFont` and draws all the queued
runs that share a font and a colour with one `drawGlyphRun`, across rows too. The
pixels are the ones `drawText` gives: the same font engine draws the same glyphs at
the same positions. The caller draws the batch before anything that must cover or
be covered by the queued text (a background, a fallback run), so nothing is drawn in
a different order where it overlaps.

Runs it declines (non-ASCII text, which may need a fallback font, and characters the
font lacks) are left to the caller's `drawText`; so are underlined and struck-out
runs, as a line drawn under one glyph run would join runs that lie apart.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QGlyphRun, QPainter, QRawFont

FontKey = tuple[bool, bool]  # (bold, italic)


class GlyphBatch:
    """Queues runs by (font, colour) and draws each group in one call."""

    def __init__(
        self, fonts: dict[FontKey, QFont], cell: tuple[float, float], ascent: float
    ) -> None:
        self._raw_fonts = {key: QRawFont.fromFont(font) for key, font in fonts.items()}
        self._cell = cell
        self._ascent = ascent
        # Each row's glyph positions, one per column, made once and reused; a list
        # grows to the rightmost column drawn on its row so far.
        self._positions: dict[int, list[QPointF]] = {}
        self._groups: dict[tuple[FontKey, str], tuple[list[int], list[QPointF]]] = {}
        self._run = QGlyphRun()

    def add(self, row: int, column: int, text: str, font: FontKey, color: str) -> bool:
        """Queue `text` at a cell in `font` and `color`; False if it is not drawn here."""
        if not text.isascii():
            return False
        indexes = self._raw_fonts[font].glyphIndexesForString(text)
        if 0 in indexes:
            return False
        stop = column + len(text)
        positions = self._positions.get(row)
        if positions is None or len(positions) < stop:
            positions = self._row_positions(row, stop)
        group = self._groups.get((font, color))
        if group is None:
            group = self._groups[font, color] = ([], [])
        group[0].extend(indexes)
        group[1].extend(positions[column:stop])
        return True

    def _row_positions(self, row: int, columns: int) -> list[QPointF]:
        """Row `row`'s positions, grown to `columns`.

        A cell's position depends on its row and column only, so the lists stay
        valid when the grid is resized; made only as far as text reaches, a first
        frame of short lines makes far fewer QPointF than cells.
        """
        width, height = self._cell
        baseline = row * height + self._ascent
        positions = self._positions.setdefault(row, [])
        positions.extend(
            QPointF(x * width, baseline) for x in range(len(positions), columns)
        )
        return positions

    def draw(self, painter: QPainter, colors: Callable[[str], QColor]) -> None:
        """Draw the queued groups, then forget them."""
        if not self._groups:
            return
        origin = QPointF()
        run = self._run
        for (font, color), (indexes, positions) in self._groups.items():
            run.setRawFont(self._raw_fonts[font])
            run.setGlyphIndexes(indexes)
            run.setPositions(positions)
            painter.setPen(colors(color))
            painter.drawGlyphRun(origin, run)
        self._groups.clear()
