"""Maximising a window: it leaves the world layer and fills the canvas in screen space.

The scene rect equals the viewport, so scene coordinates are screen pixels: a window
reparented to the scene root at z 40 is drawn unscaled, over a dimming backdrop.
Maximising is local to this peer and never written to the yard.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem

from krates_desktop.ui import theme
from krates_desktop.ui.canvas.view import CanvasView
from krates_desktop.ui.frost import Frost
from krates_desktop.ui.windows.detail_window import DetailWindowItem

TOP, MARGIN = 56.0, 18.0
Z_BACKDROP, Z_WINDOW = 39.0, 40.0


class Maximizer(QObject):
    """Holds at most one maximised window and puts it back on restore."""

    changed = Signal(bool)

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.view = view
        self.window: DetailWindowItem | None = None
        self._home: QGraphicsItem | None = None
        self._home_geometry = (0.0, 0.0, 0.0, 0.0)
        self._backdrop = QGraphicsRectItem()
        self._backdrop.setBrush(theme.color(theme.DIM_BACKDROP))
        self._backdrop.setPen(theme.color((0, 0, 0, 0.0)))
        self._backdrop.setZValue(Z_BACKDROP)
        self._backdrop.hide()
        view.scene().addItem(self._backdrop)
        # With frosted overlays on: a blurred still of the canvas under the backdrop.
        self.frost = Frost(2.0)
        self._still = QGraphicsPixmapItem()
        self._still.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._still.setZValue(Z_BACKDROP - 0.5)
        self._still.hide()
        view.scene().addItem(self._still)
        view.camera_changed.connect(self._on_view_camera_changed)

    @property
    def active(self) -> bool:
        """True while a window is maximised."""
        return self.window is not None

    def toggle(self, window: DetailWindowItem) -> None:
        """Maximise `window`, or restore it if it is the maximised one."""
        if self.window is window:
            self.restore()
            return
        self.restore()
        self._show_still()
        self.window = window
        self._home = window.parentItem()
        self._home_geometry = (window.pos().x(), window.pos().y(), window.w, window.h)
        window.setParentItem(None)
        window.setZValue(Z_WINDOW)
        self._backdrop.show()
        self._fit()
        self.changed.emit(True)

    def restore(self) -> None:
        """Put the maximised window back into its krate."""
        window = self.window
        if window is None:
            return
        self.window = None
        self._hide_backdrop()
        window.setZValue(0)
        if self._home is not None and self._home.scene() is not None:
            window.setParentItem(self._home)
            window.set_geometry(*self._home_geometry)
        self._home = None
        self.changed.emit(False)

    def forget(self, window: DetailWindowItem) -> None:
        """The window is closing: drop it without putting it back."""
        if self.window is window:
            self.window = None
            self._home = None
            self._hide_backdrop()
            self.changed.emit(False)

    def _show_still(self) -> None:
        self.frost.capture(self.view.viewport())
        still = self.frost.still
        if still is not None:
            self._still.setPixmap(still)
            self._still.setScale(self.view.viewport().width() / max(1, still.width()))
            self._still.show()

    def _hide_backdrop(self) -> None:
        self._backdrop.hide()
        self._still.hide()
        self._still.setPixmap(QPixmap())
        self.frost.still = None

    def update_home_geometry(self, x: float, y: float, w: float, h: float) -> None:
        """The yard moved the window's slot while it was maximised."""
        self._home_geometry = (x, y, w, h)

    def _fit(self) -> None:
        if self.window is None:
            return
        vp = self.view.viewport()
        self._backdrop.setRect(QRectF(0, 0, vp.width(), vp.height()))
        self.window.set_geometry(
            MARGIN,
            TOP,
            max(240.0, vp.width() - 2 * MARGIN),
            max(160.0, vp.height() - TOP - MARGIN),
        )

    def _on_view_camera_changed(self) -> None:
        if self.window is not None:
            self._fit()
