"""Two windows (separate profiles) share one yard through a real signaling server and
real aiortc peers on loopback: a krate move and a cursor reach the other canvas."""

from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from krates_desktop.signaling.server import ServerConfig, SignalServer
from tests.ui.conftest import POD, POD_REF
from tests.ui.shared_yard import until, window


def test_two_windows_share_a_yard(
    qtbot, sandbox_kubeconfig: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Alice shares, Bob joins by the link: both pills read synced, Alice's new krate and
    its move appear on Bob's canvas, and her cursor shows on his."""
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    server = SignalServer(ServerConfig(host="127.0.0.1", port=0))
    alice = window(qtbot, sandbox_kubeconfig, tmp_path / "alice")
    bob = window(qtbot, sandbox_kubeconfig, tmp_path / "bob")

    async def scenario() -> None:
        port = await server.start()
        await until(lambda: any(c.name == POD for c in alice.source.candidates()))
        link = alice.share(f"ws://127.0.0.1:{port}", allow_secret_file=True)
        assert bob.join(link)
        await until(
            lambda: (
                alice.window.top_bar.sync_state == "synced"
                and bob.window.top_bar.sync_state == "synced"
            )
        )
        kid, _wid = alice.controller.open_view(POD_REF, "logs")
        await until(
            lambda: kid in bob.yard.krates and kid in bob.controller.krate_items
        )
        alice.yard.move_krate(kid, (1000.0, 1200.0))
        await until(lambda: bob.yard.krates[kid].pos == (1000.0, 1200.0))
        item = bob.controller.krate_items[kid]
        assert (item.pos().x(), item.pos().y()) == (1000.0, 1200.0)
        alice.sharing.set_cursor((5000.0, 3000.0))
        alice_id = alice.me["userId"]
        await until(lambda: alice_id in bob.window.cursors.tracks)
        assert bob.window.cursors.tracks[alice_id].name == alice.me["name"]
        assert len(bob.window.top_bar.roster.others) == 1
        await alice.sharing.stop()
        await bob.sharing.stop()
        await server.stop()

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 90))
    finally:
        alice.shutdown()
        bob.shutdown()
        asyncio.set_event_loop(None)
        loop.close()  # now, while its Qt objects live; not later from the collector
