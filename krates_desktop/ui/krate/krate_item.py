"""A krate on the canvas: its dashed frame, its header bar, and its windows.

Limitations: collapsing to the overview card, the level-of-detail switch and
the non-overlap nudge on drag release are not drawn yet; dragging the header
moves the krate.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSceneMouseEvent

from krates_desktop.ui import glyphs, theme
from krates_desktop.yard.model import FRAME_PAD, HEADER_SPAN, Krate

HEADER_H = 28.0


class KrateItem(QGraphicsObject):
    """Draws one krate; its windows are child items placed in the two-column grid."""

    close_requested = Signal(str)
    minimize_requested = Signal(str)
    moved = Signal(str, float, float)

    def __init__(self, krate: Krate, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.kid = krate.id
        self.label = krate.label
        self.color = krate.color
        self.frame_w, self.frame_h = krate.frame_size()
        self.window_count = len(krate.windows)
        self.status = ("loading", "unknown")
        self._drag_from: QPointF | None = None
        self._name_font = theme.sans(13, 600)
        self._small_font = theme.sans(11)
        self._button_font = theme.sans(15)
        self.setPos(*krate.pos)

    def sync(self, krate: Krate) -> None:
        """Take the krate's position, size and window count from the model."""
        self.prepareGeometryChange()
        self.frame_w, self.frame_h = krate.frame_size()
        self.window_count = len(krate.windows)
        if self._drag_from is None:
            self.setPos(*krate.pos)
        self.update()

    def set_status(self, text: str, health: str) -> None:
        """Show the krate's object status in the header."""
        if (text, health) != self.status:
            self.status = (text, health)
            self.update()

    def window_origin(self, dx: float, dy: float) -> QPointF:
        """Return where a window at grid offset (dx, dy) sits, in item coordinates."""
        return QPointF(FRAME_PAD + dx, FRAME_PAD + dy)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-1, -HEADER_SPAN - 1, self.frame_w + 2, self.frame_h + HEADER_SPAN + 2)

    def header_rect(self) -> QRectF:
        """Return the header bar: 28 px tall, 6 px above the frame."""
        return QRectF(0, -HEADER_SPAN, self.frame_w, HEADER_H)

    def _button_rects(self) -> tuple[QRectF, QRectF]:
        header = self.header_rect()
        close = QRectF(header.right() - 24, header.top(), 24, HEADER_H)
        minimize = QRectF(close.left() - 26, header.top(), 24, HEADER_H)
        return minimize, close

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(theme.with_alpha(self.color, 0.3), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(theme.with_alpha(self.color, 0.04))
        painter.drawRoundedRect(QRectF(0.5, 0.5, self.frame_w - 1, self.frame_h - 1), 18, 18)
        self._paint_header(painter)

    def _paint_header(self, painter: QPainter) -> None:
        header = self.header_rect()
        x = header.left() + 6
        painter.setFont(self._name_font)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(QRectF(x, header.top(), 14, HEADER_H), Qt.AlignmentFlag.AlignVCenter, "⠿")
        x += 18
        painter.setPen(QColor(theme.TEXT))
        name_w = QFontMetricsF(self._name_font).horizontalAdvance(self.label)
        painter.drawText(QRectF(x, header.top(), name_w + 2, HEADER_H),
                         Qt.AlignmentFlag.AlignVCenter, self.label)
        x += name_w + 10
        x += glyphs.paint_badge(painter, x, header.top() + 5, *self.status) + 10
        painter.setFont(self._small_font)
        painter.setPen(QColor(theme.MUTED))
        count = f"{self.window_count} window" + ("" if self.window_count == 1 else "s")
        painter.drawText(QRectF(x, header.top(), 120, HEADER_H), Qt.AlignmentFlag.AlignVCenter, count)
        minimize, close = self._button_rects()
        painter.setFont(self._button_font)
        painter.drawText(minimize, Qt.AlignmentFlag.AlignCenter, "—")
        painter.drawText(close, Qt.AlignmentFlag.AlignCenter, "×")

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.pos()
        minimize, close = self._button_rects()
        if close.contains(pos):
            self.close_requested.emit(self.kid)
            return
        if minimize.contains(pos):
            self.minimize_requested.emit(self.kid)
            return
        if self.header_rect().contains(pos):
            self._drag_from = event.scenePos()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag_from is None:
            return
        zoom = self.parentItem().transform().m11() if self.parentItem() else 1.0
        delta = (event.scenePos() - self._drag_from) / zoom
        self._drag_from = event.scenePos()
        self.setPos(self.pos() + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None:
            self._drag_from = None
            self.unsetCursor()
            self.moved.emit(self.kid, self.pos().x(), self.pos().y())
