"""The sync pill's popover and the health view with real peers: two windows share a yard
through a real signaling server (port 0) and aiortc on loopback; resetting the invite
secret keeps them together, and the old link is turned away with a reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from krates_desktop.signaling.server import ServerConfig, SignalServer
from krates_desktop.sync.session import BAD_SECRET
from krates_desktop.ui.hud.toasts import Toast
from krates_desktop.ui.runner import Session
from krates_desktop.ui.sync_actions import RESET_DONE
from tests.ui.conftest import POD, POD_REF
from tests.ui.shared_yard import until, window


def _popover_lines(live: Session) -> list[str]:
    popover = live.sync_actions.popover
    assert popover is not None and popover.isVisible()
    return [label.text() for label in popover.lines]


def _toasts(live: Session) -> list[str]:
    return [t.label.text() for t in live.window.findChildren(Toast)]


def test_popover_peers_reset_secret_and_the_old_link(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Alice's popover lists Bob as direct with a round-trip time and the last sync; the
    health view and the admin drawer show his link and sync lag. Reset invite secret
    asks first, then puts a new link on the clipboard; Bob follows to the new room,
    Carol's old link is refused with a reason, and the new link lets her in."""
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    server = SignalServer(ServerConfig(host="127.0.0.1", port=0))
    alice = window(qtbot, sandbox_kubeconfig, tmp_path / "alice")
    bob = window(qtbot, sandbox_kubeconfig, tmp_path / "bob")
    carol = window(qtbot, sandbox_kubeconfig, tmp_path / "carol")
    sessions = (alice, bob, carol)

    async def scenario() -> None:
        port = await server.start()
        for live in sessions:
            await until(
                lambda s=live: any(c.name == POD for c in s.source.candidates())
            )
        old_link = alice.share(f"ws://127.0.0.1:{port}", allow_secret_file=True)
        assert bob.join(old_link)
        both = (alice, bob)
        await until(lambda: all(s.window.top_bar.sync_state == "synced" for s in both))
        kid, _wid = bob.controller.open_view(POD_REF, "yaml")
        await until(lambda: kid in alice.yard.krates)
        await until(lambda: any(p.rtt_ms is not None for p in _figures(alice)))

        qtbot.mouseClick(alice.window.top_bar.sync, Qt.MouseButton.LeftButton)
        lines = _popover_lines(alice)
        name = bob.me["name"]
        assert lines[0].startswith(f"{name} · direct · RTT ")
        assert lines[0].endswith(" ms")
        assert lines[1].startswith("last sync ") and lines[1].endswith(" ago")
        popover = alice.sync_actions.popover
        qtbot.mouseClick(popover.buttons["Health view"], Qt.MouseButton.LeftButton)
        assert alice.window.health.is_open()
        health = alice.window.health.text().splitlines()
        peer = health[health.index("Yard peers") + 1]
        assert peer.startswith(f"{name} · synced · direct · RTT ")
        assert "last update " in peer and peer.endswith(" unacked")
        alice.window.toggle_health()

        alice.window.toggle_drawer()
        card = next(w for w in alice.window.drawer.cards if not w.card.me)
        assert card.card.link.startswith("direct · RTT ")

        qtbot.mouseClick(alice.window.top_bar.sync, Qt.MouseButton.LeftButton)
        popover = alice.sync_actions.popover
        qtbot.mouseClick(
            popover.buttons["Reset invite secret"], Qt.MouseButton.LeftButton
        )
        assert popover.confirm.isVisible()
        assert "old invite link stops working" in popover.confirm_text.text()
        qtbot.mouseClick(popover.buttons["Reset"], Qt.MouseButton.LeftButton)
        await until(lambda: RESET_DONE in _toasts(alice))
        new_link = QGuiApplication.clipboard().text()
        assert new_link == alice.invite_link and new_link != old_link
        await until(lambda: bob.sharing.session.room == alice.sharing.session.room)
        assert bob.invite_link == new_link

        assert carol.join(old_link)
        await until(lambda: BAD_SECRET in _toasts(carol))
        assert carol.window.top_bar.sync_state == "offline"
        assert carol.window.top_bar.sync.toolTip() == BAD_SECRET
        assert carol.join(new_link)
        await until(lambda: carol.window.top_bar.sync_state == "synced")
        await until(lambda: kid in carol.yard.krates)
        for live in sessions:
            await live.sharing.stop()
        await server.stop()

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 120))
    finally:
        for live in sessions:
            live.shutdown()
        asyncio.set_event_loop(None)
        loop.close()


def _figures(live: Session):  # type: ignore[no-untyped-def]
    session = live.sharing.session
    return session.peer_figures() if session is not None else ()
