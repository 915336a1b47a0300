"""Golden tests: bytes real programs wrote to a PTY, replayed into TerminalScreen.

The streams and the expected screens were recorded once by `tests/golden/capture.py`:
the expected screens are what tmux, an independent emulator, showed for the same bytes
(with xterm's behaviour written in where tmux differs from it). Each checkpoint is
compared by text, by the attributes of every cell, by cursor and by which screen is
shown, so a program's return from the alternate screen is checked too.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from krates_desktop.terminal.cell import Cell
from krates_desktop.terminal.screen import TerminalScreen
from tests.golden.capture import DATA, SCENARIOS, runs_of, style_spec

_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_INDEX = {
    **{name: i for i, name in enumerate(_NAMES)},
    **{"bright" + name: 8 + i for i, name in enumerate(_NAMES)},
    "brown": 3,
}
_FLAGS = {
    "bold": "bold",
    "dim": "dim",
    "italics": "italic",
    "underscore": "underline",
    "blink": "blink",
    "reverse": "reverse",
    "conceal": "conceal",
    "strikethrough": "strike",
}


def _colour(value: str) -> int | str | None:
    if value == "default":
        return None
    if value in _INDEX:
        return _INDEX[value]
    return "#" + value.lower()


def cell_state(cell: Cell) -> dict[str, Any]:
    """A cell's attributes in the capture's vocabulary."""
    state: dict[str, Any] = {
        flag: True for field, flag in _FLAGS.items() if getattr(cell, field)
    }
    for key in ("fg", "bg"):
        colour = _colour(getattr(cell, key))
        if colour is not None:
            state[key] = colour
    return state


def screen_styles(screen: TerminalScreen) -> list[list[Any]]:
    """Style runs of the view, in the capture's form."""
    runs: list[list[Any]] = []
    for row in range(screen.lines):
        cells = screen.view_cells(row)
        specs = []
        for col, cell in enumerate(cells):
            owner = cells[col - 1] if cell.data == "" and col else cell
            specs.append(style_spec(cell_state(owner), owner.data))
        runs.extend(runs_of(row, specs))
    return runs


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    return (DATA / f"{name}.bin").read_bytes(), json.loads(
        (DATA / f"{name}.json").read_text()
    )


CHECKPOINTS = [
    pytest.param(name, index, id=f"{name}-{checkpoint['label']}")
    for name in SCENARIOS
    if (DATA / f"{name}.json").exists()
    for index, checkpoint in enumerate(load(name)[1]["checkpoints"])
]


def expected_lines(checkpoint: dict[str, Any]) -> list[str]:
    lines = list(checkpoint["lines"])
    for row, text in checkpoint.get("xterm", {}).get("lines", {}).items():
        lines[int(row)] = text
    return lines


def expected_styles(checkpoint: dict[str, Any]) -> list[list[Any]]:
    overrides = checkpoint.get("xterm", {}).get("styles")
    return overrides if overrides is not None else checkpoint["styles"]


def replay(data: bytes, size: list[int]) -> TerminalScreen:
    screen = TerminalScreen(size[0], size[1])
    screen.feed(data)
    return screen


def test_every_scenario_was_captured() -> None:
    """Each scenario of the capture script has its golden files in the repository."""
    missing = [n for n in SCENARIOS if not (DATA / f"{n}.json").exists()]
    assert missing == []
    total = sum(p.stat().st_size for p in Path(DATA).iterdir())
    assert total < 400_000, "golden files stay small"


@pytest.mark.parametrize(("name", "index"), CHECKPOINTS)
def test_replayed_screen_matches_the_capture(name: str, index: int) -> None:
    """Replaying the bytes up to a checkpoint shows its text, attributes and cursor."""
    data, doc = load(name)
    checkpoint = doc["checkpoints"][index]
    screen = replay(data[: checkpoint["offset"]], doc["size"])

    assert screen.view_text() == expected_lines(checkpoint)
    assert screen_styles(screen) == expected_styles(checkpoint)
    assert screen.alternate_screen == checkpoint["alternate"]
    assert screen.cursor_visible == checkpoint["cursor_visible"]
    cursor = [screen.cursor.y, min(screen.cursor.x, screen.columns - 1)]
    assert cursor == checkpoint["cursor"]


@pytest.mark.parametrize("name", [n for n in SCENARIOS if (DATA / f"{n}.bin").exists()])
def test_any_chunking_gives_the_same_screen(name: str) -> None:
    """The whole stream fed in random pieces of 1-9 bytes ends on the same screen."""
    data, doc = load(name)
    whole = replay(data, doc["size"])
    rng = random.Random(name)
    pieces = TerminalScreen(*doc["size"])
    offset = 0
    while offset < len(data):
        step = rng.randint(1, 9)
        pieces.feed(data[offset : offset + step])
        offset += step
    assert pieces.view_text() == whole.view_text()
    assert screen_styles(pieces) == screen_styles(whole)
    assert (pieces.cursor.x, pieces.cursor.y) == (whole.cursor.x, whole.cursor.y)
