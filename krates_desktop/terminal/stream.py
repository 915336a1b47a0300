"""The escape-sequence parser: raw terminal bytes in, screen events out.

`TerminalStream` is a `pyte.ByteStream` (it keeps pyte's incremental UTF-8 decoder, so a
character split across two chunks is decoded once both halves have arrived) with its own
tokeniser. Instead of pyte's one-character-at-a-time state machine it matches whole
tokens with regular expressions (text runs, CSI, OSC, DCS/SOS/PM/APC strings, ESC
sequences) and keeps an incomplete sequence at the end of a chunk for the next one. It
follows the ECMA-48 grammar, so sequences pyte mis-parses are consumed whole: private
prefixes other than `?` (`CSI > 4;2 m` from vim is not an underline), intermediates
(`CSI 2 SP q`), colon sub-parameters (`CSI 38:2::255:0:0 m`, `CSI 4:3 m`), and string
payloads (sixel images) that must never reach the screen.

Limitations: 8-bit C1 controls are honoured only as decoded characters (U+0080-U+009F);
`ESC % @` (switch to Latin-1) is ignored, the stream is always UTF-8; a CSI interrupted
by a printable character outside the CSI grammar is dropped up to its final byte.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyte

if TYPE_CHECKING:
    from krates_desktop.terminal.screen import TerminalScreen

logger = logging.getLogger(__name__)

ESC = "\x1b"
CAN = "\x18"
SUB = "\x1a"

# Longest incomplete sequence kept between chunks; longer ones are dropped.
_MAX_PENDING_CSI = 256
_MAX_PENDING_OSC = 16384
_MAX_SGR_CACHE = 2048

_TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f]+")
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
# Whole lines of printable ASCII, SGRs and EL, each ended by CR LF: streamed output.
_LINE = r"(?:[\x20-\x7e]++|\x1b\[[0-9;]*+m|\x1b\[K)*+"
_LINE_BLOCK = re.compile(rf"(?:{_LINE}\r++\n)+")
_BLOCK_LINE = re.compile(rf"({_LINE})\r++\n")
# One SGR or EL of such a line and the text after it: (parameters, final, text).
_LINE_PIECE = re.compile(r"\x1b\[([0-9;]*)([mK])([^\x1b]*)")
_CSI = re.compile(r"(?:\x1b\[|\x9b)([0-?]*)([ -/]*)([@-~])")
_CSI_PREFIX = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*")
_OSC = re.compile(r"(?:\x1b\]|\x9d)([^\x07\x18\x1a\x1b\x9c]*)(?:\x07|\x1b\\|\x9c)")
_OSC_PREFIX = re.compile(r"(?:\x1b\]|\x9d)[^\x07\x18\x1a\x1b\x9c]*")
_ESC_SEQ = re.compile(r"\x1b([ -/]*)([0-~])")
_ESC_PREFIX = re.compile(r"\x1b[ -/]*")
_STRING_STOP = re.compile(r"[\x18\x1a\x1b\x9c]")
_OSC_STOP = re.compile(r"[\x07\x18\x1a\x1b\x9c]")
_CSI_FINAL = re.compile(r"[@-~\x18\x1a\x1b]")

_STRING_INTRODUCERS = frozenset("PX^_")
_C1_STRINGS = frozenset("\x90\x98\x9e\x9f")

# Parser states between chunks.
_GROUND = 0
_IN_STRING = 1  # inside DCS/SOS/PM/APC (or an oversized OSC): skip up to ST
_IN_STRING_ESC = 2  # as above, and the chunk ended on the ESC of a possible ST
_IN_CSI_IGNORE = 3  # inside a malformed or oversized CSI: skip up to its final byte
_IN_OSC = 4  # inside an oversized OSC: skip up to BEL or ST

_CONTROLS = {
    "\x07": "bell",
    "\x08": "backspace",
    "\x09": "tab",
    "\x0a": "linefeed",
    "\x0b": "linefeed",
    "\x0c": "linefeed",
    "\x0d": "carriage_return",
    "\x0e": "shift_out",
    "\x0f": "shift_in",
}

# CSI final byte -> (screen method, how many parameters it takes).
_CSI_PLAIN: dict[str, tuple[str, int]] = {
    "@": ("insert_characters", 1),
    "A": ("cursor_up", 1),
    "B": ("cursor_down", 1),
    "C": ("cursor_forward", 1),
    "D": ("cursor_back", 1),
    "E": ("cursor_down1", 1),
    "F": ("cursor_up1", 1),
    "G": ("cursor_to_column", 1),
    "H": ("cursor_position", 2),
    "I": ("tab_forward", 1),
    "J": ("erase_in_display", 1),
    "K": ("erase_in_line", 1),
    "L": ("insert_lines", 1),
    "M": ("delete_lines", 1),
    "P": ("delete_characters", 1),
    "S": ("scroll_text_up", 1),
    "T": ("scroll_text_down", 1),
    "X": ("erase_characters", 1),
    "Z": ("tab_backward", 1),
    "`": ("cursor_to_column", 1),
    "a": ("cursor_forward", 1),
    "b": ("repeat_last", 1),
    "c": ("report_device_attributes", 1),
    "d": ("cursor_to_line", 1),
    "e": ("cursor_down", 1),
    "f": ("cursor_position", 2),
    "g": ("clear_tab_stop", 1),
    "n": ("report_device_status", 1),
    "r": ("set_margins", 2),
}

_ESC_PLAIN = {
    "7": "save_cursor",
    "8": "restore_cursor",
    "D": "index",
    "E": "next_line",
    "H": "set_tab_stop",
    "M": "reverse_index",
    "c": "reset",
    "=": "set_keypad_application",
    ">": "reset_keypad_application",
}


def _int(text: str) -> int:
    """Return a decimal parameter, empty meaning 0, clamped the way VT terminals do."""
    return min(int(text), 9999) if text else 0


def _plain_params(params: str) -> list[int]:
    """Return the parameters of a CSI, taking the first sub-parameter of each."""
    if not params:
        return []
    return [_int(part.split(":", 1)[0]) for part in params.split(";")]


def _plain_rows(rows: list[list[Any]], line: str, columns: int, cells: Any) -> None:
    """Rows of one line without escapes, wrapped at `columns`, all in `cells`."""
    if len(line) <= columns:
        rows.append([(0, line, cells)] if line else [])
        return
    rows.extend(
        [(0, line[i : i + columns], cells)] for i in range(0, len(line), columns)
    )


def _sgr_params(params: str) -> list[int]:
    """Return SGR parameters with colon sub-parameters rewritten in semicolon form."""
    result: list[int] = []
    for part in params.split(";") if params else []:
        if ":" not in part:
            result.append(_int(part))
            continue
        subs = [_int(s) for s in part.split(":")]
        head = subs[0]
        if head in (38, 48) and len(subs) >= 3 and subs[1] == 5:
            result.extend((head, 5, subs[2]))
        elif head in (38, 48) and len(subs) >= 5 and subs[1] == 2:
            # 38:2:<colour space>:r:g:b, or 38:2:r:g:b without the colour space.
            rgb = subs[-3:] if len(subs) >= 6 else subs[2:5]
            result.extend((head, 2, *rgb))
        elif head == 4:
            result.append(24 if subs[1] == 0 else 4)
        elif head not in (38, 48, 58):
            result.append(head)
    return result


class TerminalStream(pyte.ByteStream):
    """Parses raw bytes from a program and drives a `TerminalScreen` with them."""

    def __init__(self, screen: TerminalScreen) -> None:
        self._pending = ""
        self._spliced = ""
        self._state = _GROUND
        self._sgr_cache: dict[tuple[int, str, int], tuple[Any, Any, Any]] = {}
        self._interned: dict[Any, Any] = {}
        super().__init__(screen)
        self._screen = screen

    def _initialize_parser(self) -> None:
        """The tokeniser below replaces pyte's character-at-a-time parser."""

    def feed(self, data: bytes) -> None:  # type: ignore[override]
        """Decode `data` incrementally and apply every complete sequence in it."""
        text = self.utf8_decoder.decode(data)
        if not text:
            return
        if self._state == _IN_STRING_ESC:
            # The previous chunk ended on ESC inside a string: ST, or a new sequence.
            self._state = _GROUND
            text = text[1:] if text.startswith("\\") else ESC + text
        if self._pending:
            text = self._pending + text
            self._pending = ""
        self._parse(text)

    def _parse(self, data: str) -> None:
        """Walk `data` token by token; an incomplete tail is kept for the next chunk."""
        offset = self._resume(data)
        end = len(data)
        text_match = _TEXT.match
        sgr_match = _SGR.match
        draw = self._screen.draw
        offset = self._lines_at(data, offset)
        while offset < end:
            match = text_match(data, offset)
            if match is not None:
                draw(match.group())
                offset = match.end()
                continue
            char = data[offset]
            if char == ESC:
                match = sgr_match(data, offset)
                if match is not None:
                    self._apply_sgr(match.group(1))
                    offset = match.end()
                    continue
            if char == ESC or "\x80" <= char <= "\x9f":
                offset = self._sequence(data, offset)
                if offset < 0:
                    data, offset, end = self._spliced, 0, len(self._spliced)
            else:
                self._control(char)
                offset += 1
                if char == "\n":
                    offset = self._lines_at(data, offset)

    def _lines_at(self, data: str, offset: int) -> int:
        """Write a run of complete lines at `offset` in one go, when the screen allows.

        This is the path of streamed output (`cat`, logs, builds): at the start of
        the bottom row, whole lines become rows without a call per character, and
        rows that scroll on into the scroll-back are kept as text until read.
        """
        match = _LINE_BLOCK.match(data, offset)
        if match is None or not self._screen.accepts_rows():
            return offset
        return offset + self._feed_lines(match.group())

    def _feed_lines(self, block: str) -> int:
        """Turn CR LF-ended lines into rows; return how many characters were used.

        (A line may end in more than one CR: a CRLF file through a PTY's ONLCR.)

        A line this path cannot model (an erase to the right with a coloured
        background) ends the block; the usual path takes it.
        """
        screen = self._screen
        columns = screen.columns
        rows: list[list[Any]] = []
        used = 0
        last = ""
        # The cell cache of the attributes in force, carried from line to line.
        cells = screen.cells_for(screen.cursor.attrs)
        for match in _BLOCK_LINE.finditer(block):
            line = match.group(1)
            if "\x1b" not in line:
                _plain_rows(rows, line, columns, cells)
            else:
                cells = self._styled_rows(rows, line, columns, cells)
                if cells is None:
                    break
            used = match.end()
            last = line[-1:] or last
        if rows:
            screen.push_rows(rows, last)
        return used

    def _styled_rows(
        self, rows: list[list[Any]], line: str, columns: int, cells: Any
    ) -> Any:
        """Rows of one line with SGRs and ELs, starting in the attributes of `cells`.

        Returns the cell cache of the attributes in force at the end of the line, or
        None (nothing added, attributes as before) if the line cannot be modelled.

        The block pattern guarantees each `ESC [` starts `<digits and ;>m` or `K`.
        This is the hot path of coloured output (`grep --color`, `ls --color`,
        coloured logs): one `findall` cuts the line into (escape, text) pieces, the
        SGR cache is probed inline (keyed by object ids, which hash fastest), the
        attributes are carried in a local, and a piece that fits the row is
        appended without slicing.
        """
        screen = self._screen
        cursor = screen.cursor
        start_attrs = attrs = cursor.attrs
        sgr_hit = self._sgr_cache.get
        default = id(screen.default_char)
        made: list[list[Any]] = []
        row: list[Any] = []
        x = 0
        start = line.find("\x1b[")
        pieces = _LINE_PIECE.findall(line, start) if start >= 0 else []
        if start != 0:
            pieces.insert(0, ("", "", line[:start] if start > 0 else line))
        for params, final, text in pieces:
            if final == "m":
                hit = sgr_hit((id(attrs), params, default))
                if hit is not None and hit[0] is attrs:
                    attrs, cells = hit[1], hit[2]
                else:
                    cursor.attrs = attrs
                    cells = self._apply_sgr(params)
                    attrs = cursor.attrs
            elif final == "K":
                if attrs.bg != "default":
                    cursor.attrs = start_attrs
                    return None
                if x == columns:
                    # The cursor waits on the last column: EL erases that cell.
                    at, piece, owner = row[-1]
                    row[-1] = (at, piece[:-1], owner)
            if not text:
                continue
            width = len(text)
            if x + width <= columns:
                row.append((x, text, cells))
                x += width
                continue
            while text:
                if x == columns:
                    made.append(row)
                    row, x = [], 0
                piece = text[: columns - x]
                row.append((x, piece, cells))
                x += len(piece)
                text = text[len(piece) :]
        cursor.attrs = attrs
        made.append(row)
        rows.extend(made)
        return cells

    def _apply_sgr(self, params: str) -> Any:
        """Apply SGR `params`; return the cell cache of the new attributes.

        Coloured output repeats a handful of attribute changes; each result is kept
        per (attributes before, parameters), so most SGRs cost one dictionary lookup.
        """
        screen = self._screen
        cursor = screen.cursor
        attrs = cursor.attrs
        key = (id(attrs), params, id(screen.default_char))
        hit = self._sgr_cache.get(key)
        if hit is not None and hit[0] is attrs:
            cursor.attrs = hit[1]
            return hit[2]
        self._call(screen.select_graphic_rendition, *_sgr_params(params))
        if len(self._sgr_cache) >= _MAX_SGR_CACHE:
            self._sgr_cache.clear()
            self._interned.clear()
        # Equal attribute sets share one object, so the identity keys above recur.
        result = self._interned.setdefault(cursor.attrs, cursor.attrs)
        cursor.attrs = result
        cells = screen.cells_for(result)
        self._sgr_cache[key] = (attrs, result, cells)
        return cells

    def _resume(self, data: str) -> int:
        """Finish a string or malformed CSI left open by the previous chunk."""
        state, self._state = self._state, _GROUND
        if state in (_IN_STRING, _IN_OSC):
            return self._skip_string(data, 0, osc=state == _IN_OSC)
        if state == _IN_CSI_IGNORE:
            return self._skip_csi(data, 0)
        return 0

    def _control(self, char: str) -> None:
        """Execute one C0 control; the ones a terminal ignores are dropped."""
        name = _CONTROLS.get(char)
        if name is not None:
            getattr(self._screen, name)()

    def _sequence(self, data: str, offset: int) -> int:
        """Apply the ESC or C1 sequence at `offset`; return where parsing continues.

        A negative result means the rest of the chunk was rewritten into `_spliced`
        (a control character executed from inside a CSI) and parsing restarts there.
        """
        char = data[offset]
        if char == ESC:
            if offset + 1 == len(data):
                self._pending = ESC
                return len(data)
            kind = data[offset + 1]
        else:
            kind = chr(ord(char) - 0x40)
        if kind == "[":
            return self._csi(data, offset)
        if kind == "]":
            return self._osc(data, offset)
        if kind in _STRING_INTRODUCERS or char in _C1_STRINGS:
            return self._skip_string(data, offset + (2 if char == ESC else 1))
        if char != ESC:
            self._dispatch_esc("", kind)
            return offset + 1
        return self._esc(data, offset)

    def _csi(self, data: str, offset: int) -> int:
        """Apply a CSI sequence, keep a partial one, or recover from a malformed one."""
        match = _CSI.match(data, offset)
        if match is not None:
            self._dispatch_csi(*match.groups())
            return match.end()
        prefix_end = _CSI_PREFIX.match(data, offset).end()  # type: ignore[union-attr]
        if prefix_end == len(data):
            if prefix_end - offset <= _MAX_PENDING_CSI:
                self._pending = data[offset:]
                return len(data)
            return self._skip_csi(data, prefix_end)
        char = data[prefix_end]
        if char in (CAN, SUB):
            return prefix_end + 1
        if char == ESC or "\x80" <= char <= "\x9f":
            return prefix_end
        if char < " " or char == "\x7f":
            # C0 controls inside a CSI are executed and the sequence goes on.
            self._control(char)
            self._spliced = data[offset:prefix_end] + data[prefix_end + 1 :]
            return -1
        return self._skip_csi(data, prefix_end)

    def _skip_csi(self, data: str, offset: int) -> int:
        """Skip a malformed CSI up to its final byte (or an abort character)."""
        match = _CSI_FINAL.search(data, offset)
        if match is None:
            self._state = _IN_CSI_IGNORE
            return len(data)
        return match.start() + (0 if match.group() == ESC else 1)

    def _osc(self, data: str, offset: int) -> int:
        """Apply an operating-system command (title), keeping a partial one."""
        match = _OSC.match(data, offset)
        if match is not None:
            self._dispatch_osc(match.group(1))
            return match.end()
        prefix_end = _OSC_PREFIX.match(data, offset).end()  # type: ignore[union-attr]
        complete_later = prefix_end == len(data) or (
            prefix_end + 1 == len(data) and data[prefix_end] == ESC
        )
        if complete_later:
            if len(data) - offset <= _MAX_PENDING_OSC:
                self._pending = data[offset:]
                return len(data)
            return self._skip_string(data, prefix_end, osc=True)
        char = data[prefix_end]
        return prefix_end + 1 if char in (CAN, SUB, "\x9c") else prefix_end

    def _skip_string(self, data: str, offset: int, *, osc: bool = False) -> int:
        """Skip a DCS/SOS/PM/APC payload (or an oversized OSC) up to its terminator."""
        match = (_OSC_STOP if osc else _STRING_STOP).search(data, offset)
        if match is None:
            self._state = _IN_OSC if osc else _IN_STRING
            return len(data)
        stop = match.start()
        if data[stop] != ESC:
            return stop + 1
        if stop + 1 == len(data):
            self._state = _IN_STRING_ESC
            return len(data)
        return stop + 2 if data[stop + 1] == "\\" else stop

    def _esc(self, data: str, offset: int) -> int:
        """Apply a two- or three-character ESC sequence."""
        match = _ESC_SEQ.match(data, offset)
        if match is not None:
            self._dispatch_esc(*match.groups())
            return match.end()
        prefix_end = _ESC_PREFIX.match(data, offset).end()  # type: ignore[union-attr]
        if prefix_end == len(data) and prefix_end - offset <= 8:
            self._pending = data[offset:]
            return len(data)
        # ESC followed by something outside the grammar: drop the ESC only.
        return offset + 1

    def _dispatch_csi(self, params: str, intermediates: str, final: str) -> None:
        """Call the screen for one complete CSI sequence."""
        screen = self._screen
        if intermediates:
            if intermediates == "!" and final == "p":
                screen.soft_reset()
            elif intermediates == " " and final == "q" and params.isdigit():
                self._call(screen.set_cursor_shape, _int(params))
            elif intermediates == " " and final == "q" and not params:
                self._call(screen.set_cursor_shape, 0)
            return
        prefix = ""
        if params and params[0] in "<=>?":
            prefix, params = params[0], params[1:]
        if any(c in "<=>?" for c in params):
            return
        if prefix == "?":
            self._dispatch_private(params, final)
        elif prefix == "":
            self._dispatch_plain(params, final)

    def _dispatch_plain(self, params: str, final: str) -> None:
        """Call the screen for a CSI without a private prefix."""
        screen = self._screen
        if final == "m":
            self._call(screen.select_graphic_rendition, *_sgr_params(params))
        elif final in "hl":
            method = screen.set_mode if final == "h" else screen.reset_mode
            self._call(method, *_plain_params(params))
        elif final in "su" and not params:
            self._call(screen.save_cursor if final == "s" else screen.restore_cursor)
        elif final in _CSI_PLAIN:
            name, arity = _CSI_PLAIN[final]
            values = _plain_params(params)
            if final == "T" and len(values) > 1:
                return  # the five-parameter form is mouse tracking, not scrolling
            self._call(getattr(screen, name), *values[:arity])

    def _dispatch_private(self, params: str, final: str) -> None:
        """Call the screen for a `CSI ? ...` sequence; queries it does not know are dropped."""
        screen = self._screen
        values = _plain_params(params)
        if final == "h":
            self._call(screen.set_mode, *values, private=True)
        elif final == "l":
            self._call(screen.reset_mode, *values, private=True)
        elif final == "J":
            self._call(screen.erase_in_display, *values[:1])
        elif final == "K":
            self._call(screen.erase_in_line, *values[:1])

    def _dispatch_esc(self, intermediates: str, final: str) -> None:
        """Call the screen for one ESC sequence."""
        screen = self._screen
        if not intermediates:
            name = _ESC_PLAIN.get(final)
            if name is not None:
                self._call(getattr(screen, name))
        elif intermediates in ("(", ")"):
            screen.define_charset(final, intermediates)
        elif intermediates == "#" and final == "8":
            self._call(screen.alignment_display)

    def _dispatch_osc(self, payload: str) -> None:
        """Apply an OSC payload: only the window title and icon name are used."""
        code, _, value = payload.partition(";")
        value = "".join(char for char in value if char >= " ")
        if code in ("0", "2"):
            self._screen.set_title(value)
        if code in ("0", "1"):
            self._screen.set_icon_name(value)

    @staticmethod
    def _call(method: Callable[..., Any], *args: int, **kwargs: bool) -> None:
        """Call a screen method; a sequence it cannot apply must not stop the terminal."""
        try:
            method(*args, **kwargs)
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            # Parameters are program output, which is never logged.
            logger.debug("screen rejected %s: %s", method.__name__, type(exc).__name__)
