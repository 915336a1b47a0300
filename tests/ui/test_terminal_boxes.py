"""Box drawing, block elements and braille in the Shell view, as a user sees them.

The bytes come from a real `printf` in a PTY; the item is rendered 1:1 and the
pixels at the edges that two cells share are compared, so a border drawn with a
fallback font's glyphs (short, offset or missing) fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from krates_desktop.terminal import palette
from tests.ui.test_terminal_view import Harness, render
from tests.unit.terminal.pty_capture import capture

SCREEN = (
    "┌──┐ ╔══╗ ┏━━┓ ╭──╮ ┌┬┐\n"
    "│  │ ║  ║ ┃  ┃ │  │ ├┼┤\n"
    "├──┤ ╠══╣ ┣━━┫ │  │ └┴┘\n"
    "└──┘ ╚══╝ ┗━━┛ ╰──╯\n"
    "[████▌   ] ░▒▓ ⣿⡀ →\n"
    "\\033[31m┌──\\033[0m\n"
)
RIGHT = set("┌─┬├┼└┴╔═╦╠╬╚╩┏━┳┣╋┗┻╭╰")
LEFT = set("─┐┬┤┼┘┴═╗╦╣╬╝╩━┓┳┫╋┛┻╮╯")
DOWN = set("┌┐│├┤┬┼╔╗║╠╣╦╬┏┓┃┣┫┳╋╭╮")
UP = set("│└┘├┤┴┼║╚╝╠╣╩╬┃┗┛┣┫┻╋╰╯")


class Shown:
    """The item after the real output, rendered, with pixel helpers per cell."""

    def __init__(self, term: Harness, tmp_path: Path) -> None:
        term.item.feed(capture(["printf", SCREEN], cwd=tmp_path))
        self.image: QImage = render(term.item, term.scene)
        self.lines = term.item.screen_text().splitlines()
        self.cell_w, self.cell_h = term.item.cell_size
        self.background = QColor(palette.BACKGROUND)

    def box(self, row: int, col: int) -> tuple[range, range]:
        """The cell's pixel columns and rows (edges are shared with its neighbours)."""
        return (
            range(round(col * self.cell_w), round((col + 1) * self.cell_w)),
            range(round(row * self.cell_h), round((row + 1) * self.cell_h)),
        )

    def lit(self, x: int, y: int) -> bool:
        return self.image.pixelColor(x, y) != self.background

    def coverage(self, row: int, col: int, fg: QColor) -> float:
        """How much of the way from background to `fg` the cell is, on average."""
        xs, ys = self.box(row, col)
        green = [self.image.pixelColor(x, y).green() for x in xs for y in ys]
        span = fg.green() - self.background.green()
        return (sum(green) / len(green) - self.background.green()) / span


@pytest.fixture
def shown(qtbot: QtBot, tmp_path: Path) -> Shown:
    return Shown(Harness(qtbot), tmp_path)


def test_lines_continue_across_every_shared_cell_edge(shown: Shown) -> None:
    """Each joined pair of cells has the same lit pixels on both sides of its edge.

    Those pixels are the foreground itself: a line is crisp, not a glyph's grey edge.
    """
    fg = palette.FOREGROUND
    joins = 0
    for row, line in enumerate(shown.lines[:4]):
        for col, char in enumerate(line):
            xs, ys = shown.box(row, col)
            if char in RIGHT and line[col + 1 : col + 2] in LEFT:
                left = {y for y in ys if shown.lit(xs[-1], y)}
                right = {y for y in ys if shown.lit(xs[-1] + 1, y)}
                assert left and left == right, (row, col, char)
                edge = {shown.image.pixelColor(xs[-1], y).name() for y in left}
                assert edge == {fg}, (row, col, char)
                joins += 1
            below = shown.lines[row + 1][col : col + 1]
            if char in DOWN and below in UP:
                upper = {x for x in xs if shown.lit(x, ys[-1])}
                lower = {x for x in xs if shown.lit(x, ys[-1] + 1)}
                assert upper and upper == lower, (row, col, char)
                edge = {shown.image.pixelColor(x, ys[-1]).name() for x in upper}
                assert edge == {fg}, (row, col, char)
                joins += 1
    assert joins > 40


def test_double_lines_are_two_strokes_and_heavy_lines_are_thicker(shown: Shown) -> None:
    """═ crosses its cell as two separate lines; ━ is thicker than ─."""

    def strokes(row: int, col: int) -> list[int]:
        xs, ys = shown.box(row, col)
        return [y for y in ys if shown.lit(xs[0], y)]

    light, double, heavy = strokes(0, 1), strokes(0, 6), strokes(0, 11)
    assert len(double) == 2 * len(light)
    assert double[-1] - double[0] > len(double)  # a gap between the strokes
    assert len(heavy) > len(light)


def test_bars_fill_their_cells_without_seams(shown: Shown) -> None:
    """htop-like bars: █ cells are solid across their edges, ▌ fills its left half."""
    fg = QColor(palette.FOREGROUND)
    for col in range(1, 5):
        xs, ys = shown.box(4, col)
        assert all(shown.image.pixelColor(x, y) == fg for x in xs for y in ys)
    xs, ys = shown.box(4, 5)
    half = len(xs) // 2
    assert all(shown.image.pixelColor(x, ys[3]) == fg for x in xs[:half])
    assert not any(shown.lit(x, ys[3]) for x in xs[half:])


def test_shades_cover_a_quarter_a_half_and_three_quarters(shown: Shown) -> None:
    fg = QColor(palette.FOREGROUND)
    for col, share in ((11, 0.25), (12, 0.5), (13, 0.75)):
        assert shown.coverage(4, col, fg) == pytest.approx(share, abs=0.03)


def test_braille_dots_sit_on_a_two_by_four_grid(shown: Shown) -> None:
    """⣿ shows 2 columns and 4 rows of dots; ⡀ only its bottom-left dot."""

    def spans(values: list[bool]) -> int:
        return sum(
            1 for i, v in enumerate(values) if v and (i == 0 or not values[i - 1])
        )

    xs, ys = shown.box(4, 15)
    assert spans([any(shown.lit(x, y) for y in ys) for x in xs]) == 2
    assert spans([any(shown.lit(x, y) for x in xs) for y in ys]) == 4
    xs, ys = shown.box(4, 16)
    dots = [(x, y) for x in xs for y in ys if shown.lit(x, y)]
    assert dots
    assert all(x < xs[len(xs) // 2] and y > ys[len(ys) * 3 // 4 - 1] for x, y in dots)


def test_boxes_take_the_cell_colour_and_other_symbols_use_a_font(shown: Shown) -> None:
    """A red ─ is drawn in the palette's red; → (no shape here) still shows a glyph."""
    xs, ys = shown.box(5, 1)
    colours = {shown.image.pixelColor(x, y).name() for x in xs for y in ys}
    assert colours == {palette.NORMAL["red"], palette.BACKGROUND}
    xs, ys = shown.box(4, 18)
    assert any(shown.lit(x, y) for x in xs for y in ys)


def test_bars_have_no_seams_on_a_zoomed_antialiased_canvas(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """At 1.37x with antialiasing on (as the canvas draws), █████ stays one solid bar."""
    term = Harness(qtbot)
    term.item.feed(capture(["printf", "█████"], cwd=tmp_path))
    term.item.flush()
    cell_w, cell_h = term.item.cell_size
    scale = 1.37
    image = QImage(
        round(5 * cell_w * scale), round(cell_h * scale), QImage.Format.Format_RGB32
    )
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    source = term.item.mapRectToScene(QRectF(0, 0, 5 * cell_w, cell_h))
    term.scene.render(painter, QRectF(image.rect()), source)
    painter.end()
    middle = image.height() // 2
    inside = range(2, image.width() - 2)
    colours = {image.pixelColor(x, middle).name() for x in inside}
    assert colours == {palette.FOREGROUND}
