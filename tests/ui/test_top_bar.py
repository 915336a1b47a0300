"""The top bar's cluster pill menu and the profile popover under the `★` avatar."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QPushButton, QToolTip

from krates_desktop.yard.awareness import YardAwareness
from tests.ui.conftest import POD, SERVICE_REF


def _menu_entries(menu) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    return [(a.text(), a.isChecked()) for a in menu.actions() if not a.isSeparator()]


def test_cluster_pill_menu_switches_the_context(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking the cluster pill lists the kubeconfig's contexts with the current one
    checked; picking another reconnects with it and reopens the same cluster's yard,
    krate included."""
    kid, _wid = session.controller.open_view(SERVICE_REF, "describe")
    bar = session.window.top_bar
    qtbot.mouseClick(bar.cluster, Qt.MouseButton.LeftButton)
    menu = session.top_bar_actions.menu
    qtbot.waitUntil(lambda: menu is not None and menu.isVisible(), timeout=5000)
    assert _menu_entries(menu) == [
        ("krates-sandbox", True),
        ("krates-sandbox-viewer", False),
        ("krates-sandbox-payments", False),
    ]
    assert menu.geometry().top() >= bar.cluster.mapToGlobal(QPoint(0, 0)).y()
    viewer = next(a for a in menu.actions() if a.text() == "krates-sandbox-viewer")
    qtbot.mouseClick(
        menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(viewer).center()
    )
    qtbot.waitUntil(
        lambda: bar.cluster.toolTip() == "krates-sandbox-viewer", timeout=10000
    )
    assert session.window.windowTitle().endswith("krates-sandbox-viewer")
    assert bar.cluster.text() == "demo-cluster"
    assert kid in session.yard.krates and kid in session.controller.krate_items
    qtbot.waitUntil(
        lambda: any(c.name == POD for c in session.source.candidates()), timeout=30000
    )
    qtbot.mouseClick(bar.cluster, Qt.MouseButton.LeftButton)
    menu = session.top_bar_actions.menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    assert ("krates-sandbox-viewer", True) in _menu_entries(menu)
    menu.close()


def test_star_avatar_opens_the_profile_popover(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking `★` opens the profile popover with the name, eight colours, the settings
    toggles and About / Full screen / Quit; a new name and colour show on the roster
    and are saved in settings.json."""
    roster = session.window.top_bar.roster
    qtbot.mouseClick(roster, Qt.MouseButton.LeftButton, pos=QPoint(15, 15))
    popover = session.top_bar_actions.profile
    qtbot.waitUntil(lambda: popover is not None and popover.isVisible(), timeout=5000)
    assert len(popover.swatches) == 8
    assert [b.text() for b in popover.findChildren(QCheckBox)] == [
        "Frosted overlays",
        "Blinking terminal cursor",
        "Reduce motion",
    ]
    labels = [b.text() for b in popover.findChildren(QPushButton) if b.text()]
    assert labels == ["About", "Full screen", "Quit"]
    assert popover.geometry().top() > roster.mapToGlobal(QPoint(0, 0)).y()
    popover.name.setFocus()
    popover.name.selectAll()
    qtbot.keyClicks(popover.name, "Ada Lovelace")
    qtbot.keyClick(popover.name, Qt.Key.Key_Return)
    qtbot.mouseClick(popover.swatches["#b48cff"], Qt.MouseButton.LeftButton)
    assert roster.me["name"] == "Ada Lovelace" and roster.me["color"] == "#b48cff"
    saved = json.loads((session.dirs.config / "settings.json").read_text())
    assert (saved["name"], saved["color"]) == ("Ada Lovelace", "#b48cff")
    assert popover.swatches["#b48cff"].isChecked()
    popover.close()


def test_drawer_footer_explains_a_local_yard(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The drawer's footer has Copy invite link and Leave yard; on a local yard each
    says in a toast why there is nothing to do."""
    window = session.window
    qtbot.mouseClick(window.top_bar.admin, Qt.MouseButton.LeftButton)
    copy, leave = window.drawer.footer_buttons
    assert (copy.text(), leave.text()) == ("Copy invite link", "Leave yard")
    qtbot.waitUntil(lambda: copy.isVisible(), timeout=3000)
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert window.toasts.shown[-1].label.text().startswith("This yard is not shared")
    qtbot.mouseClick(leave, Qt.MouseButton.LeftButton)
    assert window.toasts.shown[-1].label.text().startswith("This yard is local")


def _peer_joins(session, **fields) -> str:  # type: ignore[no-untyped-def]
    """Another user's presence arrives through the awareness protocol."""
    peer = YardAwareness(424242, "peer-grace", "Grace Hopper", "#7ee0a1")
    if fields:
        peer.update(**fields)
    session.sharing.awareness.apply(peer.encode_all(), "peer")
    return "peer-grace"


def test_clicking_another_users_avatar_flies_to_their_active_krate(
    session, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """A peer's avatar (second in the roster) flies the camera to the krate they are
    working in, at zoom 0.92."""
    kid, _wid = session.controller.open_view(SERVICE_REF, "describe")
    view = session.window.view
    qtbot.waitUntil(lambda: not view.flying, timeout=5000)
    _peer_joins(session, activeKrateId=kid)
    roster = session.window.top_bar.roster
    qtbot.waitUntil(lambda: len(roster.others) == 1, timeout=5000)
    view.center_on(1000, 1000, 0.5)
    qtbot.mouseClick(roster, Qt.MouseButton.LeftButton, pos=QPoint(30 - 7 + 15, 15))
    qtbot.waitUntil(lambda: not view.flying and view.zoom > 0.9, timeout=5000)
    assert view.view_center() == pytest.approx(session.yard.krates[kid].center(), abs=1)


def test_a_peer_with_no_krates_says_so(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A peer with no active krate, no cursor and no krates of their own: the avatar's
    tooltip says `no krates` and the camera stays."""
    _peer_joins(session)
    roster = session.window.top_bar.roster
    qtbot.waitUntil(lambda: len(roster.others) == 1, timeout=5000)
    view = session.window.view
    before = (view.cam_x, view.cam_y, view.zoom)
    qtbot.mouseClick(roster, Qt.MouseButton.LeftButton, pos=QPoint(30 - 7 + 15, 15))
    qtbot.waitUntil(lambda: QToolTip.text() == "no krates", timeout=3000)
    assert (view.cam_x, view.cam_y, view.zoom) == before and not view.flying


def test_reduce_motion_in_the_profile_makes_flights_instant(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Ticking Reduce motion in the profile popover: opening a view puts the camera on
    the krate at once, with no flight; the choice is saved."""
    roster = session.window.top_bar.roster
    qtbot.mouseClick(roster, Qt.MouseButton.LeftButton, pos=QPoint(15, 15))
    popover = session.top_bar_actions.profile
    qtbot.waitUntil(lambda: popover is not None and popover.isVisible(), timeout=5000)
    box = popover.toggles["reduce_motion"]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    popover.close()
    kid, _wid = session.controller.open_view(SERVICE_REF, "describe")
    view = session.window.view
    assert not view.flying and view.zoom == pytest.approx(0.92)
    assert view.view_center() == pytest.approx(session.yard.krates[kid].center(), abs=1)
    saved = json.loads((session.dirs.config / "settings.json").read_text())
    assert saved["reduce_motion"] is True
