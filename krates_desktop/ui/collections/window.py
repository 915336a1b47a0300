"""A collection window: title and health counts, List/Tree toggle, filter, and rows.

Spec 10.2-10.6: 540x480; row 1 (36 px) holds the bold title, the `✓ N / ⚠ N / ✗ N`
badges of the listed objects, the toggle and `×`; row 2 (36 px) the filter
(IBM Plex Mono 12, `Filter...`) and the always-visible hint `↑↓ ⌥L/S/D/Y`. The
filter re-filters on every keystroke; the window's `CollectionState` (search,
view, sel) lives here, local to this peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QFontMetricsF, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsProxyWidget,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QLineEdit,
)

from krates_desktop.cluster.relations import (
    Item,
    Node,
    Row,
    filter_list,
    filter_tree,
    health_counts,
    subtree_texts,
)
from krates_desktop.ui import glyphs, symbols, theme
from krates_desktop.ui.collections.rows import RowsItem
from krates_desktop.ui.windows.resize_grip import ResizeGrip
from krates_desktop.yard.collections import MIN_COLLECTION
from krates_desktop.yard.model import Tab

HEADER_H = 36.0
FILTER_H = 36.0
HINT = "↑↓ ⌥L/S/D/Y"
VIEW_KEYS: dict[int, Tab] = {
    Qt.Key.Key_L: "logs",
    Qt.Key.Key_S: "shell",
    Qt.Key.Key_D: "describe",
    Qt.Key.Key_Y: "yaml",
}
Mode = Literal["list", "tree"]


def is_plain(event: QKeyEvent) -> bool:
    """True for a key pressed without Ctrl, Cmd or Alt (Shift and keypad allowed)."""
    held = event.modifiers() & ~(
        Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
    )
    return held == Qt.KeyboardModifier.NoModifier


class FilterEdit(QLineEdit):
    """The filter input; list keys (arrows, ⏎, ⌥ views, esc) go to the window."""

    list_key = Signal(QKeyEvent)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        navigation = (
            Qt.Key.Key_Up,
            Qt.Key.Key_Down,
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        )
        if key in navigation or key == Qt.Key.Key_Escape or (alt and key in VIEW_KEYS):
            self.list_key.emit(event)
            event.accept()
            return
        super().keyPressEvent(event)


class FilterProxy(QGraphicsProxyWidget):
    """Holds the filter in the scene; while it has focus it takes every key.

    The scene hands focus back to its last focus item whenever the canvas regains
    the keyboard (after spotlight closes, say). The filter refuses that: it takes
    the keyboard only when the window asks (`invited`) or when it is clicked.
    """

    takes_keyboard = True
    invited = False

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        if not self.invited and event.reason() != Qt.FocusReason.MouseFocusReason:
            self.clearFocus()
            return
        super().focusInEvent(event)


class CollectionWindowItem(QGraphicsObject):
    """One collection window; the controller feeds it objects, it filters and shows them."""

    open_requested = Signal(object, str)  # Item, tab or "" for the default view
    close_requested = Signal(str)
    maximize_requested = Signal(str)
    hovered = Signal(str)
    unhovered = Signal(str)
    resize_dragged = Signal(str, float, float)  # wid, live w, h
    resize_released = Signal(str, float, float)

    def __init__(
        self, wid: str, title: str, parent: QGraphicsItem | None = None
    ) -> None:
        super().__init__(parent)
        self.wid = wid
        self.title = title
        self.w, self.h = 540.0, 480.0
        self.view: Mode = "list"
        self._items: list[Item] = []
        self._names: list[str] = []
        self._roots: list[Node] = []
        self._texts: list[str] = []
        self._notes: list[Row] = []
        self.rows: list[Row] = []
        self.counts = {"ok": 0, "warn": 0, "error": 0}
        self.setAcceptHoverEvents(True)
        self._fonts = {
            "title": theme.sans(13, 700),
            "badge": theme.mono(11),
            "close": theme.sans(16),
            "hint": theme.mono(11),
        }
        self.filter = FilterEdit()
        self.filter.setFont(theme.mono(12))
        self.filter.setPlaceholderText("Filter...")
        self.filter.setFrame(False)
        self.filter.setStyleSheet(
            f"QLineEdit {{ background: transparent; color: {theme.TEXT}; border: none; }}"
        )
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.list_key.connect(self.handle_list_key)
        self.proxy = FilterProxy(self)
        self.proxy.setWidget(self.filter)
        self.list = RowsItem(self)
        self.list.row_clicked.connect(self._on_list_row_clicked)
        self.list.row_activated.connect(lambda index: self._open(index, ""))
        self.list.view_clicked.connect(self._open)
        self.grip = ResizeGrip(self, MIN_COLLECTION)
        self._layout()

    # state -----------------------------------------------------------------------

    @property
    def search(self) -> str:
        """The filter text (CollectionState.search)."""
        return self.filter.text()

    @property
    def sel(self) -> int:
        """The selected row (CollectionState.sel)."""
        return self.list.sel

    def set_data(
        self, items: Sequence[Item], roots: Sequence[Node], notes: Sequence[Row] = ()
    ) -> None:
        """New objects from the cluster: re-filter, keeping the selected object."""
        self._items = list(items)
        self._names = [item.lower for item in self._items]
        self._roots = list(roots)
        self._texts = subtree_texts(self._roots)
        self._notes = list(notes)
        self._refilter()

    def set_view(self, view: Mode) -> None:
        """Switch between list and tree."""
        if view != self.view:
            self.view = view
            self._refilter()

    def toggle_view(self) -> None:
        """`t`: list to tree and back."""
        self.set_view("tree" if self.view == "list" else "list")

    def _refilter(self) -> None:
        current = self.selected_row()
        if self.view == "tree":
            rows = filter_tree(self._roots, self.search, self._texts)
        else:
            rows = filter_list(self._items, self._names, self.search)
        self.counts = health_counts(rows)
        self.rows = rows + self._notes
        self.list.set_rows(
            self.rows, _same_row(self.rows, current), self.view == "tree"
        )
        self.update()

    def selected_row(self) -> Row | None:
        """The selected row, if the list is not empty."""
        rows = self.list.rows
        return rows[self.list.sel] if 0 <= self.list.sel < len(rows) else None

    # keys --------------------------------------------------------------------------

    def focus_filter(self, text: str = "") -> None:
        """Give the filter the keyboard, typing `text` into it."""
        self.proxy.invited = True
        try:
            self.proxy.setFocus(Qt.FocusReason.OtherFocusReason)
            self.filter.setFocus(Qt.FocusReason.OtherFocusReason)
        finally:
            self.proxy.invited = False
        if text:
            self.filter.insert(text)

    def filter_has_focus(self) -> bool:
        """True while the filter takes the keyboard."""
        scene = self.scene()
        return scene is not None and scene.focusItem() is self.proxy

    def handle_list_key(self, event: QKeyEvent) -> bool:
        """Arrows, ⏎, ⌥L/S/D/Y and esc, wherever the keyboard is (spec 10.5)."""
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._move(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open(self.list.sel, "")
        elif alt and key in VIEW_KEYS:
            self._open(self.list.sel, VIEW_KEYS[key])
        elif key == Qt.Key.Key_Escape and self.filter_has_focus():
            self.proxy.clearFocus()
        else:
            return False
        return True

    def _move(self, step: int) -> None:
        rows = self.list.rows
        index = self.list.sel + step
        while 0 <= index < len(rows) and rows[index].item is None:
            index += step
        if 0 <= index < len(rows):
            self.list.sel = index
            self.list.ensure_visible(index)

    def _open(self, index: int, tab: str) -> None:
        rows = self.list.rows
        if 0 <= index < len(rows) and rows[index].item is not None:
            self.list.sel = index
            self.list.update()
            self.open_requested.emit(rows[index].item, tab)

    def _on_filter_text_changed(self, _text: str) -> None:
        self._refilter()

    def _on_list_row_clicked(self, index: int) -> None:
        self.list.sel = index
        self.list.update()

    # layout and painting -------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.w, self.h)

    def set_geometry(self, x: float, y: float, w: float, h: float) -> None:
        """Place the window inside its krate (or over the canvas when maximised)."""
        self.prepareGeometryChange()
        self.setPos(x, y)
        self.w, self.h = w, h
        self._layout()

    def _layout(self) -> None:
        hint_w = symbols.text_width(self._fonts["hint"], HINT)
        self.proxy.setGeometry(
            QRectF(12, HEADER_H + 4, self.w - hint_w - 40, FILTER_H - 8)
        )
        top = HEADER_H + FILTER_H
        self.list.setPos(1, top + 1)
        self.list.set_size(self.w - 2, self.h - top - 6)
        self.grip.follow()

    def in_krate(self) -> bool:
        """False while maximised (the window then sits at the scene root)."""
        return self.parentItem() is not None

    def world_scale(self) -> float:
        """Screen pixels per item unit: the camera zoom while in a krate."""
        return self.sceneTransform().m11() or 1.0

    def toggle_rects(self) -> tuple[QRectF, QRectF]:
        """The List and Tree buttons of row 1."""
        close = self.close_rect()
        tree = QRectF(close.left() - 30, 6, 26, HEADER_H - 12)
        return QRectF(tree.left() - 28, 6, 26, HEADER_H - 12), tree

    def close_rect(self) -> QRectF:
        """The `×` button."""
        return QRectF(self.w - 30, 4, 24, HEADER_H - 8)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # type: ignore[no-untyped-def]
        glyphs.paint_surface(painter, self.boundingRect())
        self._paint_title_row(painter)
        painter.setFont(self._fonts["hint"])
        painter.setPen(QColor(theme.FAINT))
        hint = QRectF(self.w - 200, HEADER_H, 188, FILTER_H)
        symbols.draw_text(
            painter,
            hint,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            HINT,
        )
        painter.setPen(QPen(theme.color(theme.HAIRLINE), 1))
        for y in (HEADER_H, HEADER_H + FILTER_H):
            painter.drawLine(QPointF(1, y), QPointF(self.w - 1, y))

    def _paint_title_row(self, painter: QPainter) -> None:
        painter.setFont(self._fonts["title"])
        painter.setPen(QColor(theme.TEXT))
        metrics = QFontMetricsF(self._fonts["title"])
        list_rect, tree_rect = self.toggle_rects()
        room = max(40.0, list_rect.left() - 14 - 170)
        title = metrics.elidedText(self.title, Qt.TextElideMode.ElideMiddle, room)
        painter.drawText(
            QRectF(14, 0, room, HEADER_H), Qt.AlignmentFlag.AlignVCenter, title
        )
        x = 14 + metrics.horizontalAdvance(title) + 12
        painter.setFont(self._fonts["badge"])
        for index, bucket in enumerate(("ok", "warn", "error")):
            if index:
                painter.setPen(QColor(theme.FAINT))
                painter.drawText(
                    QRectF(x, 0, 14, HEADER_H), Qt.AlignmentFlag.AlignCenter, "/"
                )
                x += 14
            text = f"{theme.HEALTH_MARKS[bucket]} {self.counts[bucket]}"
            painter.setPen(QColor(theme.HEALTH_COLORS[bucket]))
            width = symbols.text_width(self._fonts["badge"], text)
            symbols.draw_text(
                painter,
                QRectF(x, 0, width + 2, HEADER_H),
                Qt.AlignmentFlag.AlignVCenter,
                text,
            )
            x += width + 2
        for rect, mode in ((list_rect, "list"), (tree_rect, "tree")):
            self._paint_toggle(painter, rect, mode)
        painter.setFont(self._fonts["close"])
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(self.close_rect(), Qt.AlignmentFlag.AlignCenter, "×")

    def _paint_toggle(self, painter: QPainter, rect: QRectF, mode: str) -> None:
        active = self.view == mode
        painter.setPen(Qt.PenStyle.NoPen)
        if active:
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRoundedRect(rect, 5, 5)
        pen = QPen(QColor(theme.ACCENT if active else theme.MUTED), 1.5)
        painter.setPen(pen)
        left, cy = rect.left() + 7, rect.center().y()
        for i, dy in enumerate((-5.0, 0.0, 5.0)):
            indent = 4.0 * i if mode == "tree" else 0.0
            painter.drawLine(
                QPointF(left + indent, cy + dy), QPointF(rect.right() - 7, cy + dy)
            )

    # mouse ------------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.pos()
        list_rect, tree_rect = self.toggle_rects()
        if self.close_rect().contains(pos):
            self.close_requested.emit(self.wid)
        elif list_rect.contains(pos):
            self.set_view("list")
        elif tree_rect.contains(pos):
            self.set_view("tree")
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.pos().y() < HEADER_H and not any(
            r.contains(event.pos()) for r in (*self.toggle_rects(), self.close_rect())
        ):
            self.maximize_requested.emit(self.wid)
        event.accept()

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.hovered.emit(self.wid)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.unhovered.emit(self.wid)
        super().hoverLeaveEvent(event)


def _same_row(rows: Sequence[Row], old: Row | None) -> int:
    """The new index of the previously selected object (by its path, then its uid)."""
    if old is None or old.item is None:
        return 0
    for index, row in enumerate(rows):
        if row.path == old.path:
            return index
    for index, row in enumerate(rows):
        if row.item is not None and row.item.uid == old.item.uid:
            return index
    return 0
