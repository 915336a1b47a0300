"""Status marks and key symbols are painted as shapes, the same on every machine: the
bundled Plex fonts draw `✓` as `√` and lack `⚠` and `✗` (spec 19)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter

from krates_desktop.ui import glyphs, symbols, theme

SCALE = 4  # render big enough to see a shape's strokes
GROUND = "#10141c"  # the window surface, opaque


def _canvas(width: int, height: int) -> tuple[QImage, QPainter]:
    image = QImage(width * SCALE, height * SCALE, QImage.Format.Format_ARGB32)
    image.fill(QColor(GROUND))
    painter = QPainter(image)
    painter.scale(SCALE, SCALE)
    return image, painter


def _lit(image: QImage, box: QRectF) -> set[tuple[int, int]]:
    """Pixels inside `box` (in unscaled units) that differ clearly from the surface."""
    ground = QColor(GROUND)
    found = set()
    for x in range(int(box.left() * SCALE), int(box.right() * SCALE)):
        for y in range(int(box.top() * SCALE), int(box.bottom() * SCALE)):
            color = image.pixelColor(x, y)
            if (
                abs(color.green() - ground.green()) + abs(color.red() - ground.red())
                > 60
            ):
                found.add((x, y))
    return found


def _badge_mark_box(health: str, text: str) -> tuple[QImage, QRectF]:
    """A badge painted at (2, 2) and the box its mark occupies."""
    image, painter = _canvas(120, 24)
    glyphs.paint_badge(painter, 2, 2, text, health)
    painter.end()
    metrics = QFontMetricsF(theme.mono(11))
    advance = symbols.text_width(theme.mono(11), theme.HEALTH_MARKS[health])
    top = 2 + 9 - metrics.capHeight() * 1.3
    return image, QRectF(2 + 7, top, advance, metrics.capHeight() * 2.6)


def test_the_ok_mark_is_a_check_not_a_square_root(qapp) -> None:  # type: ignore[no-untyped-def]
    """In the `✓ Running` badge the mark's short left arm starts halfway down (Plex's
    `✓`, like a `√`, starts its long left arm near the top), its topmost pixels are at
    its right end and its lowest left of centre; it is wider than tall."""
    image, box = _badge_mark_box("ok", "Running")
    lit = _lit(image, box)
    assert lit, "the mark is drawn"
    left, right = min(x for x, _ in lit), max(x for x, _ in lit)
    top, bottom = min(y for _, y in lit), max(y for _, y in lit)
    left_arm = [y for x, y in lit if x <= left + SCALE // 2]
    assert min(left_arm) >= top + (bottom - top) * 0.42, "the left arm starts low"
    assert right - left > bottom - top
    top_row = [x for x, y in lit if y <= top + SCALE // 2]
    assert min(top_row) > left + (right - left) * 0.65, (
        "only the right arm reaches the top"
    )
    low = [x for x, y in lit if y >= bottom - SCALE // 2]
    assert max(low) < left + (right - left) * 0.6
    green = image.pixelColor(*max(lit, key=lambda p: image.pixelColor(*p).green()))
    assert green.green() > green.red() + 60, "drawn in the ok colour"


def test_warn_and_error_marks_are_drawn_without_any_font(qapp) -> None:  # type: ignore[no-untyped-def]
    """`⚠` is a triangle (its bottom row spans the box) and `✗` a cross (ink in all four
    corners): neither comes from a fallback font, which the bundle does not have."""
    image, box = _badge_mark_box("warn", "Pending")
    lit = _lit(image, box)
    left, right = min(x for x, _ in lit), max(x for x, _ in lit)
    bottom = max(y for _, y in lit)
    base = [x for x, y in lit if y >= bottom - SCALE // 2]
    assert max(base) - min(base) >= (right - left) * 0.8
    image, box = _badge_mark_box("error", "Failed")
    lit = _lit(image, box)
    left, right = min(x for x, _ in lit), max(x for x, _ in lit)
    top, bottom = min(y for _, y in lit), max(y for _, y in lit)
    mid_x, mid_y = (left + right) / 2, (top + bottom) / 2
    corners = {
        (x < mid_x, y < mid_y) for x, y in lit if abs(x - mid_x) > (right - left) / 4
    }
    assert corners == {(True, True), (True, False), (False, True), (False, False)}


def test_text_with_symbols_matches_the_shape_painter(qapp) -> None:  # type: ignore[no-untyped-def]
    """`draw_text` paints the plain characters with the font and each symbol exactly as
    `draw_symbol` does on its own."""
    font = theme.sans(12)
    combined, painter = _canvas(80, 24)
    painter.setFont(font)
    painter.setPen(QColor(theme.TEXT))
    symbols.draw_text(
        painter, QRectF(0, 0, 80, 24), Qt.AlignmentFlag.AlignVCenter, "⏎ ok"
    )
    painter.end()
    alone, painter = _canvas(80, 24)
    painter.setFont(font)
    painter.setPen(QColor(theme.TEXT))
    metrics = QFontMetricsF(font)
    baseline = 12 + (metrics.ascent() - metrics.descent()) / 2
    advance = symbols.draw_symbol(painter, "⏎", 0, baseline)
    painter.drawText(QRectF(advance, 0, 80, 24), Qt.AlignmentFlag.AlignVCenter, " ok")
    painter.end()
    assert combined == alone
    assert symbols.text_width(font, "⏎ ok") == advance + metrics.horizontalAdvance(
        " ok"
    )
