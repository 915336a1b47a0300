"""Wheel zooms drawn from one picture of the canvas, settled crisp a window at a time.

A zoom step changes the scale of every item, and each visible krate and window
would be drawn afresh at every step (their cached pixmaps hold one scale). On
the first step of a wheel zoom the canvas as it stands is taken once as a
picture (the items draw from their caches, so this costs about a pan frame);
the later steps draw that picture scaled about the camera, and the grid beyond
it (the margins a zoom out brings into view). When the zoom has rested, the
canvas is drawn live again over the picture one window per frame (then each
krate's frame, which encloses its windows; krates never overlap), so that no one
frame draws every item; then the picture is dropped.

Limitations: while the picture is shown, window contents that change (a log
streaming, a shell printing) wait until their window is drawn live again; the
zooming picture is scaled by whole pixels, not smoothed, so it looks coarser
than the settled canvas; beyond the picture (a zoom out) only the grid shows
until the zoom rests. Flights keep drawing items from their own pixmaps (see
view.py): they travel beyond any picture.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap, QRegion, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView
from shiboken6 import isValid

SETTLE_UNITS = 1  # windows (or krate frames) drawn live again a frame once it rests


class ZoomPicture:
    """The picture a wheel zoom scales, and the part of the viewport drawn live."""

    def __init__(self, view: QGraphicsView, layer: QGraphicsItem) -> None:
        self._view = view
        self._layer = layer  # whose children (the krates) come back one by one
        self._picture: QPixmap | None = None
        self._camera = (0, 0, 1.0)  # whole-pixel translation and zoom it was taken at
        self._waiting: list[QGraphicsItem] | None = None  # still drawn from the picture
        self._settled = QRegion()  # drawn live again since the zoom rested

    @property
    def active(self) -> bool:
        return self._picture is not None

    def take(self, cam_x: float, cam_y: float, zoom: float) -> None:
        """Keep the canvas as it stands (camera `cam_x`, `cam_y`, `zoom`), unless a
        zoom is already being drawn from a picture that nothing has replaced yet."""
        if self._picture is not None and self._waiting is None:
            return
        # (a zoom while settling takes what is on screen now: picture and live windows)
        picture = self._view.viewport().grab()
        self._picture = picture
        self._camera = (round(cam_x), round(cam_y), zoom)
        self._waiting, self._settled = None, QRegion()

    def drop(self) -> None:
        """Draw everything live from now on."""
        if self._picture is not None:
            self._picture = None
            self._waiting, self._settled = None, QRegion()
            self._view.viewport().update()

    def settle_step(self) -> bool:
        """Draw one more window (or krate frame) live; return whether some are
        still to come."""
        if self._picture is None:
            return False
        if self._waiting is None:
            self._waiting = self._units()
        for item in self._waiting[:SETTLE_UNITS]:
            if isValid(item) and item.scene() is not None:  # not closed meanwhile
                self._settled = self._settled.united(_extent(item).toAlignedRect())
        del self._waiting[:SETTLE_UNITS]
        if not self._waiting:
            self.drop()
            return False
        self._view.viewport().update()
        return True

    def _units(self) -> list[QGraphicsItem]:
        """What comes back live, in order: each krate on screen after its windows
        (whose area the krate's frame encloses)."""
        shown = QRectF(self._view.viewport().rect())
        krates = sorted(
            (i for i in self._layer.childItems() if i.isVisible()
             and _extent(i).intersects(shown)),
            key=lambda i: (_extent(i).top(), _extent(i).left()),
        )  # fmt: skip
        units: list[QGraphicsItem] = []
        for krate in krates:
            units += [
                child for child in krate.childItems()
                if child.isVisible() and _extent(child).intersects(shown)
            ]  # fmt: skip
            units.append(krate)
        return units

    def paint(
        self, event: QPaintEvent, cam_x: float, cam_y: float, zoom: float
    ) -> None:
        """Paint `event` for the camera (`cam_x`, `cam_y`, `zoom`): the live part as
        the view draws it, the rest from the picture."""
        assert self._picture is not None
        transform = self._transform(cam_x, cam_y, zoom)
        region = event.region()
        live = region.intersected(self._settled)
        if not live.isEmpty():
            QGraphicsView.paintEvent(self._view, QPaintEvent(live))
        rest = region.subtracted(live)
        if rest.isEmpty():
            return
        painter = QPainter(self._view.viewport())
        painter.setClipRegion(rest)
        # Beyond the picture (a zoom out) only the grid is drawn until the zoom rests:
        # items there would be drawn afresh at every step.
        self._view.drawBackground(painter, QRectF(rest.boundingRect()))
        # Not smoothed: scaling the whole picture smoothly costs more than the frame
        # may (Qt spreads it over threads that a busy machine cannot give it); the
        # nearest pixels keep text legible for the moment the zoom lasts.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setTransform(transform)
        painter.drawPixmap(0, 0, self._picture)
        painter.end()

    def _transform(self, cam_x: float, cam_y: float, zoom: float) -> QTransform:
        """From the picture's pixels to the viewport's at the current camera."""
        x0, y0, z0 = self._camera
        ratio = zoom / z0
        return QTransform(
            ratio, 0, 0, ratio, round(cam_x) - x0 * ratio, round(cam_y) - y0 * ratio
        )


def _extent(item: QGraphicsItem) -> QRectF:
    """Where `item` and its children are drawn (the view maps scene to viewport 1:1)."""
    return item.sceneBoundingRect().united(
        item.mapRectToScene(item.childrenBoundingRect())
    )
