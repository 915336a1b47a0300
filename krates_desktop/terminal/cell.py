"""One character cell of the terminal grid and the attributes it is drawn with."""

from __future__ import annotations

from typing import NamedTuple


class Cell(NamedTuple):
    """A character and its rendition; "" as `data` marks a wide character's right half.

    The first nine fields are pyte's `Char`, so pyte's own screen methods keep working;
    `dim` (SGR 2) and `conceal` (SGR 8) are the renditions pyte lacks.
    """

    data: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    strikethrough: bool = False
    reverse: bool = False
    blink: bool = False
    dim: bool = False
    conceal: bool = False


BLANK = Cell(" ")
REVERSE_BLANK = Cell(" ", reverse=True)
