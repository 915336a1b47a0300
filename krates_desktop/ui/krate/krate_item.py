"""A krate on the canvas: its dashed frame, its header bar, and its windows.

Collapsed (minimised, or the canvas's level-of-detail overview), it draws as a
230 px overview card instead and hides its windows.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSceneMouseEvent

from krates_desktop.ui import glyphs, symbols, theme
from krates_desktop.yard.collections import CollectionKrate
from krates_desktop.yard.model import FRAME_PAD, HEADER_SPAN, Krate

HEADER_H = 28.0
CARD_W, CARD_H = 230.0, 92.0
VIEW_LETTERS = (("yaml", "Y"), ("describe", "D"), ("logs", "L"), ("shell", "S"))


class KrateItem(QGraphicsObject):
    """Draws one krate; its windows are child items placed in the two-column grid."""

    close_requested = Signal(str)
    minimize_requested = Signal(str)
    expand_requested = Signal(str)
    moved = Signal(str, float, float)

    def __init__(
        self, krate: Krate | CollectionKrate, parent: QGraphicsItem | None = None
    ) -> None:
        super().__init__(parent)
        self.kid = krate.id
        self.label = krate.label
        self.color = krate.color
        self.frame_w, self.frame_h = krate.frame_size()
        self.window_count = len(krate.windows)
        self.tabs = {w.tab for w in krate.windows.values()}
        self.namespace = (
            krate.namespace
            if isinstance(krate, CollectionKrate)
            else krate.obj_ref.namespace
        )
        self.minimized = krate.minimized
        self.lod_collapsed = False
        self.status = ("loading", "unknown")
        self._drag_from: QPointF | None = None
        self._name_font = theme.sans(13, 600)
        self._small_font = theme.sans(11)
        self._button_font = theme.sans(15)
        # The dashed frame and header cost about a millisecond to draw; cached as a
        # device pixmap, a pan only moves that pixmap (the camera moves by whole
        # pixels, see CanvasView.apply_camera).
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setPos(*krate.pos)

    def sync(self, krate: Krate | CollectionKrate) -> None:
        """Take the krate's position, size and window count from the model."""
        self.prepareGeometryChange()
        self.frame_w, self.frame_h = krate.frame_size()
        self.window_count = len(krate.windows)
        self.tabs = {w.tab for w in krate.windows.values()}
        self.minimized = krate.minimized
        if self._drag_from is None:
            self.setPos(*krate.pos)
        self._show_windows()
        self.update()

    @property
    def collapsed(self) -> bool:
        """True while drawn as the overview card."""
        return self.minimized or self.lod_collapsed

    def set_lod_collapsed(self, collapsed: bool) -> None:
        """Follow the canvas's level of detail (local; never touches `minimized`)."""
        if collapsed != self.lod_collapsed:
            self.prepareGeometryChange()
            self.lod_collapsed = collapsed
            self._show_windows()
            self.update()

    def _show_windows(self) -> None:
        for child in self.childItems():
            child.setVisible(not self.collapsed)

    def view_letters(self) -> list[str]:
        """The Y / D / L / S badges for the views open in this krate, in that order."""
        return [letter for tab, letter in VIEW_LETTERS if tab in self.tabs]

    def set_status(self, text: str, health: str) -> None:
        """Show the krate's object status in the header."""
        if (text, health) != self.status:
            self.status = (text, health)
            self.update()

    def window_origin(self, dx: float, dy: float) -> QPointF:
        """Return where a window at grid offset (dx, dy) sits, in item coordinates."""
        return QPointF(FRAME_PAD + dx, FRAME_PAD + dy)

    def boundingRect(self) -> QRectF:  # noqa: N802
        if self.collapsed:
            return QRectF(-1, -1, CARD_W + 2, CARD_H + 2)
        return QRectF(
            -1, -HEADER_SPAN - 1, self.frame_w + 2, self.frame_h + HEADER_SPAN + 2
        )

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
        if self.collapsed:
            self._paint_card(painter)
            return
        pen = QPen(theme.with_alpha(self.color, 0.3), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(theme.with_alpha(self.color, 0.04))
        painter.drawRoundedRect(
            QRectF(0.5, 0.5, self.frame_w - 1, self.frame_h - 1), 18, 18
        )
        self._paint_header(painter)

    def _paint_header(self, painter: QPainter) -> None:
        header = self.header_rect()
        x = header.left() + 6
        painter.setFont(self._name_font)
        painter.setPen(QColor(theme.MUTED))
        symbols.draw_text(
            painter,
            QRectF(x, header.top(), 14, HEADER_H),
            Qt.AlignmentFlag.AlignVCenter,
            "⠿",
        )
        x += 18
        painter.setPen(QColor(theme.TEXT))
        name_w = QFontMetricsF(self._name_font).horizontalAdvance(self.label)
        painter.drawText(
            QRectF(x, header.top(), name_w + 2, HEADER_H),
            Qt.AlignmentFlag.AlignVCenter,
            self.label,
        )
        x += name_w + 10
        x += glyphs.paint_badge(painter, x, header.top() + 5, *self.status) + 10
        painter.setFont(self._small_font)
        painter.setPen(QColor(theme.MUTED))
        count = f"{self.window_count} window" + ("" if self.window_count == 1 else "s")
        painter.drawText(
            QRectF(x, header.top(), 120, HEADER_H), Qt.AlignmentFlag.AlignVCenter, count
        )
        minimize, close = self._button_rects()
        painter.setFont(self._button_font)
        painter.drawText(minimize, Qt.AlignmentFlag.AlignCenter, "—")
        painter.drawText(close, Qt.AlignmentFlag.AlignCenter, "×")

    def _screen_scale(self) -> float:
        parent = self.parentItem()
        return parent.transform().m11() if parent is not None else 1.0

    def _paint_card(self, painter: QPainter) -> None:
        card = QRectF(0.5, 0.5, CARD_W - 1, CARD_H - 1)
        painter.setPen(QPen(theme.with_alpha(self.color, 0.3), 1, Qt.PenStyle.DashLine))
        painter.setBrush(theme.color(theme.PANEL))
        painter.drawRoundedRect(card, 12, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self.color))
        painter.drawRoundedRect(QRectF(0.5, 6, 3, CARD_H - 12), 1.5, 1.5)
        legible = self._screen_scale() * 11 >= 5
        if legible:
            painter.setFont(self._name_font)
            painter.setPen(QColor(theme.TEXT))
            name = QFontMetricsF(self._name_font).elidedText(
                self.label, Qt.TextElideMode.ElideMiddle, CARD_W - 50
            )
            painter.drawText(
                QRectF(16, 10, CARD_W - 50, 20), Qt.AlignmentFlag.AlignVCenter, name
            )
        glyphs.paint_dot(
            painter,
            QPointF(CARD_W - 18, 20),
            theme.HEALTH_COLORS.get(self.status[1], theme.UNKNOWN),
        )
        self._paint_letters(painter, 16, 38)
        if legible:
            painter.setFont(self._small_font)
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(
                QRectF(16, 64, CARD_W - 32, 18),
                Qt.AlignmentFlag.AlignVCenter,
                self.card_footer(),
            )

    def _paint_letters(self, painter: QPainter, x: float, y: float) -> None:
        painter.setFont(theme.mono(10))
        for letter in self.view_letters():
            box = QRectF(x, y, 16, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(theme.ACCENT))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, letter)
            x += 20

    def card_footer(self) -> str:
        """Row 3 of the card: `N windows · ns/<namespace>`."""
        count = f"{self.window_count} window" + ("" if self.window_count == 1 else "s")
        return f"{count} · ns/{self.namespace}" if self.namespace else count

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.collapsed:
            self.expand_requested.emit(self.kid)
            return
        if self.header_rect().contains(event.pos()):
            self.minimize_requested.emit(self.kid)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.pos()
        if self.collapsed:
            self._drag_from = event.scenePos()
            event.accept()
            return
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
        zoom = self._screen_scale()
        delta = (event.scenePos() - self._drag_from) / zoom
        self._drag_from = event.scenePos()
        self.setPos(self.pos() + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None:
            self._drag_from = None
            self.unsetCursor()
            self.moved.emit(self.kid, self.pos().x(), self.pos().y())
