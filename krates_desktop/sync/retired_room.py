"""The room of a reset secret, kept so that its old invite links fail with a reason.

Resetting the yard secret moves every connected peer to a new room; the old room
is then empty, and a person opening an old link would sit there alone, "synced"
with no one. So the peer that reset the secret stays in the old room under a
fresh peer id while its session runs, and answers every connection request there
with the unsealed bad-seal notice (``docs/protocol/signaling.md``). The newcomer's
session turns that into its refusal: the link's secret is wrong or was reset, ask
for a new link. Nothing is ever sealed or opened here: the old secret is not kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from krates_desktop.sync.sealing import bad_seal_notice
from krates_desktop.sync.signaling_client import SignalingClient, SignalingStatus

log = logging.getLogger(__name__)


class RetiredRoom:
    """Sits in ``room`` and turns away everyone who signals there."""

    def __init__(self, url: str, room: str, peer: str) -> None:
        self.client = SignalingClient(url, room, peer, self)
        self._answered: set[str] = set()

    def start(self) -> None:
        """Join the old room (on the running loop)."""
        self.client.start()

    async def stop(self) -> None:
        """Leave it."""
        await self.client.stop()

    # SignalingEvents ------------------------------------------------------------

    def signaling_status(self, status: SignalingStatus) -> None:
        log.debug("retired room %s…: %s", self.client.room[:8], status.state)

    def welcomed(self, peers: list[str], ice_servers: list[dict[str, Any]]) -> None:
        """Peers already there are from before the reset; they get no offer from us."""

    def peer_joined(self, peer: str) -> None:
        """Newcomers offer to us; the answer is the notice."""

    def peer_left(self, peer: str) -> None:
        self._answered.discard(peer)

    def signal_received(self, sender: str, data: str) -> None:
        """Any request here came with a reset secret: say it cannot be read."""
        if sender in self._answered:
            return
        self._answered.add(sender)
        log.info("turned away peer %s, who used a reset invite link", sender)
        asyncio.get_running_loop().create_task(
            self.client.send_signal(sender, bad_seal_notice())
        )
