"""Small painted shapes: kind glyphs, status badges and dots, the logo diamond."""

from __future__ import annotations

import functools
import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from krates_desktop.ui import symbols, theme


def kind_glyph(kind: str, crd: bool = False) -> tuple[str, str]:
    """Return (shape, colour) for a kind's 8 px glyph."""
    if crd:
        return theme.KIND_GLYPHS["crd"]
    return theme.KIND_GLYPHS.get(kind, theme.OTHER_GLYPH)


def _polygon(points: list[tuple[float, float]]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def paint_glyph(painter: QPainter, shape: str, fill: str, x: float, y: float) -> None:
    """Paint an 8 px glyph whose top-left corner is at (x, y)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    qcolor = QColor(fill)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(qcolor))
    box = QRectF(x, y, 8, 8)
    cx, cy = x + 4, y + 4
    if shape == "circle":
        painter.drawEllipse(box)
    elif shape == "diamond":
        painter.drawPolygon(_polygon([(cx, y), (x + 8, cy), (cx, y + 8), (x, cy)]))
    elif shape == "rounded":
        painter.drawRoundedRect(box, 2, 2)
    elif shape == "hexagon":
        pts = [(cx + 4 * math.cos(a), cy + 4 * math.sin(a)) for a in _angles(6, 0)]
        painter.drawPolygon(_polygon(pts))
    elif shape == "triangle_up":
        painter.drawPolygon(_polygon([(cx, y), (x + 8, y + 8), (x, y + 8)]))
    elif shape == "triangle_right":
        painter.drawPolygon(_polygon([(x, y), (x + 8, cy), (x, y + 8)]))
    elif shape == "square":
        painter.drawRect(box)
    elif shape == "pill":
        painter.drawRoundedRect(QRectF(x, y + 1.5, 8, 5), 2.5, 2.5)
    elif shape == "bar":
        painter.drawRect(QRectF(x, y + 3, 8, 2))
    elif shape == "star":
        pts = []
        for i, angle in enumerate(_angles(8, -math.pi / 2)):
            radius = 4 if i % 2 == 0 else 1.6
            pts.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        painter.drawPolygon(_polygon(pts))
    elif shape == "bars":
        for row in range(3):
            painter.drawRect(QRectF(x, y + 0.5 + row * 3, 8, 1.5))
    else:
        _paint_hollow(painter, shape, qcolor, box)
    painter.restore()


def _paint_hollow(painter: QPainter, shape: str, qcolor: QColor, box: QRectF) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(qcolor, 1.5))
    inner = box.adjusted(0.75, 0.75, -0.75, -0.75)
    if shape == "hollow_square":
        painter.drawRect(inner)
    elif shape == "hollow_circle":
        painter.drawEllipse(inner)
    else:
        c = inner.center()
        painter.drawPolygon(
            _polygon(
                [
                    (c.x(), inner.top()),
                    (inner.right(), c.y()),
                    (c.x(), inner.bottom()),
                    (inner.left(), c.y()),
                ]
            )
        )


def _angles(count: int, start: float) -> list[float]:
    return [start + i * 2 * math.pi / count for i in range(count)]


def paint_diamond(painter: QPainter, box: QRectF, fill: str) -> None:
    """Paint the logo diamond: the polygon (50% 0, 100% 50%, 50% 100%, 0 50%)."""
    path = QPainterPath()
    path.moveTo(box.center().x(), box.top())
    path.lineTo(box.right(), box.center().y())
    path.lineTo(box.center().x(), box.bottom())
    path.lineTo(box.left(), box.center().y())
    path.closeSubpath()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(path, QColor(fill))
    painter.restore()


def paint_dot(
    painter: QPainter, center: QPointF, fill: str, glow: bool = False
) -> None:
    """Paint an 8 px status dot, optionally with an 8 px radial halo."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    if glow:
        from PySide6.QtGui import QRadialGradient

        gradient = QRadialGradient(center, 12)
        gradient.setColorAt(0.3, theme.with_alpha(fill, 0.55))
        gradient.setColorAt(1.0, theme.with_alpha(fill, 0.0))
        painter.setBrush(QBrush(gradient))
        painter.drawEllipse(center, 12, 12)
    painter.setBrush(QColor(fill))
    painter.drawEllipse(center, 4, 4)
    painter.restore()


def paint_surface(painter: QPainter, rect: QRectF) -> None:
    """Paint a window's surface: the panel colour, a 1 px hairline border, radius 10.

    The fill is drawn without antialiasing (the border covers its edge) and the
    border as a filled ring rather than a stroked outline: at about 40% of the cost,
    which matters with dozens of windows on screen; edge pixels differ from an
    antialiased fill by a few colour levels.
    """
    box = rect.adjusted(0.5, 0.5, -0.5, -0.5)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.color(theme.PANEL))
    painter.drawRoundedRect(box, 10, 10)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(
        _ring(box.width(), box.height()).translated(box.topLeft()),
        theme.color(theme.HAIRLINE_20),
    )


@functools.lru_cache(maxsize=256)
def _ring(width: float, height: float) -> QPainterPath:
    """A 1 px wide rounded ring around a (width x height) box at the origin."""
    ring = QPainterPath()
    ring.addRoundedRect(QRectF(-0.5, -0.5, width + 1, height + 1), 10.5, 10.5)
    ring.addRoundedRect(QRectF(0.5, 0.5, width - 1, height - 1), 9.5, 9.5)
    return ring


def badge_width(painter: QPainter, text: str) -> float:
    """Return the width of a status badge for `text` with the current font."""
    return symbols.text_width(painter.font(), text) + 14


def paint_badge(painter: QPainter, x: float, y: float, text: str, health: str) -> float:
    """Paint a status badge (18 px tall, radius 9) at (x, y); return its width."""
    painter.save()
    painter.setFont(theme.mono(11))
    label = f"{theme.HEALTH_MARKS.get(health, '')} {text}".strip()
    width = badge_width(painter, label)
    fill = theme.HEALTH_COLORS.get(health, theme.UNKNOWN)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.with_alpha(fill, 0.12))
    painter.drawRoundedRect(QRectF(x, y, width, 18), 9, 9)
    painter.setPen(QColor(fill))
    symbols.draw_text(
        painter, QRectF(x, y, width, 18), Qt.AlignmentFlag.AlignCenter, label
    )
    painter.restore()
    return width
