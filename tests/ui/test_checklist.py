"""Checklist items of the spec (section 20) that the area test files leave open, each
driven with real key, wheel and mouse events against the real window and sandbox."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import qasync
from PySide6.QtCore import QEasingCurve, QEvent, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QFontInfo,
    QFontMetricsF,
    QKeyEvent,
    QNativeGestureEvent,
    QPainter,
    QPointingDevice,
    QWheelEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from krates_desktop.app import Options
from krates_desktop.resources import resource_path
from krates_desktop.signaling.server import ServerConfig, SignalServer
from krates_desktop.ui import theme
from krates_desktop.ui.main_window import MainWindow
from krates_desktop.ui.runner import Session
from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.ui.spotlight.spotlight import subtext
from krates_desktop.yard.awareness import YardAwareness
from tests.integration.cluster.tcp_proxy import TcpProxy
from tests.ui.bindings_support import wait_connected
from tests.ui.conftest import POD, POD_REF, SERVICE_REF, start_session
from tests.ui.shared_yard import until
from tests.ui.shared_yard import window as shared_window

NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


def _open(session, qtbot, ref, tab):  # type: ignore[no-untyped-def]
    kid, wid = session.controller.open_view(ref, tab)
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=5000)
    return kid, session.controller.window_items[f"{kid}/{wid}"]


def _screen_pos(session, item, point: QPointF) -> QPoint:  # type: ignore[no-untyped-def]
    return session.window.view.mapFromScene(item.mapToScene(point))


def _wheel(view, dy: int, mods=NO_MOD, pos: QPointF | None = None) -> None:  # type: ignore[no-untyped-def]
    vp = view.viewport()
    at = pos or QPointF(vp.width() / 2, vp.height() / 2)
    event = QWheelEvent(
        at,
        vp.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, dy),
        Qt.MouseButton.NoButton,
        mods,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, event)


def _click_window(window, pos: QPoint) -> None:  # type: ignore[no-untyped-def]
    """A click delivered to the top-level window, which routes it to whatever widget is
    on top at `pos`, as a real click would be."""
    QTest.mouseClick(window.windowHandle(), LEFT, NO_MOD, pos)


def _peer_joins(session, **fields) -> YardAwareness:  # type: ignore[no-untyped-def]
    """Another user's presence arrives through the awareness protocol."""
    peer = YardAwareness(424242, "peer-grace", "Grace Hopper", "#7ee0a1")
    _peer_says(session, peer, **fields)
    return peer


def _peer_says(session, peer: YardAwareness, **fields) -> None:  # type: ignore[no-untyped-def]
    """The peer's next awareness update reaches this session."""
    peer.update(**fields)
    session.sharing.awareness.apply(peer.encode_all(), "peer")


def _max_lightness(image, rect) -> int:  # type: ignore[no-untyped-def]
    return max(
        image.pixelColor(x, y).lightness()
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
    )


def test_clicking_a_tab_switches_the_view_and_unsupported_tabs_are_dimmed(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F60-F63: the window is 36 + 40 + 286 px tall; its header reads `YAML`; clicking
    Describe shows the describe text and stores the tab; on a Service the Logs and Shell
    tabs are drawn dimmed and a click on them changes nothing."""
    kid, witem = _open(session, qtbot, POD_REF, "yaml")
    content = witem.content_rect()
    assert (content.top(), witem.h - content.top(), witem.w) == (76, 286, 380)
    view = session.window.view
    shot = view.grab().toImage()
    name_box = QRect(
        _screen_pos(session, witem, QPointF(30, 8)),
        _screen_pos(session, witem, QPointF(60, 28)),
    )
    accent = [
        shot.pixelColor(x, y)
        for x in range(name_box.left(), name_box.right())
        for y in range(name_box.top(), name_box.bottom())
    ]
    assert any(c.red() < 140 and c.green() > 150 and c.blue() > 170 for c in accent)
    qtbot.mouseClick(
        view.viewport(),
        LEFT,
        pos=_screen_pos(session, witem, witem.tab_center("describe")),
    )
    key = f"{kid}/{witem.wid}"
    assert session.yard.krates[kid].windows[witem.wid].tab == "describe"
    assert witem.tab == "describe"
    text = session.controller.bindings[key].view
    qtbot.waitUntil(
        lambda: any(line.startswith("Name:") for line in text.plain_lines()),
        timeout=10000,
    )

    skid, service = _open(session, qtbot, SERVICE_REF, "describe")
    image = view.grab().toImage()

    def tab_box(tab: str):  # type: ignore[no-untyped-def]
        rect = dict(service._tab_rects())[tab]
        top_left = _screen_pos(session, service, rect.topLeft())
        bottom_right = _screen_pos(session, service, rect.bottomRight())
        return QRect(top_left, bottom_right)

    yaml_ink = _max_lightness(image, tab_box("yaml"))
    assert _max_lightness(image, tab_box("shell")) < yaml_ink - 30
    assert _max_lightness(image, tab_box("logs")) < yaml_ink - 30
    qtbot.mouseClick(
        view.viewport(),
        LEFT,
        pos=_screen_pos(session, service, service.tab_center("shell")),
    )
    assert session.yard.krates[skid].windows[service.wid].tab == "describe"
    assert service.tab == "describe"


def test_krate_header_double_click_collapses_and_the_card_flies_back(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F54, F56: double-clicking the krate header collapses it to its card; double-clicking
    the card expands it and flies the camera to the krate at zoom 0.92."""
    kid, _witem = _open(session, qtbot, SERVICE_REF, "describe")
    item = session.controller.krate_items[kid]
    vp = session.window.view.viewport()
    qtbot.mouseDClick(vp, LEFT, pos=_screen_pos(session, item, QPointF(60, -20)))
    assert item.collapsed and session.yard.krates[kid].minimized
    view = session.window.view
    view.center_on(item.pos().x() + 600, item.pos().y() + 400, 0.7)
    assert not view.flying
    qtbot.mouseDClick(vp, LEFT, pos=_screen_pos(session, item, QPointF(100, 46)))
    assert not item.collapsed and not session.yard.krates[kid].minimized
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    assert view.zoom == pytest.approx(0.92)
    assert view.view_center() == pytest.approx(session.yard.krates[kid].center(), abs=1)


def test_choosing_an_existing_krate_flies_to_it_and_adds_nothing(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F47: the krate result for an open krate flies the camera to it at 0.92; no krate or
    window is added."""
    kid, _witem = _open(session, qtbot, SERVICE_REF, "describe")
    view = session.window.view
    view.center_on(1500, 1500, 0.5)
    view.setFocus()
    qtbot.keyClick(view, "a")
    spot = session.window.spotlight
    qtbot.keyClicks(spot.input, "pi-server")
    qtbot.waitUntil(
        lambda: (
            spot.results.current() is not None
            and spot.results.current().kind == "krate"
        ),
        timeout=5000,
    )
    qtbot.keyClick(spot.input, Qt.Key.Key_Return)
    assert not spot.is_open()
    qtbot.waitUntil(lambda: not view.flying and view.zoom > 0.9, timeout=5000)
    assert view.view_center() == pytest.approx(session.yard.krates[kid].center(), abs=1)
    assert list(session.yard.krates) == [kid]
    assert len(session.yard.krates[kid].windows) == 1


def test_closing_windows_updates_letters_and_the_last_removes_the_krate(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F57, F69, F94: closing the Logs window leaves the `Y` letter; closing the last window
    removes the krate, its minimap mark and the count pill."""
    kid, yaml_w = _open(session, qtbot, POD_REF, "yaml")
    _kid, logs_w = _open(session, qtbot, POD_REF, "logs")
    item = session.controller.krate_items[kid]
    assert item.view_letters() == ["Y", "L"]
    vp = session.window.view.viewport()
    qtbot.mouseClick(vp, LEFT, pos=_screen_pos(session, logs_w, logs_w.close_center()))
    assert item.view_letters() == ["Y"] and item.window_count == 1
    mini = session.window.minimap
    cx, cy = session.yard.krates[kid].center()
    mark = QPoint(round(cx * 0.015), round(cy * 0.015))
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(mark) == QColor("#6fb1ff"),
        timeout=3000,
    )
    qtbot.mouseClick(vp, LEFT, pos=_screen_pos(session, yaml_w, yaml_w.close_center()))
    assert kid not in session.yard.krates and item.scene() is None
    assert not session.window.top_bar.krate_count.isVisible()
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(mark) != QColor("#6fb1ff"),
        timeout=3000,
    )


def test_a_dragged_krate_moves_its_minimap_mark(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F94: after a header drag the krate's mark is drawn at its new place, not the old."""
    kid, _witem = _open(session, qtbot, SERVICE_REF, "describe")
    item = session.controller.krate_items[kid]
    mini = session.window.minimap
    cx, cy = session.yard.krates[kid].center()
    old = QPoint(round(cx * 0.015), round(cy * 0.015))
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(old) == QColor("#6fb1ff"), timeout=3000
    )
    vp = session.window.view.viewport()
    start = _screen_pos(session, item, QPointF(60, -20))
    qtbot.mousePress(vp, LEFT, pos=start)
    for step in range(1, 5):
        qtbot.mouseMove(vp, start + QPoint(100, 60) * step)
    qtbot.mouseRelease(vp, LEFT, pos=start + QPoint(400, 240))
    nx, ny = session.yard.krates[kid].center()
    new = QPoint(round(nx * 0.015), round(ny * 0.015))
    assert (new - old).manhattanLength() >= 6
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(new) == QColor("#6fb1ff"), timeout=3000
    )
    assert mini.grab().toImage().pixelColor(old) != QColor("#6fb1ff")


def _viewport_box(mini) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """The bounding box of the accent viewport rectangle's pixels on the minimap."""
    image = mini.grab().toImage()
    hits = [
        (x, y)
        for x in range(2, image.width() - 2)
        for y in range(2, image.height() - 2)
        if image.pixelColor(x, y).green() > 60
        and image.pixelColor(x, y).blue() > 70
        and image.pixelColor(x, y).red() < 60
    ]
    xs, ys = [x for x, _ in hits], [y for _, y in hits]
    return min(xs), min(ys), max(xs), max(ys)


def test_minimap_viewport_grows_on_zoom_out_and_moves_on_pan(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F95: the accent viewport rectangle widens when Ctrl+wheel zooms out and moves down
    when the plain wheel pans the canvas down."""
    mini = session.window.minimap
    view = session.window.view
    x0, y0, x1, y1 = _viewport_box(mini)
    width = view.viewport().width() / view.zoom * 0.015
    assert x1 - x0 == pytest.approx(width, abs=2)
    for _ in range(3):
        _wheel(view, -120, CTRL)
    qtbot.waitUntil(
        lambda: _viewport_box(mini)[2] - _viewport_box(mini)[0] > x1 - x0 + 8
    )
    zx0, zy0, _zx1, _zy1 = _viewport_box(mini)
    for _ in range(10):
        _wheel(view, -120)
    qtbot.waitUntil(lambda: _viewport_box(mini)[1] > zy0 + 5, timeout=3000)
    assert _viewport_box(mini)[0] == pytest.approx(zx0, abs=1)


def test_remote_cursors_are_dots_on_the_minimap(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F132: a peer's cursor shows on the minimap as a dot in their colour, and goes when
    their cursor leaves the canvas."""
    mini = session.window.minimap
    spot = QPoint(round(2000 * 0.015), round(6000 * 0.015))
    peer = _peer_joins(session, cursor={"x": 2000.0, "y": 6000.0})
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(spot) == QColor("#7ee0a1"),
        timeout=3000,
    )
    assert mini.grab().toImage().pixelColor(spot + QPoint(4, 0)) != QColor("#7ee0a1")
    _peer_says(session, peer, cursor=None)
    qtbot.waitUntil(
        lambda: mini.grab().toImage().pixelColor(spot) != QColor("#7ee0a1"),
        timeout=3000,
    )


def test_hovering_a_peers_avatar_shows_their_name(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F21, F22: a peer's avatar overlaps mine by 7 px and shows their initials; hovering
    it shows their name."""
    _peer_joins(session)
    roster = session.window.top_bar.roster
    qtbot.waitUntil(lambda: len(roster.others) == 1, timeout=5000)
    assert roster.width() == 30 + 30 - 7
    assert [text for _user, _fill, text in roster._shown()] == ["★", "GH"]
    qtbot.mouseMove(roster, QPoint(5, 15))
    qtbot.mouseMove(roster, QPoint(30 - 7 + 20, 15))
    qtbot.waitUntil(lambda: QToolTip.text().startswith("Grace Hopper"), timeout=3000)
    image = roster.grab().toImage()
    assert image.pixelColor(30 - 7 + 26, 15) == QColor("#7ee0a1")


def test_admin_button_clicked_again_closes_the_drawer(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F24, F98: with the drawer open, a click on `◉ admin` (through the window, as the
    pointer would) closes it and mutes the button."""
    window = session.window
    admin = window.top_bar.admin
    at = admin.mapTo(window, admin.rect().center())
    _click_window(window, at)
    assert window.drawer.is_open() and admin.border == "#4dd6e8"
    _click_window(window, at)
    assert not window.drawer.is_open() and admin.border is None
    assert not window.spotlight.is_open()


def test_header_double_click_again_restores_a_maximised_window(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F66: a second double-click on the maximised window's header puts it back."""
    kid, witem = _open(session, qtbot, SERVICE_REF, "yaml")
    vp = session.window.view.viewport()
    qtbot.mouseDClick(vp, LEFT, pos=_screen_pos(session, witem, witem.header_center()))
    assert session.controller.maximizer.window is witem
    qtbot.mouseDClick(vp, LEFT, pos=_screen_pos(session, witem, witem.header_center()))
    assert not session.controller.maximizer.active
    assert witem.parentItem() is session.controller.krate_items[kid]
    assert (witem.pos().x(), witem.pos().y(), witem.w, witem.h) == (30, 30, 380, 362)


def test_wheel_zoom_collapses_krates_with_hysteresis(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F12-F14 with the wheel: zooming out through 0.47 keeps krates expanded, below 0.4
    they are cards; zooming back in through 0.47 keeps cards, above 0.5 they expand."""
    kid, _witem = _open(session, qtbot, POD_REF, "yaml")
    item = session.controller.krate_items[kid]
    view = session.window.view
    seen = []
    while view.zoom > 0.38:
        _wheel(view, -120, CTRL)
        seen.append((round(view.zoom, 3), item.collapsed))
    assert all(not collapsed for zoom, collapsed in seen if zoom >= 0.4)
    assert item.collapsed and not any(c.isVisible() for c in item.childItems())
    seen = []
    while view.zoom < 0.55:
        _wheel(view, 120, CTRL)
        seen.append((round(view.zoom, 3), item.collapsed))
    assert all(collapsed for zoom, collapsed in seen if zoom <= 0.5)
    assert any(0.4 < zoom <= 0.5 for zoom, _ in seen)
    assert not item.collapsed and all(c.isVisible() for c in item.childItems())


def test_top_bar_stays_put_while_the_canvas_moves(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F16, F17: the 56 px top bar, with its 13/18 px padding and the `krates / yard` logo
    pill, keeps its place and look while the canvas pans and zooms."""
    bar = session.window.top_bar
    assert (bar.y(), bar.height(), bar.width()) == (0, 56, session.window.width())
    margins = bar.layout().contentsMargins()
    assert (margins.top(), margins.left()) == (13, 18)
    assert bar.logo.text() == "krates / yard"
    before = bar.grab().toImage()
    view = session.window.view
    for _ in range(4):
        _wheel(view, -120)
    _wheel(view, 120, CTRL)
    assert view.zoom != pytest.approx(0.92)
    assert (bar.y(), bar.height()) == (0, 56)
    assert bar.grab().toImage() == before


@pytest.fixture
def bare(qtbot):  # type: ignore[no-untyped-def]
    """The main window alone, at 1200x800, with a few search candidates."""
    win = MainWindow()
    win.set_candidates(
        lambda: [
            Candidate("Deployment", "ledger-api", "payments"),
            Candidate("StatefulSet", "ledger-db", "payments"),
            Candidate("DaemonSet", "ledger-agent", "payments"),
            Candidate("Pod", "ledger-db-0", "payments"),
        ]
    )
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.view.setFocus()
    return win


def test_grid_lines_every_34_and_170_world_px(bare) -> None:  # type: ignore[no-untyped-def]
    """F1: across the empty canvas, faint lines (rgba(125,145,175,.04) over #0b0e13) come
    every 34 world px and a stronger one every 170, at the 0.92 zoom."""
    image = bare.view.grab().toImage()
    row = [image.pixelColor(x, 400).getRgb()[:3] for x in range(image.width())]
    background = (11, 14, 19)
    lines = [x for x, rgb in enumerate(row) if rgb != background]
    gaps = [b - a for a, b in zip(lines, lines[1:], strict=False)]
    assert len(lines) > 30 and all(abs(g - 34 * 0.92) <= 1 for g in gaps)
    fine = (16, 19, 25)
    strong = [x for x in lines if row[x] != fine]
    assert all(row[x] == fine for x in lines if x not in strong)
    assert all(sum(row[x]) > sum(fine) + 10 for x in strong)
    strong_gaps = [b - a for a, b in zip(strong, strong[1:], strict=False)]
    assert strong_gaps and all(abs(g - 170 * 0.92) <= 1 for g in strong_gaps)


def test_workload_rows_offer_all_four_views(bare, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F32, F34: a Deployment, StatefulSet and DaemonSet row each show the four view chips
    when selected with ↓, and the selected row is filled with accentDim."""
    qtbot.keyClick(bare.view, "l")
    spot = bare.spotlight
    qtbot.keyClicks(spot.input, "edger")
    qtbot.waitUntil(lambda: len(spot.results.results) == 4, timeout=2000)
    seen = set()
    for step in range(4):
        cand = spot.results.current()
        if cand.kind != "Pod":
            assert len(spot.results.chip_labels()) == 4, cand.kind
            seen.add(cand.kind)
        image = spot.results.grab().toImage()
        y = 4 + step * 44 + 4
        picked, other = (
            image.pixelColor(30, y),
            image.pixelColor(30, 4 + ((step + 1) % 4) * 44 + 4),
        )
        assert (
            picked.green() - other.green() >= 20 and picked.blue() - other.blue() >= 20
        )
        qtbot.keyClick(spot.input, Qt.Key.Key_Down)
    assert seen == {"Deployment", "StatefulSet", "DaemonSet"}


def test_space_does_not_pan_while_spotlight_is_open(bare, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F44: with spotlight open, Space is typed into the query and moving the pointer
    leaves the camera where it is."""
    qtbot.keyClick(bare.view, "a")
    spot = bare.spotlight
    before = (bare.view.cam_x, bare.view.cam_y)
    qtbot.keyPress(spot.input, Qt.Key.Key_Space)
    qtbot.mouseMove(bare.view.viewport(), QPoint(300, 300))
    qtbot.mouseMove(bare.view.viewport(), QPoint(360, 340))
    qtbot.keyRelease(spot.input, Qt.Key.Key_Space)
    assert (bare.view.cam_x, bare.view.cam_y) == before
    assert not bare.view.space_panning and spot.input.text() == "a "


def _bezier_y_at(x: float) -> float:
    """cubic-bezier(.22,.8,.28,1) solved for its progress at time fraction `x`."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        s = (lo + hi) / 2
        bx = 3 * (1 - s) ** 2 * s * 0.22 + 3 * (1 - s) * s**2 * 0.28 + s**3
        lo, hi = (s, hi) if bx < x else (lo, s)
    s = (lo + hi) / 2
    return 3 * (1 - s) ** 2 * s * 0.8 + 3 * (1 - s) * s**2 * 1.0 + s**3


def test_opening_from_spotlight_flies_with_the_spec_easing(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F15: ⏎ on a result flies the camera to the new krate at 0.92 over 520 ms; every
    frame's progress follows cubic-bezier(.22,.8,.28,1); `flying` is false after."""
    view = session.window.view
    view.center_on(2000, 2000, 0.6)
    frames: list[tuple[int, float]] = []
    fly = view._fly
    fly.valueChanged.connect(lambda _v: frames.append((fly.currentTime(), view.zoom)))
    view.setFocus()
    qtbot.keyClick(view, POD[0])
    spot = session.window.spotlight
    qtbot.keyClicks(spot.input, POD[1:])
    qtbot.waitUntil(
        lambda: (
            spot.results.current() is not None and spot.results.current().name == POD
        ),
        timeout=5000,
    )
    qtbot.keyClick(spot.input, Qt.Key.Key_Return)
    assert view.flying and fly.duration() == 520
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    krate = next(iter(session.yard.krates.values()))
    assert view.view_center() == pytest.approx(krate.center(), abs=1)
    assert view.zoom == pytest.approx(0.92)
    inner = [(t, z) for t, z in frames if 0 < t < 520]
    assert inner, "the flight drew frames between its ends"
    for t, zoom in inner:
        assert (zoom - 0.6) / (0.92 - 0.6) == pytest.approx(
            _bezier_y_at(t / 520), abs=0.02
        )


def test_minimap_and_drawer_colours(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F93, F97: the minimap's fill is rgba(16,20,28,.97) inside a rgba(140,165,200,.2)
    border; the drawer panel is rgba(13,17,24,.98) over a rgba(7,9,13,.4) backdrop."""
    window = session.window
    shot = window.grab().toImage()
    mini = window.minimap
    inside = shot.pixelColor(mini.x() + 170, mini.y() + 110).getRgb()[:3]
    assert inside == pytest.approx((16, 20, 28), abs=2)
    edge = shot.pixelColor(mini.x() + 90, mini.y()).getRgb()[:3]
    assert edge[2] > inside[2] + 20, "the hairline border is lighter than the fill"
    canvas = shot.pixelColor(300, 500).getRgb()[:3]
    qtbot.mouseClick(window.top_bar.admin, LEFT)
    drawer = window.drawer
    qtbot.waitUntil(lambda: drawer.panel.x() == window.width() - 380, timeout=3000)
    shot = window.grab().toImage()
    dimmed = shot.pixelColor(300, 500).getRgb()[:3]
    expected = tuple(
        round(c * 0.6 + b * 0.4) for c, b in zip(canvas, (7, 9, 13), strict=True)
    )
    assert dimmed == pytest.approx(expected, abs=2)
    panel = shot.pixelColor(window.width() - 10, window.height() - 40).getRgb()[:3]
    assert panel == pytest.approx((13, 17, 24), abs=2)


def test_space_pans_over_a_shell_that_has_the_keyboard(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F6, F7: with a connected Shell holding the keyboard and the pointer over it,
    holding Space and moving the pointer pans the canvas one-to-one; releasing Space
    stops it."""
    kid, witem = _open(session, qtbot, POD_REF, "shell")
    shell = session.controller.binding(kid, witem.wid)
    wait_connected(qtbot, shell)
    view = session.window.view
    vp = view.viewport()
    over = _screen_pos(session, witem, QPointF(190, 200))
    qtbot.mouseMove(vp, over)
    view.setFocus()
    assert view._keyboard_item_takes(
        QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, NO_MOD, "a")
    ), "the shell holds the keyboard"
    qtbot.keyPress(view, Qt.Key.Key_Space)
    before = (view.cam_x, view.cam_y)
    qtbot.mouseMove(vp, over + QPoint(10, 5))
    qtbot.mouseMove(vp, over + QPoint(50, 35))
    assert (view.cam_x - before[0], view.cam_y - before[1]) == pytest.approx((40, 30))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert not view.space_panning
    after = (view.cam_x, view.cam_y)
    qtbot.mouseMove(vp, over + QPoint(90, 60))
    assert (view.cam_x, view.cam_y) == after
    assert not session.window.spotlight.is_open()


def test_healthy_cluster_dot_is_green_with_a_glow(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F18: while the API answers, the cluster pill's dot is #4ad07a and glows."""
    pill = session.window.top_bar.cluster
    qtbot.waitUntil(lambda: pill.dot_color == "#4ad07a", timeout=10000)
    assert pill.dot_glow
    image = pill.grab().toImage()
    greens = [
        image.pixelColor(x, y)
        for x in range(image.width() // 3)
        for y in range(image.height())
    ]
    assert any(c == QColor("#4ad07a") for c in greens)


def test_drawer_has_a_card_per_user_and_follows_joins_and_leaves(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F99, F100, F102, F104: a peer joining adds their card after mine (`★`, 40 px); an
    idle peer reads `idle 5m`, an active one `active · ns/payments`; each card counts its
    krates; when the peer leaves, their avatar and card go."""
    from krates_desktop.ui.admin.drawer import krates_text, status_text

    _open(session, qtbot, SERVICE_REF, "describe")
    now_ms = int(time.time() * 1000)
    peer = _peer_joins(
        session, activeNamespace="checkout", lastActive=now_ms - 5 * 60_000 - 5000
    )
    roster = session.window.top_bar.roster
    qtbot.waitUntil(lambda: len(roster.others) == 1, timeout=5000)
    qtbot.mouseClick(session.window.top_bar.admin, LEFT)
    drawer = session.window.drawer
    qtbot.waitUntil(lambda: len(drawer.cards) == 2, timeout=3000)
    mine, theirs = drawer.cards
    assert mine.card.me and not theirs.card.me and theirs.card.name == "Grace Hopper"
    assert status_text(theirs.card) == "idle 5m"
    assert status_text(mine.card).startswith("active · ns/")
    assert krates_text(len(mine.card.krates)) == "1 krate open"
    assert krates_text(len(theirs.card.krates)) == "0 krates open"
    qtbot.waitUntil(lambda: theirs.isVisible(), timeout=3000)
    face = theirs.grab().toImage()
    assert face.pixelColor(40, 20) == QColor("#7ee0a1"), (
        "a 40 px avatar in their colour"
    )
    _peer_says(
        session, peer, activeNamespace="payments", lastActive=int(time.time() * 1000)
    )
    qtbot.waitUntil(
        lambda: status_text(drawer.cards[1].card) == "active · ns/payments",
        timeout=3000,
    )
    session.sharing.awareness.apply(peer.goodbye(), "peer")
    qtbot.waitUntil(lambda: not roster.others and len(drawer.cards) == 1, timeout=3000)
    assert drawer.cards[0].card.me


def test_avatar_of_a_peer_without_a_krate_flies_to_their_cursor(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F23: a peer with no active krate but a cursor on the canvas: clicking their avatar
    flies the camera to their cursor."""
    _peer_joins(session, cursor={"x": 3000.0, "y": 2500.0})
    roster = session.window.top_bar.roster
    qtbot.waitUntil(lambda: len(roster.others) == 1, timeout=5000)
    view = session.window.view
    qtbot.mouseClick(roster, LEFT, pos=QPoint(30 - 7 + 15, 15))
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    assert view.view_center() == pytest.approx((3000, 2500), abs=1)


def test_a_shell_without_exec_permission_says_so(
    qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """F81: as the read-only viewer (no pods/exec), a Shell names the missing access
    instead of hanging, and the window's other views keep working."""
    live = start_session(
        qtbot, sandbox_kubeconfig, tmp_path / "profile", "krates-sandbox-viewer"
    )
    try:
        kid, witem = _open(live, qtbot, POD_REF, "shell")
        shell = live.controller.binding(kid, witem.wid)
        qtbot.waitUntil(lambda: shell.state == "failed", timeout=15000)
        assert witem.message == f"no access: cannot exec into pod {POD} in ns/payments"
        _kid, yaml_w = _open(live, qtbot, POD_REF, "yaml")
        text = live.controller.bindings[f"{kid}/{yaml_w.wid}"].view
        qtbot.waitUntil(
            lambda: any(line.strip() == f"name: {POD}" for line in text.plain_lines()),
            timeout=10000,
        )
    finally:
        live.shutdown()


def test_bundled_plex_fonts_are_what_the_text_is_drawn_in(bare, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F130: the spotlight input resolves to IBM Plex Sans and content text to IBM Plex
    Mono, loaded from the app's own font files (the system has no Plex installed)."""
    qtbot.keyClick(bare.view, "a")
    spot = bare.spotlight
    assert QFontInfo(spot.input.font()).family() == "IBM Plex Sans"
    assert QFontInfo(theme.mono(12)).family() == "IBM Plex Mono"
    bundled = {
        family
        for path in (resource_path("fonts")).iterdir()
        for family in QFontDatabase.applicationFontFamilies(
            QFontDatabase.addApplicationFont(str(path))
        )
    }
    assert {"IBM Plex Sans", "IBM Plex Mono"} <= bundled


SCALED = """
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from krates_desktop.ui.main_window import MainWindow
from krates_desktop.ui.runner import Session

app = QApplication(sys.argv)
win = MainWindow()
win.resize(1000, 700)
win.show()
QTest.qWaitForWindowExposed(win)
win.view.setFocus()
QTest.keyClick(win.view, "a")
QTest.qWait(50)
shot = win.grab()
image = shot.toImage()
mini = win.minimap
x, y = (mini.x() + 90) * 2, mini.y() * 2
border = [image.pixelColor(x, y + i).blue() for i in range(4)]
print(shot.devicePixelRatio(), image.width(), image.height())
print(win.spotlight.panel.width(), win.spotlight.panel.y(), win.top_bar.height())
print(*border)
"""


def test_at_200_percent_every_size_doubles_in_physical_pixels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """F129: with the display at 200 %, a 1000x700 window is 2000x1400 physical pixels,
    spotlight and the top bar keep their logical sizes, and the minimap's 1 px border
    is two crisp physical rows, not a blurred one."""
    script = tmp_path / "scaled.py"
    script.write_text(SCALED)
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ratio, sizes, border = done.stdout.splitlines()[-3:]
    assert ratio.split() == ["2.0", "2000", "1400"]
    assert sizes.split() == ["660", str(round(700 * 0.15)), "56"]
    rows = [int(v) for v in border.split()]
    assert abs(rows[0] - rows[1]) <= 3 and min(rows[:2]) > rows[2] + 10, rows


def test_trackpad_pinch_zooms_at_the_pointer_and_clamps(bare) -> None:  # type: ignore[no-untyped-def]
    """F5: a pinch (native zoom gesture) zooms around the pointer like Ctrl+wheel and
    stays within 0.16-2.2."""
    view = bare.view
    vp = view.viewport()
    pos = QPointF(300, 200)

    def pinch(value: float) -> None:
        event = QNativeGestureEvent(
            Qt.NativeGestureType.ZoomNativeGesture,
            QPointingDevice.primaryPointingDevice(),
            2,
            pos,
            pos,
            vp.mapToGlobal(pos),
            value,
            QPointF(0, 0),
        )
        QApplication.sendEvent(vp, event)

    world = ((pos.x() - view.cam_x) / view.zoom, (pos.y() - view.cam_y) / view.zoom)
    pinch(0.25)
    assert view.zoom == pytest.approx(0.92 * 1.25)
    after = ((pos.x() - view.cam_x) / view.zoom, (pos.y() - view.cam_y) / view.zoom)
    assert after == pytest.approx(world)
    for _ in range(20):
        pinch(0.5)
    assert view.zoom == pytest.approx(2.2)
    for _ in range(40):
        pinch(-0.5)
    assert view.zoom == pytest.approx(0.16)


def test_logo_pill_has_the_accent_diamond_and_round_corners(bare) -> None:  # type: ignore[no-untyped-def]
    """F17: the logo pill shows an accent diamond before `krates / yard` and its corners
    are rounded (the corner pixel shows the canvas, the top edge the pill's border)."""
    logo = bare.top_bar.logo
    shot = bare.grab().toImage()
    origin = logo.mapTo(bare, QPoint(0, 0))
    mid = origin.y() + logo.height() // 2
    lead = [shot.pixelColor(origin.x() + x, mid) for x in range(8, 24)]
    assert any(c == QColor("#4dd6e8") for c in lead)
    corner = shot.pixelColor(origin.x() + 1, origin.y() + 1)
    edge = shot.pixelColor(origin.x() + logo.width() // 2, origin.y())
    behind = shot.pixelColor(origin.x() - 3, origin.y() + 1)
    assert abs(corner.lightness() - behind.lightness()) <= 3
    assert edge.lightness() > behind.lightness() + 5


def test_krate_frame_is_dashed_tinted_and_rounded(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F48: at zoom 1 the payments krate's frame edge alternates dashes and gaps, its
    padding is tinted rgba(111,177,255,.04) over the canvas, and its corner is rounded."""
    kid, _witem = _open(session, qtbot, SERVICE_REF, "describe")
    item = session.controller.krate_items[kid]
    view = session.window.view
    view.center_on(*session.yard.krates[kid].center(), 1.0)
    shot = view.grab().toImage()
    edge = _screen_pos(session, item, QPointF(40, 0))

    def changes(y: int) -> int:
        row = [shot.pixelColor(edge.x() + x, y).lightness() for x in range(300)]
        return sum(1 for a, b in zip(row, row[1:], strict=False) if a != b)

    # The edge lands on one pixel row; which one depends on the camera's rounding.
    dashes = max(changes(edge.y() + dy) for dy in (-1, 0, 1))
    assert dashes >= 20, "a dashed line changes between dash and gap along its length"
    tint = [
        shot.pixelColor(_screen_pos(session, item, QPointF(15, y))).getRgb()[:3]
        for y in range(100, 140)
    ]
    expected = (15, 21, 28)  # #0b0e13 with #6fb1ff at 4 %
    assert sum(1 for rgb in tint if rgb == pytest.approx(expected, abs=1)) >= 20
    corner = shot.pixelColor(_screen_pos(session, item, QPointF(1, 1))).getRgb()[:3]
    assert corner == pytest.approx((11, 14, 19), abs=2), (
        "nothing drawn outside the radius"
    )


def test_a_users_krate_list_folds_and_unfolds(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F102: clicking `2 krates open` on my card folds the list (its rows no longer take
    clicks and the card gets shorter); clicking again brings the rows back."""
    _open(session, qtbot, SERVICE_REF, "describe")
    _open(session, qtbot, POD_REF, "yaml")
    qtbot.mouseClick(session.window.top_bar.admin, LEFT)
    drawer = session.window.drawer
    card = drawer.cards[0]
    assert len(card.card.krates) == 2
    tall = card.minimumHeight()
    qtbot.mouseClick(card, LEFT, pos=card.count_rect().center().toPoint())
    card = drawer.cards[0]
    assert card.folded and card.minimumHeight() == tall - 2 * card.ROW_H
    session._refresh_presence()
    card = drawer.cards[0]
    assert card.folded, "a presence update keeps the list folded"
    qtbot.mouseClick(card, LEFT, pos=card._row_rect(0).center().toPoint())
    assert drawer.is_open(), "a folded list has no rows to click"
    qtbot.mouseClick(card, LEFT, pos=card.count_rect().center().toPoint())
    assert not card.folded and card.minimumHeight() == tall
    qtbot.mouseClick(card, LEFT, pos=card._row_rect(0).center().toPoint())
    assert not drawer.is_open()


def test_window_content_is_plex_mono_and_scrolls_with_its_thin_bar(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """F64: a pod's YAML is IBM Plex Mono 12 px at 19.8 px lines; the wheel over it
    scrolls the text inside the window (the camera stays) and an 8 px thumb in
    rgba(140,165,200,.18) rides at the right edge."""
    kid, witem = _open(session, qtbot, POD_REF, "yaml")
    text = session.controller.bindings[f"{kid}/{witem.wid}"].view
    qtbot.waitUntil(lambda: text.line_count() > 40, timeout=10000)
    info = QFontInfo(text._font)
    assert (info.family(), info.pixelSize(), text.line_height) == (
        "IBM Plex Mono",
        12,
        pytest.approx(19.8),
    )
    view = session.window.view
    view.center_on(*session.yard.krates[kid].center(), 1.0)
    camera = (view.cam_x, view.cam_y)
    first = text.plain_lines()[0]
    over = QPointF(_screen_pos(session, text, QPointF(150, 120)))
    for _ in range(3):
        _wheel(view, -120, pos=over)
    assert text.scroll_value == pytest.approx(3 * 3 * 19.8)
    assert (view.cam_x, view.cam_y) == camera
    assert text.plain_lines()[0] == first, "scrolling moves the view, not the text"
    shot = view.grab().toImage()
    thumb_top = (text._h - max(24.0, text._h**2 / text.content_height())) * (
        text.scroll_value / text.scroll_max()
    )
    y = thumb_top + 12
    inside = shot.pixelColor(_screen_pos(session, text, QPointF(text._w - 5, y)))
    beside = shot.pixelColor(_screen_pos(session, text, QPointF(text._w - 14, y)))
    assert inside.lightness() > beside.lightness() + 15
    above = shot.pixelColor(
        _screen_pos(session, text, QPointF(text._w - 5, thumb_top - 6))
    )
    assert above.lightness() < inside.lightness() - 15


def _inks(shot, session, item, rect: QRectF, test) -> bool:  # type: ignore[no-untyped-def]
    """Whether any screen pixel inside the item's `rect` passes `test`."""
    a = _screen_pos(session, item, rect.topLeft())
    b = _screen_pos(session, item, rect.bottomRight())
    return any(
        test(shot.pixelColor(x, y))
        for x in range(a.x(), b.x() + 1)
        for y in range(a.y(), b.y() + 1)
    )


def _green(c: QColor) -> bool:
    return c.green() > 150 and c.red() < 130 and c.blue() < 160


def _light(c: QColor) -> bool:
    return c.lightness() > 90


def _grey(c: QColor) -> bool:
    """Muted text: light enough to read, with no green or red cast."""
    return (
        c.lightness() > 60 and abs(c.red() - c.green()) < 25 and c.blue() - c.red() < 60
    )


def test_krate_and_window_headers_draw_every_part(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F50, F61: the krate header draws its handle, name, green `Running` badge, window
    count, `—` and `×`; the window header its type glyph in the pod colour, the name,
    the badge and `×`."""
    kid, witem = _open(session, qtbot, POD_REF, "yaml")
    item = session.controller.krate_items[kid]
    qtbot.waitUntil(lambda: item.status[0] == "Running", timeout=10000)
    view = session.window.view
    view.center_on(*session.yard.krates[kid].center(), 1.0)
    item.update()
    witem.update()
    qtbot.wait(30)
    shot = view.grab().toImage()
    top = -34.0  # the header bar runs from 34 to 6 px above the frame
    name_w = QFontMetricsF(theme.sans(13, 600)).horizontalAdvance(item.label)
    minimize, close = item._button_rects()
    header = {
        "handle": QRectF(6, top + 4, 12, 20),
        "name": QRectF(24, top + 4, name_w, 20),
        "badge": QRectF(24 + name_w + 10, top + 5, 90, 18),
        "count": QRectF(close.left() - 150, top + 4, 90, 20),
        "minimize": minimize.adjusted(4, 4, -4, -4),
        "close": close.adjusted(4, 4, -4, -4),
    }
    assert _inks(shot, session, item, header["handle"], lambda c: c.lightness() > 60)
    assert _inks(shot, session, item, header["name"], _light)
    assert _inks(shot, session, item, header["badge"], _green)
    for part in ("count", "minimize", "close"):
        assert _inks(shot, session, item, header[part], lambda c: c.lightness() > 60), (
            part
        )
    glyph = QRectF(14, 36 / 2 - 4, 8, 8)
    pod_colour = QColor(theme.KIND_GLYPHS["Pod"][1])
    assert _inks(shot, session, witem, glyph, lambda c: c == pod_colour)
    assert _inks(shot, session, witem, QRectF(80, 8, 120, 20), _light)
    assert _inks(shot, session, witem, QRectF(80, 8, 290 - 80, 20), _green)
    close_w = QRectF(
        witem.close_center() - QPointF(5, 5), witem.close_center() + QPointF(5, 5)
    )
    assert _inks(shot, session, witem, close_w, lambda c: c.lightness() > 60)


def test_result_rows_show_glyph_subtitle_and_type_badge(bare, qtbot) -> None:  # type: ignore[no-untyped-def]
    """F31: an unselected result row paints the pod glyph in its colour and the muted
    subtitle `pod · ns/payments`, pixel for pixel as that text is drawn, and the type
    badge `pod`; a custom resource adds a `CRD` badge (tests/ui/test_spotlight.py)."""
    qtbot.keyClick(bare.view, "l")
    spot = bare.spotlight
    qtbot.keyClicks(spot.input, "edger-db-0")
    qtbot.waitUntil(lambda: len(spot.results.results) >= 2, timeout=2000)
    results = spot.results
    row = next(i for i, r in enumerate(results.results) if r.candidate.kind == "Pod")
    if row == results.selected:
        qtbot.keyClick(spot.input, Qt.Key.Key_Down)
    assert row != results.selected
    cand = results.results[row].candidate
    assert subtext(cand) == "pod · ns/payments"
    image = results.grab().toImage()
    top = 4 + row * 44
    glyph = QColor(theme.KIND_GLYPHS["Pod"][1])
    assert any(
        image.pixelColor(x, y) == glyph
        for x in range(22, 30)
        for y in range(top + 12, top + 20)
    )

    def drawn_as(text: str, font, rect: QRectF, clear: QRectF, align) -> bool:  # type: ignore[no-untyped-def]
        """Whether `clear` shows exactly `text` drawn muted in `font` over its fill."""
        ref = image.copy()
        painter = QPainter(ref)
        painter.fillRect(clear, image.pixelColor(int(clear.left()), int(clear.top())))
        painter.setFont(font)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(rect, align, text)
        painter.end()
        box = clear.toRect()
        return all(
            ref.pixelColor(x, y) == image.pixelColor(x, y)
            for x in range(box.left(), box.right())
            for y in range(box.top(), box.bottom())
        )

    sub = QRectF(40, top + 24, 360, 16)
    left = Qt.AlignmentFlag.AlignVCenter
    assert drawn_as("pod · ns/payments", results._sub_font, sub, sub, left)
    assert not drawn_as("pod · ns/checkout", results._sub_font, sub, sub, left)
    badge = results.badge_rects(row)[0]
    inner = badge.adjusted(2, 2, -2, -2)
    centre = Qt.AlignmentFlag.AlignCenter
    assert drawn_as("pod", results._chip_font, badge, inner, centre)
    assert not drawn_as("svc", results._chip_font, badge, inner, centre)


def test_cluster_dot_turns_amber_while_the_api_throttles_then_green(
    qtbot, sandbox, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """F18: while the API answers the pod list with 429 Too Many Requests, the cluster
    pill's dot is amber; once it answers, the dot is green again."""
    sandbox.faults.inject(
        "429", count=1, retry_after=3, path="/api/v1/pods", method="GET"
    )
    live = start_session(qtbot, sandbox_kubeconfig, tmp_path / "profile", listed=False)
    try:
        pill = live.window.top_bar.cluster
        qtbot.waitUntil(lambda: pill.dot_color == "#e8b54a", timeout=15000)
        assert pill.dot_glow
        qtbot.waitUntil(lambda: pill.dot_color == "#4ad07a", timeout=20000)
    finally:
        sandbox.faults.clear()
        live.shutdown()


def test_shared_yard_pill_pulses_its_dot_and_a_local_one_does_not(
    qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """F20: a local yard's sync dot is steady; once shared through a real signaling
    server on loopback the pill reads `syncing…` or `synced` and its dot fades and
    comes back on a 1.6 s ease-in-out loop."""
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    server = SignalServer(ServerConfig(host="127.0.0.1", port=0))
    alice = shared_window(qtbot, sandbox_kubeconfig, tmp_path / "alice")
    bar = alice.window.top_bar
    seen: list[float] = []

    async def scenario() -> None:
        port = await server.start()
        await until(lambda: any(c.name == POD for c in alice.source.candidates()))
        assert bar.sync.text() == "local" and bar.sync.dot_opacity == 1.0
        alice.share(f"ws://127.0.0.1:{port}", allow_secret_file=True)
        await until(lambda: bar.sync.text() in ("syncing…", "synced"))
        pulse = bar._pulse
        assert pulse.duration() == 1600
        assert pulse.easingCurve().type() == QEasingCurve.Type.InOutSine
        pulse.valueChanged.connect(lambda v: seen.append(float(v)))
        await until(lambda: seen and min(seen) < 0.6 and seen[-1] > 0.9, timeout=10)
        await alice.sharing.stop()
        await server.stop()

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 90))
    finally:
        alice.shutdown()
        asyncio.set_event_loop(None)
        loop.close()


def test_the_demo_button_runs_the_yard_on_a_loopback_sandbox(
    qtbot, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """F133: with no usable kubeconfig, `Open the demo cluster` (what `krates --demo`
    starts with) connects to a sandbox on 127.0.0.1; a pod found by typing opens with
    its logs streaming; nothing is written to the user's ~/.kube."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "home" / "missing"))
    live = Session(Options(profile=tmp_path / "profile"))
    qtbot.addWidget(live.window)
    live.window.resize(1200, 800)
    live.window.show()
    qtbot.waitExposed(live.window)
    live.start()
    try:
        button = live.window.problem.button
        qtbot.waitUntil(button.isVisible, timeout=10000)
        qtbot.mouseClick(button, LEFT)
        qtbot.waitUntil(
            lambda: any(c.name == POD for c in live.source.candidates()), timeout=60000
        )
        assert urlparse(live.connection.context.server).hostname == "127.0.0.1"
        view = live.window.view
        view.setFocus()
        qtbot.keyClick(view, POD[0])
        spot = live.window.spotlight
        qtbot.keyClicks(spot.input, POD[1:])
        qtbot.waitUntil(
            lambda: (
                spot.results.current() is not None
                and spot.results.current().name == POD
            ),
            timeout=5000,
        )
        qtbot.keyClick(spot.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(live.controller.bindings), timeout=5000)
        logs = next(iter(live.controller.bindings.values()))
        qtbot.waitUntil(lambda: logs.view.line_count() > 0, timeout=15000)
        assert not (tmp_path / "home" / ".kube").exists()
    finally:
        live.shutdown()


def test_a_dropped_shell_stream_shows_disconnected_and_reconnects(
    qtbot, sandbox_kubeconfig, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """F80: when the network under a live shell drops, the window says `Disconnected`
    with a Reconnect button; clicking it opens a working shell again."""
    text = sandbox_kubeconfig.read_text()
    port = int(re.search(r"server: https://127\.0\.0\.1:(\d+)", text).group(1))
    relay = TcpProxy(port).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(text.replace(f"127.0.0.1:{port}", f"127.0.0.1:{relay.port}"))
    live = start_session(qtbot, kubeconfig, tmp_path / "profile")
    try:
        kid, witem = _open(live, qtbot, POD_REF, "shell")
        shell = live.controller.binding(kid, witem.wid)
        wait_connected(qtbot, shell)
        relay.cut()
        qtbot.waitUntil(lambda: shell.state == "disconnected", timeout=15000)
        assert (witem.message, witem.action_label) == ("Disconnected", "Reconnect")
        relay.restore()
        view = live.window.view
        button = view.mapFromScene(witem.mapToScene(witem.action_center()))
        qtbot.mouseClick(view.viewport(), LEFT, pos=button)
        wait_connected(qtbot, shell)
        assert witem.message == ""
    finally:
        live.shutdown()
        relay.close()
