"""Frosted overlays (spec 1, F131): a blurred still of what lies behind an overlay.

With the setting on, an overlay takes one grab of the window as it opens, at half
size, blurs it once and paints it under its translucent fill; the canvas is not
re-blurred while the overlay stays open, so a frosted overlay costs one grab per
opening and one pixmap draw per paint. With the setting off (the default), nothing
is grabbed and overlays draw their translucent fill only.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPixmap
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
    scene = QGraphicsScene()
    item = QGraphicsPixmapItem(small)
    effect = QGraphicsBlurEffect()
    effect.setBlurRadius(radius / SHRINK * 2)  # Qt's radius spans about twice sigma
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
