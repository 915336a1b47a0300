"""The yard's canvas: camera, grid, wheel panning, zoom at the pointer, flights.

The camera is one transform on a root world-layer item; the view itself keeps an
identity transform and a scene rect equal to its viewport.

Level of detail while zooming: a zoom step changes every item's device transform,
so each visible krate and window would be drawn afresh at each step. A wheel (or
pinch) zoom draws one picture of the canvas scaled instead, and settles crisp a
window per frame once it rests (zoom_picture.py). A flight travels beyond any
picture: on its first step each visible item is cached once as a pixmap (Qt's
item-coordinate cache, at the item's own 100% size) and later steps draw those
pixmaps scaled, smoothed; when it lands the items go back to their own caching
and are drawn crisp at the final scale, exactly as without this.

Limitations: a flight's first step still draws every visible item once (into its
pixmap); above 100% its picture is softer than the settled one. Settling draws
the items crisp over a few frames (`SETTLE_BATCH` a frame).
"""

from __future__ import annotations

import functools
import logging
import math

from PySide6.QtCore import (
    QEasingCurve,
    QEvent,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QPixmapCache,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QGraphicsView,
)
from shiboken6 import isValid

from krates_desktop.ui import theme
from krates_desktop.ui.canvas.zoom_picture import ZoomPicture
from krates_desktop.yard.model import WORLD_H, WORLD_W

log = logging.getLogger(__name__)

ZOOM_MIN, ZOOM_MAX, ZOOM_DEFAULT = 0.16, 2.2, 0.92
LOD_COLLAPSE_BELOW, LOD_EXPAND_ABOVE = 0.4, 0.5
NOTCH_PAN = 60.0
NOTCH_ZOOM = 1.12
CLICK_SLOP = 4.0
PIXMAP_CACHE_KB = 96 * 1024
FLY_MS = 520
SETTLE_MS = 150  # after the last zoom step, items are drawn crisp again
SETTLE_BATCH = 16  # items drawn crisp again per frame, so no one frame draws them all
FRAME_MS = 16


def _over(rgba: tuple[int, int, int, float], under: QColor) -> QColor:
    """The opaque colour that `rgba` painted over `under` shows, blended by the
    raster engine itself so that the pixels match painting it translucent."""
    return QColor.fromRgb(_blend(rgba, under.rgb()))


@functools.cache
def _blend(rgba: tuple[int, int, int, float], under: int) -> int:
    image = QImage(1, 1, QImage.Format.Format_RGB32)
    image.fill(QColor.fromRgb(under))
    painter = QPainter(image)
    painter.fillRect(QRect(0, 0, 1, 1), theme.color(rgba))
    painter.end()
    return image.pixel(0, 0)


def camera_easing() -> QEasingCurve:
    """The spec's cubic-bezier(.22,.8,.28,1) as a Qt easing curve."""
    curve = QEasingCurve(QEasingCurve.Type.BezierSpline)
    curve.addCubicBezierSegment(
        QPointF(0.22, 0.8), QPointF(0.28, 1.0), QPointF(1.0, 1.0)
    )
    return curve


class WorldLayer(QGraphicsObject):
    """The root item that parents every krate; the camera is its transform."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, WORLD_W, WORLD_H)

    def paint(self, painter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        return None


class CanvasView(QGraphicsView):
    """The infinite, zoomable canvas; emits intents, never reaches for siblings."""

    camera_changed = Signal()
    lod_changed = Signal(bool)
    pointer_moved = Signal(float, float)  # world coordinates
    pointer_left = Signal()
    spotlight_requested = Signal(str)
    key_for_canvas = Signal(QKeyEvent)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        # Windows cache their chrome as device pixmaps (see DetailWindowItem); the
        # default 10 MB pixmap cache would hold only a few dozen of them.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self._scene = QGraphicsScene(self)
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(self._scene)
        self.world = WorldLayer()
        self._scene.addItem(self.world)
        self.zoom = ZOOM_DEFAULT
        self.cam_x = 0.0
        self.cam_y = 0.0
        self.flying = False
        self.reduce_motion = False
        self.dragging = False
        self.space_panning = False
        self.collapsed = False
        self._space_moved = False
        self._press: QPointF | None = None
        self._press_on_empty = False
        self._last_pos: QPointF | None = None
        self._centered = False
        self._fly = QVariantAnimation(self)
        self._fly.setDuration(FLY_MS)
        self._fly.setEasingCurve(camera_easing())
        self._fly.valueChanged.connect(self._on_fly_value_changed)
        self._fly.finished.connect(self._on_fly_finished)
        self._fly_from = (0.0, 0.0, 1.0)
        self._fly_to = (0.0, 0.0, 1.0)
        # items drawn from a scaled pixmap during a zoom, with the cache mode to restore
        self._scaled: dict[QGraphicsItem, QGraphicsItem.CacheMode] = {}
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.settle_zoom)
        # what a wheel zoom draws from (see zoom_picture.py)
        self._picture = ZoomPicture(self, self.world)
        self._configure()

    def _configure(self) -> None:
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        self.setViewportUpdateMode(
            QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate
        )
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(theme.color(theme.CANVAS_BG))

    # camera -------------------------------------------------------------

    def apply_camera(self) -> None:
        """Clamp the camera and push it into the world layer's transform."""
        self.zoom = min(max(self.zoom, ZOOM_MIN), ZOOM_MAX)
        w, h = self.viewport().width(), self.viewport().height()
        cx = (w / 2 - self.cam_x) / self.zoom
        cy = (h / 2 - self.cam_y) / self.zoom
        cx, cy = min(max(cx, 0.0), WORLD_W), min(max(cy, 0.0), WORLD_H)
        self.cam_x = w / 2 - cx * self.zoom
        self.cam_y = h / 2 - cy * self.zoom
        # Whole-pixel translation: a pan then moves every item by whole pixels, so
        # the windows' cached device pixmaps stay aligned with their live content.
        self.world.setTransform(
            QTransform(self.zoom, 0, 0, self.zoom, round(self.cam_x), round(self.cam_y))
        )
        self._update_lod()
        self.viewport().update()
        self.camera_changed.emit()

    def _update_lod(self) -> None:
        """Collapse below 0.4, expand above 0.5, keep the mode in between."""
        if not self.collapsed and self.zoom < LOD_COLLAPSE_BELOW:
            self.collapsed = True
        elif self.collapsed and self.zoom > LOD_EXPAND_ABOVE:
            self.collapsed = False
        else:
            return
        self.lod_changed.emit(self.collapsed)

    def center_on(self, wx: float, wy: float, zoom: float | None = None) -> None:
        """Put world point (wx, wy) at the viewport centre, optionally at `zoom`."""
        if zoom is not None:
            self.zoom = zoom
        self.cam_x = self.viewport().width() / 2 - wx * self.zoom
        self.cam_y = self.viewport().height() / 2 - wy * self.zoom
        self.apply_camera()

    def visible_world_rect(self) -> QRectF:
        """The world rectangle on screen: [-camX/zoom, -camY/zoom, W/zoom, H/zoom]."""
        z = self.zoom
        vp = self.viewport()
        return QRectF(-self.cam_x / z, -self.cam_y / z, vp.width() / z, vp.height() / z)

    def view_center(self) -> tuple[float, float]:
        """Return the world point at the viewport centre."""
        return (
            (self.viewport().width() / 2 - self.cam_x) / self.zoom,
            (self.viewport().height() / 2 - self.cam_y) / self.zoom,
        )

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the camera by a screen-pixel delta; stops any flight."""
        self.stop_flight()
        self.cam_x += dx
        self.cam_y += dy
        self.apply_camera()

    def zoom_at(self, pos: QPointF, factor: float) -> None:
        """Multiply the zoom by `factor`, keeping the world point under `pos` still."""
        self.stop_flight()
        new_zoom = min(max(self.zoom * factor, ZOOM_MIN), ZOOM_MAX)
        if new_zoom != self.zoom:
            self._picture.take(self.cam_x, self.cam_y, self.zoom)
            self._settle.start(SETTLE_MS)
        ratio = new_zoom / self.zoom
        self.cam_x = pos.x() - (pos.x() - self.cam_x) * ratio
        self.cam_y = pos.y() - (pos.y() - self.cam_y) * ratio
        self.zoom = new_zoom
        self.apply_camera()

    def fly_to(self, wx: float, wy: float, zoom: float = ZOOM_DEFAULT) -> None:
        """Animate the camera so (wx, wy) is centred at `zoom`, over 520 ms (at once
        with the Reduce motion setting)."""
        w, h = self.viewport().width(), self.viewport().height()
        self._fly.stop()
        self._picture.drop()
        if self.reduce_motion:
            self.flying = False
            self.center_on(wx, wy, zoom)
            return
        self._fly_from = (self.cam_x, self.cam_y, self.zoom)
        self._fly_to = (w / 2 - wx * zoom, h / 2 - wy * zoom, zoom)
        self.flying = True
        self._fly.setStartValue(0.0)
        self._fly.setEndValue(1.0)
        self._fly.start()

    def stop_flight(self) -> None:
        """Stop a camera flight where it is."""
        if self.flying:
            self._fly.stop()
            self.flying = False

    def _on_fly_value_changed(self, value: float) -> None:
        t = float(value)
        (x0, y0, z0), (x1, y1, z1) = self._fly_from, self._fly_to
        self.cam_x = x0 + (x1 - x0) * t
        self.cam_y = y0 + (y1 - y0) * t
        if z1 != z0 and t < 1.0:
            self._scale_cached_items()
        self.zoom = z0 + (z1 - z0) * t
        self.apply_camera()

    def _on_fly_finished(self) -> None:
        self.flying = False
        self.settle_zoom()
        self.camera_changed.emit()

    def _scale_cached_items(self) -> None:
        """Cache each visible item as a pixmap, for the zoom steps to scale."""
        if self._scaled:
            return
        shown = QRectF(self.viewport().rect())
        for item in self._scene.items(shown):
            if item is self.world or not item.isVisible():
                continue
            if item.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents:
                continue
            self._scaled[item] = item.cacheMode()
            item.setCacheMode(QGraphicsItem.CacheMode.ItemCoordinateCache)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)

    def settle_zoom(self) -> None:
        """The zoom has ended: draw the items crisp at the final scale again, a batch
        per frame (each is drawn afresh, which is what a zoom step cost before)."""
        self._settle.stop()
        for item in list(self._scaled)[:SETTLE_BATCH]:
            mode = self._scaled.pop(item)
            if isValid(item) and item.scene() is self._scene:  # not closed meanwhile
                item.setCacheMode(mode)
        more = True
        try:
            more = self._picture.settle_step()
        finally:  # (whatever happened, the canvas must come back)
            if self._scaled or more:
                self._settle.start(FRAME_MS)
        if not self._scaled:
            self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self._picture.active:
            self._picture.paint(event, self.cam_x, self.cam_y, self.zoom)
        else:
            super().paintEvent(event)

    # painting -----------------------------------------------------------

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        center = self.view_center() if self._centered else (WORLD_W / 2, WORLD_H / 2)
        super().resizeEvent(event)
        self.setSceneRect(
            QRectF(0, 0, self.viewport().width(), self.viewport().height())
        )
        self._centered = True
        self.center_on(*center)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        # Vertical lines cost one span per row, so they are painted opaque, in the
        # colour the translucent line shows over the background (a coarse line
        # always lies on a fine one); horizontal lines are single spans and stay
        # translucent, so every crossing blends as before.
        background = theme.color(theme.CANVAS_BG)
        painter.fillRect(rect, background)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        steps = [(34.0, theme.GRID_FINE)] if 34 * self.zoom >= 8 else []
        steps.append((170.0, theme.GRID_COARSE))
        under = background
        left, top = math.floor(rect.left()), math.floor(rect.top())
        width, height = math.ceil(rect.width()) + 1, math.ceil(rect.height()) + 1
        for step, rgba in steps:
            under = _over(rgba, under)
            for x in self._grid_lines(
                rect.left(), rect.right(), round(self.cam_x), step
            ):
                painter.fillRect(QRect(x, top, 1, height), under)
        for step, rgba in steps:
            fill = theme.color(rgba)
            for y in self._grid_lines(
                rect.top(), rect.bottom(), round(self.cam_y), step
            ):
                painter.fillRect(QRect(left, y, width, 1), fill)

    def _grid_lines(
        self, low: float, high: float, origin: float, step: float
    ) -> list[int]:
        """The pixel rows or columns of grid lines `step` world units apart."""
        spacing = step * self.zoom
        at = origin + math.ceil((low - origin) / spacing) * spacing
        lines = []
        while at <= high:
            lines.append(round(at))
            at += spacing
        return lines

    # input --------------------------------------------------------------

    def _item_wants_wheel(self, pos: QPointF) -> bool:
        item = self.itemAt(pos.toPoint())
        while item is not None:
            if getattr(item, "wants_wheel", False):
                return True
            item = item.parentItem()
        return False

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        """A trackpad pinch zooms around the pointer, as Ctrl+wheel does."""
        if (
            isinstance(event, QNativeGestureEvent)
            and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture
        ):
            self.zoom_at(event.position(), 1.0 + event.value())
            event.accept()
            return True
        return super().viewportEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        mods = event.modifiers()
        if mods & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        ):
            delta = event.angleDelta().y() or event.pixelDelta().y()
            self.zoom_at(event.position(), NOTCH_ZOOM ** (delta / 120.0))
            event.accept()
            return
        if self._item_wants_wheel(event.position()):
            super().wheelEvent(event)
            return
        self._pan_by_wheel(event)

    def _pan_by_wheel(self, event: QWheelEvent) -> None:
        pixel = event.pixelDelta()
        if not pixel.isNull():
            dx, dy = float(pixel.x()), float(pixel.y())
        else:
            angle = event.angleDelta()
            dx = angle.x() / 120.0 * NOTCH_PAN
            dy = angle.y() / 120.0 * NOTCH_PAN
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and dx == 0:
            dx, dy = dy, 0.0
        self.pan_by(dx, dy)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        empty = self.itemAt(event.position().toPoint()) in (None, self.world)
        if empty:
            # A click elsewhere takes the keyboard back from a shell (spec 7.3).
            self._scene.setFocusItem(None)
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and empty
        ):
            self._press = event.position()
            self._last_pos = event.position()
            self._press_on_empty = empty and event.button() == Qt.MouseButton.LeftButton
            event.accept()
            return
        super().mousePressEvent(event)

    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self.pointer_left.emit()
        super().leaveEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self.pointer_moved.emit(
            (pos.x() - self.cam_x) / self.zoom, (pos.y() - self.cam_y) / self.zoom
        )
        if self.space_panning:
            if self._last_pos is not None:
                self._space_moved = True
                self.dragging = True
                self.pan_by(pos.x() - self._last_pos.x(), pos.y() - self._last_pos.y())
            self._last_pos = pos
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self._press is not None and self._last_pos is not None:
            moved = (pos - self._press).manhattanLength()
            if self.dragging or moved > CLICK_SLOP:
                self.dragging = True
                self.pan_by(pos.x() - self._last_pos.x(), pos.y() - self._last_pos.y())
            self._last_pos = pos
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is not None:
            was_click = not self.dragging and self._press_on_empty
            self._press = None
            self._last_pos = None
            self.dragging = False
            if was_click:
                self.spotlight_requested.emit("")
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_panning = True
            self._space_moved = False
            self._last_pos = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() == Qt.Key.Key_Space and self._space_moved:
            event.accept()
            return
        if self._keyboard_item_takes(event):
            super().keyPressEvent(event)
            return
        self.key_for_canvas.emit(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_panning = False
            self.dragging = False
            self._last_pos = None
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def _keyboard_item_takes(self, event: QKeyEvent) -> bool:
        """True when the scene's focus item (a connected shell) takes every key."""
        item = self._scene.focusItem()
        return item is not None and getattr(item, "takes_keyboard", False)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab belongs to the shell or spotlight, never to focus navigation.
        return False
