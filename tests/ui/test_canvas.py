"""The canvas: grid, camera, wheel panning, zoom at the pointer, spotlight opening."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from krates_desktop.ui.main_window import MainWindow
from krates_desktop.ui.spotlight.fuzzy import Candidate


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    win = MainWindow()
    win.set_candidates(
        lambda: [
            Candidate("Pod", "api-server-x"),
            Candidate("Deployment", "api-server"),
        ]
    )
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


def wheel(view, pos: QPointF, dy: int, mods=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    event = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, dy),
        Qt.MouseButton.NoButton,
        mods,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_initial_camera_centres_the_world_at_092(window) -> None:  # type: ignore[no-untyped-def]
    """The world centre (6000, 4000) is at the viewport centre, at zoom 0.92."""
    view = window.view
    assert view.zoom == pytest.approx(0.92)
    cx, cy = view.view_center()
    assert (round(cx), round(cy)) == (6000, 4000)
    t = view.world.transform()
    assert (t.m11(), t.m22(), t.dx(), t.dy()) == pytest.approx(
        (0.92, 0.92, view.cam_x, view.cam_y)
    )


def test_empty_canvas_shows_background_and_grid(window) -> None:  # type: ignore[no-untyped-def]
    """A new yard paints the #0b0e13 background with faint grid lines and no krates."""
    image = window.view.grab().toImage()
    colors = {image.pixelColor(x, 400).name() for x in range(0, 1200)}
    assert "#0b0e13" in colors
    assert len(colors) >= 2, "grid lines should differ from the background"
    assert window.top_bar.krate_count.isHidden()


def test_plain_wheel_pans_without_zooming(window) -> None:  # type: ignore[no-untyped-def]
    """One notch pans 60 px and leaves the zoom unchanged."""
    view = window.view
    before = view.cam_y
    wheel(view, QPointF(600, 400), -120)
    assert view.cam_y == pytest.approx(before - 60)
    assert view.zoom == pytest.approx(0.92)


def test_ctrl_wheel_zooms_at_the_pointer_and_clamps(window) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+wheel keeps the world point under the pointer still and stays in 0.16-2.2."""
    view = window.view
    pos = QPointF(300, 200)
    world_before = (
        (pos.x() - view.cam_x) / view.zoom,
        (pos.y() - view.cam_y) / view.zoom,
    )
    wheel(view, pos, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(0.92 * 1.12)
    world_after = (
        (pos.x() - view.cam_x) / view.zoom,
        (pos.y() - view.cam_y) / view.zoom,
    )
    assert world_after == pytest.approx(world_before)
    for _ in range(40):
        wheel(view, pos, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(2.2)
    for _ in range(80):
        wheel(view, pos, -120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(0.16)


def test_printable_key_opens_spotlight_with_it(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Typing `n` on the canvas opens spotlight with `n` and the caret after it."""
    window.view.setFocus()
    qtbot.keyClick(window.view, "n")
    assert window.spotlight.is_open()
    assert window.spotlight.input.text() == "n"
    assert window.spotlight.input.cursorPosition() == 1
    assert window.spotlight.input.hasFocus()


def test_slash_opens_empty_spotlight_and_space_does_not(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Space never opens spotlight; `/` opens it empty."""
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    assert not window.spotlight.is_open()
    qtbot.keyClick(window.view, "/")
    assert window.spotlight.is_open()
    assert window.spotlight.input.text() == ""


def test_click_on_empty_canvas_opens_spotlight_and_esc_closes(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A click on empty canvas opens spotlight; esc closes it and clears the query."""
    qtbot.mouseClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(500, 500)
    )
    assert window.spotlight.is_open()
    qtbot.keyClicks(window.spotlight.input, "api")
    qtbot.keyClick(window.spotlight.input, Qt.Key.Key_Escape)
    assert not window.spotlight.is_open()
    assert window.spotlight.input.text() == ""


def test_left_drag_on_empty_canvas_pans(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Dragging empty canvas more than 4 px pans and opens no spotlight."""
    view = window.view
    before = (view.cam_x, view.cam_y)
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(400, 400))
    qtbot.mouseMove(vp, QPoint(450, 420))
    qtbot.mouseMove(vp, QPoint(500, 440))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(500, 440))
    assert (view.cam_x - before[0], view.cam_y - before[1]) == pytest.approx((100, 40))
    assert not window.spotlight.is_open()


def test_spotlight_ranks_and_shows_view_chips(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Results rank by score and boost; the selected pod row shows all four view chips."""
    window.view.setFocus()
    qtbot.keyClick(window.view, "a")
    qtbot.keyClicks(window.spotlight.input, "pi")
    qtbot.wait(40)
    names = [r.candidate.kind for r in window.spotlight.results.results]
    assert names == ["Deployment", "Pod"]
    qtbot.keyClick(window.spotlight.input, Qt.Key.Key_Down)
    labels = window.spotlight.results.chip_labels()
    alt = "⌥" if sys.platform == "darwin" else "Alt+"
    assert labels == [
        f"{alt}L logs",
        f"{alt}S shell",
        f"{alt}D describe",
        f"{alt}Y yaml",
    ]
    image = window.spotlight.results.grab().toImage()
    row_color = image.pixelColor(30, 4 + 44 + 4)
    assert row_color != QColor("#000000")


def test_fly_to_animates_with_flying_flag(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A flight sets `flying` until it ends 520 ms later at the target."""
    view = window.view
    view.fly_to(1000, 1000, 0.92)
    assert view.flying
    qtbot.waitUntil(lambda: not view.flying, timeout=2000)
    assert view.view_center() == pytest.approx((1000, 1000), abs=0.5)


def test_space_and_move_pans_and_release_ends_it(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Holding Space and moving the pointer pans one-to-one; releasing Space stops it."""
    view = window.view
    vp = view.viewport()
    view.setFocus()
    qtbot.mouseMove(vp, QPoint(300, 300))
    qtbot.keyPress(view, Qt.Key.Key_Space)
    assert view.space_panning and not window.spotlight.is_open()
    before = (view.cam_x, view.cam_y)
    qtbot.mouseMove(vp, QPoint(310, 305))
    qtbot.mouseMove(vp, QPoint(340, 325))
    assert (view.cam_x - before[0], view.cam_y - before[1]) == pytest.approx((30, 20))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert not view.space_panning and not view.dragging
    after = (view.cam_x, view.cam_y)
    qtbot.mouseMove(vp, QPoint(400, 400))
    assert (view.cam_x, view.cam_y) == after


def test_remote_cursor_follows_the_camera(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A peer's cursor at a world point is drawn where that point is on screen, with its
    name label, and moves when the camera pans; the layer never takes clicks."""
    peer = {
        "userId": "u2",
        "name": "Dana Ruiz",
        "color": "#ff9f6b",
        "cursor": {"x": 6000.0, "y": 4000.0},
        "spotlightQuery": None,
    }
    window.cursors.set_peers([peer])
    qtbot.wait(120)
    pos = window.cursors.screen_position("u2")
    assert (round(pos.x()), round(pos.y())) == (600, 400)
    image = window.grab().toImage()
    assert image.pixelColor(602, 408) == QColor("#ff9f6b")
    window.view.pan_by(50, 0)
    assert round(window.cursors.screen_position("u2").x()) == 650
    window.cursors.set_peers([dict(peer, spotlightQuery="pods in payments")])
    assert window.cursors.tracks["u2"].label == "🔍 pods in payments"
    assert window.cursors.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
