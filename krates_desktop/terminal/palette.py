"""The terminal's colours: theme, ANSI palette and how a cell's colours are resolved."""

from __future__ import annotations

from pyte.screens import Char

BACKGROUND = "#0b0e13"
FOREGROUND = "#e6edf6"
CURSOR = "#4dd6e8"
SELECTION_RGBA = (77, 214, 232, 0.3)

NORMAL: dict[str, str] = {
    "black": "#1a1e26",
    "red": "#ef6f6f",
    "green": "#4ad07a",
    "yellow": "#e8b54a",
    "blue": "#6fb1ff",
    "magenta": "#b48cff",
    "cyan": "#4dd6e8",
    "white": "#b9c6d8",
}

BRIGHT: dict[str, str] = {
    "black": "#6b7a90",
    "red": "#ff8f8f",
    "green": "#7ee0a1",
    "yellow": "#f5d76e",
    "blue": "#9ccaff",
    "magenta": "#d0b4ff",
    "cyan": "#8be9f5",
    "white": "#e6edf6",
}

# Names pyte itself uses for some colours.
_SYNONYMS = {"brown": "yellow", "bfightmagenta": "brightmagenta"}


def color_value(name: str, *, default: str, bright: bool = False) -> str:
    """Return `#rrggbb` for a pyte colour: a name, `rrggbb`, or "default"."""
    name = _SYNONYMS.get(name, name)
    if name == "default":
        return default
    if name.startswith("bright"):
        return BRIGHT.get(name[6:], default)
    if name in NORMAL:
        return BRIGHT[name] if bright else NORMAL[name]
    if len(name) == 6:
        return "#" + name
    return default


def cell_colors(cell: Char) -> tuple[str, str]:
    """Return a cell's (foreground, background); bold brightens, reverse swaps."""
    fg = color_value(cell.fg, default=FOREGROUND, bright=cell.bold)
    bg = color_value(cell.bg, default=BACKGROUND)
    if cell.reverse:
        return bg, fg
    return fg, bg
