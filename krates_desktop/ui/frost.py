"""Frosted overlays (spec 1, F131): the canvas blurred behind translucent surfaces.

With the setting on, an overlay (spotlight's backdrop, the drawer's, a maximised
window's) takes one grab of the window as it opens, at half size, blurs it once and
paints it under its translucent fill; nothing is re-blurred while it stays open, so
it costs one grab per opening and one pixmap draw per paint. Pills are small: each
renders and blurs the canvas region under it as it paints. With the setting off
(the default), nothing is grabbed and surfaces draw their translucent fill only.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import (
    QGraphicsBlurEffect,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QWidget,
)

SHRINK = 2  # the still is taken at half size: a quarter of the pixels to blur


def blurred(pixmap: QPixmap, radius: float) -> QPixmap:
    """`pixmap` at 1/SHRINK of its size, blurred by `radius` of its full-size pixels."""
    small = pixmap.scaled(
        max(1, pixmap.width() // SHRINK),
        max(1, pixmap.height() // SHRINK),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    return _blur(small, radius / SHRINK)


def _blur(small: QPixmap, radius: float) -> QPixmap:
    """`small` blurred by `radius` of its own pixels."""
    scene = QGraphicsScene()
    item = QGraphicsPixmapItem(small)
    effect = QGraphicsBlurEffect()
    effect.setBlurRadius(radius * 2)  # Qt's radius spans about twice sigma
    effect.setBlurHints(QGraphicsBlurEffect.BlurHint.QualityHint)
    item.setGraphicsEffect(effect)
    scene.addItem(item)
    out = QPixmap(small.size())
    out.fill(Qt.GlobalColor.black)
    painter = QPainter(out)
    scene.render(painter, QRectF(out.rect()), QRectF(small.rect()))
    painter.end()
    return out


class Frost:
    """The blurred still one overlay paints under its fill, when the setting is on."""

    def __init__(self, radius: float) -> None:
        self.radius = radius
        self.enabled = False
        self.still: QPixmap | None = None

    def capture(self, behind: QWidget) -> None:
        """Take the still of `behind` (call before the overlay shows)."""
        self.still = blurred(behind.grab(), self.radius) if self.enabled else None

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        """Draw the still over `rect`, scaled back up smoothly."""
        if self.still is not None:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(rect, self.still, QRectF(self.still.rect()))
            painter.restore()


def paint_canvas_behind(
    painter: QPainter, surface: QWidget, shape: QPainterPath, radius: float
) -> None:
    """Paint the canvas under a small surface (a pill) blurred by `radius`, within
    `shape`, when its window has frosted overlays on (its `frost_source` is the view).

    The region is rendered from the scene at each paint, so the blur follows the
    camera; a margin of twice the radius keeps its edges from fading to black.
    """
    view = getattr(surface.window(), "frost_source", None)
    if view is None:
        return
    viewport = view.viewport()
    corner = viewport.mapFromGlobal(surface.mapToGlobal(QPoint(0, 0)))
    margin = round(radius * 2)
    source = QRect(corner, surface.size()).adjusted(-margin, -margin, margin, margin)
    # Rendered straight at 1/step of its size and scaled back up smoothly: the bilinear
    # upscale is the blur (about `radius` wide), with no blur pass to pay for per paint.
    step = max(1, round(radius * 2 / 3))
    still = QPixmap(max(1, source.width() // step), max(1, source.height() // step))
    still.fill(Qt.GlobalColor.black)
    region_painter = QPainter(still)
    view.render(region_painter, QRectF(still.rect()), source)
    region_painter.end()
    scale = still.width() / max(1, source.width())
    inner = QRectF(margin, margin, surface.width(), surface.height())
    painter.save()
    painter.setClipPath(shape)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawPixmap(
        QRectF(surface.rect()),
        still,
        QRectF(
            inner.x() * scale,
            inner.y() * scale,
            inner.width() * scale,
            inner.height() * scale,
        ),
    )
    painter.restore()
