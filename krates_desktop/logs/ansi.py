"""What a log line shows: ANSI colours as styled spans, every other control removed.

Containers write log lines as they would to a terminal: SGR colour codes, cursor
moves, `\\r` progress bars, backspaces. `display_text()` gives the text a reader sees
(and search and copy work on): escape sequences removed, a carriage return inside a
line overwrites from the line's start the way a terminal does, a backspace takes back
the character before it, other control characters are dropped; tabs stay. `styled()`
gives the same text with the spans its SGR codes colour. `raw_text()` is the line as
it was written, with control characters shown as visible symbols, one per character
(so positions in it are positions in the original line).

Limitations: cursor moves other than carriage return are dropped rather than
applied; the 256-colour and true-colour SGR forms are kept as given (the view maps
them to colours), and blinking is not shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# CSI (with any private prefix and intermediates), OSC and DCS/SOS/PM/APC strings up
# to their terminator (or the line's end), and two-character ESC sequences.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
)
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
# Control characters other than tab (C0, DEL and C1): what needs more than reading.
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_NEEDS_WORK_IN_CHUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x80-\x9f]")
_DROPPED = re.compile(r"[\x00-\x07\x0a-\x1f\x7f-\x9f]")

# Control characters drawn as Unicode "control pictures" in the raw view.
RAW_PICTURES = str.maketrans(
    {**{i: 0x2400 + i for i in range(0x20) if i != 0x09}, 0x7F: 0x2421}
)

NAMED_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


@dataclass(frozen=True, slots=True)
class Style:
    """The rendition of a span: colours as names ("red", "brightred"), `#rrggbb` or
    256-colour indices ("idx:208"), and flags."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False
    strike: bool = False


PLAIN = Style()


@dataclass(frozen=True, slots=True)
class Span:
    """Characters `start` to `end - 1` of a line's display text, drawn with `style`."""

    start: int
    end: int
    style: Style


def has_controls(raw: str) -> bool:
    """Whether a line holds escape sequences or control characters other than tab."""
    return "\x1b" in raw or _NEEDS_WORK.search(raw) is not None


def display_text(raw: str) -> str:
    """The text a line shows: escapes removed, `\\r`, backspace and erases applied."""
    if not has_controls(raw):
        return raw
    if "\r" in raw or "\b" in raw:
        return _line_terminal(raw)
    return _DROPPED.sub("", _ESCAPE.sub("", raw))


def display_chunk(chunk: str) -> str:
    """`display_text` of every line of a newline-joined chunk, line count unchanged."""
    if not chunk_has_controls(chunk):
        return chunk
    original = chunk
    if "\x1b" in chunk:
        chunk = _ESCAPE.sub("", chunk)
    if not _NEEDS_WORK_IN_CHUNK.search(chunk):
        return chunk
    return "\n".join(display_text(line) for line in original.split("\n"))


_C0_BUT_TAB_AND_LF = [chr(c) for c in (*range(0x09), *range(0x0B, 0x20), 0x7F)]


def chunk_has_controls(chunk: str) -> bool:
    """Whether a chunk holds anything but text, tabs and line ends.

    One `in` test per control character is far faster than a character-class search
    over a megabyte of text, which matters when searching a million lines.
    """
    if any(char in chunk for char in _C0_BUT_TAB_AND_LF):
        return True
    return not chunk.isascii() and _C1.search(chunk) is not None


def raw_text(raw: str) -> str:
    """The line as written, control characters shown as symbols (␛ for ESC)."""
    return raw.translate(RAW_PICTURES)


_ERASE_MARKS = {"": "\ue000", "0": "\ue000", "1": "\ue001", "2": "\ue002"}
_ERASE_IN_LINE = re.compile(r"\x1b\[([012]?)K")


def _line_terminal(raw: str) -> str:
    """Play a line on a one-line terminal: CR, backspace and erase-in-line move and
    clear, text overwrites. This is what a progress bar leaves on a real terminal."""
    marked = _ERASE_IN_LINE.sub(lambda m: _ERASE_MARKS[m.group(1)], raw)
    marked = _ESCAPE.sub("", marked)
    cells: list[str] = []
    cursor = 0
    erased = False
    for char in marked:
        if char == "\r":
            cursor = 0
        elif char == "\b":
            cursor = max(0, cursor - 1)
        elif char in "\ue000\ue001\ue002":
            erased = True
            cursor = _erase(cells, cursor, char)
        elif char == "\t" or not _DROPPED.match(char):
            if cursor < len(cells):
                cells[cursor] = char
            else:
                cells.extend(" " * (cursor - len(cells)))
                cells.append(char)
            cursor += 1
    text = "".join(cells)
    return text.rstrip(" ") if erased else text


def _erase(cells: list[str], cursor: int, mark: str) -> int:
    if mark == "\ue000":
        del cells[cursor:]
    elif mark == "\ue001":
        cells[: cursor + 1] = " " * min(len(cells), cursor + 1)
    else:
        cells[:] = " " * len(cells)
    return cursor


def styled(raw: str) -> tuple[str, list[Span]]:
    """The display text of a line and the spans its SGR codes style.

    Unstyled stretches have no span. A line that moves its cursor back (carriage
    return, backspace) is shown as it ends up, without its colours.
    """
    if "\x1b[" not in raw or "\r" in raw or "\b" in raw:
        return display_text(raw), []
    text_parts: list[str] = []
    spans: list[Span] = []
    style = PLAIN
    length = 0
    pos = 0
    for match in _SGR.finditer(raw):
        length = _add_piece(raw[pos : match.start()], style, text_parts, spans, length)
        style = apply_sgr(style, match.group(1))
        pos = match.end()
    _add_piece(raw[pos:], style, text_parts, spans, length)
    return "".join(text_parts), spans


def _add_piece(
    piece: str, style: Style, parts: list[str], spans: list[Span], length: int
) -> int:
    """Append one stretch between SGRs; return the display length so far."""
    if not piece:
        return length
    if has_controls(piece):
        piece = display_text(piece)
    if not piece:
        return length
    parts.append(piece)
    end = length + len(piece)
    if style != PLAIN:
        if spans and spans[-1].end == length and spans[-1].style == style:
            spans[-1] = Span(spans[-1].start, end, style)
        else:
            spans.append(Span(length, end, style))
    return end


@lru_cache(maxsize=4096)
def apply_sgr(style: Style, params: str) -> Style:
    """The style after one SGR sequence's parameters (`"1;31"`, `"38;5;208"`)."""
    codes = _codes(params)
    fields: dict[str, object] = {
        "fg": style.fg,
        "bg": style.bg,
        "bold": style.bold,
        "dim": style.dim,
        "italic": style.italic,
        "underline": style.underline,
        "reverse": style.reverse,
        "strike": style.strike,
    }
    i = 0
    while i < len(codes):
        i = _apply_code(fields, codes, i)
    return Style(**fields)  # type: ignore[arg-type]


def _codes(params: str) -> list[int | list[int]]:
    """SGR parameters; a colon group (`38:2::1:2:3`, `4:3`) stays one list item."""
    items: list[int | list[int]] = []
    for part in params.split(";") if params else ["0"]:
        if ":" in part:
            items.append([int(p) if p.isdigit() else 0 for p in part.split(":")])
        else:
            items.append(int(part) if part.isdigit() else 0)
    return items


_FLAG_ON = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "reverse", 9: "strike"}
_FLAG_OFF = {
    22: ("bold", "dim"),
    23: ("italic",),
    24: ("underline",),
    27: ("reverse",),
    29: ("strike",),
}


def _apply_code(fields: dict[str, object], codes: list[int | list[int]], i: int) -> int:
    """Apply the code at `i`; return the index of the next one."""
    code = codes[i]
    if isinstance(code, list):
        _apply_colon_group(fields, code)
        return i + 1
    if code == 0:
        fields.update(fg=None, bg=None, bold=False, dim=False, italic=False)
        fields.update(underline=False, reverse=False, strike=False)
    elif code in _FLAG_ON:
        fields[_FLAG_ON[code]] = True
    elif code in _FLAG_OFF:
        for name in _FLAG_OFF[code]:
            fields[name] = False
    elif 30 <= code <= 37 or 90 <= code <= 97:
        fields["fg"] = _named(code - 30 if code < 90 else code - 90, code >= 90)
    elif 40 <= code <= 47 or 100 <= code <= 107:
        fields["bg"] = _named(code - 40 if code < 100 else code - 100, code >= 100)
    elif code in (39, 49):
        fields["fg" if code == 39 else "bg"] = None
    elif code in (38, 48):
        return _apply_extended(fields, codes, i)
    return i + 1


def _apply_extended(
    fields: dict[str, object], codes: list[int | list[int]], i: int
) -> int:
    """`38;5;n` / `38;2;r;g;b` (and the same for 48)."""
    key = "fg" if codes[i] == 38 else "bg"
    rest = [c for c in codes[i + 1 : i + 5] if isinstance(c, int)]
    if rest[:1] == [5] and len(rest) >= 2:
        fields[key] = colour_index(rest[1])
        return i + 3
    if rest[:1] == [2] and len(rest) >= 4:
        fields[key] = _rgb(*rest[1:4])
        return i + 5
    return len(codes)


def _apply_colon_group(fields: dict[str, object], group: list[int]) -> None:
    head = group[0]
    if head == 4:
        fields["underline"] = group[1:2] != [0]
    elif head in (38, 48) and len(group) >= 3:
        key = "fg" if head == 38 else "bg"
        if group[1] == 5:
            fields[key] = colour_index(group[2])
        elif group[1] == 2 and len(group) >= 5:
            fields[key] = _rgb(*group[-3:])


def _named(index: int, bright: bool) -> str:
    return ("bright" if bright else "") + NAMED_COLOURS[index]


def colour_index(index: int) -> str:
    """A 256-colour index as a style colour: a name for 0-15, `#rrggbb` beyond."""
    if index < 0 or index > 255:
        return "default"
    if index < 16:
        return _named(index % 8, index >= 8)
    if index < 232:
        steps = (0, 95, 135, 175, 215, 255)
        n = index - 16
        return _rgb(steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    level = 8 + 10 * (index - 232)
    return _rgb(level, level, level)


def _rgb(r: int, g: int, b: int) -> str:
    return f"#{min(r, 255):02x}{min(g, 255):02x}{min(b, 255):02x}"
