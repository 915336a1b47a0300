"""Sharing the window's yard: a sync session, presence, and what the HUD shows of them.

Everything runs on the GUI thread's asyncio loop (qasync): the yard session and the
awareness call their listeners here, so they update widgets directly.

The sync pill's popover is `ui/hud/sync_popover.py`, wired by `ui/sync_actions.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject

from krates_desktop.sync.invite import Invite, InviteError, parse_invite
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.session import SessionConfig, SyncStatus, YardSession
from krates_desktop.sync.transport import TransportConfig
from krates_desktop.ui.main_window import MainWindow
from krates_desktop.yard.awareness import YardAwareness
from krates_desktop.yard.model import Yard

log = logging.getLogger(__name__)

PILL_STATES = {
    "local": "local",
    "connecting": "syncing",
    "syncing": "syncing",
    "synced": "synced",
    "offline": "offline",
    "refused": "offline",
}


class Sharing(QObject):
    """Owns the awareness of the local user and, once shared, the yard session."""

    def __init__(
        self, window: MainWindow, transport: TransportConfig | None = None
    ) -> None:
        super().__init__(window)
        self.window = window
        self.transport = transport or TransportConfig()
        self.awareness: YardAwareness | None = None
        self.session: YardSession | None = None
        self.invite: Invite | None = None
        self.on_presence: Callable[[], None] = lambda: None
        self.on_secret: Callable[[YardSecret], None] = lambda secret: None
        self._refusal = ""

    def attach(self, yard: Yard, presence: dict[str, Any]) -> None:
        """Track presence for `yard`'s document (a new yard replaces the old one)."""
        self.awareness = YardAwareness(
            yard.doc.client_id, presence["userId"], presence["name"], presence["color"]
        )
        self.awareness.subscribe(lambda _change: self._on_awareness_changed())

    def others(self) -> list[dict[str, Any]]:
        """The presence records of every remote user, one per userId."""
        if self.awareness is None:
            return []
        me = self.awareness.local["userId"]
        latest: dict[str, dict[str, Any]] = {}
        for state in self.awareness.peers().values():
            user = str(state.get("userId", ""))
            if (
                user
                and user != me
                and state.get("ts", 0) >= latest.get(user, {}).get("ts", -1)
            ):
                latest[user] = dict(state)
        return list(latest.values())

    def set_cursor(self, world: tuple[float, float] | None) -> None:
        """Publish the pointer in world coordinates, or None off the canvas."""
        if self.awareness is not None and self.session is not None:
            self.awareness.set_cursor(world)

    def set_active_krate(self, kid: str | None, namespace: str | None) -> None:
        """Publish the krate last interacted with and its namespace."""
        if self.awareness is not None:
            self.awareness.update(activeKrateId=kid, activeNamespace=namespace)

    def set_spotlight(self, query: str | None) -> None:
        """Publish the live spotlight query (None when spotlight closes)."""
        if self.awareness is not None:
            self.awareness.set_spotlight(query, typed=query is not None)

    async def start(self, yard: Yard, invite: Invite, fingerprint: str) -> None:
        """Join `invite`'s room with `yard`; the pill follows the session's status."""
        await self.stop()
        if self.awareness is None:
            raise RuntimeError("attach() must come first")
        config = SessionConfig.from_invite(
            invite, fingerprint, transport=self.transport
        )
        self.session = YardSession(yard, self.awareness, config)
        self.invite = invite
        self._refusal = ""
        self.session.subscribe_status(self._on_session_status)
        self.session.subscribe_secret(self._on_session_secret)
        await self.session.start()

    async def stop(self) -> None:
        """Leave the room (the yard stays, locally)."""
        session, self.session = self.session, None
        if session is not None:
            await session.stop()

    def _on_session_status(self, status: SyncStatus) -> None:
        state = PILL_STATES.get(status.state, "offline")
        self.window.top_bar.set_sync_state(state, status.reason)
        if status.state == "refused" and status.reason != self._refusal:
            self.window.toasts.show(status.reason)
        self._refusal = status.reason if status.state == "refused" else ""

    def _on_session_secret(self, secret: YardSecret) -> None:
        """The secret was reset (here or by a peer): the invite follows it."""
        if self.invite is not None:
            self.invite = replace(self.invite, secret=secret)
        self.on_secret(secret)

    def _on_awareness_changed(self) -> None:
        others = self.others()
        self.window.cursors.set_peers(others)
        self.window.minimap.set_peers(others)
        self.on_presence()


def read_invite(link: str) -> Invite | str:
    """The invite behind a link, or the sentence saying what is wrong with it."""
    try:
        return parse_invite(link)
    except InviteError as exc:
        return str(exc)


def ensure_task(coro: Any) -> asyncio.Future[Any]:
    """Run a coroutine on the GUI thread's loop, logging its failure for the user."""
    future = asyncio.ensure_future(coro)

    def done(task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("sharing failed: %s", task.exception())

    future.add_done_callback(done)
    return future
