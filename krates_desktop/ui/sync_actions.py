"""What the sync pill does: its popover, and resetting the invite secret.

Kept apart from the session so the session's wiring stays short. Resetting asks
in the popover first; then the session hands the new secret to the connected
peers and moves rooms, the new secret is stored, and the new invite link goes to
the clipboard. Old links are turned away with a reason (`sync/retired_room.py`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from shiboken6 import isValid

from krates_desktop.sync.errors import NoKeyring
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.secret_store import SecretStore
from krates_desktop.ui.hud.sync_popover import SyncPopover
from krates_desktop.ui.sharing import ensure_task

if TYPE_CHECKING:
    from krates_desktop.ui.runner import Session

log = logging.getLogger(__name__)

RESET_DONE = "New invite link copied to the clipboard · old links no longer work"


class SyncActions(QObject):
    """The sync pill's popover and the commands behind its buttons."""

    def __init__(self, session: Session) -> None:
        super().__init__(session.window)
        self.session = session
        self.popover: SyncPopover | None = None
        self.allow_secret_file = False
        session.sharing.on_secret = self._on_secret_changed

    def open_popover(self) -> None:
        """Show the popover under the sync pill (a second click closes it)."""
        if self.popover is not None and isValid(self.popover):
            if self.popover.isVisible():
                self.popover.close()
                return
        session = self.session
        yard_session = session.sharing.session
        peers = yard_session.peer_figures() if yard_session is not None else None
        popover = SyncPopover(session.window, peers)
        popover.share_requested.connect(session._ask_share)
        popover.join_requested.connect(session._ask_join)
        popover.copy_requested.connect(session._copy_invite)
        popover.reset_confirmed.connect(lambda: ensure_task(self.reset_secret()))
        popover.leave_requested.connect(lambda: ensure_task(session.sharing.stop()))
        popover.health_requested.connect(session.window.toggle_health)
        pill = session.window.top_bar.sync
        popover.adjustSize()
        corner = pill.mapToGlobal(pill.rect().bottomRight())
        popover.move(corner.x() - popover.width(), corner.y() + 6)
        popover.show()
        self.popover = popover

    async def reset_secret(self) -> None:
        """Make a new secret for everyone connected; the new link goes to the clipboard."""
        yard_session = self.session.sharing.session
        if yard_session is None:
            return
        await yard_session.reset_secret()
        QGuiApplication.clipboard().setText(self.session.invite_link)
        self.session.window.toasts.show(RESET_DONE)

    def _on_secret_changed(self, secret: YardSecret) -> None:
        """Store the new secret and make the invite link carry it (here or from a peer)."""
        invite = self.session.sharing.invite
        if invite is None:
            return
        self.session.invite_link = invite.to_link()
        store = SecretStore(self.session.dirs.data, allow_file=self.allow_secret_file)
        try:
            store.save(invite.yard_id, secret)
        except NoKeyring as exc:
            log.error("the new yard secret could not be stored: %s", exc)
