"""The Shell view's terminal: a custom-painted graphics item over a `TerminalScreen`.

`TerminalItem` lives in the canvas scene inside a detail window. Program output goes in
through `feed()`; keystrokes, pastes, mouse reports and the terminal's replies to
queries come out as `input_ready(bytes)`; a change of the character grid comes out as
`size_changed(cols, rows)`, at most once per 100 ms. Only rows that changed are
repainted, and large output is parsed in slices between event-loop turns so a flood
never holds the GUI thread for more than a few milliseconds at a time.

Pointer: the left button selects (a word on double click, a line on triple click), the
wheel scrolls the scroll-back (on the alternate screen it sends arrow keys, as most
terminals do), and while a program asks for mouse reports they go to it instead;
Shift keeps selection and the scroll-back in the user's hands. A notice bar at the
bottom (`set_notice`) tells of a lost or ended session and can offer an action.

Limitations: selection is linear (no block selection) and does not scroll the view
when dragged past an edge; the IME pre-edit text is not drawn, only committed text is
sent; a glyph from a fallback font keeps its own advance inside its one or two cells.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import OrderedDict, deque

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QClipboard,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QPainter,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSceneWheelEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from krates_desktop.terminal import palette
from krates_desktop.terminal.cell import Cell
from krates_desktop.terminal.keys import (
    MOUSE_LEFT,
    MOUSE_MIDDLE,
    MOUSE_NONE,
    MOUSE_RIGHT,
    encode_key,
    encode_mouse,
    encode_paste,
)
from krates_desktop.terminal.runs import Run, row_runs
from krates_desktop.terminal.screen import TerminalScreen, line_text, pending_segments
from krates_desktop.ui import theme
from krates_desktop.ui.windows.key_capture import capture_key
from krates_desktop.ui.windows.terminal_boxes import BoxPainter, is_drawn
from krates_desktop.ui.windows.terminal_glyphs import GlyphBatch

logger = logging.getLogger(__name__)

FONT_PIXEL_SIZE = 12
RESIZE_DEBOUNCE_MS = 100
CURSOR_BLINK_MS = 600
BELL_FLASH_MS = 120
FRAME_INTERVAL_S = 0.016  # output repaints at most this often (about 60 per second)
_MAX_FRAME_INTERVAL_S = 0.040  # when painting is slow, frames spread out up to this
_PAINT_SHARE_INVERSE = 5  # a frame's paint time times this spaces frames in a flood
WHEEL_LINES_PER_NOTCH = 3
_FEED_SLICE = 32768  # the most bytes parsed in one go (whole lines batch well)
_MIN_FEED_SLICE = 1024
_FEED_BUDGET_S = 0.010  # parsing per event-loop turn before the GUI gets a turn
_WORD_DELIMITERS = frozenset(" \t\"'`()[]{}<>|;,")
_STATIC_TEXT_CACHE = 8192
_RUNS_CACHE = 4096
_BELL_WASH = (230, 237, 246, 0.08)
_NOTICE_FILL = (16, 20, 28, 0.94)

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

_MOUSE_BUTTONS = {
    Qt.MouseButton.LeftButton: MOUSE_LEFT,
    Qt.MouseButton.MiddleButton: MOUSE_MIDDLE,
    Qt.MouseButton.RightButton: MOUSE_RIGHT,
}

# DECSCUSR shapes: which ones blink (None: the user's setting) and how they are drawn.
_SHAPE_BLINKS = {0: None, 1: True, 2: False, 3: True, 4: False, 5: True, 6: False}
_SHAPE_FORM = {0: "block", 1: "block", 2: "block", 3: "underline", 4: "underline"}

Cellpos = tuple[int, int]


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
    notice_action_requested = Signal()

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        # While True (a connected session) every key, Tab and Space included, is the
        # terminal's: the canvas reads it to route keys, and shortcuts are held off.
        self.takes_keyboard = False
        self._screen = TerminalScreen(80, 24)
        self._init_fonts()
        self._colors: dict[str, QColor] = {}
        self._static_texts: OrderedDict[tuple[str, tuple[bool, ...]], QStaticText] = (
            OrderedDict()
        )
        self._runs_cache: OrderedDict[
            int, tuple[object, tuple[int, int, int], list[Run]]
        ]
        self._runs_cache = OrderedDict()
        self._selection_color = QColor(*palette.SELECTION_RGBA[:3])
        self._selection_color.setAlphaF(palette.SELECTION_RGBA[3])
        self._width = 80 * self._cell_w
        self._height = 24 * self._cell_h
        self._pending_grid = (80, 24)
        self._emitted_grid: tuple[int, int] | None = None
        self._backlog: deque[bytes] = deque()
        self._slice_size = _FEED_SLICE
        self._title = ""
        self._bells = 0
        self._wheel_rest = 0.0
        self._anchor: Cellpos | None = None
        self._selection: tuple[Cellpos, Cellpos] | None = None
        self._last_double_click = (-math.inf, QPointF())
        self._mouse_button = MOUSE_NONE
        self._mouse_cell: tuple[int, int] | None = None
        self._blink_setting = False
        self._cursor_on = True
        self._bell_flash = False
        self._notice = ("", "")
        self._dirty_rows: set[int] = set()
        self._last_frame = 0.0
        self._frame_interval = FRAME_INTERVAL_S
        self._paint_cost = 0.0
        self._init_timers()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemAcceptsInputMethod)
        self.setAcceptHoverEvents(True)
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
        self._ui_font = theme.sans(12)
        metrics = QFontMetricsF(base)
        self._cell_w = metrics.horizontalAdvance("M")
        self._cell_h = metrics.lineSpacing()
        self._ascent = metrics.ascent()
        plain = {key[:2]: font for key, font in self._fonts.items() if not any(key[2:])}
        cell = (self._cell_w, self._cell_h)
        self._glyphs = GlyphBatch(plain, cell, self._ascent)  # type: ignore[arg-type]
        self._boxes = BoxPainter(cell)

    def _init_timers(self) -> None:
        self._fit_timer = self._timer(RESIZE_DEBOUNCE_MS, self._on_fit_timer_timeout)
        self._drain_timer = self._timer(0, self._drain)
        self._blink_timer = self._timer(
            CURSOR_BLINK_MS, self._on_blink_timer_timeout, single=False
        )
        self._bell_timer = self._timer(BELL_FLASH_MS, self._on_bell_timer_timeout)
        self._frame_timer = self._timer(0, self._on_frame_timer_timeout)

    def _timer(self, interval: int, slot: object, *, single: bool = True) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(interval)
        timer.timeout.connect(slot)
        return timer

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
            # Parsed on the next turn of the event loop: chunks read meanwhile join it.
            self._drain_timer.start()

    def flush(self) -> None:
        """Parse all queued output now and schedule the repaint of what changed."""
        self._drain_timer.stop()
        self._drain(budget=math.inf)
        self._frame_timer.stop()
        self._on_frame_timer_timeout()

    def _catch_up(self) -> None:
        """Parse queued output before input is encoded: modes it sets apply to keys."""
        if self._backlog:
            self._drain_timer.stop()
            self._drain()

    def pending_bytes(self) -> int:
        """How many bytes of output wait to be parsed."""
        return sum(map(len, self._backlog))

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
            self._catch_up()
            self._send(encode_paste(text, bracketed=self._screen.bracketed_paste))

    def set_cursor_blink(self, enabled: bool) -> None:
        """The Cursor blink setting: blink at a 600 ms half-period, or stay on."""
        self._blink_setting = enabled
        self._cursor_on = True
        self._sync_blink()
        self._update_rows({self._cursor_row()})

    def cursor_blinks(self) -> bool:
        """Whether the cursor blinks now (the program's DECSCUSR, else the setting)."""
        wanted = _SHAPE_BLINKS.get(self._screen.cursor_shape)
        return self._blink_setting if wanted is None else wanted

    def set_notice(self, text: str, action: str = "") -> None:
        """Show a bar over the bottom row ("" hides it); `action` names its button.

        The screen stays as it was: a lost session keeps its last output on view.
        Clicking the button emits `notice_action_requested`.
        """
        self._notice = (text, action if text else "")
        self.update()

    @property
    def notice(self) -> tuple[str, str]:
        """The notice text and action shown ("" and "" when none)."""
        return self._notice

    # -- output --------------------------------------------------------------------

    def _drain(self, budget: float = _FEED_BUDGET_S) -> None:
        """Parse queued output for at most `budget` seconds, then repaint."""
        started = now = time.perf_counter()
        screen = self._screen
        while self._backlog and now - started < budget:
            data = self._take_slice()
            before = now
            screen.feed(data)
            now = time.perf_counter()
            self._fit_slice(len(data), now - before, budget)
        if self._backlog:
            self._drain_timer.start()
        self._after_output()

    def _fit_slice(self, size: int, spent: float, budget: float) -> None:
        """Size the next slice so parsing it takes about half the budget.

        The budget is checked between slices, so one slow slice (full-screen
        redraws, wide characters) would hold the GUI for all of it: the slice
        follows the parse rate of the output that is streaming now.
        """
        if size < self._slice_size or not math.isfinite(budget):
            return
        fitted = int(size * budget / 2 / max(spent, 1e-6))
        self._slice_size = max(_MIN_FEED_SLICE, min(_FEED_SLICE, fitted))

    def _take_slice(self) -> bytes:
        """Up to a slice of bytes from the queue, small chunks joined together.

        Whole lines in one slice let the screen write them in one go.
        """
        backlog = self._backlog
        parts = []
        size = 0
        limit = self._slice_size
        while backlog and size < limit:
            chunk = backlog.popleft()
            room = limit - size
            if len(chunk) > room:
                backlog.appendleft(chunk[room:])
                chunk = chunk[:room]
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

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
            self._bell_flash = True
            self._bell_timer.start()
            self.update()
            self.bell_rang.emit()
        self._sync_blink()
        self._dirty_rows |= screen.take_dirty()
        self._schedule_frame()

    def _schedule_frame(self) -> None:
        """Repaint the rows output changed, at most once per frame interval.

        A flood of output is parsed in many small turns; painting each of them would
        cost more than the parsing, so repaints wait for the next frame.
        """
        if self._frame_timer.isActive():
            return
        wait = self._last_frame + self._frame_interval - time.perf_counter()
        if wait <= 0:
            self._on_frame_timer_timeout()
        else:
            self._frame_timer.start(math.ceil(wait * 1000))

    def _on_frame_timer_timeout(self) -> None:
        # Painting gets about a fifth of the time at most while output floods in.
        cost, self._paint_cost = self._paint_cost, 0.0
        self._frame_interval = min(
            _MAX_FRAME_INTERVAL_S, max(FRAME_INTERVAL_S, _PAINT_SHARE_INVERSE * cost)
        )
        self._last_frame = time.perf_counter()
        rows, self._dirty_rows = self._dirty_rows, set()
        self._update_rows(rows)

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
        """Resize the screen to the pending grid and tell the session, once.

        Output queued before the resize is parsed first, for one turn's budget
        only: in a flood the rest is parsed at the new size, as in a terminal
        whose PTY still holds output, rather than holding the GUI for all of it.
        """
        cols, rows = self._pending_grid
        if (cols, rows) != self.grid_size():
            if self._backlog:
                self._drain_timer.stop()
                self._drain()
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
        """Draw the exposed rows: backgrounds, text, selection, cursor and overlays."""
        bounds = self.boundingRect()
        exposed = option.exposedRect.intersected(bounds)
        if exposed.isEmpty():
            return
        started = time.perf_counter()
        painter.save()
        # Cells are filled pixel-snapped: on a zoomed canvas, antialiased rectangles
        # that share an edge would each half-cover its pixels and leave a faint seam.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setClipRect(exposed)
        painter.fillRect(exposed, self._color(palette.BACKGROUND))
        first = max(0, math.floor(exposed.top() / self._cell_h))
        last = min(self._screen.lines - 1, math.ceil(exposed.bottom() / self._cell_h))
        for row in range(first, last + 1):
            self._paint_row(painter, row)
        self._glyphs.draw(painter, self._color)
        self._paint_selection(painter, first, last)
        self._paint_cursor(painter, first, last)
        if self._bell_flash:
            painter.fillRect(bounds, theme.color(_BELL_WASH))
        self._paint_notice(painter)
        painter.restore()
        self._paint_cost += time.perf_counter() - started

    def _paint_row(self, painter: QPainter, row: int) -> None:
        """Draw one view row: background runs first, then the text over them.

        Plain ASCII text is queued in the glyph batch, which is drawn before the
        next background or fallback-font text so that those keep their order.
        Box drawing, block and braille cells are drawn as shapes on their cells.
        """
        top = row * self._cell_h
        runs, streamed = self._row_runs(row)
        glyphs = self._glyphs
        texts = []
        for run in runs:
            style = run.style
            fg, bg = palette.cell_colors(style)
            if bg != palette.BACKGROUND:
                glyphs.draw(painter, self._color)
                rect = QRectF(
                    run.column * self._cell_w,
                    top,
                    run.width * self._cell_w,
                    self._cell_h,
                )
                painter.fillRect(rect, self._color(bg))
            if is_drawn(run.text):
                self._boxes.draw(painter, row, run.column, run.text, self._color(fg))
            elif style.underscore or style.strikethrough:
                texts.append((run, fg))
            elif run.text.strip():
                font = (bool(style.bold), bool(style.italics))
                if not glyphs.add(row, run.column, run.text, font, fg):
                    texts.append((run, fg))
        if texts:
            glyphs.draw(painter, self._color)
        baseline = top + self._ascent
        for run, fg in texts:
            self._draw_text(
                painter,
                run.column,
                baseline,
                run.text,
                run.style,
                fg,
                keep=not streamed,
            )

    def _row_runs(self, row: int) -> tuple[list[Run], bool]:
        """The runs of view row `row`, and whether the row came from streamed output.

        Runs are kept per row object until the row changes (the least recently
        drawn are let go first).
        """
        screen = self._screen
        line = screen.view_line(row)
        segments = pending_segments(line)
        if segments is not None:
            # A row written by streamed output: its ASCII segments are its runs.
            return [
                Run(x, len(text), text, cells[" "]) for x, text, cells in segments
            ], True
        stamp = (line.version, screen.columns, screen.render_generation)
        cache = self._runs_cache
        entry = cache.get(id(line))
        if entry is not None and entry[0] is line and entry[1] == stamp:
            cache.move_to_end(id(line))
            return entry[2], False
        runs = row_runs(map(line.__getitem__, range(screen.columns)))
        # The entry holds the row, so its id is not reused while it is cached.
        cache[id(line)] = (line, stamp, runs)
        if len(cache) > _RUNS_CACHE:
            cache.popitem(last=False)
        return runs, False

    def _draw_text(
        self,
        painter: QPainter,
        column: int,
        baseline: float,
        text: str,
        style: Cell,
        fg: str,
        *,
        keep: bool = True,
    ) -> None:
        """Draw one run; `keep` keeps its laid-out text for later frames."""
        key = (
            bool(style.bold),
            bool(style.italics),
            bool(style.underscore),
            bool(style.strikethrough),
        )
        font = self._fonts[key]
        painter.setFont(font)
        painter.setPen(self._color(fg))
        position = QPointF(column * self._cell_w, baseline)
        if not keep:
            # Streamed rows rush past: laying them out for later would be wasted.
            painter.drawText(position, text)
            return
        # Laid-out text is kept: full-screen programs redraw the same runs again.
        texts = self._static_texts
        static = texts.get((text, key))
        if static is None:
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), font)
            texts[(text, key)] = static
            if len(texts) > _STATIC_TEXT_CACHE:
                texts.popitem(last=False)
        else:
            texts.move_to_end((text, key))
        painter.drawStaticText(position - QPointF(0, self._ascent), static)

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
        """Draw the cursor in its shape; without focus a block is drawn hollow."""
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
        color = self._color(palette.CURSOR)
        form = _SHAPE_FORM.get(self._screen.cursor_shape, "bar")
        if form == "underline":
            painter.fillRect(rect.adjusted(0, rect.height() - 2, 0, 0), color)
        elif form == "bar":
            painter.fillRect(QRectF(rect.left(), rect.top(), 2, rect.height()), color)
        elif not self.hasFocus():
            painter.setPen(QPen(color, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.fillRect(rect, color)
            if is_drawn(char.data):
                color = self._color(palette.BACKGROUND)
                self._boxes.draw(painter, row, col, char.data, color)
            elif char.data.strip():
                baseline = row * self._cell_h + self._ascent
                self._draw_text(
                    painter, col, baseline, char.data, char, palette.BACKGROUND
                )

    def _notice_rects(self) -> tuple[QRectF, QRectF]:
        """The notice bar and its action button, in item px."""
        height = max(24.0, self._cell_h * 1.6)
        bar = QRectF(0, max(0.0, self._height - height), self._width, height)
        width = 14 + 7.5 * len(self._notice[1]) if self._notice[1] else 0.0
        button = QRectF(bar.right() - width - 8, bar.top() + 4, width, height - 8)
        return bar, button

    def _paint_notice(self, painter: QPainter) -> None:
        text, action = self._notice
        if not text:
            return
        bar, button = self._notice_rects()
        painter.fillRect(bar, theme.color(_NOTICE_FILL))
        painter.setPen(theme.color(theme.HAIRLINE_20))
        painter.drawLine(bar.topLeft(), bar.topRight())
        painter.setFont(self._ui_font)
        painter.setPen(self._color(theme.TEXT_2))
        painter.drawText(
            bar.adjusted(10, 0, -button.width() - 16, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )
        if action:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self._color(theme.ACCENT), 1))
            painter.setBrush(theme.color(theme.ACCENT_DIM))
            painter.drawRoundedRect(button, 6, 6)
            painter.setPen(self._color(theme.ACCENT))
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, action)

    def _sync_blink(self) -> None:
        """Run the blink timer only while the cursor should blink."""
        if self.cursor_blinks():
            if not self._blink_timer.isActive():
                self._blink_timer.start()
        elif self._blink_timer.isActive():
            self._blink_timer.stop()
            self._cursor_on = True

    def _on_blink_timer_timeout(self) -> None:
        self._cursor_on = not self._cursor_on
        self._update_rows({self._cursor_row()})

    def _on_bell_timer_timeout(self) -> None:
        self._bell_flash = False
        self.update()

    # -- keyboard ------------------------------------------------------------------

    def sceneEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Take every key, Tab and Backtab included, and win shortcut overrides."""
        if capture_key(self, self.takes_keyboard, event):
            return True
        return super().sceneEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Encode the key for the program; copy, paste and scroll-back keys stay here."""
        if not self.takes_keyboard:
            event.ignore()
            return
        event.accept()
        self._catch_up()
        mods = event.modifiers()
        key = event.key()
        if self._clipboard_shortcut(key, mods) or self._scroll_shortcut(key, mods):
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
            keypad=bool(mods & Qt.KeyboardModifier.KeypadModifier),
            app_keypad=self._screen.app_keypad,
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

    def _scroll_shortcut(self, key: int, mods: Qt.KeyboardModifier) -> bool:
        """Shift+PageUp/PageDown page through the scroll-back (primary screen only)."""
        only_shift = mods & ~Qt.KeyboardModifier.KeypadModifier == (
            Qt.KeyboardModifier.ShiftModifier
        )
        pages: dict[int, int] = {Qt.Key.Key_PageUp: 1, Qt.Key.Key_PageDown: -1}
        if not only_shift or key not in pages or self._screen.max_scroll == 0:
            return False
        step = max(1, self._screen.lines - 1) * pages[key]
        self._scroll_view(step)
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

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Redraw the cursor filled, and tell a program that asked (`CSI I`)."""
        super().focusInEvent(event)
        self._report_focus(b"\x1b[I")
        self._update_rows({self._cursor_row()})

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Redraw the cursor hollow, and tell a program that asked (`CSI O`)."""
        super().focusOutEvent(event)
        self._report_focus(b"\x1b[O")
        self._update_rows({self._cursor_row()})

    def _report_focus(self, data: bytes) -> None:
        if self.takes_keyboard and self._screen.focus_events:
            self.input_ready.emit(data)

    # -- pointer -------------------------------------------------------------------

    def _reports_mouse(self, mods: Qt.KeyboardModifier) -> bool:
        """Whether pointer events go to the program (it asked, and Shift is not held)."""
        self._catch_up()
        return (
            self.takes_keyboard
            and self._screen.mouse_tracking != 0
            and not mods & Qt.KeyboardModifier.ShiftModifier
        )

    def _send_mouse(
        self, kind: str, button: int, pos: QPointF, mods: Qt.KeyboardModifier
    ) -> None:
        screen = self._screen
        col, row = self._grid_cell(pos)
        data = encode_mouse(
            kind,
            button,
            col,
            row,
            tracking=screen.mouse_tracking,
            sgr=screen.mouse_sgr,
            shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
            alt=bool(mods & Qt.KeyboardModifier.AltModifier),
            ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier),
        )
        if data:
            self.input_ready.emit(data)

    def _grid_cell(self, pos: QPointF) -> tuple[int, int]:
        """The (column, view row) under an item position, clamped to the grid."""
        screen = self._screen
        col = min(max(0, math.floor(pos.x() / self._cell_w)), screen.columns - 1)
        row = min(max(0, math.floor(pos.y() / self._cell_h)), screen.lines - 1)
        return col, row

    def wheelEvent(self, event: QGraphicsSceneWheelEvent) -> None:  # noqa: N802
        """Scroll the scroll-back 3 lines per notch; Ctrl/⌘+wheel is left to the canvas.

        A program that asked for mouse reports gets wheel reports; on the alternate
        screen (vim, less, man) a notch sends three arrow keys instead.
        """
        zoom = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        mods = event.modifiers()
        if mods & zoom or event.orientation() != Qt.Orientation.Vertical:
            event.ignore()
            return
        event.accept()
        self._wheel_rest += event.delta() * WHEEL_LINES_PER_NOTCH / 120
        lines = int(self._wheel_rest)
        if lines == 0:
            return
        self._wheel_rest -= lines
        screen = self._screen
        if self._reports_mouse(mods):
            notches = max(1, abs(lines) // WHEEL_LINES_PER_NOTCH)
            for _ in range(notches):
                self._send_mouse("wheel", 0 if lines > 0 else 1, event.pos(), mods)
        elif screen.alternate_screen and self.takes_keyboard:
            arrow = encode_key(
                "Up" if lines > 0 else "Down", app_cursor=screen.app_cursor
            )
            self.input_ready.emit(arrow * abs(lines))
        else:
            self._scroll_view(lines)

    def _scroll_view(self, lines: int) -> None:
        """Scroll the view `lines` back (negative: towards the live screen)."""
        if lines > 0:
            self._screen.scroll_up(lines)
        else:
            self._screen.scroll_down(-lines)
        self._update_rows(self._screen.take_dirty())

    def _cell_at(self, pos: QPointF) -> Cellpos:
        """Return the (stable line number, column) under an item position."""
        col, row = self._grid_cell(pos)
        screen = self._screen
        return screen.first_line_number + screen.view_start() + row, col

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Select with the left button, report to a program that asked, or act on the
        notice bar; a press also takes the keyboard."""
        button = event.button()
        if self._notice_click(event.pos()):
            event.accept()
            return
        if button not in _MOUSE_BUTTONS:
            event.ignore()
            return
        event.accept()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._reports_mouse(event.modifiers()):
            self._mouse_button = _MOUSE_BUTTONS[button]
            self._mouse_cell = self._grid_cell(event.pos())
            self._send_mouse(
                "press", self._mouse_button, event.pos(), event.modifiers()
            )
            return
        if button == Qt.MouseButton.MiddleButton:
            self._paste_selection_clipboard()
            return
        if button != Qt.MouseButton.LeftButton:
            return
        if self._is_triple_click(event):
            self._select_line(event.pos())
            return
        self._anchor = self._cell_at(event.pos())
        if self._selection is not None:
            self._selection = None
            self.update()

    def _notice_click(self, pos: QPointF) -> bool:
        """Handle a click on the notice bar; return whether it was on the bar."""
        text, action = self._notice
        if not text:
            return False
        bar, button = self._notice_rects()
        if action and button.contains(pos):
            self.notice_action_requested.emit()
            return True
        return bar.contains(pos)

    def _is_triple_click(self, event: QGraphicsSceneMouseEvent) -> bool:
        at, where = self._last_double_click
        interval = QApplication.doubleClickInterval() / 1000
        near = (event.pos() - where).manhattanLength() < self._cell_w * 2
        return time.monotonic() - at < interval and near

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Extend the selection while dragging, or report motion to the program."""
        if self._mouse_button != MOUSE_NONE:
            self._report_motion(self._mouse_button, event.pos(), event.modifiers())
            return
        if self._anchor is None:
            return
        head = self._cell_at(event.pos())
        if head != self._anchor or self._selection is not None:
            self._selection = (self._anchor, head)
            self.update()

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """Report motion without a button to programs in any-motion mode (1003)."""
        if self._reports_mouse(event.modifiers()):
            self._report_motion(MOUSE_NONE, event.pos(), event.modifiers())

    def _report_motion(
        self, button: int, pos: QPointF, mods: Qt.KeyboardModifier
    ) -> None:
        cell = self._grid_cell(pos)
        if cell != self._mouse_cell:
            self._mouse_cell = cell
            self._send_mouse("motion", button, pos, mods)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """End a drag: report the release, or offer the selection as PRIMARY."""
        event.accept()
        if self._mouse_button != MOUSE_NONE:
            self._send_mouse(
                "release", self._mouse_button, event.pos(), event.modifiers()
            )
            self._mouse_button = MOUSE_NONE
            return
        self._anchor = None
        self._offer_primary_selection()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Select the word under the pointer (a program asking for reports gets a press)."""
        if event.button() not in _MOUSE_BUTTONS:
            event.ignore()
            return
        event.accept()
        if self._reports_mouse(event.modifiers()):
            self.mousePressEvent(event)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._last_double_click = (time.monotonic(), event.pos())
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
        self._offer_primary_selection()
        self.update()

    def _select_line(self, pos: QPointF) -> None:
        number, _ = self._cell_at(pos)
        self._selection = ((number, 0), (number, self._screen.columns - 1))
        self._anchor = None
        self._last_double_click = (-math.inf, QPointF())
        self._offer_primary_selection()
        self.update()

    def _offer_primary_selection(self) -> None:
        """Put the selection on the X11 PRIMARY selection where there is one."""
        clipboard = QGuiApplication.clipboard()
        text = self.selected_text()
        if text and clipboard.supportsSelection():
            clipboard.setText(text, QClipboard.Mode.Selection)

    def _paste_selection_clipboard(self) -> None:
        """Middle click pastes PRIMARY (X11), as terminals there do."""
        clipboard = QGuiApplication.clipboard()
        if clipboard.supportsSelection() and self.takes_keyboard:
            self.paste(clipboard.text(QClipboard.Mode.Selection))

    def _ordered_selection(self) -> tuple[Cellpos, Cellpos] | None:
        """The selection as (start, end) absolute (line, column) cells, start first."""
        if self._selection is None:
            return None
        base = self._screen.first_line_number
        first, second = sorted(self._selection)
        if second[0] < base:
            return None
        return (first[0] - base, first[1]), (second[0] - base, second[1])
