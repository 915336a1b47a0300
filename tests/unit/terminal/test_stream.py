"""The parser: sequences pyte mis-reads, chunk boundaries anywhere, and garbage input."""

from __future__ import annotations

import random

import pytest

from krates_desktop.terminal.screen import TerminalScreen


def fed(*chunks: bytes, cols: int = 80, rows: int = 24) -> TerminalScreen:
    screen = TerminalScreen(cols, rows)
    for chunk in chunks:
        screen.feed(chunk)
    return screen


def every_split(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(data[:i], data[i:]) for i in range(len(data) + 1)]


SIXEL = b"a\x1bPq#0;2;0;0;0#1;2;100;100;0#1~~@@vv@@~~@@~~$#0??}}GG}}??}}??-\x1b\\b"


@pytest.mark.parametrize(("first", "second"), every_split(SIXEL))
def test_dcs_payload_is_never_printed(first: bytes, second: bytes) -> None:
    """A sixel image in DCS, split anywhere, leaves only the text around it."""
    assert fed(first, second).view_text()[0] == "ab"


@pytest.mark.parametrize(
    "string",
    [
        b"\x1b_Gf=24,s=1;AAAA\x1b\\",  # APC (kitty graphics)
        b"\x1b^private\x1b\\",  # PM
        b"\x1bXsos\x1b\\",  # SOS
        "\u0090q~~\u009c".encode(),  # 8-bit DCS ... ST, UTF-8 encoded
        b"\x1bP+q544e\x1b\\",  # XTGETTCAP query
    ],
)
def test_control_strings_are_swallowed(string: bytes) -> None:
    """APC, PM, SOS and C1 DCS payloads are not drawn."""
    assert fed(b"a" + string + b"b").view_text()[0] == "ab"


@pytest.mark.parametrize(
    "sequence",
    [b"\x1b[?4m", b"\x1b[>4;2m", b"\x1b[>4;m", b"\x1b[?u", b"\x1b[=5u", b"\x1b[<1u"],
)
def test_private_queries_neither_raise_nor_style(sequence: bytes) -> None:
    """`CSI ? 4 m` and other prefixed CSIs are consumed without touching attributes."""
    screen = fed(sequence + b"x")
    cell = screen.view_cells(0)[0]
    assert cell.data == "x"
    assert not (cell.underscore or cell.bold or cell.reverse)


@pytest.mark.parametrize(
    "sequence", [b"\x1b[2 q", b"\x1b[0%m", b"\x1b[?2026$p", b"\x1b[!p", b"\x1b[22;0;0t"]
)
def test_sequences_with_intermediates_are_consumed_whole(sequence: bytes) -> None:
    """Intermediate bytes do not leak parameters onto the screen."""
    assert fed(sequence + b"x").view_text()[0] == "x"


def test_colon_sub_parameters() -> None:
    """`4:3`, `38:5:n`, `38:2::r:g:b` and `58:...` are read as xterm reads them."""
    screen = fed(b"\x1b[4:3ma\x1b[4:0;38:5:196mb\x1b[38:2::1:2:3mc\x1b[0;58:2::9:9:9md")
    a, b, c, d = screen.view_cells(0)[:4]
    assert a.underscore and not b.underscore
    assert b.fg == "ff0000" and c.fg == "010203"
    assert d.fg == "default" and d.bg == "default"


def test_control_inside_csi_is_executed() -> None:
    """A carriage return inside a CSI runs, and the CSI still applies."""
    screen = fed(b"abc\x1b[2\r;5Hx")
    assert screen.view_text()[:2] == ["abc", "    x"]


def test_can_aborts_a_sequence() -> None:
    """CAN inside a CSI abandons it; what follows is plain text."""
    screen = fed(b"\x1b[31\x18x")
    assert screen.view_cells(0)[0].data == "x"
    assert screen.view_cells(0)[0].fg == "default"


def test_oversized_sequences_are_dropped() -> None:
    """A CSI with a thousand digits, or an unterminated OSC, does not swallow the terminal."""
    screen = fed(b"\x1b[" + b"1" * 1000 + b"mX")
    assert screen.view_text()[0] == "X"
    chunks = [b"\x1b]2;" + b"t" * 10000] + [b"t" * 10000] * 3 + [b"\x07after"]
    assert fed(*chunks).view_text()[0] == "after"


@pytest.mark.parametrize(
    ("first", "second"), every_split(b"\x1b[1;31mred\x1b]2;title\x1b\\")
)
def test_sequences_split_anywhere(first: bytes, second: bytes) -> None:
    """A sequence split between two chunks applies once both halves are in."""
    screen = fed(first, second)
    assert screen.view_text()[0] == "red"
    assert screen.view_cells(0)[0].fg == "red" and screen.view_cells(0)[0].bold
    assert screen.title == "title"


def test_multibyte_character_split_across_chunks() -> None:
    """A three-byte character split 1+2 and 2+1 decodes once, without U+FFFD."""
    block = "█".encode()
    screen = fed(b"a" + block[:1], block[1:] + block[:2], block[2:] + b"b")
    assert screen.view_text()[0] == "a██b"


def test_invalid_bytes_become_replacement_characters() -> None:
    """A Latin-1 byte in the stream shows U+FFFD and the rest of the line survives."""
    assert fed(b"caf\xe9 ok\r\n\xd4next").view_text()[:2] == [
        "caf\ufffd ok",
        "\ufffdnext",
    ]


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_never_break_the_terminal(seed: int) -> None:
    """Random bytes fed in random chunks raise nothing; a reset gives a clean screen."""
    rng = random.Random(seed)
    alphabet = b"\x1b[]P^_X;:?>=<0123456789mHJKhlrsu$ !\x07\x18\x1a\x9c\x90\x9b\r\n\x08\tabc\xe2\x96\x88\xff"
    data = bytes(rng.choice(alphabet) for _ in range(20000))
    screen = TerminalScreen(40, 12)
    offset = 0
    while offset < len(data):
        step = rng.randint(1, 300)
        screen.feed(data[offset : offset + step])
        offset += step
    screen.feed(b"\x1b\\\x18\x1bc")
    screen.feed(b"still here")
    assert screen.view_text()[0] == "still here"
