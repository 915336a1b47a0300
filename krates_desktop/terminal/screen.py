"""The terminal screen: pyte's `HistoryScreen` with what real shells, vim and top need.

`TerminalScreen` holds the character grid, the scroll-back and the terminal modes; the
parser (`TerminalStream`) is separate and only calls screen methods, as in pyte. Feed it
raw bytes with `feed()`; read it back per view row with `view_cells()`/`view_text()`,
which take the scroll-back position into account, and repaint only the rows that
`take_dirty()` returns.

Fixes over pyte 0.8.2: the alternate screen (modes 47, 1047, 1049; no scroll-back while
it is shown), zero-width characters (ZWJ, VS16, ZWSP, combining marks) join the cell
before them, kept as written, instead of dropping the rest of the run, unprintable
characters are skipped, writing, inserting, deleting or erasing over either half of a
wide character blanks both halves (as xterm does) and a wide character that does not
fit in the last column wraps, erasing and inserting fill cells with the current
background, a line feed below the scroll region moves on down instead of jumping
into it, `CSI ? 4 m` and other private queries are ignored, DECSC/DECRC keep one
saved cursor per screen and restoring does not consume it, scroll-back captures only
lines leaving a region that starts at the top row, and per-event wrappers of
`HistoryScreen` are bypassed (they cost more than the parsing). Also added: dim and
conceal (`Cell`), cursor shapes (DECSCUSR), mouse tracking and focus-report modes for
the view to honour, application keypad mode, SU/SD, REP, CHT/CBT, DECSTR, and colour
indices 0-15 of the 256-colour table map to the named ANSI colours so the theme's
palette applies to them.

Speed: streamed output (complete lines at the bottom of the screen) is written a row
at a time by `push_rows`, and rows keep their text unbuilt until something reads or
writes them (`_LazyLine`), so `cat` of a big file costs little more than splitting
it into rows. Every write to a row goes through `_line()`, which builds a kept row
first and bumps its `version`, so views can cache what they derive from a row.

Limitations: DECCOLM (132 columns, ignored as xterm does by default), left/right
margins, double-width lines, the G2/G3 character sets and rich replies (only DA1, DSR
and CPR are answered) are not implemented. Resizing does not reflow wrapped lines.
Mode 47 does not keep the alternate screen's contents between uses. After EL at the
right edge the next character still wraps (xterm overwrites the last column).
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any

import pyte
from pyte import modes as mo
from pyte.screens import Margins, wcwidth

from krates_desktop.terminal.cell import BLANK, REVERSE_BLANK, Cell
from krates_desktop.terminal.stream import TerminalStream

logger = logging.getLogger(__name__)

HISTORY_LINES = 5000

DECCKM = 1 << 5
BRACKETED_PASTE = 2004 << 5
MOUSE_X10 = 9
MOUSE_NORMAL = 1000
MOUSE_BUTTON_MOTION = 1002
MOUSE_ANY_MOTION = 1003
_MOUSE_TRACKING = (MOUSE_ANY_MOTION, MOUSE_BUTTON_MOTION, MOUSE_NORMAL, MOUSE_X10)
_FOCUS_EVENTS = 1004 << 5
_MOUSE_SGR = 1006 << 5
_ALT_SCREEN_MODES = frozenset((47, 1047, 1049))
_SAVE_CURSOR_MODE = 1048
_DECCOLM = 3
_DECSCNM = 5

_LATIN1 = pyte.charsets.LAT1_MAP
_MAX_COMBINED = 8  # zero-width characters kept on one cell

_ANSI_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")

_SGR_FLAGS: dict[int, tuple[str, bool]] = {
    1: ("bold", True),
    2: ("dim", True),
    3: ("italics", True),
    4: ("underscore", True),
    5: ("blink", True),
    6: ("blink", True),
    7: ("reverse", True),
    8: ("conceal", True),
    9: ("strikethrough", True),
    21: ("underscore", True),
    23: ("italics", False),
    24: ("underscore", False),
    25: ("blink", False),
    27: ("reverse", False),
    28: ("conceal", False),
    29: ("strikethrough", False),
}
_SGR_COLOURS: dict[int, tuple[str, str]] = {
    **{30 + i: ("fg", name) for i, name in enumerate(_ANSI_NAMES)},
    **{40 + i: ("bg", name) for i, name in enumerate(_ANSI_NAMES)},
    **{90 + i: ("fg", "bright" + name) for i, name in enumerate(_ANSI_NAMES)},
    **{100 + i: ("bg", "bright" + name) for i, name in enumerate(_ANSI_NAMES)},
    39: ("fg", "default"),
    49: ("bg", "default"),
}


class Row(dict[int, Cell]):
    """One line of cells by column; a missing column is the blank `default` cell.

    `version` grows each time the screen is about to write to the row, so a view
    can keep what it computed from a row (its runs) until the row changes. Slots,
    not an attribute dict per row: thousands of rows stay cheap for memory and for
    the garbage collector.
    """

    __slots__ = ("default", "version")

    def __init__(self, default: Cell) -> None:
        super().__init__()
        self.default = default
        self.version = 0

    def __missing__(self, key: int) -> Cell:
        return self.default


Line = Row
Buffer = dict[int, Line]


class _CellCache(dict[str, Cell]):
    """The cells of one attribute set, built on first use of each character."""

    __slots__ = ("_tail",)

    def __init__(self, attrs: Cell) -> None:
        super().__init__()
        self._tail = tuple(attrs[1:])

    def __missing__(self, char: str) -> Cell:
        cell = self[char] = tuple.__new__(Cell, (char, *self._tail))
        return cell


Segment = tuple[int, str, _CellCache]


class _LazyLine(Row):
    """A line kept as text segments; its cells are built when first read or written.

    Lines written while a program streams output mostly scroll on into the
    scroll-back unseen, so building their cells is put off until a view or a
    selection reads one, or the screen writes to it (through `TerminalScreen._line`).
    """

    __slots__ = ("_segments",)

    def __init__(self, default: Cell, segments: list[Segment]) -> None:
        super().__init__(default)
        self._segments: list[Segment] | None = segments

    def __missing__(self, key: int) -> Cell:
        if self._segments is not None:
            self.materialize()
            value = self.get(key)
            if value is not None:
                return value
        return self.default

    def __bool__(self) -> bool:
        return self._segments is not None or len(self) > 0

    @property
    def segments(self) -> list[Segment] | None:
        """The (column, text, cell cache) segments while the cells are not built yet."""
        return self._segments

    def truncate(self, columns: int) -> bool:
        """Cut the segments to `columns`; False if the cells are built already.

        A narrower screen keeps its streamed rows as text, so the next frame
        draws them from their segments instead of from cells built for the cut.
        """
        if self._segments is None:
            return False
        self._segments = [
            (x, text[: columns - x], cells)
            for x, text, cells in self._segments
            if x < columns
        ]
        return True

    def materialize(self) -> None:
        """Build the cells now (before anything writes to the line)."""
        segments, self._segments = self._segments, None
        for x, text, cells in segments or ():
            self.update(
                zip(range(x, x + len(text)), map(cells.__getitem__, text), strict=False)
            )


class _SavedScreen:
    """The primary screen while the alternate screen is shown."""

    __slots__ = ("buffer", "savepoints")

    def __init__(
        self, buffer: Buffer, savepoints: list[pyte.screens.Savepoint]
    ) -> None:
        self.buffer = buffer
        self.savepoints = savepoints


class TerminalScreen(pyte.HistoryScreen):
    """A VT/xterm screen with scroll-back, an alternate screen and a scrolled view."""

    # HistoryScreen wraps every attribute access in before/after hooks; the view here
    # keeps its own scroll offset and never pages the buffer, so the hooks are skipped.
    __getattribute__ = object.__getattribute__

    # pyte types its rows as holding its `Char`; ours hold `Cell`, a superset.
    buffer: Buffer  # type: ignore[assignment]

    def __init__(
        self, columns: int = 80, lines: int = 24, history: int = HISTORY_LINES
    ) -> None:
        self._alt: _SavedScreen | None = None
        self._scroll_offset = 0
        self._dropped_lines = 0
        self._all_dirty = True
        self._painted_cursor: tuple[int, int] | None = None
        self._replies: list[str] = []
        self._last_graphic = ""
        self._cell_attrs: Any = None
        self._cells = _CellCache(BLANK)
        self._cell_caches: dict[Cell, _CellCache] = {}
        self.bell_count = 0
        self.app_keypad = False
        self.cursor_shape = 0
        self.render_generation = 0
        super().__init__(columns, lines, history=history)
        self.buffer = self._new_buffer()
        self._stream = TerminalStream(self)

    # -- input -------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Apply raw program output; multi-byte characters may be split across calls."""
        self._stream.feed(data)

    def take_replies(self) -> bytes:
        """Return (and forget) what the terminal answers to queries, for the program."""
        if not self._replies:
            return b""
        data = "".join(self._replies).encode("utf-8")
        self._replies.clear()
        return data

    def write_process_input(self, data: str) -> None:
        """Queue a reply to the program (device attributes, cursor position)."""
        self._replies.append(data)

    # -- modes and state -----------------------------------------------------------

    @property
    def app_cursor(self) -> bool:
        """Whether arrow keys are sent in application form (DECCKM, `CSI ? 1 h`)."""
        return DECCKM in self.mode

    @property
    def bracketed_paste(self) -> bool:
        """Whether the program asked for bracketed paste (`CSI ? 2004 h`)."""
        return BRACKETED_PASTE in self.mode

    @property
    def cursor_visible(self) -> bool:
        """Whether the program shows the cursor (DECTCEM, `CSI ? 25 h`)."""
        return mo.DECTCEM in self.mode

    @property
    def mouse_tracking(self) -> int:
        """The mouse mode the program asked for: 9, 1000, 1002, 1003, or 0 for none."""
        mode = self.mode
        for tracking in _MOUSE_TRACKING:
            if tracking << 5 in mode:
                return tracking
        return 0

    @property
    def mouse_sgr(self) -> bool:
        """Whether mouse reports use the SGR form (`CSI ? 1006 h`)."""
        return _MOUSE_SGR in self.mode

    @property
    def focus_events(self) -> bool:
        """Whether the program wants focus in/out reports (`CSI ? 1004 h`)."""
        return _FOCUS_EVENTS in self.mode

    def set_cursor_shape(self, shape: int | None = None) -> None:
        """DECSCUSR: 0/1 blinking block, 2 block, 3/4 underline, 5/6 bar (odd: blink)."""
        self.cursor_shape = shape if shape is not None and 0 <= shape <= 6 else 0
        self.dirty.add(self.cursor.y)

    @property
    def alternate_screen(self) -> bool:
        """Whether the alternate screen is shown (full-screen programs such as vim)."""
        return self._alt is not None

    def bell(self, *args: Any) -> None:
        """Count a bell; the view decides how to show it."""
        self.bell_count += 1

    def reset(self) -> None:
        """Full reset (RIS): primary screen, default modes, no title, empty scroll-back."""
        alt = getattr(self, "_alt", None)
        if alt is not None:
            self.buffer = alt.buffer
            self._alt = None
        super().reset()
        self.cursor.attrs = self.default_char
        self.cursor_shape = 0
        self.savepoints = []
        self._scroll_offset = 0
        self._all_dirty = True
        self.app_keypad = False

    def soft_reset(self) -> None:
        """DECSTR: default modes, margins and attributes, visible cursor; text stays."""
        self.mode.difference_update({mo.IRM, mo.DECOM, DECCKM, BRACKETED_PASTE})
        self.mode.update({mo.DECAWM, mo.DECTCEM})
        self.margins = None
        self.charset = 0
        self.g0_charset = _LATIN1
        self.cursor.attrs = self.default_char
        self.savepoints = []
        self.app_keypad = False

    def set_keypad_application(self) -> None:
        """DECKPAM: the keypad sends application sequences."""
        self.app_keypad = True

    def reset_keypad_application(self) -> None:
        """DECKPNM: the keypad sends its digits."""
        self.app_keypad = False

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        """Set modes; private ones include the alternate screen and saved cursor."""
        private = bool(kwargs.get("private"))
        if private:
            modes = self._switch_private(modes, on=True)
        super().set_mode(*modes, private=private)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        """Reset modes; leaving the alternate screen restores the primary one."""
        private = bool(kwargs.get("private"))
        if private:
            modes = self._switch_private(modes, on=False)
        super().reset_mode(*modes, private=private)

    def _switch_private(self, modes: Iterable[int], *, on: bool) -> tuple[int, ...]:
        """Apply the private modes pyte lacks; return the ones left for pyte."""
        rest = []
        for mode in modes:
            if mode in _ALT_SCREEN_MODES:
                if on:
                    self._enter_alternate(mode)
                else:
                    self._leave_alternate(mode)
            elif mode == _DECSCNM:
                # pyte rewrites every cell's reverse flag: what views kept is stale.
                self.render_generation += 1
                rest.append(mode)
            elif mode in _MOUSE_TRACKING:
                # The tracking modes exclude each other, as in xterm.
                self.mode.difference_update(m << 5 for m in _MOUSE_TRACKING)
                rest.append(mode)
            elif mode == _SAVE_CURSOR_MODE:
                if on:
                    self.save_cursor()
                else:
                    self.restore_cursor()
            elif mode != _DECCOLM:
                rest.append(mode)
        return tuple(rest)

    def _enter_alternate(self, mode: int) -> None:
        """Show a clear alternate screen; 1049 also saves the cursor first."""
        if self._alt is not None:
            return
        if mode == 1049:
            self.save_cursor()
        self._alt = _SavedScreen(self.buffer, self.savepoints)
        self.buffer = self._new_buffer()
        self.savepoints = []
        self._scroll_offset = 0
        self._all_dirty = True
        logger.debug("alternate screen on (mode %d)", mode)

    def _leave_alternate(self, mode: int) -> None:
        """Bring back the primary screen; 1049 also restores the saved cursor."""
        if self._alt is None:
            return
        self.buffer = self._alt.buffer
        self.savepoints = self._alt.savepoints
        self._alt = None
        if mode == 1049:
            self.restore_cursor()
        self._all_dirty = True
        logger.debug("alternate screen off (mode %d)", mode)

    def _new_buffer(self) -> Buffer:
        return defaultdict(self._empty_line)

    def save_cursor(self) -> None:
        """DECSC: remember the cursor; each screen has one slot, as in xterm."""
        super().save_cursor()
        del self.savepoints[:-1]

    def restore_cursor(self) -> None:
        """DECRC: go back to the saved cursor; the saved copy stays for later restores."""
        if not self.savepoints:
            self.mode.discard(mo.DECOM)
            self.cursor_position()
            return
        saved = self.savepoints[-1]
        self.g0_charset, self.g1_charset = saved.g0_charset, saved.g1_charset
        self.charset = saved.charset
        for flag, mode in ((saved.origin, mo.DECOM), (saved.wrap, mo.DECAWM)):
            if flag:
                self.mode.add(mode)
            else:
                self.mode.discard(mode)
        hidden = self.cursor.hidden
        self.cursor = copy.copy(saved.cursor)
        self.cursor.hidden = hidden
        self.ensure_hbounds()
        self.ensure_vbounds()

    def alignment_display(self) -> None:
        """DECALN: fill the screen with E (pyte writes the cells itself)."""
        self.render_generation += 1
        super().alignment_display()

    def set_margins(self, top: int | None = None, bottom: int | None = None) -> None:
        """DECSTBM: 0 or a missing value means the screen edge; the cursor goes home."""
        top = top or None
        bottom = bottom or None
        if bottom is not None and bottom >= self.lines and (top or 1) == 1:
            bottom = None
        if top is None and bottom is None:
            self.margins = None
            self.cursor_position()
            return
        super().set_margins(top, bottom)

    # -- drawing -------------------------------------------------------------------

    def draw(self, data: str) -> None:
        """Write text at the cursor, wrapping at the right edge when DECAWM is set."""
        if self.charset or self.g0_charset is not _LATIN1:
            data = data.translate(self.g1_charset if self.charset else self.g0_charset)
        if data.isascii() and mo.IRM not in self.mode:
            if not self._draw_in_line(data):
                self._draw_narrow(data)
        else:
            for char in data:
                self._draw_char(char)
        self.dirty.add(self.cursor.y)

    def _draw_in_line(self, data: str) -> bool:
        """Write ASCII text that fits before the right edge; False if it does not."""
        cursor = self.cursor
        x = cursor.x
        end = x + len(data)
        if end > self.columns:
            return False
        line = self._line(cursor.y)
        if x:
            left = line.get(x)
            if left is not None and left.data == "":
                line[x - 1] = self._blank()
        attrs = cursor.attrs
        cells = self._cells if attrs is self._cell_attrs else self._cells_for(attrs)
        line.update(zip(range(x, end), map(cells.__getitem__, data), strict=True))
        right = line.get(end)
        if right is not None and right.data == "":
            line[end] = self._blank()
        cursor.x = end
        self._last_graphic = data[-1]
        return True

    def _cells_for(self, attrs: Any) -> _CellCache:
        """Return the cache of cells drawn with `attrs` (one per attribute set seen)."""
        if attrs is not self._cell_attrs:
            self._cell_attrs = attrs
            if len(self._cell_caches) > 256:
                self._cell_caches.clear()
            cells = self._cell_caches.get(attrs)
            if cells is None:
                cells = self._cell_caches[attrs] = _CellCache(attrs)
            self._cells = cells
        elif len(self._cells) > 4096:
            self._cells.clear()
        return self._cells

    def _cell(self, char: str) -> Cell:
        """Return the cell for `char` in the cursor's attributes."""
        return self._cells_for(self.cursor.attrs)[char]

    def _wrap_if_needed(self, width: int) -> None:
        """Move to the next line when `width` cells no longer fit on this one."""
        cursor = self.cursor
        if cursor.x + width <= self.columns:
            return
        if mo.DECAWM in self.mode:
            self.dirty.add(cursor.y)
            self.carriage_return()
            self.linefeed()
        else:
            cursor.x = max(0, self.columns - width)

    def _draw_narrow(self, data: str) -> None:
        """Fast path for printable ASCII: one dict store per cell, a line at a time."""
        cursor = self.cursor
        columns = self.columns
        while data:
            self._wrap_if_needed(1)
            x = cursor.x
            segment = data[: columns - x]
            data = data[columns - x :]
            if mo.DECAWM not in self.mode and data:
                # Without wrap every further character overwrites the last column.
                segment, data = segment[:-1] + data[-1], ""
            line = self._line(cursor.y)
            self._split_wide_left(line, x)
            cells = self._cells_for(cursor.attrs)
            line.update(
                zip(range(x, columns), map(cells.__getitem__, segment), strict=False)
            )
            end = x + len(segment)
            self._split_wide_right(line, end)
            cursor.x = end
            self._last_graphic = segment[-1]
            self.dirty.add(cursor.y)

    def _draw_char(self, char: str) -> None:
        """Write one character of any width; zero-width ones join the previous cell."""
        width = wcwidth(char)
        if width < 0:
            return
        if width == 0:
            self._combine(char)
            return
        self._wrap_if_needed(width)
        cursor = self.cursor
        line = self._line(cursor.y)
        self._split_wide_left(line, cursor.x)
        if mo.IRM in self.mode:
            self.insert_characters(width)
        x = cursor.x
        line[x] = self._cell(char)
        if width == 2 and x + 1 < self.columns:
            line[x + 1] = self._cell("")
        self._split_wide_right(line, x + width)
        cursor.x = min(x + width, self.columns)
        self._last_graphic = char

    def _combine(self, char: str) -> None:
        """Attach a zero-width character to the cell before the cursor."""
        x, y = self.cursor.x - 1, self.cursor.y
        if x < 0:
            if y == 0:
                return
            x, y = self.columns - 1, y - 1
        line = self._line(y)
        if line[x].data == "" and x > 0:
            x -= 1  # the right half of a wide character: attach to its left half
        cell = line[x]
        if len(cell.data) > _MAX_COMBINED:
            return
        line[x] = cell._replace(data=cell.data + char)
        self.dirty.add(y)

    def _blank(self) -> Cell:
        """An erased cell: a space in the current background colour (xterm's BCE)."""
        bg = self.cursor.attrs.bg
        default: Cell = self.default_char
        return default if bg == default.bg else default._replace(bg=bg)

    def _split_wide_left(self, line: Line, x: int) -> None:
        """Writing into the right half of a wide character blanks its left half."""
        if 0 < x < self.columns and line[x].data == "":
            line[x - 1] = self._blank()

    def _split_wide_right(self, line: Line, x: int) -> None:
        """Overwriting the left half of a wide character blanks its right half."""
        if 0 < x < self.columns and line[x].data == "":
            line[x] = self._blank()

    def repeat_last(self, count: int | None = None) -> None:
        """REP: draw the last printed character `count` more times."""
        if self._last_graphic:
            limit = self.columns * self.lines
            self.draw(self._last_graphic * min(count or 1, limit))

    def next_line(self) -> None:
        """NEL: carriage return and line feed."""
        self.carriage_return()
        self.index()

    def tab_forward(self, count: int | None = None) -> None:
        """CHT: move to the `count`-th next tab stop."""
        for _ in range(min(count or 1, self.columns)):
            self.tab()

    def tab_backward(self, count: int | None = None) -> None:
        """CBT: move to the `count`-th previous tab stop (or the first column)."""
        for _ in range(min(count or 1, self.columns)):
            stops = [stop for stop in self.tabstops if stop < self.cursor.x]
            self.cursor.x = max(stops) if stops else 0

    def select_graphic_rendition(self, *attrs: int) -> None:
        """SGR: set text attributes and colours for what is drawn next."""
        if not attrs or attrs == (0,):
            self.cursor.attrs = self.default_char
            return
        replace: dict[str, Any] = {}
        i = 0
        while i < len(attrs):
            code = attrs[i]
            i += 1
            if code == 0:
                replace.update(self.default_char._asdict())
            elif code == 22:
                replace["bold"] = replace["dim"] = False
            elif code in _SGR_FLAGS:
                name, value = _SGR_FLAGS[code]
                replace[name] = value
            elif code in (38, 48, 58):
                colour, i = _extended_colour(attrs, i)
                if colour is not None and code != 58:
                    replace["fg" if code == 38 else "bg"] = colour
            elif code in _SGR_COLOURS:
                name, colour = _SGR_COLOURS[code]
                replace[name] = colour
        self.cursor.attrs = self.cursor.attrs._replace(**replace)

    # -- erasing and scrolling -----------------------------------------------------

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        """EL: erase part of the cursor's line with the current background."""
        x = min(self.cursor.x, self.columns - 1)
        spans = {0: (x, self.columns), 1: (0, x + 1), 2: (0, self.columns)}
        if how in spans:
            self._erase_cells(self.cursor.y, *spans[how])

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        """ED: erase part of the screen; 3 also drops the scroll-back."""
        rows = {0: range(self.cursor.y + 1, self.lines), 1: range(self.cursor.y)}
        for y in rows.get(how, range(self.lines)):
            self._erase_cells(y, 0, self.columns)
        if how in (0, 1):
            self.erase_in_line(how)
        if how == 3:
            self._reset_history()
            self._scroll_offset = 0
            self._all_dirty = True

    def insert_characters(self, count: int | None = None) -> None:
        """ICH: shift the rest of the line right, opening blanks at the cursor.

        A wide character cut by the cursor or pushed half past the right edge is
        blanked, as xterm does.
        """
        x, y = min(self.cursor.x, self.columns - 1), self.cursor.y
        count = min(count or 1, self.columns - x)
        line = self._line(y)
        self._clear_cut_wide(line, x)
        blank = self._blank()
        for col in range(self.columns - 1, x + count - 1, -1):
            moved = line.pop(col - count, None)
            if moved is None:
                line.pop(col, None)
            else:
                line[col] = moved
        for col in range(x, x + count):
            line[col] = blank
        last = self.columns - 1
        if wcwidth(line[last].data[:1] or " ") == 2:
            line[last] = blank
        self.dirty.add(y)

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: delete characters at the cursor; the rest of the line moves left.

        A wide character cut by the deleted range is blanked, as xterm does.
        """
        x, y = min(self.cursor.x, self.columns - 1), self.cursor.y
        count = min(count or 1, self.columns - x)
        line = self._line(y)
        self._clear_cut_wide(line, x)
        self._clear_cut_wide(line, x + count)
        blank = self._blank()
        for col in range(x, self.columns - count):
            moved = line.pop(col + count, None)
            if moved is None:
                line.pop(col, None)
            else:
                line[col] = moved
        for col in range(self.columns - count, self.columns):
            line[col] = blank
        self.dirty.add(y)

    def _clear_cut_wide(self, line: Line, x: int) -> None:
        """Blank both halves of a wide character whose right half is at column `x`."""
        if 0 < x < self.columns and line[x].data == "":
            blank = self._blank()
            line[x - 1] = line[x] = blank

    def erase_characters(self, count: int | None = None) -> None:
        """ECH: erase `count` cells from the cursor on."""
        x = min(self.cursor.x, self.columns - 1)
        self._erase_cells(self.cursor.y, x, min(x + (count or 1), self.columns))

    def _erase_cells(self, y: int, start: int, stop: int) -> None:
        """Blank cells `start` to `stop - 1` of row `y`, splitting wide characters."""
        blank = self._blank()
        line = self._line(y)
        if start == 0 and stop >= self.columns and blank == self.default_char:
            line.clear()
        else:
            self._split_wide_left(line, start)
            self._split_wide_right(line, stop)
            for x in range(start, stop):
                line[x] = blank
        self.dirty.add(y)

    def index(self) -> None:
        """Move down a line, scrolling; a line leaving the top row enters the scroll-back."""
        cursor = self.cursor
        margins = self.margins
        top, bottom = (0, self.lines - 1) if margins is None else margins
        if cursor.y != bottom:
            # Below the region the cursor goes on down to the last row, as in xterm.
            cursor.y = min(cursor.y + 1, self.lines - 1)
            return
        buffer = self.buffer
        if top == 0 and self._alt is None:
            leaving: Line | None = buffer.pop(0, None)
            self._push_history(leaving or self._empty_line())
            if self._scroll_offset:
                self._scroll_offset = min(
                    self._scroll_offset + 1, len(self.history.top)
                )
        else:
            buffer.pop(top, None)
        if top == 0 and bottom == self.lines - 1:
            moved = {y - 1: line for y, line in buffer.items()}
            buffer.clear()
            buffer.update(moved)
        else:
            for y in range(top + 1, bottom + 1):
                line = buffer.pop(y, None)
                if line is not None:
                    buffer[y - 1] = line
        self._all_dirty = True

    def linefeed(self) -> None:
        """LF, VT, FF: index, and a carriage return in new-line mode (LNM)."""
        self.index()
        if mo.LNM in self.mode:
            self.cursor.x = 0

    @property
    def default_char(self) -> Any:
        """An empty cell in default colours (reversed while DECSCNM is set)."""
        return REVERSE_BLANK if mo.DECSCNM in self.mode else BLANK

    def reverse_index(self) -> None:
        """Move up a line, scrolling down at the top margin (nothing is kept)."""
        pyte.Screen.reverse_index(self)

    def scroll_text_up(self, count: int | None = None) -> None:
        """SU: scroll the region's text up `count` lines; the cursor stays."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        self._shift_region(top, bottom, min(count or 1, bottom - top + 1))

    def scroll_text_down(self, count: int | None = None) -> None:
        """SD: scroll the region's text down `count` lines; the cursor stays."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        self._shift_region(top, bottom, -min(count or 1, bottom - top + 1))

    def _shift_region(self, top: int, bottom: int, shift: int) -> None:
        """Move rows `top..bottom` up by `shift` (down if negative), blanking the gap."""
        rows = [self.buffer.pop(y, None) for y in range(top, bottom + 1)]
        for i, line in enumerate(rows):
            target = top + i - shift
            if line is not None and top <= target <= bottom:
                self.buffer[target] = line
        self.dirty.update(range(top, bottom + 1))

    # -- size ----------------------------------------------------------------------

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize to `lines` rows and `columns` columns, keeping the cursor's line visible.

        When rows shrink, lines above the cursor move into the scroll-back (for the
        primary screen) so the prompt stays on screen; cells beyond the new width are
        dropped; the scroll region resets, as in xterm.
        """
        lines = max(1, lines or self.lines)
        columns = max(1, columns or self.columns)
        if (lines, columns) == (self.lines, self.columns):
            return
        shift = self._fit_buffer(
            self.buffer, self.cursor.y, lines, columns, self._alt is None
        )
        self.cursor.y -= shift
        if self._alt is not None:
            saved = self._alt.savepoints
            cursor_y = saved[-1].cursor.y if saved else self.lines - 1
            moved = self._fit_buffer(self._alt.buffer, cursor_y, lines, columns, True)
            for point in saved:
                point.cursor.y = max(0, point.cursor.y - moved)
        if columns > self.columns:
            first = -(-self.columns // 8) * 8
            self.tabstops.update(range(max(8, first), columns, 8))
        self.lines, self.columns = lines, columns
        self.margins = None
        self.cursor.x = min(self.cursor.x, columns - 1)
        self.cursor.y = min(max(0, self.cursor.y), lines - 1)
        self._scroll_offset = min(self._scroll_offset, self.max_scroll)
        self._all_dirty = True

    def _fit_buffer(
        self, buffer: Buffer, cursor_y: int, lines: int, columns: int, keep: bool
    ) -> int:
        """Fit one buffer to a new size; return how many rows moved up."""
        shift = max(0, cursor_y - (lines - 1))
        for y in range(shift):
            line = buffer.pop(y, None)
            if keep:
                self._push_history(line if line is not None else self._empty_line())
        for y in sorted(buffer):
            line = buffer.pop(y)
            if 0 <= y - shift < lines:
                buffer[y - shift] = line
        if columns < self.columns:
            for line in buffer.values():
                if isinstance(line, _LazyLine) and line.truncate(columns):
                    continue
                for x in [x for x in line if x >= columns]:
                    del line[x]
        return shift

    # -- whole lines at once -------------------------------------------------------

    def accepts_rows(self) -> bool:
        """Whether `push_rows` may be used: the cursor at the start of a blank bottom
        row of the primary screen, with no scroll region, insert mode or charset."""
        cursor = self.cursor
        return (
            cursor.x == 0
            and cursor.y == self.lines - 1
            and self._alt is None
            and self.margins is None
            and mo.DECAWM in self.mode
            and mo.IRM not in self.mode
            and not self.charset
            and self.g0_charset is _LATIN1
            and not self.buffer.get(cursor.y)
        )

    def cells_for(self, attrs: Any) -> _CellCache:
        """The cell cache of one attribute set, for building rows in `push_rows`."""
        return self._cells_for(attrs)

    def push_rows(self, rows: list[list[Segment]], last_char: str) -> None:
        """Write fresh rows at the bottom as that many line feeds would, scrolling.

        Each row is a list of (column, ASCII text, cell cache) segments. Afterwards
        the cursor is at the start of a new blank bottom row, as after `text\r\n`.
        Only valid when `accepts_rows()` is true. Rows that scroll straight into the
        scroll-back keep their text until read.
        """
        count = len(rows)
        if not count:
            return
        keep = self.lines - 1
        buffer = self.buffer
        old = [buffer.pop(y, None) for y in range(keep)]
        passing = rows[: max(0, count - keep)]
        self._add_history(old[:count], passing)
        default = self.default_char
        screen_rows: list[Line | None] = old[count:] + [
            _LazyLine(default, row) for row in rows[len(passing) :]
        ]
        buffer.clear()
        for y, line in enumerate(screen_rows):
            if line is not None:
                buffer[y] = line
        self._last_graphic = last_char or self._last_graphic
        self._all_dirty = True

    def _add_history(
        self, old: list[Line | None], passing: list[list[Segment]]
    ) -> None:
        """Append scrolled-off rows to the scroll-back; count the ones that fall off."""
        history: deque[Any] = self.history.top
        capacity = history.maxlen or 0
        before = len(history)
        total = len(old) + len(passing)
        default = self.default_char
        skip = max(0, total - capacity)
        for line in old[skip:]:
            history.append(line if line is not None else self._empty_line())
        for row in passing[max(0, skip - len(old)) :]:
            history.append(_LazyLine(default, row))
        self._dropped_lines += before + total - len(history)
        if self._scroll_offset:
            self._scroll_offset = min(self._scroll_offset + total, len(history))

    def _line(self, y: int) -> Line:
        """Row `y` of the buffer, ready to be written to (every write comes here)."""
        line = self.buffer[y]
        if isinstance(line, _LazyLine):
            line.materialize()
        line.version += 1
        return line

    def _push_history(self, line: Line) -> None:
        """Append a line to the scroll-back, counting the oldest one if it falls off."""
        history: deque[Line] = self.history.top  # type: ignore[assignment]
        if len(history) == history.maxlen:
            self._dropped_lines += 1
        history.append(line)

    def _reset_history(self) -> None:
        """Empty the scroll-back; its lines count as dropped for `first_line_number`."""
        self._dropped_lines += len(self.history.top)
        super()._reset_history()

    def _empty_line(self) -> Line:
        return Row(self.default_char)

    # -- the scrolled view ---------------------------------------------------------

    @property
    def first_line_number(self) -> int:
        """A stable number for absolute line 0: lines dropped from the scroll-back so far.

        `first_line_number + index` names a line for as long as it exists, so a
        selection stays on its text while new output pushes old lines out.
        """
        return self._dropped_lines

    @property
    def history_size(self) -> int:
        """How many lines the scroll-back holds."""
        return len(self.history.top)

    @property
    def max_scroll(self) -> int:
        """How far the view can scroll back (0 on the alternate screen)."""
        return 0 if self._alt is not None else len(self.history.top)

    @property
    def scroll_offset(self) -> int:
        """How many lines the view is scrolled back; 0 shows the live screen."""
        return self._scroll_offset

    @property
    def at_bottom(self) -> bool:
        """Whether the view shows the live screen."""
        return self._scroll_offset == 0

    def scroll_up(self, count: int) -> None:
        """Scroll the view `count` lines back into the scroll-back."""
        self._set_scroll(self._scroll_offset + count)

    def scroll_down(self, count: int) -> None:
        """Scroll the view `count` lines towards the live screen."""
        self._set_scroll(self._scroll_offset - count)

    def scroll_to_bottom(self) -> None:
        """Show the live screen again."""
        self._set_scroll(0)

    def _set_scroll(self, offset: int) -> None:
        offset = max(0, min(offset, self.max_scroll))
        if offset != self._scroll_offset:
            self._scroll_offset = offset
            self._all_dirty = True

    def absolute_line(self, index: int) -> Line:
        """Return line `index` counted from the oldest scroll-back line."""
        history: deque[Line] = self.history.top  # type: ignore[assignment]
        if index < len(history):
            return history[index]
        return self.buffer[index - len(history)]

    def view_start(self) -> int:
        """The absolute line index shown on view row 0."""
        return len(self.history.top) - self._scroll_offset

    def view_line(self, row: int) -> Line:
        """Return the line shown on view row `row`."""
        return self.absolute_line(self.view_start() + row)

    def view_cells(self, row: int) -> list[Cell]:
        """Return the `columns` cells of view row `row`; "" marks a wide cell's right half."""
        line = self.view_line(row)
        return [line[x] for x in range(self.columns)]

    def lines_for_display(self, scroll_offset: int | None = None) -> list[list[Cell]]:
        """Return every row's cells as shown at `scroll_offset` (default: the view's).

        The view itself does not move; rows are `columns` cells long, with "" marking
        the right half of a wide character.
        """
        offset = self._scroll_offset if scroll_offset is None else scroll_offset
        start = len(self.history.top) - max(0, min(offset, self.max_scroll))
        return [
            [line[x] for x in range(self.columns)]
            for line in (self.absolute_line(start + row) for row in range(self.lines))
        ]

    def view_text(self) -> list[str]:
        """Return the view rows as text, without trailing spaces."""
        return [
            line_text(self.view_line(row), 0, self.columns) for row in range(self.lines)
        ]

    def cursor_cell(self) -> tuple[int, int] | None:
        """Return the cursor's (row, column) in the view, or None when it is not shown."""
        if mo.DECTCEM not in self.mode:
            return None
        row = self.cursor.y + self._scroll_offset
        if row >= self.lines:
            return None
        return row, min(self.cursor.x, self.columns - 1)

    def take_dirty(self) -> set[int]:
        """Return the view rows to repaint since the last call, and forget them."""
        cursor = self.cursor_cell()
        if self._all_dirty:
            rows = set(range(self.lines))
        else:
            offset = self._scroll_offset
            rows = {y + offset for y in self.dirty if 0 <= y + offset < self.lines}
            if cursor != self._painted_cursor:
                for cell in (cursor, self._painted_cursor):
                    if cell is not None and cell[0] < self.lines:
                        rows.add(cell[0])
        self.dirty.clear()
        self._all_dirty = False
        self._painted_cursor = cursor
        return rows


def pending_segments(line: Line) -> list[Segment] | None:
    """A row's text segments if its cells were never built, else None.

    A painter can draw such a row from its segments without building its cells.
    """
    return line.segments if isinstance(line, _LazyLine) else None


def line_text(line: Line, start: int, stop: int) -> str:
    """Return the text of cells `start..stop-1` of `line`, without trailing spaces."""
    return "".join(line[x].data for x in range(start, stop)).rstrip()


def _extended_colour(attrs: tuple[int, ...], i: int) -> tuple[str | None, int]:
    """Read `5;n` or `2;r;g;b` after SGR 38/48/58; return the colour and the next index."""
    kind = attrs[i] if i < len(attrs) else None
    if kind == 5 and i + 1 < len(attrs):
        index = attrs[i + 1]
        return (named_color(index) if 0 <= index <= 255 else None), i + 2
    if kind == 2 and i + 3 < len(attrs):
        r, g, b = (min(value, 255) for value in attrs[i + 1 : i + 4])
        return f"{r:02x}{g:02x}{b:02x}", i + 4
    return None, len(attrs)


def named_color(index: int) -> str:
    """Return pyte's colour value for 256-colour index `index` (names for 0-15)."""
    if index < 8:
        return _ANSI_NAMES[index]
    if index < 16:
        return "bright" + _ANSI_NAMES[index - 8]
    return pyte.graphics.FG_BG_256[index]
