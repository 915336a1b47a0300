"""Detail windows in their krate: resizing by the corner handle, dragging between slots,
and the window-level keys (full screen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.ui.conftest import POD_REF


def _open(session, qtbot, ref, tabs):  # type: ignore[no-untyped-def]
    wids = []
    for tab in tabs:
        kid, wid = session.controller.open_view(ref, tab)
        wids.append(wid)
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    return kid, [session.controller.window_items[f"{kid}/{w}"] for w in wids]


def _screen_pos(session, item, point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return session.window.view.mapFromScene(item.mapToScene(point))


def _drag(qtbot, vp, start: QPoint, delta: QPoint, steps: int = 4) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseMove(vp, start + QPoint(-3, -3))
    qtbot.mouseMove(vp, start)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(vp, start + delta * i / steps)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + delta)


def _no_overlaps(windows) -> bool:  # type: ignore[no-untyped-def]
    boxes = [(w.dx, w.dy, w.w, w.h) for w in windows]
    return all(
        a[0] + a[2] <= b[0]
        or b[0] + b[2] <= a[0]
        or a[1] + a[3] <= b[1]
        or b[1] + b[3] <= a[1]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


def test_corner_handle_resizes_the_window_and_its_column_and_row(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """Dragging the 12 px corner handle of the top-left window by (+92, +46) screen px
    widens it and the window below it by 92/zoom, heightens its row partner by 46/zoom,
    pushes column 1 out to keep the 32 px gap, and the frame re-fits."""
    kid, (yaml_w, describe_w, logs_w) = _open(
        session, qtbot, POD_REF, ["yaml", "describe", "logs"]
    )
    view = session.window.view
    zoom = view.zoom
    _drag(
        qtbot,
        view.viewport(),
        _screen_pos(session, yaml_w, yaml_w.grip_center()),
        QPoint(92, 46),
    )
    width, height = 380 + 92 / zoom, 362 + 46 / zoom
    model = session.yard.krates[kid].windows
    qtbot.waitUntil(lambda: model[yaml_w.wid].w == pytest.approx(width, abs=1.5))
    assert model[yaml_w.wid].h == pytest.approx(height, abs=1.5)
    assert (yaml_w.w, yaml_w.h) == (model[yaml_w.wid].w, model[yaml_w.wid].h)
    assert logs_w.w == pytest.approx(width, abs=1.5) and logs_w.h == 362
    assert describe_w.h == pytest.approx(height, abs=1.5) and describe_w.w == 380
    assert describe_w.pos().x() == pytest.approx(30 + yaml_w.w + 32)
    assert logs_w.pos().y() == pytest.approx(30 + yaml_w.h + 54)
    frame = session.controller.krate_items[kid]
    assert frame.frame_w == pytest.approx(yaml_w.w + 32 + 380 + 60)
    assert _no_overlaps(model.values())


def test_dragging_a_window_header_drops_it_into_a_slot(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Dragging the bottom-left window's header onto the top-right slot swaps the two:
    the dragged window lands at dx 412, dy 0 and the other takes its old slot."""
    kid, (yaml_w, describe_w, logs_w) = _open(
        session, qtbot, POD_REF, ["yaml", "describe", "logs"]
    )
    view = session.window.view
    start = _screen_pos(session, logs_w, QPointF(60, 18))
    target = _screen_pos(session, describe_w, QPointF(80, 30))
    _drag(qtbot, view.viewport(), start, target - start)
    model = session.yard.krates[kid].windows
    assert (model[logs_w.wid].dx, model[logs_w.wid].dy) == (412, 0)
    assert (model[describe_w.wid].dx, model[describe_w.wid].dy) == (0, 416)
    assert (model[yaml_w.wid].dx, model[yaml_w.wid].dy) == (0, 0)
    assert (logs_w.pos().x(), logs_w.pos().y()) == (442, 30)
    assert (describe_w.pos().x(), describe_w.pos().y()) == (30, 446)
    assert _no_overlaps(model.values())


def test_a_window_dropped_between_slots_snaps_back(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A short drag leaves the window in its own slot: it snaps back to (30, 30)."""
    kid, (yaml_w, _describe) = _open(session, qtbot, POD_REF, ["yaml", "describe"])
    view = session.window.view
    start = _screen_pos(session, yaml_w, QPointF(60, 18))
    _drag(qtbot, view.viewport(), start, QPoint(40, 25))
    assert (yaml_w.pos().x(), yaml_w.pos().y()) == (30, 30)
    assert session.yard.krates[kid].windows[yaml_w.wid].dx == 0


def test_f11_toggles_full_screen(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F11 puts the main window in full screen; F11 again leaves it."""
    window = session.window
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=5000)
    assert not session.window.spotlight.is_open()
    qtbot.keyClick(window.view, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5000)
