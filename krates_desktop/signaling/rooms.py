"""Room membership held in this process: who is in which room, and delivery to them.

``LocalRooms`` is the whole story for a single server. ``RedisRooms``
(``redis_rooms.py``) offers the same methods and shares membership between
instances. Each member is a peer id with a ``deliver`` coroutine that writes one
encoded frame to its socket without waiting for a slow reader, so a room's
messages are encoded once and handed to each member in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson

from krates_desktop.signaling.metrics import Metrics

log = logging.getLogger(__name__)

Deliver = Callable[[bytes], Awaitable[None]]


class JoinRefused(Exception):
    """A join the room or the server cannot take; ``code`` is the protocol error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Rooms(Protocol):
    """What the server needs from a membership backend."""

    async def start(self) -> None:
        """Connect whatever the backend needs."""

    async def stop(self) -> None:
        """Say goodbye for every local member and disconnect."""

    def healthy(self) -> bool:
        """True while the backend can serve joins."""

    def room_count(self) -> int:
        """Rooms with members in this process."""

    def peer_count(self) -> int:
        """Members in this process."""

    async def join(self, room: str, peer: str, deliver: Deliver) -> list[str]:
        """Add a member; return the other members; raise JoinRefused."""

    async def leave(self, room: str, peer: str) -> None:
        """Remove a member and tell the others."""

    async def signal(self, room: str, sender: str, to: str, data: str) -> bool:
        """Relay ``data`` to ``to``; False if it is not in the room."""


class LocalRooms:
    """Rooms of one server process."""

    def __init__(self, max_peers: int, max_rooms: int, metrics: Metrics) -> None:
        self.max_peers = max_peers
        self.max_rooms = max_rooms
        self.metrics = metrics
        self.members: dict[str, dict[str, Deliver]] = {}

    def __repr__(self) -> str:
        return f"<LocalRooms rooms={len(self.members)}>"

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Forget every member."""
        self.members.clear()

    def healthy(self) -> bool:
        """Always true."""
        return True

    def room_count(self) -> int:
        """Rooms with members."""
        return len(self.members)

    def peer_count(self) -> int:
        """Members in all rooms."""
        return sum(len(m) for m in self.members.values())

    def admit(self, room: str, peer: str, taken: int) -> None:
        """Check the limits for a join to a room that has ``taken`` members."""
        if room not in self.members and len(self.members) >= self.max_rooms:
            raise JoinRefused("server-full")
        if peer in self.members.get(room, {}):
            raise JoinRefused("duplicate-peer")
        if taken >= self.max_peers:
            raise JoinRefused("room-full")

    async def join(self, room: str, peer: str, deliver: Deliver) -> list[str]:
        """Add a member; tell the others; return them."""
        members = self.members.get(room, {})
        self.admit(room, peer, len(members))
        others = list(members)
        self.add_local(room, peer, deliver)
        await self.tell_local(room, {"type": "peer-joined", "peer": peer}, skip=peer)
        return others

    def add_local(self, room: str, peer: str, deliver: Deliver) -> None:
        """Record a member of this process."""
        self.members.setdefault(room, {})[peer] = deliver

    def remove_local(self, room: str, peer: str) -> bool:
        """Forget a member of this process; True if it was there."""
        members = self.members.get(room)
        if members is None or members.pop(peer, None) is None:
            return False
        if not members:
            del self.members[room]
        return True

    async def tell_local(
        self, room: str, message: dict[str, Any], skip: str = ""
    ) -> None:
        """Deliver a message to every member of this process in a room."""
        frame = orjson.dumps(message)
        for peer, deliver in list(self.members.get(room, {}).items()):
            if peer != skip:
                await deliver(frame)

    async def leave(self, room: str, peer: str) -> None:
        """Remove a member and tell the others."""
        if self.remove_local(room, peer):
            await self.tell_local(room, {"type": "peer-left", "peer": peer})

    async def signal(self, room: str, sender: str, to: str, data: str) -> bool:
        """Deliver a signal inside this process."""
        return await self.deliver_signal(room, sender, to, data, "local")

    async def deliver_signal(
        self, room: str, sender: str, to: str, data: str, via: str
    ) -> bool:
        """Deliver a signal to a member of this process; False if it is not here."""
        deliver = self.members.get(room, {}).get(to)
        if deliver is None:
            return False
        await deliver(
            orjson.dumps({"type": "signal", "from": sender, "to": to, "data": data})
        )
        self.metrics.relayed[via] += 1
        return True
