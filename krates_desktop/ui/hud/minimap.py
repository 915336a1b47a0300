"""The minimap: the whole world at 1/66.7 scale, krates as 8x6 marks, the viewport,
and remote peers' cursors as 4 px dots.

Limitations: the hover highlight of a krate on the canvas is not drawn yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QToolTip, QWidget

from krates_desktop.ui import theme
from krates_desktop.yard.model import WORLD_H, WORLD_W

MAP_W, MAP_H = 180, 120
SCALE = MAP_W / WORLD_W
Mark = tuple[float, float, str, str]  # world centre x, y, colour, tooltip


class Minimap(QWidget):
    """Draws the krate marks (cached) and the viewport; click flies, drag pans."""

    fly_requested = Signal(float, float)
    pan_requested = Signal(float, float)

    def __init__(
        self,
        parent: QWidget,
        marks: Callable[[], Iterable[Mark]],
        viewport: Callable[[], QRectF],
    ) -> None:
        super().__init__(parent)
        self.setFixedSize(MAP_W, MAP_H)
        self.setMouseTracking(True)
        self._marks = marks
        self._viewport = viewport
        self._cache: QPixmap | None = None
        self._peer_dots: list[tuple[float, float, str]] = []
        self._dragging = False
        self._throttle = QTimer(self, singleShot=True, interval=33)
        self._throttle.timeout.connect(self.update)

    def set_marks(self, marks: Callable[[], Iterable[Mark]]) -> None:
        """Use `marks()` as the source of the krate marks."""
        self._marks = marks
        self.marks_changed()

    def marks_changed(self) -> None:
        """The krates changed: rebuild the cached mark layer."""
        self._cache = None
        self.schedule_update()

    def set_peers(self, peers: Sequence[Mapping[str, Any]]) -> None:
        """Show a dot for each remote presence that has a cursor on the canvas."""
        self._peer_dots = [
            (float(p["cursor"]["x"]), float(p["cursor"]["y"]), str(p.get("color")))
            for p in peers
            if p.get("cursor")
        ]
        self.schedule_update()

    def schedule_update(self) -> None:
        """Repaint soon, at most 30 times a second."""
        if not self._throttle.isActive():
            self._throttle.start()

    def _mark_layer(self) -> QPixmap:
        if self._cache is None:
            pixmap = QPixmap(self.size() * self.devicePixelRatioF())
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            for x, y, fill, _tip in self._marks():
                painter.fillRect(
                    QRectF(x * SCALE - 4, y * SCALE - 3, 8, 6), QColor(fill)
                )
            painter.end()
            self._cache = pixmap
        return self._cache

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(theme.color(theme.HAIRLINE_20), 1))
        painter.setBrush(theme.color(theme.PANEL))
        painter.drawRoundedRect(box, 4, 4)
        painter.drawPixmap(0, 0, self._mark_layer())
        painter.setClipRect(box)
        painter.setPen(Qt.PenStyle.NoPen)
        for x, y, fill in self._peer_dots:
            painter.setBrush(QColor(fill))
            painter.drawEllipse(QPointF(x * SCALE, y * SCALE), 2, 2)
        view = self._viewport()
        rect = QRectF(
            view.x() * SCALE,
            view.y() * SCALE,
            view.width() * SCALE,
            view.height() * SCALE,
        )
        painter.setPen(QPen(theme.with_alpha(theme.ACCENT, 0.4), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        painter.end()

    def _world_at(self, pos: QPointF) -> tuple[float, float]:
        x = min(max(pos.x(), 0.0), MAP_W) / MAP_W * WORLD_W
        y = min(max(pos.y(), 0.0), MAP_H) / MAP_H * WORLD_H
        return x, y

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._dragging = False
        self._press = event.position()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._dragging = True
            self.pan_requested.emit(*self._world_at(event.position()))
            return
        tip = self._mark_tip(event.position())
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._dragging:
            self.fly_requested.emit(*self._world_at(event.position()))
        self._dragging = False

    def _mark_tip(self, pos: QPointF) -> str:
        for x, y, _fill, tip in self._marks():
            if QRectF(x * SCALE - 4, y * SCALE - 3, 8, 6).contains(pos):
                return tip
        return ""
