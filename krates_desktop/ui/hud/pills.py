"""The pill style shared by the top bar, the zoom pill, the hint bar and toasts.

Pills float over the canvas, so Qt repaints every pill the canvas repaints under,
which is every pan and zoom frame. A pill therefore draws itself once into a
pixmap and paints that pixmap until its text, colours, dot or size change; only
the frosted canvas behind it (with that setting on) is painted afresh.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from krates_desktop.ui import frost, glyphs, symbols, theme

PAD_X, PAD_Y = 12, 7


class Pill(QWidget):
    """A rounded, translucent label with an optional leading dot or diamond."""

    clicked = Signal()

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        weight: int = 500,
        size: int = 13,
        text_color: str = theme.TEXT,
        lead: str = "",
    ) -> None:
        super().__init__(parent)
        self._text = text
        self._font = theme.sans(size, weight)
        self.text_color = text_color
        self.lead = lead  # "", "diamond" or "dot"
        self.dot_color = theme.OK
        self.dot_glow = False
        self.dot_opacity = 1.0
        self.border: str | None = None
        self._face: tuple[tuple[object, ...], QPixmap] | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def text(self) -> str:
        """Return the pill's text."""
        return self._text

    def set_text(self, text: str) -> None:
        """Change the text and resize to fit."""
        self._text = text
        self.updateGeometry()
        self.adjustSize()
        self.update()

    def set_active(self, active: bool) -> None:
        """Accent border and text while the pill's panel is open, muted otherwise."""
        self.border = theme.ACCENT if active else None
        self.text_color = theme.ACCENT if active else theme.MUTED
        self.update()

    def set_dot(self, fill: str, glow: bool) -> None:
        """Colour the leading dot."""
        self.dot_color, self.dot_glow = fill, glow
        self.update()

    def _lead_width(self) -> float:
        return 18.0 if self.lead else 0.0

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = QFontMetricsF(self._font)
        width = (
            symbols.text_width(self._font, self._text) + 2 * PAD_X + self._lead_width()
        )
        return QSize(round(width) + 2, round(metrics.height()) + 2 * PAD_Y)

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        painter = QPainter(self)
        if getattr(self.window(), "frost_source", None) is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            shape = QPainterPath()
            shape.addRoundedRect(
                QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 9, 9
            )
            frost.paint_canvas_behind(painter, self, shape, 6.0)
        painter.drawPixmap(0, 0, self._face_pixmap())
        painter.end()

    def _face_pixmap(self) -> QPixmap:
        """The pill's own drawing, redrawn only when something it shows changed."""
        ratio = self.devicePixelRatioF()
        key = (
            self._text,
            self.text_color,
            self.lead,
            self.dot_color,
            self.dot_glow,
            self.dot_opacity,
            self.border,
            self.size(),
            ratio,
        )
        if self._face is None or self._face[0] != key:
            face = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
            face.setDevicePixelRatio(ratio)
            face.fill(Qt.GlobalColor.transparent)
            painter = QPainter(face)
            self._paint_face(painter)
            painter.end()
            self._face = (key, face)
        return self._face[1]

    def _paint_face(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        border = QColor(self.border) if self.border else theme.color(theme.HAIRLINE)
        painter.setPen(QPen(border, 1))
        painter.setBrush(theme.color(theme.PILL))
        painter.drawRoundedRect(box, 9, 9)
        x = PAD_X
        mid = box.center().y()
        if self.lead == "diamond":
            glyphs.paint_diamond(painter, QRectF(x, mid - 5, 10, 10), theme.ACCENT)
        elif self.lead == "dot":
            painter.setOpacity(self.dot_opacity)
            glyphs.paint_dot(
                painter, QPointF(x + 4, mid), self.dot_color, self.dot_glow
            )
            painter.setOpacity(1.0)
        painter.setFont(self._font)
        painter.setPen(QColor(self.text_color))
        text_box = QRectF(x + self._lead_width(), 0, box.width(), self.height())
        symbols.draw_text(painter, text_box, Qt.AlignmentFlag.AlignVCenter, self._text)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.clicked.emit()
        event.accept()
