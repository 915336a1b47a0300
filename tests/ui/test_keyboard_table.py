"""Rows of the spec's keyboard and pointer table (18.2) that other files do not cover:
each one driven with real key and mouse events, as a newcomer would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.ui.bindings_support import wait_connected
from tests.ui.conftest import POD_REF, SERVICE_REF


def _open(session, qtbot, ref, tab):  # type: ignore[no-untyped-def]
    kid, wid = session.controller.open_view(ref, tab)
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    return kid, session.controller.window_items[f"{kid}/{wid}"]


def _screen_pos(session, item, point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return session.window.view.mapFromScene(item.mapToScene(point))


def _hover(session, qtbot, witem) -> None:  # type: ignore[no-untyped-def]
    vp = session.window.view.viewport()
    qtbot.mouseMove(vp, QPoint(40, 320))
    qtbot.mouseMove(vp, _screen_pos(session, witem, QPointF(190, 200)))
    qtbot.waitUntil(lambda: session.controller.hovered_key is not None, timeout=2000)
    session.window.view.setFocus()


def test_middle_drag_pans_even_over_a_window(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A middle-button drag that starts on a window's content pans the canvas 1:1."""
    _kid, witem = _open(session, qtbot, SERVICE_REF, "yaml")
    view = session.window.view
    vp = view.viewport()
    start = _screen_pos(session, witem, QPointF(190, 200))
    before = (view.cam_x, view.cam_y)
    qtbot.mouseMove(vp, start)
    qtbot.mousePress(vp, Qt.MouseButton.MiddleButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(30, 20))
    qtbot.mouseMove(vp, start + QPoint(60, 40))
    qtbot.mouseRelease(vp, Qt.MouseButton.MiddleButton, pos=start + QPoint(60, 40))
    assert (view.cam_x - before[0], view.cam_y - before[1]) == pytest.approx(
        (60, 40), abs=1
    )


def test_keys_over_a_logs_window_go_to_the_canvas(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Over a Logs window `z` maximises (and `z` again, anywhere, restores) and a
    printable key opens spotlight with it."""
    _kid, witem = _open(session, qtbot, POD_REF, "logs")
    _hover(session, qtbot, witem)
    view = session.window.view
    qtbot.keyClick(view, "z")
    assert session.controller.maximizer.window is witem
    qtbot.mouseMove(view.viewport(), QPoint(5, 5))
    qtbot.keyClick(view, "z")
    assert not session.controller.maximizer.active
    _hover(session, qtbot, witem)
    qtbot.keyClick(view, "q")
    assert session.window.spotlight.is_open()
    assert session.window.spotlight.input.text() == "q"


def test_zoom_pill_click_flies_back_to_092(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking the zoom pill flies the camera back to 92 % around the same centre."""
    view = session.window.view
    view.zoom_at(QPointF(700, 450), 0.3 / view.zoom)
    centre = view.view_center()
    qtbot.mouseClick(session.window.zoom_pill, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    assert view.zoom == pytest.approx(0.92)
    assert view.view_center() == pytest.approx(centre, abs=1)
    assert session.window.zoom_pill.text() == "92%"


def test_admin_drawer_backdrop_click_closes_it(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the drawer open, a click on the dimmed canvas beside it closes it."""
    window = session.window
    qtbot.mouseClick(window.top_bar.admin, Qt.MouseButton.LeftButton)
    assert window.drawer.is_open()
    qtbot.mouseClick(window.drawer, Qt.MouseButton.LeftButton, pos=QPoint(200, 400))
    assert not window.drawer.is_open()
    assert not window.spotlight.is_open()


def test_minimap_drag_pans_live(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Pressing on the minimap and dragging moves the camera along without a flight."""
    mini = session.window.minimap
    view = session.window.view
    qtbot.mousePress(mini, Qt.MouseButton.LeftButton, pos=QPoint(90, 60))
    qtbot.mouseMove(mini, QPoint(100, 65))
    qtbot.mouseMove(mini, QPoint(120, 75))
    assert not view.flying
    assert view.view_center() == pytest.approx((120 / 0.015, 75 / 0.015), abs=2)
    qtbot.mouseRelease(mini, Qt.MouseButton.LeftButton, pos=QPoint(120, 75))


def test_enter_over_a_shell_that_is_not_connected_connects_it(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """After `exit`, the Shell shows its status; ⏎ with the pointer over it opens a new
    shell (no click on Reconnect needed)."""
    kid, witem = _open(session, qtbot, POD_REF, "shell")
    shell = session.controller.binding(kid, witem.wid)
    wait_connected(qtbot, shell)
    view = session.window.view
    view.setFocus()
    qtbot.keyClicks(view, "exit 3")
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shell.state == "exited", timeout=10000)
    assert witem.message == "shell exited with status 3"
    _hover(session, qtbot, witem)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    wait_connected(qtbot, shell)
    assert witem.message == "" and not session.window.spotlight.is_open()
