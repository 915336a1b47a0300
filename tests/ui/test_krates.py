"""Krates and windows on the canvas: frame, header, grid, cards, LOD, maximise, minimap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from krates_desktop.ui.krate.krate_item import CARD_W
from tests.ui.conftest import POD_REF, SERVICE_REF


def _wheel_zoom(view, notches: int) -> None:  # type: ignore[no-untyped-def]
    pos = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    step = 120 if notches > 0 else -120
    for _ in range(abs(notches)):
        event = QWheelEvent(
            pos,
            view.viewport().mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, step),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.ControlModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view.viewport(), event)


def _open(session, qtbot, ref, tabs):  # type: ignore[no-untyped-def]
    for tab in tabs:
        kid, _wid = session.controller.open_view(ref, tab)
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    return kid


def _screen_pos(session, item, point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return session.window.view.mapFromScene(item.mapToScene(point))


def test_frame_header_and_grid(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Three windows sit at dx 0/412 and dy 0/416; the frame pads them by 30 px and the
    header counts them; the frame is tinted with the payments colour."""
    kid = _open(session, qtbot, POD_REF, ["logs", "yaml", "describe"])
    item = session.controller.krate_items[kid]
    wins = [session.controller.window_items[k] for k in session.controller.window_items]
    assert sorted((w.pos().x(), w.pos().y()) for w in wins) == [
        (30, 30),
        (30, 446),
        (442, 30),
    ]
    assert (item.frame_w, item.frame_h) == (412 + 380 + 60, 416 + 362 + 60)
    assert item.window_count == 3 and item.color == "#6fb1ff"
    assert all((w.w, w.h) == (380, 362) for w in wins)
    qtbot.waitUntil(lambda: item.status[0] == "Running", timeout=5000)


def test_krate_flies_into_view_at_092(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Opening a view flies the camera so the krate's centre is the view centre at 0.92."""
    kid = _open(session, qtbot, SERVICE_REF, ["describe"])
    krate = session.yard.krates[kid]
    view = session.window.view
    assert view.zoom == pytest.approx(0.92)
    assert view.view_center() == pytest.approx(krate.center(), abs=1)


def test_zooming_out_collapses_to_cards_with_hysteresis(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Below 0.4 every krate is a 230 px card and its windows hide; at 0.45 the mode
    holds; above 0.5 the krates expand again."""
    kid = _open(session, qtbot, POD_REF, ["logs", "yaml"])
    item = session.controller.krate_items[kid]
    view = session.window.view
    view.zoom_at(QPointF(700, 450), 0.6 / view.zoom)
    view.zoom_at(QPointF(700, 450), 0.45 / view.zoom)
    assert not item.collapsed
    view.zoom_at(QPointF(700, 450), 0.3 / view.zoom)
    assert item.collapsed and item.boundingRect().width() == pytest.approx(CARD_W + 2)
    assert all(not child.isVisible() for child in item.childItems())
    assert session.window.zoom_pill.text() == "30% · overview"
    view.zoom_at(QPointF(700, 450), 0.45 / view.zoom)
    assert item.collapsed
    view.zoom_at(QPointF(700, 450), 0.55 / view.zoom)
    assert not item.collapsed
    assert all(child.isVisible() for child in item.childItems())
    assert session.window.zoom_pill.text() == "55%"


def test_minimize_button_draws_the_card(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The header's minimise button turns the krate into its card with view letters and
    `N windows · ns/payments`; double-clicking the card expands it again."""
    kid = _open(session, qtbot, POD_REF, ["shell", "yaml", "logs"])
    item = session.controller.krate_items[kid]
    minimize, _close = item._button_rects()
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen_pos(session, item, minimize.center()),
    )
    assert session.yard.krates[kid].minimized and item.collapsed
    assert item.view_letters() == ["Y", "L", "S"]
    assert item.card_footer() == "3 windows · ns/payments"
    image = session.window.view.grab().toImage()
    left_bar = _screen_pos(session, item, QPointF(2, 46))
    assert image.pixelColor(left_bar) == QColor("#6fb1ff")
    qtbot.mouseDClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen_pos(session, item, QPointF(100, 46)),
    )
    assert not session.yard.krates[kid].minimized and not item.collapsed


def test_close_button_removes_the_krate(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`×` on the header removes the krate, its windows and the krate count pill."""
    kid = _open(session, qtbot, SERVICE_REF, ["describe", "yaml"])
    assert session.window.top_bar.krate_count.isVisible()
    item = session.controller.krate_items[kid]
    _minimize, close = item._button_rects()
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen_pos(session, item, close.center()),
    )
    assert kid not in session.yard.krates
    assert item.scene() is None
    assert not session.controller.window_items
    assert not session.window.top_bar.krate_count.isVisible()
    toast = session.window.toasts.shown[-1]
    assert toast.label.text() == "Krate closed" and toast.undo_button is not None
    assert toast.y() + toast.height() == session.window.height() - 18
    before = session.yard.krates.get(kid)
    qtbot.mouseClick(toast.undo_button, Qt.MouseButton.LeftButton)
    assert before is None and kid in session.yard.krates
    assert sorted(w.tab for w in session.yard.krates[kid].windows.values()) == [
        "describe",
        "yaml",
    ]
    assert not session.window.toasts.shown


def test_window_close_updates_the_count(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A window's `×` closes only that window; the header then reads `1 window`."""
    kid = _open(session, qtbot, SERVICE_REF, ["describe", "yaml"])
    key, witem = next(iter(session.controller.window_items.items()))
    qtbot.mouseClick(
        session.window.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen_pos(session, witem, witem.close_center()),
    )
    assert len(session.yard.krates[kid].windows) == 1
    assert session.controller.krate_items[kid].window_count == 1
    assert key not in session.controller.window_items


def test_dragging_the_header_moves_the_krate(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Dragging the krate header moves the krate and its windows together."""
    kid = _open(session, qtbot, SERVICE_REF, ["describe"])
    item = session.controller.krate_items[kid]
    before = session.yard.krates[kid].pos
    vp = session.window.view.viewport()
    start = _screen_pos(session, item, QPointF(60, -20))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, start + QPoint(46, 23))
    qtbot.mouseMove(vp, start + QPoint(92, 46))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(92, 46))
    after = session.yard.krates[kid].pos
    zoom = session.window.view.zoom
    assert (after[0] - before[0], after[1] - before[1]) == pytest.approx(
        (92 / zoom, 46 / zoom), abs=1
    )


def test_z_and_header_double_click_maximise(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`z` over a YAML window maximises it to the canvas below the top bar and hides the
    minimap; esc restores; a header double-click toggles too."""
    kid = _open(session, qtbot, SERVICE_REF, ["yaml"])
    witem = next(iter(session.controller.window_items.values()))
    view = session.window.view
    qtbot.mouseMove(view.viewport(), QPoint(40, 320))
    qtbot.mouseMove(view.viewport(), _screen_pos(session, witem, QPointF(190, 200)))
    qtbot.waitUntil(lambda: session.controller.hovered_key is not None, timeout=1000)
    view.setFocus()
    qtbot.keyClick(view, "z")
    assert session.controller.maximizer.window is witem
    assert (witem.scenePos().x(), witem.scenePos().y()) == (18, 56)
    assert witem.w == view.viewport().width() - 36
    assert not session.window.minimap.isVisible()
    assert not session.window.spotlight.is_open()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not session.controller.maximizer.active
    assert witem.parentItem() is session.controller.krate_items[kid]
    assert session.window.minimap.isVisible()
    qtbot.mouseDClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_screen_pos(session, witem, witem.header_center()),
    )
    assert session.controller.maximizer.window is witem


def test_minimap_marks_krates_and_flies(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The minimap (180x120 at right 18, bottom 64) marks each krate in its colour and
    flies the camera to a clicked point at zoom 0.92."""
    kid = _open(session, qtbot, POD_REF, ["logs"])
    mini = session.window.minimap
    win = session.window
    assert (mini.width(), mini.height()) == (180, 120)
    assert mini.x() == win.width() - 18 - 180 and mini.y() == win.height() - 64 - 120
    cx, cy = session.yard.krates[kid].center()
    image = mini.grab().toImage()
    assert image.pixelColor(round(cx * 0.015), round(cy * 0.015)) == QColor("#6fb1ff")
    qtbot.mouseClick(mini, Qt.MouseButton.LeftButton, pos=QPoint(45, 30))
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=2000)
    assert session.window.view.view_center() == pytest.approx((3000, 2000), abs=1)
    assert session.window.view.zoom == pytest.approx(0.92)


def test_hint_bar_follows_the_pointer(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Over a YAML window the hint mentions `z maximize`; over empty canvas it invites search."""
    _open(session, qtbot, SERVICE_REF, ["yaml"])
    witem = next(iter(session.controller.window_items.values()))
    vp = session.window.view.viewport()
    qtbot.mouseMove(vp, QPoint(40, 320))
    qtbot.mouseMove(vp, _screen_pos(session, witem, QPointF(190, 200)))
    qtbot.waitUntil(
        lambda: session.window.hint_bar.text().startswith("z maximize"), timeout=1000
    )
    qtbot.mouseMove(vp, QPoint(40, 300))
    qtbot.waitUntil(
        lambda: session.window.hint_bar.text().startswith("click or type"), timeout=1000
    )


def test_drag_selects_text_and_ctrl_c_copies(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A left drag over YAML selects characters; Ctrl+C over the window copies them."""
    _open(session, qtbot, SERVICE_REF, ["yaml"])
    key, witem = next(iter(session.controller.window_items.items()))
    text = session.controller.bindings[key].view
    qtbot.waitUntil(lambda: text.line_count() > 3, timeout=5000)
    vp = session.window.view.viewport()
    first = text.plain_lines()[0]
    char_w = text._metrics.horizontalAdvance("M")
    start = _screen_pos(session, text, QPointF(12 + 0.2 * char_w, 8 + 5))
    end = _screen_pos(session, text, QPointF(12 + 8.2 * char_w, 8 + 5))
    qtbot.mouseMove(vp, QPoint(40, 320))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, end)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    assert text.selected_text() == first[:8]
    qtbot.waitUntil(lambda: session.controller.hovered_key == key, timeout=1000)
    session.window.view.setFocus()
    qtbot.keyClick(
        session.window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier
    )
    assert QApplication.clipboard().text() == first[:8]


def test_service_describe_lists_its_endpoints(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Describe of a Service lists the ready pods it selects as endpoints, and its events."""
    _open(session, qtbot, SERVICE_REF, ["describe"])
    view = next(iter(session.controller.bindings.values())).view
    qtbot.waitUntil(
        lambda: any(line.startswith("Endpoints:") for line in view.plain_lines()),
        timeout=5000,
    )
    line = next(line for line in view.plain_lines() if line.startswith("Endpoints:"))
    assert "<unknown>" not in line and ":" in line[len("Endpoints:") :]
    assert any(line.startswith("Events:") for line in view.plain_lines())


def test_releasing_a_krate_over_another_nudges_it_clear(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A krate dragged by its header and dropped onto another moves to a nearby free
    spot: the footprints are 40 px apart and the frame is drawn where the yard says."""
    pod = _open(session, qtbot, POD_REF, ["yaml"])
    svc = _open(session, qtbot, SERVICE_REF, ["describe"])
    pod_item = session.controller.krate_items[pod]
    svc_item = session.controller.krate_items[svc]
    vp = session.window.view.viewport()
    before = session.yard.krates[svc].pos
    start = _screen_pos(session, svc_item, QPointF(60, -20))
    target = _screen_pos(session, pod_item, QPointF(90, -10))
    qtbot.mouseMove(vp, start + QPoint(5, 5))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(vp, start + (target - start) * i / 4)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=target)
    a = session.yard.krates[pod].footprint()
    b = session.yard.krates[svc].footprint()
    assert (
        a[0] + a[2] + 40 <= b[0]
        or b[0] + b[2] + 40 <= a[0]
        or a[1] + a[3] + 40 <= b[1]
        or b[1] + b[3] + 40 <= a[1]
    )
    assert (svc_item.pos().x(), svc_item.pos().y()) == session.yard.krates[svc].pos
    released = QPointF(*before) + QPointF(target - start) / session.window.view.zoom
    width, height = session.yard.krates[svc].frame_size()
    assert released.x() < a[0] + a[2] and a[0] < released.x() + width
    assert released.y() - 34 < a[1] + a[3] and a[1] < released.y() + height
    assert (svc_item.pos() - released).manhattanLength() < 1000


def test_zoom_steps_draw_scaled_and_the_settled_frame_is_crisp(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """While the wheel zooms, the krate and its windows are drawn from pixmaps (softer
    than a fresh drawing); once the zoom settles, the canvas is exactly what the same
    camera shows drawn afresh."""
    _open(session, qtbot, POD_REF, ["yaml", "describe"])
    view = session.window.view
    item = next(iter(session.controller.krate_items.values()))
    view.center_on(item.pos().x() + 400, item.pos().y() + 200, 0.8)
    qtbot.wait(50)
    _wheel_zoom(view, 2)
    camera = (view.cam_x, view.cam_y, view.zoom)
    zooming = view.grab().toImage()
    qtbot.waitUntil(lambda: not view._settle.isActive(), timeout=5000)
    settled = view.grab().toImage()

    # the same camera, reached without a zoom step: drawn afresh
    view.center_on(0, 0, 0.5)
    view.zoom = camera[2]
    view.cam_x, view.cam_y = camera[0], camera[1]
    view.apply_camera()
    fresh = view.grab().toImage()
    assert settled == fresh
    assert zooming != fresh


def test_a_wheel_zoom_draws_one_picture_then_comes_back_a_window_a_frame(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """While the wheel zooms the canvas is one picture, scaled: a window's content
    that changes meanwhile does not show; once the zoom rests the windows come back
    live one per frame, then the krate's frame, and a window closed meanwhile is
    simply left out."""
    kid = _open(session, qtbot, POD_REF, ["yaml", "describe", "logs"])
    view = session.window.view
    item = session.controller.krate_items[kid]
    view.center_on(item.pos().x() + 400, item.pos().y() + 300, 0.7)
    qtbot.wait(50)
    _wheel_zoom(view, 1)
    assert view._picture.active
    before = view.grab().toImage()
    windows = [w for w in item.childItems() if w.isVisible()]
    for window in windows:
        window.update()  # as a streaming log would: the picture does not change
    assert view.grab().toImage() == before

    came_back = []
    original = view._picture.settle_step

    def step() -> bool:
        more = original()
        area = sum(r.width() * r.height() for r in view._picture._settled)
        came_back.append(area if more else -1)
        return more

    view._picture.settle_step = step
    try:
        qtbot.waitUntil(lambda: not view._picture.active, timeout=20000)
    except qtbot.TimeoutError:
        waiting = view._picture._waiting
        raise AssertionError(
            f"still drawn from the picture: came back {came_back}, waiting "
            f"{None if waiting is None else len(waiting)}, settle timer active "
            f"{view._settle.isActive()}, zoom {view.zoom}"
        ) from None
    # one more region a frame: each visible window, then the krate, then the picture goes
    assert len(came_back) == len(windows) + 1 and came_back[-1] == -1
    assert all(a < b for a, b in zip(came_back[:-2], came_back[1:-1], strict=True))

    _wheel_zoom(view, -1)
    qtbot.waitUntil(lambda: view._picture._waiting is not None, timeout=5000)
    session.controller.close_krate(kid)  # closed while it is coming back
    qtbot.waitUntil(lambda: not view._picture.active, timeout=5000)
