"""The painted rows of a collection window: list or tree, selection, hover, view buttons.

Only the rows in view are painted, so a collection of thousands scrolls as fast as
one of ten. Rows are 28 px; tree rows are indented 20 px per level and joined to
their parent by 1 px L-shaped connectors (spec 10.3, 10.4).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSceneWheelEvent,
)

from krates_desktop.cluster.relations import Row
from krates_desktop.ui import glyphs, symbols, theme
from krates_desktop.ui.spotlight.aliases import SHORT_KIND
from krates_desktop.yard.model import Tab, available_tabs

ROW_H = 28.0
INDENT = 20.0
LEFT = 12.0
VIEW_BUTTONS: tuple[tuple[str, Tab, str], ...] = (
    ("L", "logs", "Logs"),
    ("S", "shell", "Shell"),
    ("D", "describe", "Describe"),
    ("Y", "yaml", "YAML"),
)
BUTTON_W = 26.0
CONNECTOR = (140, 165, 200, 0.26)


def views_of(kind: str) -> list[tuple[str, Tab, str]]:
    """The row's view buttons, for the views its kind offers."""
    offered = available_tabs(kind)
    return [button for button in VIEW_BUTTONS if button[1] in offered]


class RowsItem(QGraphicsObject):
    """The scrolling list below the filter; emits row picks and view-button clicks."""

    row_clicked = Signal(int)
    row_activated = Signal(int)  # double-click: the default view
    view_clicked = Signal(int, str)

    wants_wheel = True

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.w, self.h = 538.0, 408.0
        self.rows: list[Row] = []
        self.sel = 0
        self.tree = False
        self.scroll = 0.0
        self.hover_row = -1
        self.hover_button: Tab | None = None
        self.setAcceptHoverEvents(True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsToShape)
        self._fonts = {
            "name": theme.sans(12),
            "tag": theme.mono(10),
            "metric": theme.mono(11),
            "badge": theme.mono(10),
            "button": theme.mono(10),
            "note": theme.sans(12),
        }

    # model -------------------------------------------------------------------

    def set_rows(self, rows: list[Row], sel: int, tree: bool) -> None:
        """Show `rows` with row `sel` selected; keep the selection in view."""
        self.rows, self.tree = rows, tree
        self.sel = min(max(sel, 0), max(len(rows) - 1, 0))
        self._clamp_scroll()
        self.ensure_visible(self.sel)
        self.update()

    def set_size(self, w: float, h: float) -> None:
        """Follow the window's size."""
        self.prepareGeometryChange()
        self.w, self.h = w, h
        self._clamp_scroll()
        self.update()

    def ensure_visible(self, index: int) -> None:
        """Scroll so that row `index` is fully shown."""
        top = index * ROW_H
        if top < self.scroll:
            self.scroll = top
        elif top + ROW_H > self.scroll + self.h:
            self.scroll = top + ROW_H - self.h
        self._clamp_scroll()
        self.update()

    def _clamp_scroll(self) -> None:
        most = max(0.0, len(self.rows) * ROW_H - self.h)
        self.scroll = min(max(self.scroll, 0.0), most)

    def row_at(self, y: float) -> int:
        """The row under item y, or -1."""
        index = int((y + self.scroll) // ROW_H)
        return index if 0 <= index < len(self.rows) and y >= 0 else -1

    def row_rect(self, index: int) -> QRectF:
        """Row `index` in item coordinates (for painting and tests)."""
        return QRectF(0, index * ROW_H - self.scroll, self.w, ROW_H)

    def button_rects(self, index: int) -> list[tuple[Tab, QRectF]]:
        """The view buttons of row `index`, left to right."""
        row = self.rows[index]
        if row.item is None:
            return []
        rect = self.row_rect(index)
        buttons = views_of(row.item.kind)
        x = self.w - 26 - BUTTON_W * len(buttons)
        return [
            (tab, QRectF(x + i * BUTTON_W, rect.top() + 5, BUTTON_W - 4, ROW_H - 10))
            for i, (_letter, tab, _word) in enumerate(buttons)
        ]

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.w, self.h)

    # painting ------------------------------------------------------------------

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(self.boundingRect())
        first = int(self.scroll // ROW_H)
        last = min(len(self.rows), int((self.scroll + self.h) // ROW_H) + 1)
        for index in range(first, last):
            self._paint_row(painter, index)

    def _paint_row(self, painter: QPainter, index: int) -> None:
        row, rect = self.rows[index], self.row_rect(index)
        item = row.item
        if item is None:
            painter.setFont(self._fonts["note"])
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(
                rect.adjusted(LEFT, 0, -LEFT, 0),
                Qt.AlignmentFlag.AlignVCenter,
                row.note,
            )
            return
        self._paint_background(painter, index, rect)
        x = LEFT + INDENT * row.depth
        if self.tree and row.depth:
            self._paint_connectors(painter, row, rect)
        shape, fill = glyphs.kind_glyph(item.kind, item.crd)
        glyphs.paint_glyph(painter, shape, fill, x, rect.center().y() - 4)
        x += 14
        buttons = self.button_rects(index)
        right = buttons[0][1].left() - 6 if buttons else self.w - 30
        right = self._paint_right(painter, index, rect, right)
        painter.setFont(self._fonts["name"])
        painter.setPen(QColor(theme.TEXT))
        metrics = QFontMetricsF(self._fonts["name"])
        room = max(20.0, right - x - 8 - (70 if self.tree and row.tag else 0))
        name = metrics.elidedText(item.name, Qt.TextElideMode.ElideMiddle, room)
        painter.drawText(
            QRectF(x, rect.top(), room, ROW_H), Qt.AlignmentFlag.AlignVCenter, name
        )
        if self.tree and row.tag:
            painter.setFont(self._fonts["tag"])
            painter.setPen(QColor(theme.FAINT))
            tag_x = x + metrics.horizontalAdvance(name) + 8
            painter.drawText(
                QRectF(tag_x, rect.top(), 80, ROW_H),
                Qt.AlignmentFlag.AlignVCenter,
                row.tag,
            )

    def _paint_background(self, painter: QPainter, index: int, rect: QRectF) -> None:
        box = rect.adjusted(4, 1, -4, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        if index == self.sel:
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRect(box)
            painter.fillRect(
                QRectF(box.left(), box.top(), 2, box.height()), QColor(theme.ACCENT)
            )
        elif index == self.hover_row:
            painter.setBrush(theme.color(theme.HOVER_WASH))
            painter.drawRoundedRect(box, 4, 4)

    def _paint_connectors(self, painter: QPainter, row: Row, rect: QRectF) -> None:
        painter.setPen(QPen(theme.color(CONNECTOR), 1))
        top, mid, bottom = rect.top(), rect.center().y(), rect.bottom()
        for level, continues in enumerate(row.rails):
            if continues:
                cx = LEFT + INDENT * level + 4.5
                painter.drawLine(QPointF(cx, top), QPointF(cx, bottom))
        cx = LEFT + INDENT * (row.depth - 1) + 4.5
        painter.drawLine(QPointF(cx, top), QPointF(cx, bottom if not row.last else mid))
        painter.drawLine(QPointF(cx, mid), QPointF(LEFT + INDENT * row.depth - 3, mid))

    def _paint_right(
        self, painter: QPainter, index: int, rect: QRectF, right: float
    ) -> float:
        """Metric, type badge, view buttons and status dot; return where they begin."""
        item = self.rows[index].item
        assert item is not None
        glyphs.paint_dot(
            painter,
            QPointF(self.w - 14, rect.center().y()),
            theme.HEALTH_COLORS.get(item.health, theme.UNKNOWN),
        )
        painter.setFont(self._fonts["button"])
        for tab, box in self.button_rects(index):
            letter = next(b[0] for b in VIEW_BUTTONS if b[1] == tab)
            hovered = index == self.hover_row and tab == self.hover_button
            painter.setPen(QColor(theme.ACCENT if hovered else theme.FAINT))
            symbols.draw_text(painter, box, Qt.AlignmentFlag.AlignCenter, f"⌥{letter}")
        painter.setFont(self._fonts["badge"])
        short = SHORT_KIND.get(item.kind, item.kind.lower())
        width = QFontMetricsF(self._fonts["badge"]).horizontalAdvance(short) + 10
        badge = QRectF(right - width, rect.top() + 6, width, ROW_H - 12)
        painter.setPen(QPen(theme.color(theme.HAIRLINE_26), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, short)
        painter.setFont(self._fonts["metric"])
        metric_w = QFontMetricsF(self._fonts["metric"]).horizontalAdvance(item.metric)
        metric = QRectF(badge.left() - 8 - metric_w, rect.top(), metric_w, ROW_H)
        painter.setPen(QColor(theme.TEXT_2))
        painter.drawText(metric, Qt.AlignmentFlag.AlignVCenter, item.metric)
        return metric.left()

    # input ------------------------------------------------------------------------

    def _button_at(self, index: int, pos: QPointF) -> Tab | None:
        if index < 0:
            return None
        return next(
            (tab for tab, box in self.button_rects(index) if box.contains(pos)), None
        )

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        index = self.row_at(event.pos().y())
        button = self._button_at(index, event.pos())
        if (index, button) != (self.hover_row, self.hover_button):
            self.hover_row, self.hover_button = index, button
            word = next((b[2] for b in VIEW_BUTTONS if b[1] == button), "")
            letter = next((b[0] for b in VIEW_BUTTONS if b[1] == button), "")
            self.setToolTip(f"Alt/Option+{letter} — open {word}" if button else "")
            self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.hover_row, self.hover_button = -1, None
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        index = self.row_at(event.pos().y())
        event.accept()
        if index < 0 or self.rows[index].item is None:
            return
        button = self._button_at(index, event.pos())
        if button is not None:
            self.view_clicked.emit(index, button)
        else:
            self.row_clicked.emit(index)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        index = self.row_at(event.pos().y())
        if index >= 0 and self.rows[index].item is not None:
            if self._button_at(index, event.pos()) is None:
                self.row_activated.emit(index)
        event.accept()

    def wheelEvent(self, event: QGraphicsSceneWheelEvent) -> None:  # noqa: N802
        self.scroll -= event.delta() / 120 * ROW_H * 3
        self._clamp_scroll()
        self.update()
        event.accept()
