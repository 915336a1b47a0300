"""The terminal model: a pyte screen with the fixes a real shell needs."""

from krates_desktop.terminal.cell import Cell
from krates_desktop.terminal.keys import encode_key, encode_mouse, encode_paste
from krates_desktop.terminal.screen import TerminalScreen

__all__ = ["Cell", "TerminalScreen", "encode_key", "encode_mouse", "encode_paste"]
