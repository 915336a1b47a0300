"""The 12x12 resize handle at a window's bottom-right corner (spec 7.2), for every window.

Detail windows and collection windows share it; only their minimum size differs
(240x160 and 320x240). The window it sits on provides `wid`, `w`, `h`,
`in_krate()`, `world_scale()`, `set_geometry()` and the `resize_dragged` and
`resize_released` signals. While dragging, the window follows the pointer at once
but `resize_dragged` fires at most every 100 ms, so the size is written to the
yard at that rate and once more (`resize_released`) on release.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsObject, QGraphicsSceneMouseEvent

from krates_desktop.ui import theme
from krates_desktop.yard.model import MAX_WINDOW

GRIP = 12.0
WRITE_EVERY_S = 0.1


class ResizeGrip(QGraphicsObject):
    """Dragging it resizes its window within `minimum` and the spec's 2000x1600."""

    def __init__(self, window: Any, minimum: tuple[float, float]) -> None:
        super().__init__(window)
        self.window = window
        self.minimum = minimum
        self.setZValue(20)
        self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        self._from: QPointF | None = None
        self._start = (0.0, 0.0)
        self._written_at = 0.0
        self.follow()

    def follow(self) -> None:
        """Sit at the window's bottom-right corner (after the window changed size)."""
        self.setPos(self.window.w - GRIP, self.window.h - GRIP)

    def center(self) -> QPointF:
        """The handle's centre in window coordinates (where a user grabs it)."""
        return QPointF(self.window.w - GRIP / 2, self.window.h - GRIP / 2)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, GRIP, GRIP)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        if not self.window.in_krate():
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(theme.color(theme.MUTED), 1))
        for inset in (3.0, 7.0):
            painter.drawLine(QPointF(inset, GRIP - 2), QPointF(GRIP - 2, inset))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if not self.window.in_krate():
            event.ignore()
            return
        self._from = event.scenePos()
        self._start = (self.window.w, self.window.h)
        self._written_at = 0.0
        event.accept()

    def _size_for(self, event: QGraphicsSceneMouseEvent) -> tuple[float, float]:
        assert self._from is not None
        delta = (event.scenePos() - self._from) / self.window.world_scale()
        w = min(max(self._start[0] + delta.x(), self.minimum[0]), MAX_WINDOW[0])
        h = min(max(self._start[1] + delta.y(), self.minimum[1]), MAX_WINDOW[1])
        return w, h

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._from is None:
            return
        w, h = self._size_for(event)
        window = self.window
        window.set_geometry(window.pos().x(), window.pos().y(), w, h)
        now = time.monotonic()
        if now - self._written_at >= WRITE_EVERY_S:
            self._written_at = now
            window.resize_dragged.emit(window.wid, w, h)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._from is None:
            return
        w, h = self._size_for(event)
        self._from = None
        self.window.resize_released.emit(self.window.wid, w, h)
