"""A detail window: header, the YAML · Describe · Logs · Shell tab bar, and content."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
)

from krates_desktop.ui import glyphs, theme
from krates_desktop.ui.windows.resize_grip import ResizeGrip
from krates_desktop.yard.model import MIN_WINDOW, TABS, Tab

HEADER_H = 36.0
TABBAR_H = 40.0
TAB_LABELS = {"yaml": "YAML", "describe": "Describe", "logs": "Logs", "shell": "Shell"}
VIEW_NAMES = {"yaml": "YAML", "describe": "DESCRIBE", "logs": "LOGS", "shell": "SHELL"}


class DetailWindowItem(QGraphicsObject):
    """One view of one object; the content item below the tab bar is swapped per tab."""

    close_requested = Signal(str)
    tab_requested = Signal(str, str)
    action_requested = Signal(str)
    maximize_requested = Signal(str)
    hovered = Signal(str)
    unhovered = Signal(str)
    resize_dragged = Signal(str, float, float)  # wid, live w, h
    resize_released = Signal(str, float, float)
    move_released = Signal(str, float, float)  # wid, x, y in the krate

    def __init__(
        self,
        wid: str,
        kind: str,
        name: str,
        tab: Tab,
        tabs: tuple[Tab, ...],
        parent: QGraphicsItem | None = None,
        crd: bool = False,
    ) -> None:
        super().__init__(parent)
        # The chrome (surface, header, tab bar) changes rarely: panning the canvas
        # then blits it instead of painting it again (the content is its own item).
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.wid = wid
        self.kind = kind
        self.name = name
        self.tab = tab
        self.tabs = tabs
        self.crd = crd
        self.w, self.h = 380.0, 362.0
        self.status = ("loading", "unknown")
        self.suffix = ""
        self.message = ""
        self.action_label = ""
        self.message_keeps_content = False
        self.content: QGraphicsObject | None = None
        self.setAcceptHoverEvents(True)
        self._overlay = _MessageItem(self)
        self.grip = ResizeGrip(self, MIN_WINDOW)
        self._drag_from: QPointF | None = None
        self._drag_origin = QPointF()
        self._fonts = {
            "view": self._spaced(theme.sans(11, 600)),
            "name": theme.sans(12),
            "tab": theme.sans(12),
            "muted": theme.mono(11),
            "close": theme.sans(16),
            "message": theme.sans(13),
        }

    @staticmethod
    def _spaced(qfont: QFont) -> QFont:
        qfont.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        return qfont

    # layout --------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.w, self.h)

    def content_rect(self) -> QRectF:
        """Return the content area below the tab bar, in item coordinates."""
        top = HEADER_H + TABBAR_H
        return QRectF(1, top, self.w - 2, self.h - top - 1)

    def set_geometry(self, x: float, y: float, w: float, h: float) -> None:
        """Place the window inside its krate and resize its content."""
        self.prepareGeometryChange()
        self.setPos(x, y)
        self.w, self.h = w, h
        self.grip.follow()
        self._fit_content()

    def set_content(self, item: QGraphicsObject | None) -> None:
        """Show `item` in the content area (the window takes ownership)."""
        if self.content is not None and self.content is not item:
            self.content.setParentItem(None)
            if self.scene() is not None:
                self.scene().removeItem(self.content)
            self.content.deleteLater()
        self.content = item
        if item is not None:
            item.setParentItem(self)
            self._fit_content()
        self.update()

    def _fit_content(self) -> None:
        self._overlay.prepareGeometryChange()
        if self.content is None:
            return
        rect = self.content_rect()
        self.content.setPos(rect.topLeft())
        set_size = getattr(self.content, "set_size", None)
        if set_size is not None:
            set_size(rect.width(), rect.height())

    def set_status(self, text: str, health: str) -> None:
        """Show the object's status badge in the header."""
        if (text, health) != self.status:
            self.status = (text, health)
            self.update()

    def set_suffix(self, text: str) -> None:
        """Show the muted `pod/container` suffix for Logs and Shell."""
        self.suffix = text
        self.update()

    def set_message(
        self, text: str, action: str = "", *, keep_content: bool = False
    ) -> None:
        """Show a centred message (and an action button) over the content area.

        With `keep_content` the content stays visible behind a veil (a shell that
        disconnected or exited keeps its screen, so the last output can still be read).
        """
        self.message = text
        self.action_label = action
        self.message_keeps_content = keep_content and bool(text)
        self._overlay.setVisible(bool(text))
        self._overlay.update()

    def set_tab(self, tab: Tab) -> None:
        """Mark `tab` as the active one."""
        self.tab = tab
        self.update()

    # painting ------------------------------------------------------------

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        glyphs.paint_surface(painter, self.boundingRect())
        self._paint_header(painter)
        self._paint_tabs(painter)

    def _paint_header(self, painter: QPainter) -> None:
        shape, fill = glyphs.kind_glyph(self.kind, self.crd)
        glyphs.paint_glyph(painter, shape, fill, 14, HEADER_H / 2 - 4)
        x = 30.0
        painter.setFont(self._fonts["view"])
        painter.setPen(theme.color(theme.ACCENT))
        label = VIEW_NAMES[self.tab]
        painter.drawText(
            QRectF(x, 0, 200, HEADER_H), Qt.AlignmentFlag.AlignVCenter, label
        )
        x += QFontMetricsF(self._fonts["view"]).horizontalAdvance(label) + 10
        painter.setFont(self._fonts["name"])
        painter.setPen(theme.color(theme.TEXT))
        name_w = min(
            QFontMetricsF(self._fonts["name"]).horizontalAdvance(self.name),
            self.w - x - 140,
        )
        name = QFontMetricsF(self._fonts["name"]).elidedText(
            self.name, Qt.TextElideMode.ElideMiddle, name_w
        )
        painter.drawText(
            QRectF(x, 0, name_w + 2, HEADER_H), Qt.AlignmentFlag.AlignVCenter, name
        )
        x += name_w + 10
        x += glyphs.paint_badge(painter, x, HEADER_H / 2 - 9, *self.status) + 8
        if self.suffix and self.tab in ("logs", "shell"):
            painter.setFont(self._fonts["muted"])
            painter.setPen(theme.color(theme.MUTED))
            room = self.w - x - 34
            text = QFontMetricsF(self._fonts["muted"]).elidedText(
                self.suffix, Qt.TextElideMode.ElideLeft, room
            )
            painter.drawText(
                QRectF(x, 0, room, HEADER_H), Qt.AlignmentFlag.AlignVCenter, text
            )
        painter.setFont(self._fonts["close"])
        painter.setPen(theme.color(theme.MUTED))
        painter.drawText(self._close_rect(), Qt.AlignmentFlag.AlignCenter, "×")
        painter.setPen(QPen(theme.color(theme.HAIRLINE), 1))
        painter.drawLine(QPointF(1, HEADER_H), QPointF(self.w - 1, HEADER_H))

    def _close_rect(self) -> QRectF:
        return QRectF(self.w - 30, 4, 24, HEADER_H - 8)

    def _tab_rects(self) -> list[tuple[Tab, QRectF]]:
        metrics = QFontMetricsF(self._fonts["tab"])
        x = 14.0
        rects = []
        for tab in TABS:
            width = metrics.horizontalAdvance(TAB_LABELS[tab])
            rects.append((tab, QRectF(x - 6, HEADER_H, width + 12, TABBAR_H)))
            x += width + 22
        return rects

    def _paint_tabs(self, painter: QPainter) -> None:
        painter.setFont(self._fonts["tab"])
        for tab, rect in self._tab_rects():
            painter.setOpacity(1.0 if tab in self.tabs else 0.45)
            active = tab == self.tab
            painter.setPen(theme.color(theme.ACCENT if active else theme.TEXT_2))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, TAB_LABELS[tab])
            if active:
                painter.fillRect(
                    QRectF(rect.left() + 4, rect.bottom() - 2, rect.width() - 8, 2),
                    theme.color(theme.ACCENT),
                )
        painter.setOpacity(1.0)
        painter.setPen(QPen(theme.color(theme.HAIRLINE), 1))
        y = HEADER_H + TABBAR_H
        painter.drawLine(QPointF(1, y), QPointF(self.w - 1, y))

    # input ---------------------------------------------------------------

    def in_krate(self) -> bool:
        """False while maximised (the window then sits at the scene root)."""
        return self.parentItem() is not None

    def world_scale(self) -> float:
        """Screen pixels per item unit: the camera zoom while in a krate."""
        return self.sceneTransform().m11() or 1.0

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.pos()
        if self._close_rect().contains(pos):
            self.close_requested.emit(self.wid)
            return
        for tab, rect in self._tab_rects():
            if rect.contains(pos) and tab in self.tabs:
                self.tab_requested.emit(self.wid, tab)
                return
        if pos.y() < HEADER_H and self.in_krate():
            self._drag_from = event.scenePos()
            self._drag_origin = self.pos()
            self.setZValue(5)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """The dragged window follows the pointer inside its krate."""
        if self._drag_from is not None:
            delta = (event.scenePos() - self._drag_from) / self.world_scale()
            self.setPos(self._drag_origin + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag_from is None:
            return
        self._drag_from = None
        self.setZValue(0)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.move_released.emit(self.wid, self.pos().x(), self.pos().y())

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """An open hand over the header says it can be dragged."""
        header = event.pos().y() < HEADER_H and not self._close_rect().contains(
            event.pos()
        )
        if header and self.in_krate():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()
        super().hoverMoveEvent(event)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.hovered.emit(self.wid)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.unhovered.emit(self.wid)
        super().hoverLeaveEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.pos().y() < HEADER_H and not self._close_rect().contains(event.pos()):
            self.maximize_requested.emit(self.wid)
            return
        super().mouseDoubleClickEvent(event)

    def header_center(self) -> QPointF:
        """Return a point on the header away from its buttons (for tests)."""
        return QPointF(self.w / 2, HEADER_H / 2)

    def action_center(self) -> QPointF:
        """Return the centre of the message's action button, in item coordinates."""
        return self._overlay.action_rect().center()

    def tab_center(self, tab: Tab) -> QPointF:
        """Return the centre of a tab in item coordinates (for tests and focus)."""
        return dict(self._tab_rects())[tab].center()

    def close_center(self) -> QPointF:
        """Return the centre of the close button in item coordinates."""
        return self._close_rect().center()

    def grip_center(self) -> QPointF:
        """Return the centre of the resize handle in item coordinates."""
        return self.grip.center()


class _MessageItem(QGraphicsObject):
    """A message (and an action button) drawn over the window's content."""

    def __init__(self, window: DetailWindowItem) -> None:
        super().__init__(window)
        self.window = window
        self.setZValue(10)
        self.setVisible(False)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.window.content_rect()

    def action_rect(self) -> QRectF:
        """The action button, centred under the message."""
        c = self.window.content_rect().center()
        return QRectF(c.x() - 50, c.y() + 16, 100, 28)

    def _card_rect(self) -> QRectF:
        """The card behind the message and button when the content stays visible."""
        rect = self.window.content_rect()
        c = rect.center()
        width = min(rect.width() - 24, 300)
        return QRectF(c.x() - width / 2, c.y() - 40, width, 96)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        window = self.window
        rect = window.content_rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = rect.adjusted(0, 0, 0, -9)
        if window.message_keeps_content:
            veil = theme.color(theme.PANEL)
            veil.setAlphaF(0.62)
            painter.fillRect(area, veil)
            card = QPainterPath()
            card.addRoundedRect(self._card_rect(), 10, 10)
            painter.fillPath(card, theme.color(theme.PANEL))
            painter.setPen(QPen(theme.color(theme.HAIRLINE_26), 1))
            painter.drawPath(card)
        else:
            painter.fillRect(area, theme.color(theme.PANEL))
        painter.setFont(window._fonts["message"])
        painter.setPen(theme.color(theme.TEXT_2))
        text_rect = QRectF(
            rect.left() + 16, rect.top(), rect.width() - 32, rect.height() / 2 + 8
        )
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignHCenter
            | Qt.AlignmentFlag.AlignBottom
            | Qt.TextFlag.TextWordWrap,
            window.message,
        )
        if window.action_label:
            button = self.action_rect()
            path = QPainterPath()
            path.addRoundedRect(button, 7, 7)
            painter.fillPath(path, theme.color(theme.ACCENT_DIM))
            painter.setPen(QPen(QColor(theme.ACCENT), 1))
            painter.drawPath(path)
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, window.action_label)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.window.action_label and self.action_rect().contains(event.pos()):
            self.window.action_requested.emit(self.window.wid)
        event.accept()
