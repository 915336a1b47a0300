"""The terminal model: a pyte screen with the fixes a real shell needs."""

from krates_desktop.terminal.keys import encode_key, encode_paste
from krates_desktop.terminal.screen import TerminalScreen

__all__ = ["TerminalScreen", "encode_key", "encode_paste"]
