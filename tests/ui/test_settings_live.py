"""Settings from the profile popover take effect at once: Frosted overlays (F131) and
the terminal's Cursor blink, in windows already open."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage

from krates_desktop.ui.windows.bindings import ShellBinding
from tests.ui.conftest import POD_REF
from tests.ui.test_shell import _shell, _wait_for_prompt


def _toggle(session, qtbot, key: str) -> None:  # type: ignore[no-untyped-def]
    """Open the profile popover from my `★` avatar and click the setting's checkbox."""
    roster = session.window.top_bar.roster
    qtbot.mouseClick(roster, Qt.MouseButton.LeftButton, pos=QPoint(15, 15))
    popover = session.top_bar_actions.profile
    qtbot.waitUntil(lambda: popover is not None and popover.isVisible(), timeout=3000)
    box = popover.toggles[key]
    before = box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() is not before
    popover.close()


def _sharpness(image: QImage, area: QRect) -> int:
    """The largest step in green between neighbouring pixels in `area`."""
    steepest = 0
    for y in range(area.top(), area.bottom(), 2):
        row = [image.pixelColor(x, y).green() for x in range(area.left(), area.right())]
        steepest = max(
            [steepest] + [abs(a - b) for a, b in zip(row, row[1:], strict=False)]
        )
    return steepest


def _spotlight_shot(session, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    view = session.window.view
    view.setFocus()
    qtbot.keyClick(view, "a")
    spotlight = session.window.spotlight
    qtbot.waitUntil(spotlight.is_open, timeout=3000)
    image = session.window.grab().toImage()
    qtbot.keyClick(spotlight.input, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not spotlight.is_open(), timeout=3000)
    return image


def test_frosted_overlays_blur_what_is_behind_spotlight(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the setting off the top bar's text shows crisp through spotlight's backdrop;
    turned on in the profile popover, the next spotlight blurs it; off again, crisp."""
    logo = QRect(18, 18, 200, 30)  # the `krates / yard` pill, under the backdrop
    crisp = _sharpness(_spotlight_shot(session, qtbot), logo)
    _toggle(session, qtbot, "frosted_overlays")
    frosted = _sharpness(_spotlight_shot(session, qtbot), logo)
    assert frosted < crisp * 0.7, (crisp, frosted)
    _toggle(session, qtbot, "frosted_overlays")
    assert _sharpness(_spotlight_shot(session, qtbot), logo) == crisp


def _cursor_cell(session, shell: ShellBinding) -> QImage:  # type: ignore[no-untyped-def]
    """What the screen shows in the terminal's cursor cell."""
    terminal = shell.terminal
    row, col = terminal.screen.cursor_cell()
    width, height = terminal.cell_size
    view = session.window.view
    corner = view.mapFromScene(terminal.mapToScene(col * width, row * height))
    size = view.mapFromScene(terminal.mapToScene((col + 1) * width, (row + 1) * height))
    return view.grab(QRect(corner, size)).toImage()


def test_cursor_blink_applies_to_an_open_shell(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Turning Blinking terminal cursor on makes the open shell's cursor go off and on;
    turning it off leaves the cursor drawn steadily."""
    shell = _shell(session, qtbot, POD_REF)
    _wait_for_prompt(qtbot, shell)
    assert not shell.terminal.cursor_blinks()
    _toggle(session, qtbot, "cursor_blink")
    assert shell.terminal.cursor_blinks()
    shown = _cursor_cell(session, shell)
    qtbot.waitUntil(lambda: _cursor_cell(session, shell) != shown, timeout=5000)
    _toggle(session, qtbot, "cursor_blink")
    assert not shell.terminal.cursor_blinks()
    assert _cursor_cell(session, shell) == shown


def _maximized_shot(session, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    """The canvas with the krate's YAML window maximised by `z` over it."""
    kid, wid = session.controller.open_view(POD_REF, "yaml")
    view = session.window.view
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    window = session.controller.window_items[f"{kid}/{wid}"]
    window.maximize_requested.emit(wid)
    qtbot.waitUntil(lambda: session.controller.maximizer.window is window, timeout=3000)
    image = view.grab().toImage()
    window.maximize_requested.emit(wid)
    qtbot.waitUntil(lambda: session.controller.maximizer.window is None, timeout=3000)
    return image


def test_frosted_overlays_blur_the_canvas_behind_a_maximised_window(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """The krate frame and grid in the margin above a maximised window are crisp under
    the dimming backdrop, and blurred once Frosted overlays is on."""
    margin = QRect(0, 0, session.window.view.viewport().width(), 50)
    crisp = _sharpness(_maximized_shot(session, qtbot), margin)
    _toggle(session, qtbot, "frosted_overlays")
    frosted = _sharpness(_maximized_shot(session, qtbot), margin)
    assert frosted < crisp * 0.7, (crisp, frosted)


def test_frosted_overlays_blur_the_canvas_behind_a_pill(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With a YAML window's text under the hint bar, the text shows faintly but crisply
    through the pill's translucent fill; with Frosted overlays on it is blurred."""
    kid, wid = session.controller.open_view(POD_REF, "yaml")
    view = session.window.view
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    window = session.controller.window_items[f"{kid}/{wid}"]
    binding = session.controller.binding(kid, wid)
    qtbot.waitUntil(lambda: binding.view.line_count() > 10, timeout=10000)
    pill = session.window.hint_bar
    spot = pill.geometry().center() - view.geometry().topLeft()
    middle = window.mapToScene(window.content_rect().center())
    offset = view.mapToScene(spot) - view.mapToScene(view.viewport().rect().center())
    view.center_on(middle.x() - offset.x(), middle.y() - offset.y(), 1.0)
    # The pill's left padding holds no text of its own.
    padding = QRect(pill.x() + 3, pill.y() + 4, 8, pill.height() - 8)

    def shot() -> int:
        return _sharpness(session.window.grab().toImage(), padding)

    crisp = shot()
    _toggle(session, qtbot, "frosted_overlays")
    qtbot.waitUntil(lambda: shot() < crisp * 0.7, timeout=3000)
