"""Box drawing, block elements and braille drawn as geometry, one cell at a time.

IBM Plex Mono has none of U+2500-259F or U+2800-28FF, so those came from whatever
font Qt fell back to, with its own advance and line positions: htop's bars, tmux
and vim split borders and mc's frames broke up or missed their cells. As kitty,
alacritty and Windows Terminal do, these characters are drawn here as rectangles
(and, for arcs and diagonals, stroked paths) on the cell's whole-pixel box, so a
line leaves a cell at the same pixels its neighbour's line enters: cell edges are
`round(column * width)`, shared by both neighbours, and a line's position depends
only on the cell's size. Shapes are kept per (character, cell width, cell height)
and filled in the cell's foreground colour; shades (░▒▓) are the foreground at 25,
50 and 75 % opacity over the background.

Limitations: bold does not thicken lines; underline and strike-out are not drawn on
these cells.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen

# Arm weights (up, right, down, left) of the line characters: 1 light, 2 heavy,
# 3 double. U+250C-254B and U+2550-256C in code point order, then U+2574-257F.
_HEAVY_LIGHT = (
    "0110 0210 0120 0220 0011 0012 0021 0022 1100 1200 2100 2200 1001 1002 2001 2002 "
    "1110 1210 2110 1120 2120 2210 1220 2220 1011 1012 2011 1021 2021 2012 1022 2022 "
    "0111 0112 0211 0212 0121 0122 0221 0222 1101 1102 1201 1202 2101 2102 2201 2202 "
    "1111 1112 1211 1212 2111 1121 2121 2112 2211 1122 1221 2212 1222 2122 2221 2222"
)
_DOUBLE = (
    "0303 3030 0310 0130 0330 0013 0031 0033 1300 3100 3300 1003 3001 3003 "
    "1310 3130 3330 1013 3031 3033 0313 0131 0333 1303 3101 3303 1313 3131 3333"
)
_HALVES = "0001 1000 0100 0010 0002 2000 0200 0020 0201 1020 0102 2010"


def _weights(first: int, table: str) -> dict[str, tuple[int, ...]]:
    return {
        chr(first + i): tuple(map(int, arms)) for i, arms in enumerate(table.split())
    }


_LINES = {
    "─": (0, 1, 0, 1),
    "━": (0, 2, 0, 2),
    "│": (1, 0, 1, 0),
    "┃": (2, 0, 2, 0),
    **_weights(0x250C, _HEAVY_LIGHT),
    **_weights(0x2550, _DOUBLE),
    **_weights(0x2574, _HALVES),
}
# Dashed lines: (vertical, weight, dashes).
_DASHES = {
    "┄": (False, 1, 3),
    "┅": (False, 2, 3),
    "┆": (True, 1, 3),
    "┇": (True, 2, 3),
    "┈": (False, 1, 4),
    "┉": (False, 2, 4),
    "┊": (True, 1, 4),
    "┋": (True, 2, 4),
    "╌": (False, 1, 2),
    "╍": (False, 2, 2),
    "╎": (True, 1, 2),
    "╏": (True, 2, 2),
}
# Quadrants (upper left, upper right, lower left, lower right) of U+2596-259F.
_QUADRANTS = "0010 0001 1000 1011 1001 1110 1101 0100 0110 0111"
_SHADES = {"░": 0.25, "▒": 0.5, "▓": 0.75}

Rect = tuple[int, int, int, int]  # x, y, width, height in the cell's pixels


def is_drawn(char: str) -> bool:
    """Whether `char` is drawn here rather than from a font."""
    return len(char) == 1 and (
        "\u2500" <= char <= "\u259f" or "\u2800" <= char <= "\u28ff"
    )


class _Shape:
    """One character's geometry in a cell of one size."""

    __slots__ = ("alpha", "path", "rects")

    def __init__(
        self, rects: list[QRectF], path: QPainterPath | None = None, alpha: float = 1.0
    ) -> None:
        self.rects = rects
        self.path = path
        self.alpha = alpha


class BoxPainter:
    """Draws the characters `is_drawn` accepts on a grid of `cell` (item px) cells."""

    def __init__(self, cell: tuple[float, float]) -> None:
        self._cell = cell
        self._shapes: dict[tuple[str, int, int], _Shape] = {}
        self._shaded: dict[tuple[int, float], QColor] = {}

    def draw(
        self, painter: QPainter, row: int, column: int, char: str, color: QColor
    ) -> None:
        """Fill `char`'s shape on cell (`row`, `column`) in `color`."""
        width, height = self._cell
        left, top = round(column * width), round(row * height)
        cell_w, cell_h = (
            round((column + 1) * width) - left,
            round((row + 1) * height) - top,
        )
        key = (char, cell_w, cell_h)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = _build(char, cell_w, cell_h)
        if shape.alpha < 1.0:
            color = self._shade(color, shape.alpha)
        painter.translate(left, top)
        for rect in shape.rects:
            painter.fillRect(rect, color)
        if shape.path is not None:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillPath(shape.path, color)
            painter.restore()
        painter.translate(-left, -top)

    def _shade(self, color: QColor, alpha: float) -> QColor:
        key = (color.rgba(), alpha)
        shaded = self._shaded.get(key)
        if shaded is None:
            shaded = self._shaded[key] = QColor(color)
            shaded.setAlphaF(alpha * color.alphaF())
        return shaded


def _build(char: str, w: int, h: int) -> _Shape:
    """The geometry of `char` in a `w` x `h` pixel cell."""
    if char in _LINES:
        rects = _line_rects(_LINES[char], w, h)
    elif char in _DASHES:
        rects = _dash_rects(*_DASHES[char], w, h)
    elif char in _SHADES:
        return _Shape([QRectF(0, 0, w, h)], alpha=_SHADES[char])
    elif "\u2580" <= char <= "\u259f":
        rects = _block_rects(char, w, h)
    elif "\u2800" <= char <= "\u28ff":
        rects = _braille_rects(ord(char) - 0x2800, w, h)
    else:
        return _Shape([], _stroked(char, w, h))
    return _Shape([QRectF(*rect) for rect in rects if rect[2] > 0 and rect[3] > 0])


def _thickness(w: int) -> tuple[int, int, int]:
    """Light and heavy line widths and the offset of a double line's two strokes."""
    light = max(1, round(w / 8))
    return light, 2 * light + 1, light + 1


def _band(weight: int, centre: int, w: int) -> tuple[int, int]:
    """The span [start, stop) across a line of `weight` centred on pixel `centre`."""
    light, heavy, gap = _thickness(w)
    if weight == 3:
        return centre - gap, centre + gap + light
    size = light if weight == 1 else heavy
    return centre - size // 2, centre - size // 2 + size


def _arm(
    weight: int,
    positive: bool,
    before: int,
    after: int,
    crossing: bool,
    length: int,
    centres: tuple[int, int],
    w: int,
) -> list[tuple[int, int, int, int]]:
    """One arm from the cell's centre to an edge: (along0, along1, across0, across1).

    `centres` are the centre pixels along and across the arm; `before` and `after`
    are the weights of the perpendicular arms on either side. An arm runs to the
    far side of their lines, so joins and corners are filled; it stops at the near
    stroke of a double line that goes on through the cell, and each stroke of a
    double arm stops at the perpendicular arm on its own side. A `crossing` arm
    (the opposite arm is there too, as in ╫) runs across the double line's gap.
    """
    light, _, gap = _thickness(w)
    centre, middle = centres
    inner = (centre + gap, centre - gap + light)  # (positive start, negative end)
    if weight == 3:
        strokes = []
        for offset, near, far in ((-gap, before, after), (gap, after, before)):
            across = _band(1, middle + offset, w)
            if near:
                reach = inner if near == 3 else _band(near, centre, w)
            elif far:
                reach = _band(far, centre, w)
            else:
                reach = (centre, centre + 1)
            strokes.append((across, reach))
    else:
        bands = [_band(k, centre, w) for k in (before, after) if k]
        if before == after == 3 and not crossing:
            reach = inner
        elif bands:
            reach = (min(b[0] for b in bands), max(b[1] for b in bands))
        else:
            reach = (centre, centre + 1)
        strokes = [(_band(weight, middle, w), reach)]
    if positive:
        return [(start, length, a0, a1) for (a0, a1), (start, _) in strokes]
    return [(0, end, a0, a1) for (a0, a1), (_, end) in strokes]


def _line_rects(arms: tuple[int, ...], w: int, h: int) -> list[Rect]:
    """The rectangles of a light, heavy or double line character."""
    up, right, down, left = arms
    cx, cy = (w - 1) // 2, (h - 1) // 2
    rects: list[Rect] = []
    for weight, positive in ((right, True), (left, False)):
        if weight:
            crossing = bool(left and right)
            arm = _arm(weight, positive, up, down, crossing, w, (cx, cy), w)
            for x0, x1, y0, y1 in arm:
                rects.append((x0, y0, x1 - x0, y1 - y0))
    for weight, positive in ((down, True), (up, False)):
        if weight:
            crossing = bool(up and down)
            arm = _arm(weight, positive, left, right, crossing, h, (cy, cx), w)
            for y0, y1, x0, x1 in arm:
                rects.append((x0, y0, x1 - x0, y1 - y0))
    return rects


def _dash_rects(vertical: bool, weight: int, dashes: int, w: int, h: int) -> list[Rect]:
    """A dashed line: `dashes` strokes per cell, each gap half a dash's step."""
    length = h if vertical else w
    across = _band(weight, ((w if vertical else h) - 1) // 2, w)
    rects: list[Rect] = []
    for index in range(dashes):
        start = round(index * length / dashes)
        stop = round((index + 1) * length / dashes)
        stop -= max(1, (stop - start) // 3)
        if vertical:
            rects.append((across[0], start, across[1] - across[0], stop - start))
        else:
            rects.append((start, across[0], stop - start, across[1] - across[0]))
    return rects


def _block_rects(char: str, w: int, h: int) -> list[Rect]:
    """Halves, eighths and quadrants of U+2580-259F (the shades are done above)."""
    code = ord(char)
    # Halves split where the eighths do, so ▀ and ▄ (▌ and ▐) fill a cell together.
    half_w, half_h = w // 2, h - h // 2
    if code == 0x2580:
        return [(0, 0, w, half_h)]
    if 0x2581 <= code <= 0x2588:  # lower eighths up to the full block
        top = h - max(1, h * (code - 0x2580) // 8)
        return [(0, top, w, h - top)]
    if 0x2589 <= code <= 0x258F:  # left seven eighths down to one eighth
        return [(0, 0, max(1, w * (0x2590 - code) // 8), h)]
    if code == 0x2590:
        return [(half_w, 0, w - half_w, h)]
    if code == 0x2594:
        return [(0, 0, w, round(h / 8))]
    if code == 0x2595:
        return [(w - round(w / 8), 0, round(w / 8), h)]
    quadrants = _QUADRANTS.split()[code - 0x2596]
    boxes = (
        (0, 0, half_w, half_h),
        (half_w, 0, w - half_w, half_h),
        (0, half_h, half_w, h - half_h),
        (half_w, half_h, w - half_w, h - half_h),
    )
    return [box for box, on in zip(boxes, quadrants, strict=True) if on == "1"]


# Braille dot bits in (column, row) order of the 2 x 4 grid.
_BRAILLE_DOTS = ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3))


def _braille_rects(bits: int, w: int, h: int) -> list[Rect]:
    """Square dots on a 2 x 4 grid, each centred in its eighth of the cell."""
    size = max(1, min(round(w / 4), round(h / 8)))
    rects: list[Rect] = []
    for bit, (col, row) in enumerate(_BRAILLE_DOTS):
        if bits & (1 << bit):
            x = round((col + 0.5) * w / 2 - size / 2)
            y = round((row + 0.5) * h / 4 - size / 2)
            rects.append((x, y, size, size))
    return rects


def _stroked(char: str, w: int, h: int) -> QPainterPath:
    """Arcs (╭╮╯╰) and diagonals (╱╲╳) as a filled outline of a light stroke."""
    light = _thickness(w)[0]
    cx, cy = (w - 1) // 2 + light / 2, (h - 1) // 2 + light / 2
    path = QPainterPath()
    arcs = {"╭": (w, h), "╮": (0, h), "╯": (0, 0), "╰": (w, 0)}
    if char in arcs:
        end_x, end_y = arcs[char]
        # A straight pixel or two at each edge, so the stroke meets its neighbour's.
        radius = max(1.0, min(abs(end_x - cx), abs(end_y - cy)) - 2)
        sign_x = 1 if end_x > cx else -1
        sign_y = 1 if end_y > cy else -1
        path.moveTo(end_x, cy)
        path.lineTo(cx + sign_x * radius, cy)
        path.quadTo(QPointF(cx, cy), QPointF(cx, cy + sign_y * radius))
        path.lineTo(cx, end_y)
    else:
        if char in "╱╳":
            path.moveTo(w, 0)
            path.lineTo(0, h)
        if char in "╲╳":
            path.moveTo(0, 0)
            path.lineTo(w, h)
    stroker = QPainterPathStroker(QPen(Qt.GlobalColor.black, light))
    stroker.setCapStyle(Qt.PenCapStyle.FlatCap)
    return stroker.createStroke(path)
