"""The terminal's colours: theme, ANSI palette and how a cell's colours are resolved."""

from __future__ import annotations

from functools import lru_cache

from krates_desktop.terminal.cell import Cell

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


def cell_colors(cell: Cell) -> tuple[str, str]:
    """Return a cell's (foreground, background) as `#rrggbb`.

    Bold brightens the named colours, reverse swaps the two, dim draws the text half
    way towards the background, and concealed text takes the background colour.
    """
    return _resolve(cell.fg, cell.bg, cell.bold, cell.reverse, cell.dim, cell.conceal)


@lru_cache(maxsize=4096)
def _resolve(
    fg_name: str, bg_name: str, bold: bool, reverse: bool, dim: bool, conceal: bool
) -> tuple[str, str]:
    fg = color_value(fg_name, default=FOREGROUND, bright=bold)
    bg = color_value(bg_name, default=BACKGROUND)
    if reverse:
        fg, bg = bg, fg
    if dim:
        fg = mix(fg, bg, 0.5)
    if conceal:
        fg = bg
    return fg, bg


def mix(first: str, second: str, amount: float) -> str:
    """Return `#rrggbb` part way (`amount`, 0-1) from colour `first` to `second`."""
    a = [int(first[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(second[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(
        f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True)
    )
