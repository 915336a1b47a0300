"""Key encoding: the bytes an xterm sends for each key press."""

from __future__ import annotations

import pytest

from krates_desktop.terminal.keys import (
    MOUSE_LEFT,
    MOUSE_NONE,
    MOUSE_RIGHT,
    encode_key,
    encode_mouse,
    encode_paste,
)


@pytest.mark.parametrize(
    ("key", "text", "mods", "expected"),
    [
        ("A", "a", {}, b"a"),
        ("A", "A", {"shift": True}, b"A"),
        ("2", "é", {}, "é".encode()),
        ("Enter", "\r", {}, b"\r"),
        ("Backspace", "\x08", {}, b"\x7f"),
        ("Backspace", "", {"ctrl": True}, b"\x08"),
        ("Tab", "\t", {}, b"\t"),
        ("Backtab", "", {"shift": True}, b"\x1b[Z"),
        ("Escape", "\x1b", {}, b"\x1b"),
        ("Space", " ", {}, b" "),
        ("Space", " ", {"ctrl": True}, b"\x00"),
        ("Up", "", {}, b"\x1b[A"),
        ("Down", "", {}, b"\x1b[B"),
        ("Right", "", {}, b"\x1b[C"),
        ("Left", "", {}, b"\x1b[D"),
        ("C", "\x03", {"ctrl": True}, b"\x03"),
        ("D", "", {"ctrl": True}, b"\x04"),
        ("Z", "", {"ctrl": True, "shift": True}, b"\x1a"),
        ("[", "", {"ctrl": True}, b"\x1b"),
        ("\\", "", {"ctrl": True}, b"\x1c"),
        ("A", "a", {"alt": True}, b"\x1ba"),
        ("X", "", {"alt": True, "ctrl": True}, b"\x1b\x18"),
        ("Enter", "\r", {"alt": True}, b"\x1b\r"),
        ("Home", "", {}, b"\x1b[H"),
        ("End", "", {}, b"\x1b[F"),
        ("PageUp", "", {}, b"\x1b[5~"),
        ("PageDown", "", {}, b"\x1b[6~"),
        ("Insert", "", {}, b"\x1b[2~"),
        ("Delete", "", {}, b"\x1b[3~"),
        ("Up", "", {"ctrl": True}, b"\x1b[1;5A"),
        ("Right", "", {"shift": True, "alt": True}, b"\x1b[1;4C"),
        ("Delete", "", {"ctrl": True}, b"\x1b[3;5~"),
        ("F1", "", {}, b"\x1bOP"),
        ("F4", "", {}, b"\x1bOS"),
        ("F2", "", {"shift": True}, b"\x1b[1;2Q"),
        ("F5", "", {}, b"\x1b[15~"),
        ("F10", "", {}, b"\x1b[21~"),
        ("F12", "", {"ctrl": True}, b"\x1b[24;5~"),
        ("Shift", "", {"shift": True}, b""),
    ],
)
def test_key_table(key: str, text: str, mods: dict[str, bool], expected: bytes) -> None:
    """Each key, with its modifiers, is sent as xterm sends it."""
    assert encode_key(key, text, **mods) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [("Up", b"\x1bOA"), ("Down", b"\x1bOB"), ("Home", b"\x1bOH"), ("End", b"\x1bOF")],
)
def test_application_cursor_mode(key: str, expected: bytes) -> None:
    """In application-cursor mode arrows, Home and End use SS3."""
    assert encode_key(key, app_cursor=True) == expected


def test_all_function_keys_are_distinct() -> None:
    """F1-F12 each send their own sequence."""
    sequences = {encode_key(f"F{n}") for n in range(1, 13)}
    assert len(sequences) == 12


def test_paste_plain_and_bracketed() -> None:
    """Line ends become CR; bracketed paste is wrapped and cannot be ended from inside."""
    assert encode_paste("a\nb\r\nc", bracketed=False) == b"a\rb\rc"
    assert encode_paste("x\x1b[201~y", bracketed=True) == b"\x1b[200~xy\x1b[201~"


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("5", "5", b"\x1bOu"),
        ("Enter", "\r", b"\x1bOM"),
        ("+", "+", b"\x1bOk"),
        ("0", "0", b"\x1bOp"),
        (".", ".", b"\x1bOn"),
    ],
)
def test_keypad_in_application_mode(key: str, text: str, expected: bytes) -> None:
    """After DECKPAM keypad keys send SS3 sequences; without it they type as usual."""
    assert encode_key(key, text, keypad=True, app_keypad=True) == expected
    assert encode_key(key, text, keypad=True, app_keypad=False) == (
        b"\r" if key == "Enter" else text.encode()
    )
    assert encode_key(key, text, keypad=False, app_keypad=True) == (
        b"\r" if key == "Enter" else text.encode()
    )


@pytest.mark.parametrize(
    ("args", "tracking", "sgr", "expected"),
    [
        (("press", MOUSE_LEFT, 4, 2), 1000, False, b"\x1b[M %#"),
        (("release", MOUSE_LEFT, 4, 2), 1000, False, b"\x1b[M#%#"),
        (("press", MOUSE_RIGHT, 0, 0), 1000, True, b"\x1b[<2;1;1M"),
        (("release", MOUSE_RIGHT, 0, 0), 1000, True, b"\x1b[<2;1;1m"),
        (("wheel", 0, 9, 9), 1000, True, b"\x1b[<64;10;10M"),
        (("wheel", 1, 9, 9), 1000, True, b"\x1b[<65;10;10M"),
        (("motion", MOUSE_LEFT, 3, 1), 1000, True, b""),
        (("motion", MOUSE_LEFT, 3, 1), 1002, True, b"\x1b[<32;4;2M"),
        (("motion", MOUSE_NONE, 3, 1), 1002, True, b""),
        (("motion", MOUSE_NONE, 3, 1), 1003, True, b"\x1b[<35;4;2M"),
        (("release", MOUSE_LEFT, 1, 1), 9, False, b""),
        (("press", MOUSE_LEFT, 300, 1), 1000, False, b""),
        (("press", MOUSE_LEFT, 300, 1), 1000, True, b"\x1b[<0;301;2M"),
        (("press", MOUSE_LEFT, 1, 1), 0, True, b""),
    ],
)
def test_mouse_reports(
    args: tuple[str, int, int, int], tracking: int, sgr: bool, expected: bytes
) -> None:
    """Mouse events are reported as xterm does for each tracking mode and encoding."""
    assert encode_mouse(*args, tracking=tracking, sgr=sgr) == expected


def test_mouse_modifiers_are_encoded() -> None:
    """Shift, Alt and Ctrl add 4, 8 and 16 to the button code (not in X10 mode)."""
    report = encode_mouse(
        "press", MOUSE_LEFT, 0, 0, tracking=1000, sgr=True, shift=True, ctrl=True
    )
    assert report == b"\x1b[<20;1;1M"
    assert encode_mouse("press", MOUSE_LEFT, 0, 0, tracking=9, sgr=True, ctrl=True) == (
        b"\x1b[<0;1;1M"
    )
