"""Streamed lines take a faster path; it must give exactly the screen the usual one does.

Large chunks of complete lines go through `push_rows` (whole rows at once, scroll-back
rows kept as text until read); tiny chunks never form a complete line and go through
the character-by-character path. Both must agree on text, attributes, scroll-back,
dropped-line counts and cursor for any mix of output.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from krates_desktop.terminal.screen import TerminalScreen, line_text, pending_segments
from tests.conftest import SHARED
from tests.unit.terminal.test_golden import screen_styles

LOGS = SHARED / "data" / "logs"

_COLOURS = [
    b"\x1b[31m",
    b"\x1b[1;32m",
    b"\x1b[38;5;208m",
    b"\x1b[0m",
    b"\x1b[m",
    b"\x1b[44m",
]
_EXTRAS = [
    b"\x1b[K",
    b"\x1b[2A\x1b[3Gxy",  # cursor up into rows written in one go, then overwrite
    b"\x1b[1;1H\x1b[2K",
    b"\x1b[5;10r\x1b[r",
    "漢字".encode(),
    b"\t|",
    b"\x1b[?1049h\x1b[Halt\x1b[?1049l",
]


def log_lines() -> list[bytes]:
    lines = []
    for path in sorted(Path(LOGS).glob("*.log"))[:4]:
        lines.extend(path.read_bytes().splitlines()[:150])
    return lines


def random_stream(seed: int, columns: int) -> bytes:
    """Real log lines with colours, erases, exact-width lines and odd line ends."""
    rng = random.Random(seed)
    out = []
    for line in log_lines():
        roll = rng.random()
        if roll < 0.2:
            cut = rng.randint(0, len(line))
            line = line[:cut] + rng.choice(_COLOURS) + line[cut:] + b"\x1b[0m\x1b[K"
        elif roll < 0.25:
            line = b"x" * (columns * rng.randint(1, 3))  # fills rows exactly
        elif roll < 0.3:
            line = line + rng.choice(_EXTRAS)
        elif roll < 0.33:
            line = b""
        ending = rng.choice([b"\r\n", b"\r\n", b"\r\r\n", b"\r\n"])
        out.append(line.rstrip(b"\r") + ending)
    return b"".join(out)


def fed(
    data: bytes, columns: int, rows: int, history: int, step: int
) -> TerminalScreen:
    screen = TerminalScreen(columns, rows, history=history)
    rng = random.Random(step)
    offset = 0
    while offset < len(data):
        size = step if step > 16 else rng.randint(1, step)
        screen.feed(data[offset : offset + size])
        offset += size
    return screen


def history_text(screen: TerminalScreen) -> list[str]:
    return [line_text(line, 0, screen.columns) for line in screen.history.top]


@pytest.mark.parametrize(
    ("columns", "rows", "history", "seed"),
    [(80, 24, 5000, 1), (20, 5, 5000, 2), (80, 24, 40, 3), (200, 60, 5000, 4)],
)
def test_big_chunks_and_tiny_chunks_agree(
    columns: int, rows: int, history: int, seed: int
) -> None:
    """Whole-line writing gives the same screen, scroll-back and counts as byte feeding."""
    data = random_stream(seed, columns)
    fast = fed(data, columns, rows, history, 65536)
    slow = fed(data, columns, rows, history, 7)
    assert any(pending_segments(line) is not None for line in fast.history.top)
    assert fast.view_text() == slow.view_text()
    assert screen_styles(fast) == screen_styles(slow)
    assert history_text(fast) == history_text(slow)
    assert fast.first_line_number == slow.first_line_number
    assert (fast.cursor.x, fast.cursor.y) == (slow.cursor.x, slow.cursor.y)
    assert fast.cursor.attrs == slow.cursor.attrs


def test_rows_kept_as_text_read_back_with_their_colours() -> None:
    """Scroll-back rows written in one go show their characters and colours when read."""
    screen = TerminalScreen(10, 3)
    screen.feed(b"".join(b"\x1b[31mred %02d\x1b[0m ok\r\n" % i for i in range(20)))
    row = screen.history.top[10]
    assert pending_segments(row) is not None, "kept as text until read"
    assert line_text(row, 0, 10) == "red 10 ok"
    assert pending_segments(row) is None
    assert row[0].fg == "red" and row[7].fg == "default"
    assert line_text(screen.history.top[0], 0, 10) == "red 00 ok"
    assert screen.view_text() == ["red 18 ok", "red 19 ok", ""]


def test_writing_over_a_streamed_row_keeps_the_rest_of_it() -> None:
    """Overwriting part of a row written in one go changes only the written cells."""
    screen = TerminalScreen(20, 4)
    screen.feed(b"".join(b"line %d of output\r\n" % i for i in range(6)))
    screen.feed(b"\x1b[2;6HX")
    assert screen.view_text()[1] == "line X of output"


def test_scrolled_back_view_stays_put_while_lines_stream() -> None:
    """A view scrolled into the scroll-back keeps its text while whole lines arrive."""
    screen = TerminalScreen(20, 4)
    screen.feed(b"".join(b"line %d\r\n" % i for i in range(50)))
    screen.scroll_up(10)
    shown = screen.view_text()
    screen.feed(b"".join(b"more %d\r\n" % i for i in range(30)))
    assert screen.view_text() == shown
