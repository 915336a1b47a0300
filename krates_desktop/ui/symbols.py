"""The UI's symbols (✓ ⚠ ✗ ★ ⌥ ⌘ ⏎ ⇥ ⌃ ⌕ 🔍 ◉ ▸ ⠿) painted as vector shapes inside text.

The bundled IBM Plex fonts lack most of these, and draw `✓` with the same shape as
`√`. Qt would take the missing ones from some system font, which differs between
machines, and the PyInstaller bundle has no system fonts at all (tofu boxes). So
`draw_text` paints the ordinary characters with the current font and each symbol
as a path sized from the font's cap height, in the pen's colour: the same pixels on
every machine. Text without symbols goes straight to `QPainter.drawText`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QLabel

Shape = tuple[QPainterPath, bool]  # the path in a unit box, filled (else stroked)


def _lines(*strokes: list[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    for points in strokes:
        path.moveTo(*points[0])
        for point in points[1:]:
            path.lineTo(*point)
    return path


def _check() -> Shape:
    return _lines([(0.08, 0.55), (0.38, 0.85), (0.92, 0.15)]), False


def _cross() -> Shape:
    return _lines([(0.15, 0.15), (0.85, 0.85)], [(0.85, 0.15), (0.15, 0.85)]), False


def _warning() -> Shape:
    path = _lines([(0.5, 0.04), (0.98, 0.92), (0.02, 0.92), (0.5, 0.04)])
    path.addPath(_lines([(0.5, 0.36), (0.5, 0.6)]))
    path.addEllipse(QPointF(0.5, 0.76), 0.02, 0.02)
    return path, False


def _star() -> Shape:
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = 0.5 if i % 2 == 0 else 0.2
        points.append((0.5 + radius * math.cos(angle), 0.53 + radius * math.sin(angle)))
    path = _lines(points)
    path.closeSubpath()
    return path, True


def _option() -> Shape:
    return _lines(
        [(0.02, 0.22), (0.34, 0.22), (0.66, 0.82), (0.98, 0.82)],
        [(0.6, 0.22), (0.98, 0.22)],
    ), False


def _command() -> Shape:
    path = QPainterPath()
    path.addRect(QRectF(0.33, 0.33, 0.34, 0.34))
    for cx in (0.2, 0.8):
        for cy in (0.2, 0.8):
            path.addEllipse(QPointF(cx, cy), 0.15, 0.15)
    return path, False


def _return() -> Shape:
    return _lines(
        [(0.88, 0.12), (0.88, 0.62), (0.12, 0.62)],
        [(0.36, 0.38), (0.12, 0.62), (0.36, 0.86)],
    ), False


def _tab() -> Shape:
    return _lines(
        [(0.04, 0.5), (0.78, 0.5)],
        [(0.52, 0.24), (0.78, 0.5), (0.52, 0.76)],
        [(0.94, 0.18), (0.94, 0.82)],
    ), False


def _control() -> Shape:
    return _lines([(0.18, 0.66), (0.5, 0.28), (0.82, 0.66)]), False


def _magnifier() -> Shape:
    path = QPainterPath()
    path.addEllipse(QPointF(0.42, 0.42), 0.3, 0.3)
    path.addPath(_lines([(0.64, 0.64), (0.94, 0.94)]))
    return path, False


def _target() -> Shape:
    path = QPainterPath()
    path.addEllipse(QPointF(0.5, 0.5), 0.46, 0.46)
    path.addEllipse(QPointF(0.5, 0.5), 0.34, 0.34)
    path.addEllipse(QPointF(0.5, 0.5), 0.22, 0.22)
    path.setFillRule(Qt.FillRule.OddEvenFill)
    return path, True


def _pointer() -> Shape:
    path = _lines([(0.28, 0.2), (0.78, 0.5), (0.28, 0.8)])
    path.closeSubpath()
    return path, True


def _dots() -> Shape:
    path = QPainterPath()
    for x in (0.3, 0.7):
        for y in (0.1, 0.37, 0.63, 0.9):
            path.addEllipse(QPointF(x, y), 0.1, 0.1)
    return path, True


SHAPES: dict[str, Callable[[], Shape]] = {
    "✓": _check,
    "✗": _cross,
    "⚠": _warning,
    "★": _star,
    "⌥": _option,
    "⌘": _command,
    "⏎": _return,
    "⇥": _tab,
    "⌃": _control,
    "⌕": _magnifier,
    "🔍": _magnifier,
    "◉": _target,
    "▸": _pointer,
    "⠿": _dots,
}


@functools.cache
def _shape(char: str) -> Shape:
    return SHAPES[char]()


def has_symbols(text: str) -> bool:
    """True if `text` holds a character `draw_text` paints as a shape."""
    return any(char in SHAPES for char in text)


def _size(metrics: QFontMetricsF) -> float:
    """The side of a symbol's box: a little taller than a capital letter."""
    return metrics.capHeight() * 1.3


def _advance(metrics: QFontMetricsF) -> float:
    return _size(metrics) + metrics.horizontalAdvance(" ") * 0.4


def text_width(qfont: QFont, text: str) -> float:
    """The width `draw_text` gives `text` in `qfont`."""
    metrics = QFontMetricsF(qfont)
    if not has_symbols(text):
        return metrics.horizontalAdvance(text)
    symbols = sum(1 for char in text if char in SHAPES)
    plain = "".join(char for char in text if char not in SHAPES)
    return metrics.horizontalAdvance(plain) + symbols * _advance(metrics)


def draw_symbol(painter: QPainter, char: str, x: float, baseline: float) -> float:
    """Paint one symbol whose advance starts at x on `baseline`; return the advance."""
    metrics = QFontMetricsF(painter.font())
    size, advance = _size(metrics), _advance(metrics)
    path, filled = _shape(char)
    left = x + (advance - size) / 2
    top = baseline - metrics.capHeight() / 2 - size / 2
    color = painter.pen().color()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(left, top)
    painter.scale(size, size)
    if filled:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
    else:
        pen = QPen(color, max(1.1, size * 0.11) / size)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.restore()
    return advance


def draw_text(
    painter: QPainter, rect: QRectF, flags: Qt.AlignmentFlag | int, text: str
) -> None:
    """`painter.drawText(rect, flags, text)` on one line, with symbols as shapes."""
    if not has_symbols(text):
        painter.drawText(rect, flags, text)
        return
    metrics = QFontMetricsF(painter.font())
    width = text_width(painter.font(), text)
    align = Qt.AlignmentFlag(int(flags))
    x = rect.left()
    if align & Qt.AlignmentFlag.AlignRight:
        x = rect.right() - width
    elif align & Qt.AlignmentFlag.AlignHCenter:
        x = rect.center().x() - width / 2
    baseline = rect.center().y() + (metrics.ascent() - metrics.descent()) / 2
    if align & Qt.AlignmentFlag.AlignTop:
        baseline = rect.top() + metrics.ascent()
    elif align & Qt.AlignmentFlag.AlignBottom:
        baseline = rect.bottom() - metrics.descent()
    run = ""
    for char in text + "\0":
        if char not in SHAPES and char != "\0":
            run += char
            continue
        if run:
            painter.drawText(QPointF(x, baseline), run)
            x += metrics.horizontalAdvance(run)
            run = ""
        if char in SHAPES:
            x += draw_symbol(painter, char, x, baseline)


class SymbolLabel(QLabel):
    """A one-line QLabel that paints its symbols with `draw_text`.

    Its text colour is the palette's (which a style sheet `color:` sets); margins
    come from `setContentsMargins`, not style-sheet padding.
    """

    def sizeHint(self) -> QSize:  # noqa: N802
        margins = self.contentsMargins()
        width = text_width(self.font(), self.text()) + margins.left() + margins.right()
        height = QFontMetricsF(self.font()).height() + margins.top() + margins.bottom()
        return QSize(math.ceil(width), math.ceil(height))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        draw_text(painter, QRectF(self.contentsRect()), self.alignment(), self.text())
        painter.end()
