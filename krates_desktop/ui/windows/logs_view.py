"""The Logs view's pane: a log without a line limit, searched, filtered and followed.

`LogsViewItem` is the content item of a Logs window. Lines go in with
`append_lines()` and are kept by a `LogStore` (the newest in memory, the rest in a
spill file), so the pane holds every line of a long-running container. Only the
lines on view are laid out and painted.

What it shows: each line as the container meant it (ANSI colours drawn, other
control sequences removed; `raw` shows the escape codes instead), coloured by level,
long lines wrapped or cut at the edge (`wrap`), optionally with the time each line
arrived and, with several containers, the container's name.

Controls, drawn by the item itself and usable by mouse and keyboard: a search field
(text, or a regular expression with `.*`), the match count with previous/next, a
filter that shows only matching lines, and in the status bar the source controls
(the container, or all of them interleaved; the previous run; how far back: the last
100/500/1000 lines, all, since 5m or 1h; Alt+C, Alt+P, Alt+N), wrap, raw, time and
save, the number of lines held and where the older ones are, and a "jump to latest"
pill with the count of new lines while the user reads older ones. Clicking the
search field gives it the keyboard (the pane otherwise takes no keys, as the spec
asks); Tab moves between controls, Space or Enter presses one, Esc gives the keyboard
back to the canvas.

Limitations: the scrollbar's thumb is placed by line, not by wrapped row; glyphs from
a fallback font (CJK, emoji) keep their own advance inside a run; colours of a line
that redraws itself with carriage returns are not kept.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSceneWheelEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from krates_desktop.logs.ansi import Span, Style, raw_text, styled
from krates_desktop.logs.levels import COLOURS, Level, level_of
from krates_desktop.logs.search import Query, QueryError, Search
from krates_desktop.logs.sources import (
    ALL_CONTAINERS,
    RANGES,
    LogSource,
    next_of,
)
from krates_desktop.logs.store import LogStore, LogStoreError
from krates_desktop.terminal import palette
from krates_desktop.ui import theme
from krates_desktop.ui.windows.key_capture import capture_key

logger = logging.getLogger(__name__)

LINE_HEIGHT = 12 * 1.65
TOOLBAR_H = 30.0
STATUS_H = 24.0
PAD_X = 12.0
SCROLLBAR_W = 8.0
WHEEL_ROWS = 3
TAB_WIDTH = 8
SEARCH_DEBOUNCE_MS = 150
SEARCH_SLICE_S = 0.008
_CACHE_LINES = 2048
_MATCH_WASH = (232, 181, 74, 0.28)
_CURRENT_WASH = (77, 214, 232, 0.45)
_SELECTION_WASH = (77, 214, 232, 0.3)
_FIELD_FILL = (255, 255, 255, 0.04)
_WORD_DELIMITERS = frozenset(" \t\"'`()[]{}<>|;,=")
# Container names when several are interleaved: ANSI hues that are no level colour.
_SOURCE_COLOURS = tuple(
    palette.NORMAL[name] for name in ("cyan", "magenta", "green", "blue")
) + tuple(palette.BRIGHT[name] for name in ("cyan", "magenta", "green", "blue"))

_CONTROLS = (
    "field",
    "previous",
    "next",
    "regex",
    "filter",
    "container",
    "instance",
    "range",
    "wrap",
    "raw",
    "time",
    "save",
    "latest",
)
_TOGGLE_KEYS: dict[int, str] = {
    Qt.Key.Key_R: "regex",
    Qt.Key.Key_F: "filter",
    Qt.Key.Key_W: "wrap",
    Qt.Key.Key_A: "raw",
    Qt.Key.Key_T: "time",
    Qt.Key.Key_S: "save",
    Qt.Key.Key_L: "latest",
    Qt.Key.Key_C: "container",
    Qt.Key.Key_P: "instance",
    Qt.Key.Key_N: "range",
}


@dataclass
class _Shown:
    """One line as drawn: its text (display or raw), colour spans and level colour."""

    text: str
    spans: list[Span]
    colour: str
    prefix: str = ""


@dataclass
class _Layout:
    """Where a line's characters go: a column per character, split into rows."""

    text: str
    rows: list[tuple[int, int]]  # (first char, end char) of each visual row
    columns: list[int] | None = None  # column of each character (None: the index)

    def column(self, index: int) -> int:
        if self.columns is None:
            return index
        if index >= len(self.columns):
            return self.columns[-1] + 1 if self.columns else 0
        return self.columns[index]


@dataclass
class _Field:
    """The search field's text and caret."""

    text: str = ""
    caret: int = 0
    all_selected: bool = False

    def insert(self, typed: str) -> None:
        if self.all_selected:
            self.text, self.caret, self.all_selected = "", 0, False
        self.text = self.text[: self.caret] + typed + self.text[self.caret :]
        self.caret += len(typed)

    def erase(self, forward: bool) -> None:
        if self.all_selected:
            self.text, self.caret, self.all_selected = "", 0, False
        elif forward:
            self.text = self.text[: self.caret] + self.text[self.caret + 1 :]
        elif self.caret:
            self.text = self.text[: self.caret - 1] + self.text[self.caret :]
            self.caret -= 1

    def move(self, to: int) -> None:
        self.all_selected = False
        self.caret = max(0, min(len(self.text), to))


class LogsViewItem(QGraphicsObject):
    """A log pane in the scene: lines in with `append_lines`, read, searched, saved."""

    scrolled = Signal()
    save_requested = Signal()
    source_changed = Signal()  # the user chose another container, run or range
    saved = Signal(str)
    _save_finished = Signal(str)
    wants_wheel = True

    def __init__(
        self,
        parent: QGraphicsItem | None = None,
        *,
        spill_dir: Path | None = None,
        memory_lines: int | None = None,
    ) -> None:
        super().__init__(parent)
        extra = {} if memory_lines is None else {"memory_lines": memory_lines}
        self._new_store = partial(LogStore, spill_dir=spill_dir, **extra)
        self.store = self._new_store()
        self._source = LogSource()
        self._containers: tuple[str, ...] = ()
        self._previous_offered = False
        self._init_fonts()
        self._w, self._h = 380.0, 286.0
        self._follow = True
        self._top = (0, 0)  # (view index, row within that line) while not following
        self._x_columns = 0  # first column shown when long lines are cut
        self._unpinned_count = 0
        self._wrap = True
        self._raw = False
        self._timestamps = False
        self._filter = False
        self._regex = False
        self._field = _Field()
        self._search: Search | None = None
        self._search_error = ""
        self._current = -1  # number of the current match
        self._focus: str | None = None  # the control holding the keyboard
        self._selection: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._anchor: tuple[int, int] | None = None
        self._dragging_thumb: float | None = None
        self._notice = ""
        self._shown: OrderedDict[tuple[int, bool, bool], _Shown] = OrderedDict()
        self._colors: dict[str, QColor] = {}
        self._saving: threading.Thread | None = None
        self._init_timers()
        self._save_finished.connect(self._on_save_finished)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsToShape)
        self.setAcceptHoverEvents(True)

    def _init_fonts(self) -> None:
        self._font = theme.mono(12)
        self._ui_font = theme.mono(11)
        self._fonts: dict[tuple[bool, bool, bool, bool], QFont] = {}
        metrics = QFontMetricsF(self._font)
        self._cw = metrics.horizontalAdvance("M")
        self._ascent = metrics.ascent()
        self._lead = (LINE_HEIGHT - metrics.height()) / 2
        self._ui_metrics = QFontMetricsF(self._ui_font)

    def _init_timers(self) -> None:
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._start_search)
        self._step_timer = QTimer(self)
        self._step_timer.setSingleShot(True)
        self._step_timer.setInterval(0)
        self._step_timer.timeout.connect(self._step_search)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(6000)
        self._notice_timer.timeout.connect(lambda: self._set_notice(""))

    # -- geometry ------------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """The pane's rectangle in item px."""
        return QRectF(0, 0, self._w, self._h)

    def set_size(self, w: float, h: float) -> None:
        """Resize the pane (the window's content area)."""
        self.prepareGeometryChange()
        self._w, self._h = max(0.0, w), max(0.0, h)
        self._clamp_top()
        self.update()

    def _text_rect(self) -> QRectF:
        return QRectF(0, TOOLBAR_H, self._w, max(0.0, self._h - TOOLBAR_H - STATUS_H))

    def _visible_rows(self) -> int:
        return max(1, math.floor(self._text_rect().height() / LINE_HEIGHT))

    def _columns(self) -> int:
        usable = self._w - 2 * PAD_X - SCROLLBAR_W
        return max(8, math.floor(usable / self._cw))

    # -- lines in ------------------------------------------------------------------

    def append_lines(self, lines: Sequence[str], source: str = "") -> None:
        """Add lines as a stream delivered them (raw text, no line ends)."""
        if not lines:
            return
        try:
            self.store.append(lines, source=source)
        except LogStoreError as exc:
            logger.error("%s", exc)
            self._set_notice(str(exc))
            return
        self._after_append()

    def append_marker(self, text: str) -> None:
        """Add a muted line of the pane's own (`— stream ended, reconnecting —`)."""
        self.store.append_marker(text)
        self._after_append()

    def clear(self) -> None:
        """Drop every line (another source was chosen); a search starts over."""
        if self._saving is not None:
            self._saving.join()  # the save reads the store's spill file
        self.store.close()
        self.store = self._new_store()
        self._shown.clear()
        self._follow = True
        self._top = (0, 0)
        self._unpinned_count = 0
        self._selection = None
        self._current = -1
        if self._search is not None:
            self._start_search()
        self.update()

    # -- which log (container, previous run, range) --------------------------------

    @property
    def source(self) -> LogSource:
        """The log the source controls chose."""
        return self._source

    def offer_sources(
        self, containers: Sequence[str], chosen: str, *, previous: bool
    ) -> None:
        """The containers to choose from (all of them interleaved too, when several),
        the one streaming, and whether a previous run can be shown."""
        self._containers = tuple(containers)
        self._previous_offered = previous
        self._source = replace(self._source, container=chosen)
        self.update()

    def _choose(self, name: str) -> None:
        source = self._source
        if name == "container":
            options = (*self._containers, ALL_CONTAINERS)
            source = replace(source, container=next_of(options, source.container))
        elif name == "instance":
            source = replace(source, previous=not source.previous)
        else:
            source = replace(source, range=next_of(RANGES, source.range))
        self._source = source
        self.source_changed.emit()

    def _source_label(self, name: str) -> str:
        if name == "container":
            return self._source.container or "all"
        if name == "instance":
            return "prev"
        return self._source.range.label

    def _offered(self, name: str) -> bool:
        """Whether control `name` is on show (and so reachable by Tab)."""
        if name == "latest":
            return not self._follow
        if name == "container":
            return len(self._containers) > 1
        if name == "instance":
            return self._previous_offered or self._source.previous
        return True

    def _after_append(self) -> None:
        if self._search is not None and not self._step_timer.isActive():
            self._step_timer.start()
        self.update()

    # -- lines out -----------------------------------------------------------------

    def line_count(self) -> int:
        """How many lines the pane holds (memory and disk)."""
        return len(self.store)

    def line_text(self, index: int) -> str:
        """What line `index` shows (escape codes removed), as search and copy see it."""
        return self._shown_line(index).text

    def line_color(self, index: int) -> str:
        """The level colour of line `index` (`#ef6f6f`, `#e8b54a`, `#b9c6d8`, markers
        `#8a97ab`)."""
        return self._shown_line(index).colour

    def source_colour(self, index: int) -> str | None:
        """The colour of line `index`'s container name, when it shows one (several
        containers, interleaved): one colour per container, so each is told apart."""
        sources = self.store.sources
        if len(sources) < 2 or self.store.is_marker(index):
            return None
        at = sources.index(self.store.source_of(index))
        return _SOURCE_COLOURS[at % len(_SOURCE_COLOURS)]

    def plain_lines(self) -> list[str]:
        """Every line as it shows (for small logs: this reads all of them)."""
        return [self.line_text(i) for i in range(len(self.store))]

    def shown_rows(self) -> list[str]:
        """The text rows on view now, top to bottom, as painted (prefixes included)."""
        rows = []
        for _, layout, shown, row, _ in self._visible():
            start, end = self._row_range(layout, shown, row)
            prefix = shown.prefix if row == 0 else " " * len(shown.prefix)
            rows.append((prefix + _expand_tabs(layout, start, end)).rstrip())
        return rows

    def lines_on_view(self) -> list[int]:
        """The indexes of the lines on view now, top to bottom, each once."""
        seen: list[int] = []
        for line, *_ in self._visible():
            if not seen or seen[-1] != line:
                seen.append(line)
        return seen

    def _row_range(self, layout: _Layout, shown: _Shown, row: int) -> tuple[int, int]:
        """The characters of a row on view (a cut line shows a window of them)."""
        start, end = layout.rows[row]
        if self._wrap:
            return start, end
        first = self._x_columns
        last = first + self._columns() - len(shown.prefix)
        if layout.columns is None:
            return min(first, end), min(last, end)
        begin = next((i for i in range(start, end) if layout.column(i) >= first), end)
        stop = next((i for i in range(begin, end) if layout.column(i) >= last), end)
        return begin, stop

    def status_text(self) -> str:
        """The status bar's left part: lines held, where the older ones are, notices."""
        if self._notice:
            return self._notice
        store = self.store
        text = f"{len(store):,} lines"
        if store.disk_count:
            name = store.spill_path.name if store.spill_path else "disk"
            text += f" · {store.disk_count:,} older in {name}"
        return text

    def _shown_line(self, index: int) -> _Shown:
        key = (index, self._raw, self._timestamps)
        shown = self._shown.get(key)
        if shown is not None:
            self._shown.move_to_end(key)
            return shown
        shown = self._make_shown(index)
        self._shown[key] = shown
        if len(self._shown) > _CACHE_LINES:
            self._shown.popitem(last=False)
        return shown

    def _make_shown(self, index: int) -> _Shown:
        raw = self.store.line(index)
        marker = self.store.is_marker(index)
        spans: list[Span]
        if self._raw:
            text, spans = raw_text(raw), []
            level = level_of(styled(raw)[0])
        else:
            text, spans = styled(raw)
            level = level_of(text)
        colour = COLOURS[Level.MARKER if marker else level]
        return _Shown(text, spans, colour, self._prefix(index, marker))

    def _prefix(self, index: int, marker: bool) -> str:
        parts = []
        if self._timestamps:
            at = self.store.time_of(index)
            stamp = time.strftime("%H:%M:%S", time.localtime(at))
            parts.append(f"{stamp}.{int(at * 1000) % 1000:03d} ")
        if len(self.store.sources) > 1:
            width = max(len(s) for s in self.store.sources)
            source = "" if marker else self.store.source_of(index)
            parts.append(f"{source:<{width}} ")
        return "".join(parts)

    # -- the sequence on view (all lines, or the filtered ones) --------------------

    def _view_count(self) -> int:
        if self._filter and self._search is not None:
            return len(self._search.lines)
        return len(self.store)

    def _view_line(self, k: int) -> int:
        if self._filter and self._search is not None:
            return self._search.lines[k]
        return k

    def _view_index_of(self, line: int) -> int:
        """The view index showing `line`, or the next one after it."""
        if self._filter and self._search is not None:
            return bisect_left(self._search.lines, line)
        return line

    # -- layout --------------------------------------------------------------------

    def _layout(self, index: int) -> tuple[_Layout, _Shown]:
        shown = self._shown_line(index)
        width = self._columns() - len(shown.prefix) if self._wrap else 0
        return _layout(shown.text, max(8, width) if self._wrap else 0), shown

    def _row_count(self, k: int) -> int:
        return len(self._layout(self._view_line(k))[0].rows)

    def _visible(self) -> list[tuple[int, _Layout, _Shown, int, float]]:
        """(line, layout, shown, row, y) of every row on view, top to bottom."""
        count = self._view_count()
        if count == 0:
            return []
        rows = self._visible_rows()
        k, row = self._bottom_anchor(rows) if self._follow else self._top
        out: list[tuple[int, _Layout, _Shown, int, float]] = []
        y = TOOLBAR_H
        while k < count and len(out) < rows:
            line = self._view_line(k)
            layout, shown = self._layout(line)
            while row < len(layout.rows) and len(out) < rows:
                out.append((line, layout, shown, row, y))
                y += LINE_HEIGHT
                row += 1
            k, row = k + 1, 0
        return out

    def _bottom_anchor(self, rows: int) -> tuple[int, int]:
        """The top (view index, row) that puts the last row at the bottom."""
        k = self._view_count() - 1
        left = rows
        while k >= 0:
            count = self._row_count(k)
            if count >= left:
                return k, count - left
            left -= count
            k -= 1
        return 0, 0

    def _rows_below(self, top: tuple[int, int], limit: int) -> int:
        """Rows from `top` to the end, counting no further than `limit`."""
        k, row = top
        total = -row
        count = self._view_count()
        while k < count and total <= limit:
            total += self._row_count(k)
            k += 1
        return total

    # -- scrolling -----------------------------------------------------------------

    @property
    def following(self) -> bool:
        """Whether the pane stays pinned to the newest line."""
        return self._follow

    def new_line_count(self) -> int:
        """Lines that arrived on view since the user scrolled away from the bottom."""
        return 0 if self._follow else max(0, self._view_count() - self._unpinned_count)

    def jump_to_latest(self) -> None:
        """Show the newest line and follow again."""
        self._follow = True
        self.update()
        self.scrolled.emit()

    def scroll_rows(self, rows: int) -> None:
        """Scroll by wrapped rows (positive: towards newer lines)."""
        if rows == 0 or self._view_count() == 0:
            return
        if self._follow:
            if rows > 0:
                return
            self._unpin()
        k, row = self._top
        row += rows
        while row < 0 and k > 0:
            k -= 1
            row += self._row_count(k)
        row = max(0, row)
        while k < self._view_count() - 1 and row >= self._row_count(k):
            row -= self._row_count(k)
            k += 1
        self._top = (k, min(row, self._row_count(k) - 1))
        self._clamp_top()
        self.update()
        self.scrolled.emit()

    def _unpin(self) -> None:
        self._top = self._bottom_anchor(self._visible_rows())
        self._follow = False
        self._unpinned_count = self._view_count()

    def _clamp_top(self) -> None:
        """Follow again once the last row is on view (the spec's "at the bottom")."""
        if self._follow:
            return
        rows = self._visible_rows()
        if self._rows_below(self._top, rows) <= rows:
            self._follow = True

    def _show_line(self, line: int) -> None:
        """Scroll so `line` is on view, a few rows from the top, and stop following."""
        k = self._view_index_of(line)
        if self._follow:
            self._unpin()
        self._top = (max(0, k - 2), 0)
        self._follow = False
        self._clamp_top()
        self.update()

    # -- options -------------------------------------------------------------------

    @property
    def wrap(self) -> bool:
        """Whether long lines wrap (otherwise they are cut at the right edge)."""
        return self._wrap

    def set_wrap(self, on: bool) -> None:
        """Wrap long lines, or cut them at the edge (Shift+wheel scrolls sideways)."""
        self._wrap, self._x_columns = on, 0
        self._keep_top_line(lambda: None)

    @property
    def raw(self) -> bool:
        """Whether lines show as written, escape codes visible."""
        return self._raw

    def set_raw(self, on: bool) -> None:
        """Show lines as written (escape codes as symbols) or as they display."""
        self._raw = on
        self._keep_top_line(lambda: None)
        if self._search is not None:
            self._start_search()

    @property
    def timestamps(self) -> bool:
        """Whether each line starts with the time it arrived."""
        return self._timestamps

    def set_timestamps(self, on: bool) -> None:
        """Show or hide the time each line arrived."""
        self._timestamps = on
        self._keep_top_line(lambda: None)

    @property
    def filtering(self) -> bool:
        """Whether only lines that match the search are shown."""
        return self._filter

    def set_filter(self, on: bool) -> None:
        """Show only the lines that match the search (all lines without a search)."""

        def switch() -> None:
            self._filter = on

        self._keep_top_line(switch)

    def _keep_top_line(self, change: Callable[[], None]) -> None:
        """Apply a change of what is shown, keeping the top line where it is."""
        top_line = None
        if not self._follow and self._view_count():
            top_line = self._view_line(min(self._top[0], self._view_count() - 1))
        change()
        if top_line is not None:
            self._top = (
                min(self._view_index_of(top_line), max(0, self._view_count() - 1)),
                0,
            )
            self._clamp_top()
        self.update()

    # -- search --------------------------------------------------------------------

    @property
    def query(self) -> str:
        """The search text as typed."""
        return self._field.text

    @property
    def regex(self) -> bool:
        """Whether the search text is a regular expression."""
        return self._regex

    def set_query(self, text: str, *, regex: bool | None = None) -> None:
        """Search for `text` (a regular expression with `regex`); "" ends the search."""
        self._field.text, self._field.caret = text, len(text)
        if regex is not None:
            self._regex = regex
        self._search_timer.start()
        self.update()

    def finish_search(self) -> None:
        """Run a pending search to the end now (otherwise it runs in slices)."""
        if self._search_timer.isActive():
            self._search_timer.stop()
            self._start_search()
        if self._search is not None:
            self._search.run()
            self._step_timer.stop()
            self.update()

    @property
    def search(self) -> Search | None:
        """The running or finished search, if any."""
        return self._search

    @property
    def search_error(self) -> str:
        """Why the search text cannot be searched for ("" when it can)."""
        return self._search_error

    def match_count(self) -> int:
        """How many matches were found so far."""
        return self._search.count if self._search is not None else 0

    def current_match(self) -> tuple[int, int, int] | None:
        """(line, start, end) of the current match, in the line's shown text."""
        search = self._search
        if search is None or not 0 <= self._current < search.count:
            return None
        line, nth = search.occurrence(self._current)
        spans = search.spans(self.line_text(line))
        if nth >= len(spans):
            return line, 0, 0
        return line, *spans[nth]

    def search_next(self) -> None:
        """Go to the next match (from the top of the view when none is current)."""
        self._go_to_match(+1)

    def search_previous(self) -> None:
        """Go to the previous match."""
        self._go_to_match(-1)

    def _go_to_match(self, step: int) -> None:
        search = self._search
        if search is None or search.count == 0:
            return
        if self._current < 0:
            visible = self._visible()
            top = visible[0][0] if visible else 0
            first = search.first_from(top)
            # From the top of the view; past either end it wraps around.
            self._current = (first if step > 0 else first - 1) % search.count
        else:
            self._current = (self._current + step) % search.count
        self._show_line(search.occurrence(self._current)[0])

    def _start_search(self) -> None:
        self._step_timer.stop()
        self._current = -1
        self._search_error = ""
        text = self._field.text
        if not text:
            self._search = None
            self._keep_top_line(lambda: None)
            return
        try:
            query = Query(text, regex=self._regex, raw=self._raw)
            self._search = Search(self.store, query)
        except QueryError as exc:
            self._search = None
            self._search_error = str(exc)
            self.update()
            return
        self._keep_top_line(lambda: None)
        self._step_search()

    def _step_search(self) -> None:
        search = self._search
        if search is None:
            return
        before = self._view_count()
        if not search.step(SEARCH_SLICE_S):
            self._step_timer.start()
        if self._filter and not self._follow and before == 0:
            self._follow = True
        self.update()

    # -- saving --------------------------------------------------------------------

    def save(self, path: Path, *, wait: bool = False) -> None:
        """Write every line (as shown, or as written in raw view) to `path`.

        The writing runs on a worker thread over a snapshot, so lines keep arriving;
        `saved` reports the outcome. `wait` blocks until the file is written.
        """
        snapshot = self.store.snapshot()
        raw = self._raw

        def write() -> None:
            try:
                count = snapshot.save(Path(path), raw=raw)
            except LogStoreError as exc:
                logger.error("%s", exc)
                self._save_finished.emit(str(exc))
                return
            self._save_finished.emit(f"Saved {count:,} lines to {path}")

        self._set_notice(f"Saving {snapshot.total:,} lines…")
        self._saving = threading.Thread(target=write, name="log-save", daemon=True)
        self._saving.start()
        if wait:
            self._saving.join()
            QGuiApplication.processEvents()

    def _on_save_finished(self, message: str) -> None:
        self._saving = None
        self._set_notice(message)
        self.saved.emit(message)

    def _set_notice(self, text: str) -> None:
        self._notice = text
        if text:
            self._notice_timer.start()
        self.update()

    def close(self) -> None:
        """Stop searching and delete the spill file (the pane is going away)."""
        self._search_timer.stop()
        self._step_timer.stop()
        self._search = None
        if self._saving is not None:
            self._saving.join()
        self.store.close()
        self._shown.clear()

    # -- painting ------------------------------------------------------------------

    def _qcolor(self, value: str | tuple[int, int, int, float]) -> QColor:
        key = str(value)
        color = self._colors.get(key)
        if color is None:
            color = self._colors[key] = theme.color(value)
        return color

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        """Draw the toolbar, the lines on view, the scrollbar and the status bar."""
        painter.setClipRect(self.boundingRect())
        painter.save()
        painter.setClipRect(self._text_rect())
        visible = self._visible()
        for line, layout, shown, row, y in visible:
            self._paint_row(painter, line, layout, shown, row, y)
        painter.restore()
        self._paint_scrollbar(painter, visible)
        self._paint_toolbar(painter)
        self._paint_status(painter)
        if not self._follow:
            self._paint_latest_pill(painter)

    def _paint_row(
        self,
        painter: QPainter,
        line: int,
        layout: _Layout,
        shown: _Shown,
        row: int,
        y: float,
    ) -> None:
        start, end = self._row_range(layout, shown, row)
        x0 = PAD_X + len(shown.prefix) * self._cw
        base = layout.column(layout.rows[row][0]) + (
            0 if self._wrap else self._x_columns
        )

        def x_of(index: int) -> float:
            return x0 + (layout.column(index) - base) * self._cw

        self._paint_washes(painter, line, start, end, y, x_of)
        baseline = y + self._lead + self._ascent
        if row == 0 and shown.prefix:
            self._paint_prefix(painter, line, shown.prefix, baseline)
        for piece_start, piece_end, style in _pieces(shown.spans, start, end):
            text = _expand_tabs(layout, piece_start, piece_end)
            if not text.strip() and (style is None or not style.bg):
                continue
            self._draw_piece(painter, text, style, shown.colour, x_of(piece_start), y)

    def _paint_prefix(
        self, painter: QPainter, line: int, prefix: str, baseline: float
    ) -> None:
        """The arrival time in muted text, then the container's name in its colour."""
        painter.setFont(self._font)
        colour = self.source_colour(line)
        name = self.store.source_of(line) if colour else ""
        width = max(map(len, self.store.sources)) + 1 if colour else 0
        stamp = prefix[: len(prefix) - width]
        painter.setPen(self._qcolor(theme.MUTED))
        painter.drawText(QPointF(PAD_X, baseline), stamp)
        if colour:
            painter.setPen(self._qcolor(colour))
            x = PAD_X + len(stamp) * self._cw
            painter.drawText(QPointF(x, baseline), name)

    def _paint_washes(
        self,
        painter: QPainter,
        line: int,
        start: int,
        end: int,
        y: float,
        x_of: Callable[[int], float],
    ) -> None:
        """Match and selection backgrounds behind one row."""
        search = self._search
        if search is not None and search.matches_on(line):
            current = self.current_match()
            for nth, (s, e) in enumerate(search.spans(self.line_text(line))):
                s, e = max(s, start), min(e, end)
                if s >= e:
                    continue
                is_current = (
                    current is not None
                    and current[0] == line
                    and (search.occurrence(self._current)[1] == nth)
                )
                wash = _CURRENT_WASH if is_current else _MATCH_WASH
                painter.fillRect(
                    QRectF(x_of(s), y, x_of(e) - x_of(s), LINE_HEIGHT),
                    self._qcolor(wash),
                )
        span = self._selected_span(line)
        if span is not None:
            s, e = max(span[0], start), min(span[1], end)
            if s < e or (span[1] > end and s == e and end == start):
                width = max(x_of(e) - x_of(s), self._cw / 2)
                painter.fillRect(
                    QRectF(x_of(s), y, width, LINE_HEIGHT),
                    self._qcolor(_SELECTION_WASH),
                )

    def _draw_piece(
        self,
        painter: QPainter,
        text: str,
        style: Style | None,
        colour: str,
        x: float,
        y: float,
    ) -> None:
        fg, bg = _style_colours(style, colour)
        if bg is not None:
            painter.fillRect(
                QRectF(x, y, len(text) * self._cw, LINE_HEIGHT), self._qcolor(bg)
            )
        painter.setFont(self._style_font(style))
        painter.setPen(self._qcolor(fg))
        painter.drawText(QPointF(x, y + self._lead + self._ascent), text)

    def _style_font(self, style: Style | None) -> QFont:
        if style is None:
            return self._font
        key = (style.bold, style.italic, style.underline, style.strike)
        font = self._fonts.get(key)
        if font is None:
            font = QFont(self._font)
            font.setBold(style.bold)
            font.setItalic(style.italic)
            font.setUnderline(style.underline)
            font.setStrikeOut(style.strike)
            self._fonts[key] = font
        return font

    def _paint_scrollbar(
        self, painter: QPainter, visible: list[tuple[int, _Layout, _Shown, int, float]]
    ) -> None:
        thumb = self._thumb_rect(visible)
        if thumb is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._qcolor(theme.HAIRLINE))
        painter.drawRoundedRect(thumb, 4, 4)
        painter.restore()

    def _thumb_rect(
        self, visible: list[tuple[int, _Layout, _Shown, int, float]] | None = None
    ) -> QRectF | None:
        count = self._view_count()
        rows = self._visible_rows()
        if count <= rows and self._follow and self._top == (0, 0):
            if visible is None or len(visible) < rows:
                return None
        area = self._text_rect()
        shown = max(1, min(count, rows))
        height = max(24.0, area.height() * shown / max(count, 1))
        top_k = self._bottom_anchor(rows)[0] if self._follow else self._top[0]
        span = max(1, count - shown)
        fraction = 1.0 if self._follow else min(1.0, top_k / span)
        y = area.top() + (area.height() - height) * fraction
        return QRectF(self._w - SCROLLBAR_W - 1, y + 1, SCROLLBAR_W, height - 2)

    # -- toolbar and status bar ----------------------------------------------------

    def _control_rects(self) -> dict[str, QRectF]:
        """Where each control is, in item px."""
        rects: dict[str, QRectF] = {}
        top, height = 4.0, TOOLBAR_H - 8
        right = self._w - 8
        for name, label in (
            ("filter", "filter"),
            ("regex", ".*"),
            ("next", "↓"),
            ("previous", "↑"),
        ):
            width = self._ui_metrics.horizontalAdvance(label) + 12
            rects[name] = QRectF(right - width, top, width, height)
            right -= width + 4
        count_width = self._ui_metrics.horizontalAdvance("00000/00000") + 4
        rects["count"] = QRectF(right - count_width, top, count_width, height)
        right -= count_width + 4
        rects["field"] = QRectF(8, top, max(60.0, right - 8), height)
        status_top = self._h - STATUS_H + 3
        right = self._w - 8
        for name, label in (
            ("save", "save"),
            ("time", "time"),
            ("raw", "raw"),
            ("wrap", "wrap"),
        ):
            width = self._ui_metrics.horizontalAdvance(label) + 12
            rects[name] = QRectF(right - width, status_top, width, STATUS_H - 6)
            right -= width + 4
        left = 8.0
        for name in ("container", "instance", "range"):
            if self._offered(name):
                width = self._ui_metrics.horizontalAdvance(self._source_label(name))
                rects[name] = QRectF(left, status_top, width + 12, STATUS_H - 6)
                left += width + 16
        rects["status"] = QRectF(
            left, status_top, max(0.0, right - 4 - left), STATUS_H - 6
        )
        rects["latest"] = self._latest_rect()
        return rects

    def _latest_rect(self) -> QRectF:
        label = self._latest_label()
        width = self._ui_metrics.horizontalAdvance(label) + 20
        bottom = self._h - STATUS_H - 8
        return QRectF(self._w - SCROLLBAR_W - 8 - width, bottom - 22, width, 22)

    def _latest_label(self) -> str:
        new = self.new_line_count()
        return f"↓ {new:,} new" if new else "↓ latest"

    def _toggled(self, name: str) -> bool:
        return {
            "regex": self._regex,
            "filter": self._filter,
            "wrap": self._wrap,
            "raw": self._raw,
            "time": self._timestamps,
            "instance": self._source.previous,
        }.get(name, False)

    def _paint_toolbar(self, painter: QPainter) -> None:
        rects = self._control_rects()
        painter.fillRect(QRectF(0, 0, self._w, TOOLBAR_H), self._qcolor(theme.PANEL))
        self._paint_field(painter, rects["field"])
        painter.setFont(self._ui_font)
        painter.setPen(self._qcolor(theme.ERROR if self._search_error else theme.MUTED))
        painter.drawText(
            rects["count"], Qt.AlignmentFlag.AlignCenter, self._count_label()
        )
        labels = {"previous": "↑", "next": "↓", "regex": ".*", "filter": "filter"}
        for name, label in labels.items():
            self._paint_button(painter, rects[name], label, name)

    def _count_label(self) -> str:
        search = self._search
        if self._search_error:
            return "bad regex" if self._regex else "error"
        if search is None:
            return ""
        if not search.done:
            return f"{search.count:,}… {search.progress():.0%}"
        if search.count == 0:
            return "no match"
        if self._current >= 0:
            return f"{self._current + 1:,}/{search.count:,}"
        return f"{search.count:,}"

    def _paint_field(self, painter: QPainter, rect: QRectF) -> None:
        focused = self._focus == "field" and self.hasFocus()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(self._qcolor(_FIELD_FILL))
        border = theme.ACCENT if focused else theme.HAIRLINE_26
        painter.setPen(QPen(self._qcolor(border), 1))
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setFont(self._font)
        inner = rect.adjusted(8, 0, -8, 0)
        painter.setClipRect(inner)
        text = self._field.text
        if text:
            if self._field.all_selected and focused:
                width = QFontMetricsF(self._font).horizontalAdvance(text)
                painter.fillRect(
                    QRectF(inner.left(), inner.top() + 3, width, inner.height() - 6),
                    self._qcolor(_SELECTION_WASH),
                )
            painter.setPen(self._qcolor(theme.TEXT))
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter, text)
        else:
            painter.setPen(self._qcolor(theme.FAINT))
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter, "⌕ search")
        if focused:
            caret_x = inner.left() + QFontMetricsF(self._font).horizontalAdvance(
                text[: self._field.caret]
            )
            painter.fillRect(
                QRectF(caret_x, inner.top() + 4, 1.5, inner.height() - 8),
                self._qcolor(theme.ACCENT),
            )
        painter.restore()

    def _paint_button(
        self, painter: QPainter, rect: QRectF, label: str, name: str
    ) -> None:
        on = self._toggled(name)
        focused = self._focus == name and self.hasFocus()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(
            self._qcolor(theme.ACCENT_DIM) if on else Qt.BrushStyle.NoBrush
        )
        border = theme.ACCENT if focused else theme.HAIRLINE
        painter.setPen(QPen(self._qcolor(border), 1))
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setFont(self._ui_font)
        painter.setPen(self._qcolor(theme.ACCENT if on else theme.TEXT_2))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()

    def _paint_status(self, painter: QPainter) -> None:
        rects = self._control_rects()
        bar = QRectF(0, self._h - STATUS_H, self._w, STATUS_H)
        painter.fillRect(bar, self._qcolor(theme.PANEL))
        painter.setPen(self._qcolor(theme.HAIRLINE))
        painter.drawLine(bar.topLeft(), bar.topRight())
        painter.setFont(self._ui_font)
        painter.setPen(self._qcolor(theme.MUTED))
        status = rects["status"]
        text = self._ui_metrics.elidedText(
            self.status_text(), Qt.TextElideMode.ElideMiddle, status.width()
        )
        painter.drawText(status, Qt.AlignmentFlag.AlignVCenter, text)
        for name in ("wrap", "raw", "time", "save"):
            self._paint_button(painter, rects[name], name, name)
        for name in ("container", "instance", "range"):
            if name in rects:
                label = self._source_label(name)
                self._paint_button(painter, rects[name], label, name)

    def _paint_latest_pill(self, painter: QPainter) -> None:
        rect = self._latest_rect()
        focused = self._focus == "latest" and self.hasFocus()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(self._qcolor(theme.PILL))
        painter.setPen(
            QPen(self._qcolor(theme.ACCENT if focused else theme.HAIRLINE_26), 1)
        )
        painter.drawRoundedRect(rect, 11, 11)
        painter.setFont(self._ui_font)
        painter.setPen(self._qcolor(theme.ACCENT))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._latest_label())
        painter.restore()

    # -- actions -------------------------------------------------------------------

    def press(self, name: str) -> None:
        """Press a control by name (what a click or Space on it does)."""
        if name == "field":
            self._take_keyboard("field")
        elif name == "previous":
            self.search_previous()
        elif name == "next":
            self.search_next()
        elif name == "regex":
            self._regex = not self._regex
            self._start_search()
        elif name == "filter":
            self.set_filter(not self._filter)
        elif name == "wrap":
            self.set_wrap(not self._wrap)
        elif name == "raw":
            self.set_raw(not self._raw)
        elif name == "time":
            self.set_timestamps(not self._timestamps)
        elif name == "save":
            self.save_requested.emit()
        elif name == "latest":
            self.jump_to_latest()
        elif name in ("container", "instance", "range") and self._offered(name):
            self._choose(name)
        self.update()

    # -- keyboard ------------------------------------------------------------------

    @property
    def takes_keyboard(self) -> bool:
        """Whether the pane holds the keyboard (a control of it has keyboard focus)."""
        return self._focus is not None and self.hasFocus()

    def _take_keyboard(self, control: str) -> None:
        self._focus = control
        if control == "field":
            self._field.move(len(self._field.text))
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.update()

    def release_keyboard(self) -> None:
        """Give the keyboard back to the canvas."""
        self._focus = None
        self.clearFocus()
        self.update()

    def sceneEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """While a control has the keyboard, Tab and shortcuts are the pane's."""
        if capture_key(self, self.takes_keyboard, event):
            return True
        return super().sceneEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Keys for the focused control: typing in the field, Space on a button."""
        if not self.takes_keyboard:
            event.ignore()
            return
        event.accept()
        key, mods = event.key(), event.modifiers()
        if self._common_key(key, mods):
            return
        if self._focus == "field":
            self._field_key(event)
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.press(self._focus or "")

    def _common_key(self, key: int, mods: Qt.KeyboardModifier) -> bool:
        """Esc, Tab, Alt+letter toggles and copy: the same on every control."""
        if key == Qt.Key.Key_Escape:
            self.release_keyboard()
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            back = key == Qt.Key.Key_Backtab or bool(
                mods & Qt.KeyboardModifier.ShiftModifier
            )
            self._move_focus(-1 if back else 1)
        elif mods & Qt.KeyboardModifier.AltModifier and key in _TOGGLE_KEYS:
            self.press(_TOGGLE_KEYS[key])
        elif _is_copy(key, mods) and self._focus != "field" and self.copy_selection():
            pass
        else:
            return False
        return True

    def _move_focus(self, step: int) -> None:
        names = [n for n in _CONTROLS if self._offered(n)]
        at = names.index(self._focus) if self._focus in names else -1
        self._focus = names[(at + step) % len(names)]
        self.update()

    def _field_key(self, event: QKeyEvent) -> None:
        field, key, mods = self._field, event.key(), event.modifiers()
        ctrl = bool(mods & _command_modifier())
        before = field.text
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish_search_start()
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            self.search_previous() if shift else self.search_next()
            return
        if ctrl and key == Qt.Key.Key_A:
            field.all_selected = True
        elif ctrl and key == Qt.Key.Key_V:
            pasted = QGuiApplication.clipboard().text().splitlines()
            field.insert(pasted[0] if pasted else "")
        elif ctrl and key == Qt.Key.Key_C:
            QGuiApplication.clipboard().setText(field.text)
        elif key == Qt.Key.Key_Backspace:
            field.erase(forward=False)
        elif key == Qt.Key.Key_Delete:
            field.erase(forward=True)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            field.move(field.caret + (1 if key == Qt.Key.Key_Right else -1))
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            field.move(0 if key == Qt.Key.Key_Home else len(field.text))
        elif event.text() and event.text().isprintable() and not ctrl:
            field.insert(event.text())
        if field.text != before:
            self._search_timer.start()
        self.update()

    def finish_search_start(self) -> None:
        """Start a search typed but still waiting for its debounce, at once."""
        if self._search_timer.isActive():
            self._search_timer.stop()
            self._start_search()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Losing focus gives the keyboard back."""
        super().focusOutEvent(event)
        self._focus = None
        self.update()

    # -- pointer -------------------------------------------------------------------

    def wheelEvent(self, event: QGraphicsSceneWheelEvent) -> None:  # noqa: N802
        """Scroll 3 rows per notch; Shift or a sideways wheel moves cut lines sideways;
        Ctrl/⌘+wheel is left to the canvas (zoom)."""
        mods = event.modifiers()
        if mods & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        ):
            event.ignore()
            return
        event.accept()
        notches = event.delta() / 120.0
        sideways = event.orientation() == Qt.Orientation.Horizontal or bool(
            mods & Qt.KeyboardModifier.ShiftModifier
        )
        if sideways:
            if not self._wrap:
                self._x_columns = max(0, self._x_columns - round(notches * 8))
                self.update()
            return
        self.scroll_rows(-round(notches * WHEEL_ROWS) or (-1 if notches > 0 else 1))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Press a control, grab the scrollbar, or start selecting text."""
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        pos = event.pos()
        control = self._control_at(pos)
        if control is not None:
            self.press(control)
            if control == "field":
                self._place_caret(pos)
            return
        thumb = self._thumb_rect()
        if thumb is not None and pos.x() >= self._w - SCROLLBAR_W - 2:
            self._dragging_thumb = (
                pos.y() - thumb.top() if thumb.contains(pos) else thumb.height() / 2
            )
            self._drag_thumb(pos)
            return
        if self._focus is not None:
            self.release_keyboard()
        self._anchor = self._char_at(pos)
        self._selection = None
        self.update()

    def _control_at(self, pos: QPointF) -> str | None:
        rects = self._control_rects()
        for name in _CONTROLS:
            if self._offered(name) and rects[name].contains(pos):
                return name
        return None

    def _place_caret(self, pos: QPointF) -> None:
        rect = self._control_rects()["field"]
        metrics = QFontMetricsF(self._font)
        text = self._field.text
        x = pos.x() - rect.left() - 8
        caret = next(
            (
                i
                for i in range(len(text) + 1)
                if metrics.horizontalAdvance(text[:i]) >= x
            ),
            len(text),
        )
        self._field.move(caret)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Drag the scrollbar thumb, or extend the selection."""
        if self._dragging_thumb is not None:
            self._drag_thumb(event.pos())
            return
        if self._anchor is None:
            return
        head = self._char_at(event.pos())
        if head != self._anchor or self._selection is not None:
            self._selection = (self._anchor, head)
            self.update()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """End a drag."""
        event.accept()
        self._dragging_thumb = None
        self._anchor = None

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Select the word under the pointer (a control is pressed again instead)."""
        control = self._control_at(event.pos())
        if control is not None:
            self.mousePressEvent(event)
            return
        line, index = self._char_at(event.pos())
        text = self.line_text(line) if 0 <= line < len(self.store) else ""
        if not text or index >= len(text) or text[index] in _WORD_DELIMITERS:
            return
        start, end = index, index + 1
        while start > 0 and text[start - 1] not in _WORD_DELIMITERS:
            start -= 1
        while end < len(text) and text[end] not in _WORD_DELIMITERS:
            end += 1
        self._selection = ((line, start), (line, end))
        event.accept()
        self.update()

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """An I-beam over text, an arrow over controls; the spill file as a tooltip."""
        pos = event.pos()
        over_control = self._control_at(pos) is not None
        in_text = (
            self._text_rect().contains(pos) and pos.x() < self._w - SCROLLBAR_W - 2
        )
        shape = (
            Qt.CursorShape.IBeamCursor
            if in_text and not over_control
            else Qt.CursorShape.ArrowCursor
        )
        self.setCursor(shape)
        status = self._control_rects()["status"]
        path = self.store.spill_path
        self.setToolTip(
            f"Older lines are in {path}" if path and status.contains(pos) else ""
        )

    def _drag_thumb(self, pos: QPointF) -> None:
        area = self._text_rect()
        thumb = self._thumb_rect()
        height = thumb.height() + 2 if thumb is not None else 24.0
        grab = self._dragging_thumb or 0.0
        fraction = (pos.y() - grab - area.top()) / max(1.0, area.height() - height)
        fraction = min(1.0, max(0.0, fraction))
        count = self._view_count()
        span = max(0, count - min(count, self._visible_rows()))
        if fraction >= 1.0:
            self.jump_to_latest()
            return
        if self._follow:
            self._unpin()
        self._top = (round(fraction * span), 0)
        self._clamp_top()
        self.update()
        self.scrolled.emit()

    def _char_at(self, pos: QPointF) -> tuple[int, int]:
        """(line, character index in its shown text) under an item position."""
        visible = self._visible()
        if not visible:
            return 0, 0
        row_at = min(
            len(visible) - 1, max(0, math.floor((pos.y() - TOOLBAR_H) / LINE_HEIGHT))
        )
        line, layout, shown, row, _ = visible[row_at]
        start, end = layout.rows[row]
        shift = 0 if self._wrap else self._x_columns
        column = (
            (pos.x() - PAD_X) / self._cw
            - len(shown.prefix)
            + layout.column(start)
            + shift
        )
        index = start
        while index < end and layout.column(index) + 0.5 <= column:
            index += 1
        return line, index

    # -- selection -----------------------------------------------------------------

    def _ordered_selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self._selection is None or self._selection[0] == self._selection[1]:
            return None
        first, second = sorted(self._selection)
        return first, second

    def _selected_span(self, line: int) -> tuple[int, int] | None:
        span = self._ordered_selection()
        if span is None or not span[0][0] <= line <= span[1][0]:
            return None
        start = span[0][1] if line == span[0][0] else 0
        end = span[1][1] if line == span[1][0] else len(self.line_text(line)) + 1
        return start, end

    def selected_text(self) -> str:
        """The selected text (the lines' shown text, not their wrapped rows)."""
        span = self._ordered_selection()
        if span is None:
            return ""
        (line0, start), (line1, end) = span
        parts = []
        for line in range(line0, line1 + 1):
            text = self.line_text(line)
            parts.append(
                text[start if line == line0 else 0 : end if line == line1 else None]
            )
        return "\n".join(parts)

    def copy_selection(self) -> bool:
        """Put the selection on the clipboard; False when nothing is selected."""
        text = self.selected_text()
        if not text:
            return False
        QGuiApplication.clipboard().setText(text)
        return True


# -- helpers -----------------------------------------------------------------------


def _is_copy(key: int, mods: Qt.KeyboardModifier) -> bool:
    return key == Qt.Key.Key_C and bool(mods & _command_modifier())


def _command_modifier() -> Qt.KeyboardModifier:
    # Qt maps ⌘ to ControlModifier on macOS, so Ctrl/⌘ is one flag everywhere.
    return Qt.KeyboardModifier.ControlModifier


def _layout(text: str, width: int) -> _Layout:
    """Split a line into rows of at most `width` columns (one row when `width` is 0)."""
    if text.isascii() and "\t" not in text:
        if width <= 0 or len(text) <= width:
            return _Layout(text, [(0, len(text))])
        return _Layout(
            text, [(i, min(i + width, len(text))) for i in range(0, len(text), width)]
        )
    columns, total = _char_columns(text)
    if width <= 0:
        return _Layout(text, [(0, len(text))], columns)
    rows = []
    start = 0
    row_column = 0
    for index in range(len(text)):
        next_column = columns[index + 1] if index + 1 < len(text) else total
        if next_column - row_column > width and index > start:
            rows.append((start, index))
            start, row_column = index, columns[index]
    rows.append((start, len(text)))
    return _Layout(text, rows, columns)


def _char_columns(text: str) -> tuple[list[int], int]:
    """The column each character starts at (tabs to the next stop, wide ones 2)."""
    from pyte.screens import wcwidth

    columns = []
    column = 0
    for char in text:
        columns.append(column)
        if char == "\t":
            column += TAB_WIDTH - column % TAB_WIDTH
        else:
            column += max(0, wcwidth(char))
    return columns, column


def _expand_tabs(layout: _Layout, start: int, end: int) -> str:
    """Characters `start..end` of a line as drawn: tabs as spaces to their stops."""
    piece = layout.text[start:end]
    if "\t" not in piece:
        return piece
    out = []
    for index in range(start, end):
        char = layout.text[index]
        if char == "\t":
            out.append(" " * (layout.column(index + 1) - layout.column(index)))
        else:
            out.append(char)
    return "".join(out)


def _pieces(
    spans: list[Span], start: int, end: int
) -> list[tuple[int, int, Style | None]]:
    """Pieces of characters `start..end` with one style each (None: the line's own)."""
    out: list[tuple[int, int, Style | None]] = []
    position = start
    for span in spans:
        if span.end <= start or span.start >= end:
            continue
        s, e = max(span.start, start), min(span.end, end)
        if s > position:
            out.append((position, s, None))
        out.append((s, e, span.style))
        position = e
    if position < end:
        out.append((position, end, None))
    return out


def _style_colours(style: Style | None, colour: str) -> tuple[str, str | None]:
    """The (foreground, background or None) of a piece over the line's level colour."""
    if style is None:
        return colour, None
    fg = _colour_value(style.fg, style.bold) or colour
    bg = _colour_value(style.bg, False)
    if style.reverse:
        fg, bg = bg or palette.BACKGROUND, fg
    if style.dim:
        fg = palette.mix(fg, bg or palette.BACKGROUND, 0.5)
    return fg, bg


def _colour_value(name: str | None, bold: bool) -> str | None:
    if name is None or name == "default":
        return None
    if name.startswith("#"):
        return name
    return palette.color_value(name, default=palette.FOREGROUND, bright=bold)
