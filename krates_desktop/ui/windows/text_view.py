"""A read-only, custom-painted text view with virtual scrolling.

Logs, YAML and Describe windows all draw their content with it: IBM Plex Mono
12 px at line height 1.65, an 8 px scrollbar thumb, and only the visible lines
painted. Each line is a list of coloured spans.

A left drag selects text (by character), and `copy_selection()` puts it on the
clipboard.

Limitations: long lines are cut at the right edge rather than wrapped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QGraphicsSceneWheelEvent,
)

from krates_desktop.ui import theme

Span = tuple[str, str]
Line = Sequence[Span]

LINE_HEIGHT_FACTOR = 1.65
PAD_X, PAD_Y = 12.0, 8.0
SELECTION = (77, 214, 232, 0.3)
Position = tuple[int, int]  # line, column


class TextViewItem(QGraphicsObject):
    """Paints lines of coloured spans; scrolls by wheel; can stay pinned to the end."""

    scrolled = Signal()
    wants_wheel = True

    def __init__(self, parent=None, max_lines: int | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._font = theme.mono(12)
        self._metrics = QFontMetricsF(self._font)
        self.line_height = 12 * LINE_HEIGHT_FACTOR
        self._lines: deque[Line] = deque(maxlen=max_lines)
        self._w = 380.0
        self._h = 286.0
        self.scroll_value = 0.0
        self._colors: dict[str, QColor] = {}
        self._anchor: Position | None = None
        self._caret: Position | None = None
        self.setFlag(QGraphicsObject.GraphicsItemFlag.ItemClipsToShape)

    # geometry -----------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self._w, self._h)

    def set_size(self, w: float, h: float) -> None:
        """Resize the view; keeps the bottom pinned if it was at the bottom."""
        pinned = self.at_bottom()
        self.prepareGeometryChange()
        self._w, self._h = w, h
        if pinned:
            self.scroll_value = self.scroll_max()
        self._clamp()
        self.update()

    def content_height(self) -> float:
        """Return the height of every line together, with padding."""
        return len(self._lines) * self.line_height + 2 * PAD_Y

    def scroll_max(self) -> float:
        """Return the largest scroll value."""
        return max(0.0, self.content_height() - self._h)

    def at_bottom(self) -> bool:
        """True when the view shows the last line (scroll value at its maximum)."""
        return self.scroll_value >= self.scroll_max() - 0.5

    def _clamp(self) -> None:
        self.scroll_value = min(max(self.scroll_value, 0.0), self.scroll_max())

    # content ------------------------------------------------------------

    def set_lines(self, lines: Iterable[Line]) -> None:
        """Replace the content, keeping the scroll position where it was."""
        self._lines.clear()
        self._lines.extend(lines)
        self._clamp()
        self.update()

    def append_lines(self, lines: Iterable[Line]) -> None:
        """Add lines at the end; follow them only while already at the bottom."""
        pinned = self.at_bottom()
        before = len(self._lines)
        full = self._lines.maxlen is not None and before == self._lines.maxlen
        added = 0
        for line in lines:
            self._lines.append(line)
            added += 1
        if pinned:
            self.scroll_value = self.scroll_max()
        elif full:
            # Lines fell off the top: keep the same text under the user's eyes.
            self.scroll_value -= added * self.line_height
        self._clamp()
        self.update()

    def line_count(self) -> int:
        """Return how many lines the view holds."""
        return len(self._lines)

    def plain_lines(self) -> list[str]:
        """Return every line as plain text (what copy and search would see)."""
        return ["".join(text for text, _ in line) for line in self._lines]

    def line_color(self, index: int) -> str:
        """Return the colour of the first span of line `index`."""
        line = self._lines[index]
        return line[0][1] if line else theme.TEXT

    def scroll_to_bottom(self) -> None:
        """Jump to the last line."""
        self.scroll_value = self.scroll_max()
        self.update()

    # painting -----------------------------------------------------------

    def _qcolor(self, value: str) -> QColor:
        cached = self._colors.get(value)
        if cached is None:
            cached = self._colors[value] = QColor(value)
        return cached

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        painter.setClipRect(self.boundingRect())
        painter.setFont(self._font)
        first = max(0, int((self.scroll_value - PAD_Y) // self.line_height))
        last = min(len(self._lines), first + int(self._h // self.line_height) + 2)
        ascent = self._metrics.ascent()
        lead = (self.line_height - self._metrics.height()) / 2
        selection = self._ordered_selection()
        char_w = self._metrics.horizontalAdvance("M")
        for index in range(first, last):
            y = PAD_Y + index * self.line_height - self.scroll_value
            if selection is not None:
                self._paint_selection(painter, index, y, selection, char_w)
            x = PAD_X
            for text, fill in self._lines[index]:
                painter.setPen(self._qcolor(fill))
                painter.drawText(x, y + lead + ascent, text)
                x += self._metrics.horizontalAdvance(text)
                if x > self._w:
                    break
        self._paint_scrollbar(painter)

    def _paint_selection(self, painter, index, y, selection, char_w) -> None:  # type: ignore[no-untyped-def]
        (l0, c0), (l1, c1) = selection
        if not l0 <= index <= l1:
            return
        length = sum(len(text) for text, _ in self._lines[index])
        start = c0 if index == l0 else 0
        end = c1 if index == l1 else length + 1
        if end > start:
            rect = QRectF(
                PAD_X + start * char_w, y, (end - start) * char_w, self.line_height
            )
            painter.fillRect(rect, theme.color(SELECTION))

    def _paint_scrollbar(self, painter: QPainter) -> None:
        total = self.content_height()
        if total <= self._h:
            return
        thumb_h = max(24.0, self._h * self._h / total)
        thumb_y = (self._h - thumb_h) * (
            self.scroll_value / max(1.0, self.scroll_max())
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color(theme.HAIRLINE))
        painter.drawRoundedRect(QRectF(self._w - 9, thumb_y + 1, 8, thumb_h - 2), 4, 4)

    # input --------------------------------------------------------------

    def wheelEvent(self, event: QGraphicsSceneWheelEvent) -> None:  # noqa: N802
        mods = event.modifiers()
        if mods & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        ):
            event.ignore()
            return
        self.scroll_by(-event.delta() / 120.0 * 3 * self.line_height)
        event.accept()

    def scroll_by(self, dy: float) -> None:
        """Scroll by `dy` item pixels (positive is down)."""
        self.scroll_value += dy
        self._clamp()
        self.update()
        self.scrolled.emit()

    # selection ------------------------------------------------------------

    def _position_at(self, point: QPointF) -> Position:
        line = int((point.y() + self.scroll_value - PAD_Y) // self.line_height)
        line = min(max(line, 0), max(0, len(self._lines) - 1))
        col = round((point.x() - PAD_X) / self._metrics.horizontalAdvance("M"))
        return (line, max(0, col))

    def _ordered_selection(self) -> tuple[Position, Position] | None:
        if self._anchor is None or self._caret is None or self._anchor == self._caret:
            return None
        return (min(self._anchor, self._caret), max(self._anchor, self._caret))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self._lines:
            event.ignore()
            return
        self._anchor = self._caret = self._position_at(event.pos())
        self.update()
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._anchor is not None:
            self._caret = self._position_at(event.pos())
            self.update()

    def select_all(self) -> None:
        """Select every line."""
        if self._lines:
            last = len(self._lines) - 1
            self._anchor = (0, 0)
            self._caret = (last, sum(len(t) for t, _ in self._lines[last]))
            self.update()

    def selected_text(self) -> str:
        """The selected characters, lines joined with newlines."""
        selection = self._ordered_selection()
        if selection is None:
            return ""
        (l0, c0), (l1, c1) = selection
        plain = self.plain_lines()
        if l0 == l1:
            return plain[l0][c0:c1]
        parts = [plain[l0][c0:]] + plain[l0 + 1 : l1] + [plain[l1][:c1]]
        return "\n".join(parts)

    def copy_selection(self) -> bool:
        """Put the selection on the clipboard; False when nothing is selected."""
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)
        return bool(text)
