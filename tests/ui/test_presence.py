"""The roster, the admin button and the admin drawer, from the local user's own state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from krates_desktop.ui.admin.drawer import UserCard, status_text
from krates_desktop.ui.hud.presence import initials
from tests.ui.conftest import POD_REF


def test_roster_shows_me_first_with_a_star(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The roster has one 30x30 avatar for the current user, drawn with `★` in their colour."""
    roster = session.window.top_bar.roster
    assert roster.height() == 30 and roster.width() == 30
    assert roster._shown()[0][2] == "★"
    image = roster.grab().toImage()
    assert image.pixelColor(15, 8) == QColor(session.me["color"])


def test_initials_and_idle_text() -> None:
    """Initials take the first letters of two words; idle users read `idle Nm`."""
    assert initials("Dana Ruiz") == "DR" and initials("sam") == "SA"
    card = UserCard(
        "u",
        "Dana Ruiz",
        "#ff9f6b",
        False,
        last_active_ms=0,
        active_namespace="payments",
    )
    assert status_text(card, now_ms=30_000) == "active · ns/payments"
    assert status_text(card, now_ms=5 * 60_000 + 1) == "idle 5m"


def test_admin_button_toggles_the_drawer(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clicking `◉ admin` slides the 380 px drawer in and outlines the button in accent;
    esc closes it and mutes the button; while open, typing opens no spotlight."""
    window = session.window
    admin = window.top_bar.admin
    qtbot.mouseClick(admin, Qt.MouseButton.LeftButton)
    drawer = window.drawer
    assert drawer.is_open() and admin.border == "#4dd6e8"
    qtbot.waitUntil(lambda: drawer.panel.x() == window.width() - 380, timeout=1000)
    assert drawer.panel.width() == 380
    qtbot.keyClick(drawer, "a")
    assert not window.spotlight.is_open()
    qtbot.keyClick(drawer, Qt.Key.Key_Escape)
    assert not drawer.is_open() and admin.border is None
    qtbot.waitUntil(lambda: not drawer.isVisible(), timeout=1000)


def test_my_card_lists_my_krates_and_spectates(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """My card shows `1 krate open` with the krate's view letters; clicking the row closes
    the drawer and flies to the krate at zoom 0.92."""
    kid, _ = session.controller.open_view(POD_REF, "logs")
    session.controller.open_view(POD_REF, "yaml")
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=2000)
    session.window.view.center_on(1000, 1000, 0.5)
    session.window.toggle_drawer()
    card = session.window.drawer.cards[0]
    assert card.card.me and len(card.card.krates) == 1
    assert card.card.krates[0].letters == ("Y", "L")
    qtbot.mouseClick(
        card, Qt.MouseButton.LeftButton, pos=card._row_rect(0).center().toPoint()
    )
    assert not session.window.drawer.is_open()
    qtbot.waitUntil(lambda: not session.window.view.flying, timeout=2000)
    assert session.window.view.zoom == pytest.approx(0.92)
    assert session.window.view.view_center() == pytest.approx(
        session.yard.krates[kid].center(), abs=1
    )


def test_my_live_query_shows_on_my_card(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """While I type in spotlight my card reads `🔍 <query>` and `typing…`."""
    view = session.window.view
    view.setFocus()
    qtbot.keyClick(view, "p")
    qtbot.keyClicks(session.window.spotlight.input, "ods")
    card = session.window.drawer.cards[0]
    assert card.query_text() == "🔍 pods" and card.card.typing
    qtbot.waitUntil(
        lambda: not session.window.drawer.cards[0].card.typing, timeout=2500
    )
    qtbot.keyClick(session.window.spotlight.input, Qt.Key.Key_Escape)
    assert session.window.drawer.cards[0].query_text() == ""


def test_sync_pill_offers_share_and_join_while_local(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A yard never shared reads `local`; clicking the pill offers Share yard… and Join yard…."""
    pill = session.window.top_bar.sync
    assert pill.text() == "local"
    qtbot.mouseClick(pill, Qt.MouseButton.LeftButton)
    popover = session.sync_actions.popover
    assert popover is not None and popover.isVisible()
    assert list(popover.buttons)[:3] == ["Share yard…", "Join yard…", "Health view"]
    assert not popover.lines
    popover.close()


def test_a_broken_link_is_explained(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Joining with something that is not an invite says so in a toast and changes nothing."""
    before = session.yard
    assert not session.join("https://example.invalid/not-an-invite")
    assert session.yard is before
    assert "krates://join?" in session.window.toasts.shown[-1].label.text()
