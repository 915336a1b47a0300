"""Log levels: which level word a line carries, and the colour the pane gives it.

Levels are whole words, matched ignoring case; when a line names several, ERROR wins
over WARN/WARNING, which wins over INFO (the spec's precedence). Lines without one are
drawn like INFO lines.
"""

from __future__ import annotations

import re
from enum import Enum


class Level(Enum):
    """The level a line is coloured by."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"
    NONE = "none"
    MARKER = "marker"  # a line the pane itself wrote (stream ended, reconnecting)


COLOURS = {
    Level.ERROR: "#ef6f6f",
    Level.WARN: "#e8b54a",
    Level.INFO: "#b9c6d8",
    Level.NONE: "#b9c6d8",
    Level.MARKER: "#8a97ab",
}

_WORDS = re.compile(r"\b(error|warn(?:ing)?|info)\b", re.IGNORECASE)
_RANK = {
    "error": Level.ERROR,
    "warn": Level.WARN,
    "warning": Level.WARN,
    "info": Level.INFO,
}


def level_of(text: str) -> Level:
    """The level of one line of display text."""
    found = Level.NONE
    for match in _WORDS.finditer(text):
        level = _RANK[match.group(1).lower()]
        if level is Level.ERROR:
            return level
        if level is Level.WARN or found is Level.NONE:
            found = level
    return found


def colour_of(text: str) -> str:
    """The `#rrggbb` colour of one line of display text."""
    return COLOURS[level_of(text)]
