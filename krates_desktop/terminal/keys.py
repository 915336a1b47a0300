"""Key encoding: what bytes an xterm-compatible terminal sends for a key press.

The view maps its toolkit's key codes to the names used here (`"Up"`, `"F5"`, `"A"`,
`"Enter"`), so this module stays free of Qt and is a pure function of plain values.
Modified special keys use xterm's `CSI 1;<mod> X` / `CSI <n>;<mod> ~` forms, where
`<mod>` is 1 + Shift + 2·Alt + 4·Ctrl.

Mouse reports (`encode_mouse`) follow xterm's tracking modes 9, 1000, 1002 and 1003,
in the classic `CSI M` form or the SGR form (`CSI ? 1006 h`). In application keypad
mode (DECKPAM) keypad keys send their VT100 `SS3` sequences.

Limitations: xterm's modifyOtherKeys, the kitty keyboard protocol and the UTF-8
(1005) and urxvt (1015) mouse encodings are not offered; the classic mouse form cannot
name a cell past column or row 223, so such reports are not sent.
"""

from __future__ import annotations

ESC = b"\x1b"

# Keys whose sequence is CSI/SS3 + a final letter: (normal, application cursor).
_CURSOR_KEYS: dict[str, bytes] = {
    "Up": b"A",
    "Down": b"B",
    "Right": b"C",
    "Left": b"D",
    "Home": b"H",
    "End": b"F",
}

# Keys sent as CSI <number> ~.
_TILDE_KEYS: dict[str, int] = {
    "Insert": 2,
    "Delete": 3,
    "PageUp": 5,
    "PageDown": 6,
    "F5": 15,
    "F6": 17,
    "F7": 18,
    "F8": 19,
    "F9": 20,
    "F10": 21,
    "F11": 23,
    "F12": 24,
}

# F1-F4 are SS3 P..S unmodified, CSI 1;<mod> P..S with modifiers.
_PF_KEYS: dict[str, bytes] = {"F1": b"P", "F2": b"Q", "F3": b"R", "F4": b"S"}

# Ctrl with a punctuation or digit key, as xterm sends it.
_CTRL_SYMBOLS: dict[str, bytes] = {
    " ": b"\x00",
    "@": b"\x00",
    "2": b"\x00",
    "[": b"\x1b",
    "3": b"\x1b",
    "\\": b"\x1c",
    "4": b"\x1c",
    "]": b"\x1d",
    "5": b"\x1d",
    "^": b"\x1e",
    "6": b"\x1e",
    "_": b"\x1f",
    "-": b"\x1f",
    "/": b"\x1f",
    "7": b"\x1f",
    "?": b"\x7f",
    "8": b"\x7f",
}

# Keypad keys in application keypad mode: ESC O <final>.
_KEYPAD_APPLICATION: dict[str, bytes] = {
    **{str(digit): bytes([ord("p") + digit]) for digit in range(10)},
    ".": b"n",
    ",": b"l",
    "+": b"k",
    "-": b"m",
    "*": b"j",
    "/": b"o",
    "=": b"X",
    "Enter": b"M",
}

# Mouse buttons in reports, and what a wheel notch adds.
MOUSE_LEFT, MOUSE_MIDDLE, MOUSE_RIGHT, MOUSE_NONE = 0, 1, 2, 3
_WHEEL_BASE = 64
_MOTION_FLAG = 32
_X10, _NORMAL, _BUTTON_MOTION = 9, 1000, 1002

_ALIASES = {
    "Return": "Enter",
    "Esc": "Escape",
    "PgUp": "PageUp",
    "PgDown": "PageDown",
    "PgDn": "PageDown",
    "Del": "Delete",
    "Ins": "Insert",
    "BackTab": "Backtab",
}


def modifier_param(*, ctrl: bool, alt: bool, shift: bool) -> int:
    """Return xterm's modifier parameter: 1 + Shift + 2·Alt + 4·Ctrl."""
    return 1 + int(shift) + 2 * int(alt) + 4 * int(ctrl)


def encode_key(
    key: str,
    text: str = "",
    *,
    ctrl: bool = False,
    alt: bool = False,
    shift: bool = False,
    app_cursor: bool = False,
    keypad: bool = False,
    app_keypad: bool = False,
) -> bytes:
    """Return the bytes to send for one key press, or b"" for keys that send nothing.

    `key` is a key name (`"Up"`, `"F5"`, `"Enter"`, `"Tab"`, `"Space"`) or, for
    character keys, the unshifted character (`"A"`, `"5"`, `"["`); `text` is what the
    key types with the current modifiers. `alt` adds an ESC prefix (the Linux and
    Windows Meta convention); on macOS pass `alt=False` and Option's character in
    `text`. `keypad` says the key is on the numeric keypad; with `app_keypad` (DECKPAM)
    such keys send their application sequences.
    """
    key = _ALIASES.get(key, key)
    if keypad and app_keypad and not (ctrl or alt):
        final = _KEYPAD_APPLICATION.get(key) or _KEYPAD_APPLICATION.get(text)
        if final is not None:
            return b"\x1bO" + final
    special = _special_key(key, ctrl=ctrl, alt=alt, shift=shift, app_cursor=app_cursor)
    if special is not None:
        return special
    prefix = ESC if alt else b""
    if ctrl:
        control = _control_code(key, text)
        if control is not None:
            return prefix + control
    typed = _typed_text(key, text, shift)
    return prefix + typed.encode("utf-8") if typed else b""


def encode_paste(text: str, *, bracketed: bool) -> bytes:
    """Return pasted text as terminal input, wrapped in markers in bracketed-paste mode.

    Line ends become carriage returns, as a typed Enter would send. In bracketed mode an
    end marker inside the text is removed, so pasted text cannot end the paste early.
    """
    data = text.replace("\r\n", "\r").replace("\n", "\r")
    if not bracketed:
        return data.encode("utf-8")
    data = data.replace("\x1b[201~", "")
    return b"\x1b[200~" + data.encode("utf-8") + b"\x1b[201~"


def encode_mouse(
    kind: str,
    button: int,
    column: int,
    row: int,
    *,
    tracking: int,
    sgr: bool,
    shift: bool = False,
    alt: bool = False,
    ctrl: bool = False,
) -> bytes:
    """Return the report of one mouse event for a program, or b"" if it is not wanted.

    `kind` is "press", "release", "motion" or "wheel"; `button` is `MOUSE_LEFT`,
    `MOUSE_MIDDLE` or `MOUSE_RIGHT` (for motion the held button, or `MOUSE_NONE`; for
    the wheel 0 is up and 1 is down); `column` and `row` count cells from 0.
    `tracking` is the mode the program set (9, 1000, 1002, 1003, or 0 for none).
    """
    if not _mouse_wanted(kind, button, tracking):
        return b""
    if kind == "wheel":
        code = _WHEEL_BASE + button
    elif kind == "motion":
        code = _MOTION_FLAG + button
    elif kind == "release" and not sgr:
        code = MOUSE_NONE
    else:
        code = button
    if tracking != _X10:
        code += 4 * int(shift) + 8 * int(alt) + 16 * int(ctrl)
    if sgr:
        final = "m" if kind == "release" else "M"
        return f"\x1b[<{code};{column + 1};{row + 1}{final}".encode()
    if column + 33 > 255 or row + 33 > 255:
        return b""
    return b"\x1b[M" + bytes((32 + code, 33 + column, 33 + row))


def _mouse_wanted(kind: str, button: int, tracking: int) -> bool:
    """Whether the tracking mode reports this kind of event."""
    if tracking == 0:
        return False
    if tracking == _X10:
        return kind == "press"
    if kind == "motion":
        if tracking == _NORMAL:
            return False
        if tracking == _BUTTON_MOTION:
            return button != MOUSE_NONE
    return True


def _special_key(
    key: str, *, ctrl: bool, alt: bool, shift: bool, app_cursor: bool
) -> bytes | None:
    """Return the sequence for a non-character key, or None for character keys."""
    mod = modifier_param(ctrl=ctrl, alt=alt, shift=shift)
    if key in _CURSOR_KEYS:
        final = _CURSOR_KEYS[key]
        if mod > 1:
            return b"\x1b[1;%d" % mod + final
        return (b"\x1bO" if app_cursor else b"\x1b[") + final
    if key in _TILDE_KEYS:
        number = _TILDE_KEYS[key]
        if mod > 1:
            return b"\x1b[%d;%d~" % (number, mod)
        return b"\x1b[%d~" % number
    if key in _PF_KEYS:
        final = _PF_KEYS[key]
        return b"\x1b[1;%d" % mod + final if mod > 1 else b"\x1bO" + final
    return _editing_key(key, ctrl=ctrl, alt=alt, shift=shift)


def _editing_key(key: str, *, ctrl: bool, alt: bool, shift: bool) -> bytes | None:
    """Return the bytes for Enter, Tab, Backspace, Escape and Space."""
    prefix = ESC if alt else b""
    if key == "Enter":
        return prefix + b"\r"
    if key == "Backtab" or (key == "Tab" and shift):
        return prefix + b"\x1b[Z"
    if key == "Tab":
        return prefix + b"\t"
    if key == "Backspace":
        return prefix + (b"\x08" if ctrl else b"\x7f")
    if key == "Escape":
        return prefix + ESC
    if key == "Space":
        return prefix + (b"\x00" if ctrl else b" ")
    return None


def _control_code(key: str, text: str) -> bytes | None:
    """Return the C0 control code Ctrl makes with a letter or symbol key."""
    char = key if len(key) == 1 else text[:1]
    if not char:
        return None
    if char.isascii() and char.isalpha():
        return bytes([ord(char.upper()) - 0x40])
    return _CTRL_SYMBOLS.get(char)


def _typed_text(key: str, text: str, shift: bool) -> str:
    """Return the text a character key types (its own text, or the key's character)."""
    if text and all(c >= " " and c != "\x7f" for c in text):
        return text
    if len(key) != 1 or text:
        return ""
    return key.upper() if shift else key.lower()
