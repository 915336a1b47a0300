"""The Shell view's terminal: a custom-painted graphics item over a `TerminalScreen`.

`TerminalItem` lives in the canvas scene inside a detail window. Program output goes in
through `feed()`; keystrokes, pastes and the terminal's replies to queries come out as
`input_ready(bytes)`; a change of the character grid comes out as `size_changed(cols,
rows)`, at most once per 100 ms. Only rows that changed are repainted.

Limitations: no mouse reporting to programs; selection is linear (no block selection)
and does not scroll the view when dragged past an edge; the IME pre-edit text is not
drawn, only committed text is sent.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QPainter,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QGraphicsSceneWheelEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)
from pyte.screens import Char

from krates_desktop.terminal import palette
from krates_desktop.terminal.keys import encode_key, encode_paste
from krates_desktop.terminal.runs import row_runs
from krates_desktop.terminal.screen import TerminalScreen, line_text
from krates_desktop.ui import theme

logger = logging.getLogger(__name__)

FONT_PIXEL_SIZE = 12
RESIZE_DEBOUNCE_MS = 100
CURSOR_BLINK_MS = 600
WHEEL_LINES_PER_NOTCH = 3
_FEED_SLICE = 16384
_FEED_BUDGET_S = 0.012  # parsing per event-loop turn before the GUI gets a turn
_WORD_DELIMITERS = frozenset(" \t\"'`()[]{}<>|;,")

_KEY_EVENTS = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)

_QT_KEY_NAMES: dict[int, str] = {
    Qt.Key.Key_Return: "Enter",
    Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Tab: "Tab",
    Qt.Key.Key_Backtab: "Backtab",
    Qt.Key.Key_Backspace: "Backspace",
    Qt.Key.Key_Escape: "Escape",
    Qt.Key.Key_Space: "Space",
    Qt.Key.Key_Up: "Up",
    Qt.Key.Key_Down: "Down",
    Qt.Key.Key_Left: "Left",
    Qt.Key.Key_Right: "Right",
    Qt.Key.Key_Home: "Home",
    Qt.Key.Key_End: "End",
    Qt.Key.Key_PageUp: "PageUp",
    Qt.Key.Key_PageDown: "PageDown",
    Qt.Key.Key_Insert: "Insert",
    Qt.Key.Key_Delete: "Delete",
    **{Qt.Key.Key_F1 + i: f"F{i + 1}" for i in range(12)},
}


def key_name(key: int) -> str:
    """Return the `keys.encode_key` name of a Qt key code ("" for modifier keys)."""
    name = _QT_KEY_NAMES.get(key)
    if name is not None:
        return name
    return chr(key) if 0x20 <= key <= 0x10FFFF else ""


def _is_mac() -> bool:
    return sys.platform == "darwin"


class TerminalItem(QGraphicsObject):
    """A terminal drawn in the scene: output in with `feed`, keys out as `input_ready`."""

    input_ready = Signal(bytes)
    size_changed = Signal(int, int)
    title_changed = Signal(str)
    bell_rang = Signal()

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        # While True (a connected session) every key, Tab and Space included, is the
        # terminal's: the canvas reads it to route keys, and shortcuts are held off.
        self.takes_keyboard = False
        self._screen = TerminalScreen(80, 24)
        self._init_fonts()
        self._colors: dict[str, QColor] = {}
        self._selection_color = QColor(*palette.SELECTION_RGBA[:3])
        self._selection_color.setAlphaF(palette.SELECTION_RGBA[3])
        self._width = 80 * self._cell_w
        self._height = 24 * self._cell_h
        self._pending_grid = (80, 24)
        self._emitted_grid: tuple[int, int] | None = None
        self._backlog: deque[bytes] = deque()
        self._title = ""
        self._bells = 0
        self._wheel_rest = 0.0
        self._anchor: tuple[int, int] | None = None
        self._selection: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._cursor_on = True
        self._init_timers()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemAcceptsInputMethod)
        self.setCursor(Qt.CursorShape.IBeamCursor)

    def _init_fonts(self) -> None:
        """Build the font variants and the cell size from IBM Plex Mono 12 px."""
        base = theme.mono(FONT_PIXEL_SIZE)
        base.setKerning(False)
        self._fonts: dict[tuple[bool, bool, bool, bool], QFont] = {}
        for key in [
            (b, i, u, s) for b in (0, 1) for i in (0, 1) for u in (0, 1) for s in (0, 1)
        ]:
            font = QFont(base)
            font.setBold(bool(key[0]))
            font.setItalic(bool(key[1]))
            font.setUnderline(bool(key[2]))
            font.setStrikeOut(bool(key[3]))
            self._fonts[tuple(map(bool, key))] = font  # type: ignore[index]
        metrics = QFontMetricsF(base)
        self._cell_w = metrics.horizontalAdvance("M")
        self._cell_h = metrics.lineSpacing()
        self._ascent = metrics.ascent()

    def _init_timers(self) -> None:
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(RESIZE_DEBOUNCE_MS)
        self._fit_timer.timeout.connect(self._on_fit_timer_timeout)
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain)
        self._blink_timer = QTimer(self)
        self._blink_timer.setInterval(CURSOR_BLINK_MS)
        self._blink_timer.timeout.connect(self._on_blink_timer_timeout)

    # -- public surface ------------------------------------------------------------

    @property
    def screen(self) -> TerminalScreen:
        """The terminal model this item draws."""
        return self._screen

    @property
    def cell_size(self) -> tuple[float, float]:
        """Width and height of one character cell, in item px."""
        return self._cell_w, self._cell_h

    def grid_size(self) -> tuple[int, int]:
        """The screen's current (columns, rows)."""
        return self._screen.columns, self._screen.lines

    def set_size(self, width: float, height: float) -> None:
        """Give the item a new size in item px; the grid follows after the debounce."""
        self.prepareGeometryChange()
        self._width, self._height = max(0.0, width), max(0.0, height)
        cols = max(1, math.floor(self._width / self._cell_w))
        rows = max(1, math.floor(self._height / self._cell_h))
        self._pending_grid = (cols, rows)
        if not self._fit_timer.isActive():
            self._fit_timer.start()
        self.update()

    def fit_now(self) -> None:
        """Apply the pending grid size at once (the first fit after a stream opens).

        The first fit always emits `size_changed`, even for an unchanged 80x24 grid, so
        a new session learns its size.
        """
        self._fit_timer.stop()
        self._on_fit_timer_timeout()

    def feed(self, data: bytes) -> None:
        """Write program output into the screen and repaint the rows it changed.

        Large output is parsed in slices between event-loop turns, so the GUI stays
        responsive; `screen_text()` and `flush()` finish any slices still queued.
        """
        if not data:
            return
        self._backlog.append(data)
        if not self._drain_timer.isActive():
            self._drain()

    def flush(self) -> None:
        """Parse all queued output now."""
        self._drain_timer.stop()
        self._drain(budget=math.inf)

    def screen_text(self) -> str:
        """The rows on view as text lines (trailing spaces removed)."""
        self.flush()
        return "\n".join(self._screen.view_text())

    def selected_text(self) -> str:
        """The selected text, lines joined with newlines ("" without a selection)."""
        span = self._ordered_selection()
        if span is None:
            return ""
        (line0, col0), (line1, col1) = span
        screen = self._screen
        parts = []
        for index in range(max(0, line0), line1 + 1):
            start = col0 if index == line0 else 0
            stop = col1 + 1 if index == line1 else screen.columns
            parts.append(line_text(screen.absolute_line(index), start, stop))
        return "\n".join(parts)

    def copy_selection(self) -> None:
        """Put the selected text on the clipboard."""
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def paste(self, text: str) -> None:
        """Send text as a paste (bracketed when the program asked for it)."""
        if text:
            self._send(encode_paste(text, bracketed=self._screen.bracketed_paste))

    def set_cursor_blink(self, enabled: bool) -> None:
        """Turn cursor blinking on (600 ms half-period) or off."""
        self._cursor_on = True
        if enabled:
            self._blink_timer.start()
        else:
            self._blink_timer.stop()
        self._update_rows({self._cursor_row()})

    # -- output --------------------------------------------------------------------

    def _drain(self, budget: float = _FEED_BUDGET_S) -> None:
        """Parse queued output for at most `budget` seconds, then repaint."""
        started = time.perf_counter()
        screen = self._screen
        while self._backlog and time.perf_counter() - started < budget:
            chunk = self._backlog.popleft()
            if len(chunk) > _FEED_SLICE:
                self._backlog.appendleft(chunk[_FEED_SLICE:])
                chunk = chunk[:_FEED_SLICE]
            screen.feed(chunk)
        if self._backlog:
            self._drain_timer.start()
        self._after_output()

    def _after_output(self) -> None:
        """Send replies, report title and bell, and schedule repaints of dirty rows."""
        screen = self._screen
        replies = screen.take_replies()
        if replies:
            self.input_ready.emit(replies)
        if screen.title != self._title:
            self._title = screen.title
            self.title_changed.emit(self._title)
        if screen.bell_count != self._bells:
            self._bells = screen.bell_count
            self.bell_rang.emit()
        self._update_rows(screen.take_dirty())

    def _update_rows(self, rows: set[int]) -> None:
        """Schedule a repaint of view rows, one rectangle per run of adjacent rows."""
        if not rows:
            return
        if len(rows) >= self._screen.lines:
            self.update()
            return
        ordered = sorted(rows)
        start = previous = ordered[0]
        for row in [*ordered[1:], -2]:
            if row != previous + 1:
                top = start * self._cell_h
                height = (previous - start + 1) * self._cell_h
                self.update(QRectF(0, top, self._width, height))
                start = row
            previous = row

    def _cursor_row(self) -> int:
        cell = self._screen.cursor_cell()
        return cell[0] if cell is not None else 0

    # -- size ----------------------------------------------------------------------

    def _on_fit_timer_timeout(self) -> None:
        """Resize the screen to the pending grid and tell the session, once."""
        cols, rows = self._pending_grid
        if (cols, rows) != self.grid_size():
            self._screen.resize(rows, cols)
            self._selection = None
            self.update()
        if (cols, rows) != self._emitted_grid:
            self._emitted_grid = (cols, rows)
            logger.debug("terminal grid %dx%d", cols, rows)
            self.size_changed.emit(cols, rows)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """The item's rectangle in item px."""
        return QRectF(0, 0, self._width, self._height)

    # -- painting ------------------------------------------------------------------

    def _color(self, value: str) -> QColor:
        color = self._colors.get(value)
        if color is None:
            color = self._colors[value] = QColor(value)
        return color

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        """Draw the exposed rows: backgrounds, text, selection and cursor."""
        bounds = self.boundingRect()
        exposed = option.exposedRect.intersected(bounds)
        if exposed.isEmpty():
            return
        painter.save()
        painter.setClipRect(exposed)
        painter.fillRect(exposed, self._color(palette.BACKGROUND))
        first = max(0, math.floor(exposed.top() / self._cell_h))
        last = min(self._screen.lines - 1, math.ceil(exposed.bottom() / self._cell_h))
        for row in range(first, last + 1):
            self._paint_row(painter, row)
        self._paint_selection(painter, first, last)
        self._paint_cursor(painter, first, last)
        painter.restore()

    def _paint_row(self, painter: QPainter, row: int) -> None:
        """Draw one view row: background runs first, then the text over them."""
        top = row * self._cell_h
        runs = row_runs(self._screen.view_cells(row))
        texts = []
        for run in runs:
            fg, bg = palette.cell_colors(run.style)
            rect = QRectF(
                run.column * self._cell_w, top, run.width * self._cell_w, self._cell_h
            )
            if bg != palette.BACKGROUND:
                painter.fillRect(rect, self._color(bg))
            style = run.style
            if run.text.strip() or style.underscore or style.strikethrough:
                texts.append((run, fg))
        baseline = top + self._ascent
        for run, fg in texts:
            self._draw_text(painter, run.column, baseline, run.text, run.style, fg)

    def _draw_text(
        self,
        painter: QPainter,
        column: int,
        baseline: float,
        text: str,
        style: Char,
        fg: str,
    ) -> None:
        key = (
            bool(style.bold),
            bool(style.italics),
            bool(style.underscore),
            bool(style.strikethrough),
        )
        painter.setFont(self._fonts[key])
        painter.setPen(self._color(fg))
        painter.drawText(QPointF(column * self._cell_w, baseline), text)

    def _paint_selection(self, painter: QPainter, first: int, last: int) -> None:
        span = self._ordered_selection()
        if span is None:
            return
        (line0, col0), (line1, col1) = span
        start = self._screen.view_start()
        columns = self._screen.columns
        for row in range(first, last + 1):
            index = start + row
            if not line0 <= index <= line1:
                continue
            left = col0 if index == line0 else 0
            right = col1 + 1 if index == line1 else columns
            rect = QRectF(
                left * self._cell_w,
                row * self._cell_h,
                (right - left) * self._cell_w,
                self._cell_h,
            )
            painter.fillRect(rect, self._selection_color)

    def _paint_cursor(self, painter: QPainter, first: int, last: int) -> None:
        """Draw the block cursor with the character under it in the background colour."""
        cell = self._screen.cursor_cell()
        if cell is None or not self._cursor_on or not first <= cell[0] <= last:
            return
        row, col = cell
        line = self._screen.view_line(row)
        char = line[col]
        wide = (
            col + 1 < self._screen.columns
            and line[col + 1].data == ""
            and char.data != ""
        )
        rect = QRectF(
            col * self._cell_w,
            row * self._cell_h,
            self._cell_w * (2 if wide else 1),
            self._cell_h,
        )
        painter.fillRect(rect, self._color(palette.CURSOR))
        if char.data.strip():
            baseline = row * self._cell_h + self._ascent
            self._draw_text(painter, col, baseline, char.data, char, palette.BACKGROUND)

    def _on_blink_timer_timeout(self) -> None:
        self._cursor_on = not self._cursor_on
        self._update_rows({self._cursor_row()})

    # -- keyboard ------------------------------------------------------------------

    def sceneEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Take every key, Tab and Backtab included, and win shortcut overrides."""
        kind = event.type()
        if not self.takes_keyboard or kind not in _KEY_EVENTS:
            return super().sceneEvent(event)
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()
        else:
            self.keyPressEvent(event)  # type: ignore[arg-type]
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Encode the key for the program; Ctrl+Shift+C/V (⌘C/⌘V) copy and paste."""
        if not self.takes_keyboard:
            event.ignore()
            return
        event.accept()
        mods = event.modifiers()
        key = event.key()
        if self._clipboard_shortcut(key, mods):
            return
        ctrl_flag = (
            Qt.KeyboardModifier.MetaModifier
            if _is_mac()
            else (Qt.KeyboardModifier.ControlModifier)
        )
        data = encode_key(
            key_name(key),
            event.text(),
            ctrl=bool(mods & ctrl_flag),
            alt=bool(mods & Qt.KeyboardModifier.AltModifier) and not _is_mac(),
            shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
            app_cursor=self._screen.app_cursor,
        )
        if data:
            self._send(data)

    def _clipboard_shortcut(self, key: int, mods: Qt.KeyboardModifier) -> bool:
        """Handle copy and paste; return whether the key was one of them."""
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        wanted = ctrl and (not shift if _is_mac() else shift)
        if not wanted or key not in (Qt.Key.Key_C, Qt.Key.Key_V):
            return False
        if key == Qt.Key.Key_C:
            self.copy_selection()
        else:
            self.paste(QGuiApplication.clipboard().text())
        return True

    def _send(self, data: bytes) -> None:
        """Emit input for the program; typing brings the view back to the bottom."""
        if not self._screen.at_bottom:
            self._screen.scroll_to_bottom()
            self._update_rows(self._screen.take_dirty())
        self._cursor_on = True
        self.input_ready.emit(data)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802
        """Send text committed by an input method."""
        text = event.commitString()
        if text:
            self._send(text.encode("utf-8"))
        event.accept()

    def inputMethodQuery(self, query: Qt.InputMethodQuery) -> object:  # noqa: N802
        """Place input-method popups at the cursor."""
        if query == Qt.InputMethodQuery.ImCursorRectangle:
            row, col = self._screen.cursor_cell() or (0, 0)
            return QRectF(
                col * self._cell_w, row * self._cell_h, self._cell_w, self._cell_h
            )
        return super().inputMethodQuery(query)

    def focusInEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)  # type: ignore[arg-type]
        self._update_rows({self._cursor_row()})

    # -- pointer -------------------------------------------------------------------

    def wheelEvent(self, event: QGraphicsSceneWheelEvent) -> None:  # noqa: N802
        """Scroll the scroll-back 3 lines per notch; Ctrl/⌘+wheel is left to the canvas."""
        zoom = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        if event.modifiers() & zoom or event.orientation() != Qt.Orientation.Vertical:
            event.ignore()
            return
        event.accept()
        self._wheel_rest += event.delta() * WHEEL_LINES_PER_NOTCH / 120
        lines = int(self._wheel_rest)
        if lines == 0:
            return
        self._wheel_rest -= lines
        if lines > 0:
            self._screen.scroll_up(lines)
        else:
            self._screen.scroll_down(-lines)
        self._update_rows(self._screen.take_dirty())

    def _cell_at(self, pos: QPointF) -> tuple[int, int]:
        """Return the (stable line number, column) under an item position."""
        screen = self._screen
        row = min(max(0, math.floor(pos.y() / self._cell_h)), screen.lines - 1)
        col = min(max(0, math.floor(pos.x() / self._cell_w)), screen.columns - 1)
        return screen.first_line_number + screen.view_start() + row, col

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Start a selection with the left button (and take the keyboard)."""
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._anchor = self._cell_at(event.pos())
        if self._selection is not None:
            self._selection = None
            self.update()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Extend the selection while dragging."""
        if self._anchor is None:
            return
        head = self._cell_at(event.pos())
        if head != self._anchor or self._selection is not None:
            self._selection = (self._anchor, head)
            self.update()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self._anchor = None
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Select the word under the pointer."""
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        number, col = self._cell_at(event.pos())
        line = self._screen.absolute_line(number - self._screen.first_line_number)
        if line[col].data in _WORD_DELIMITERS:
            return
        start = col
        while start > 0 and line[start - 1].data not in _WORD_DELIMITERS:
            start -= 1
        stop = col
        while (
            stop + 1 < self._screen.columns
            and line[stop + 1].data not in _WORD_DELIMITERS
        ):
            stop += 1
        self._selection = ((number, start), (number, stop))
        self._anchor = None
        self.update()

    def _ordered_selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The selection as (start, end) absolute (line, column) cells, start first."""
        if self._selection is None:
            return None
        base = self._screen.first_line_number
        first, second = sorted(self._selection)
        if second[0] < base:
            return None
        return (first[0] - base, first[1]), (second[0] - base, second[1])
