"""Room membership shared by several signaling instances through Redis.

Members live in the hash ``krates:room:<R>`` (peer id -> instance id); each
instance keeps ``krates:instance:<I>`` alive with a 30 s expiry, and a Lua script
prunes members of dead instances, checks the room limit and adds the newcomer
atomically. Messages for members on other instances travel over the channel
``krates:room:<R>``, to which every instance with local members is subscribed.

Limitations: when Redis is unreachable, joins are refused (``server-full``) and
cross-instance relay stops; members that are already connected on one instance
keep reaching each other; a server that dies leaves its members in Redis until
its instance key expires (30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from krates_desktop.signaling.metrics import Metrics
from krates_desktop.signaling.resp import (
    RedisAddress,
    RedisConnection,
    RedisError,
    RedisSubscriber,
)
from krates_desktop.signaling.rooms import Deliver, JoinRefused, LocalRooms

log = logging.getLogger(__name__)

ROOM_KEY = "krates:room:"
INSTANCE_KEY = "krates:instance:"
INSTANCE_TTL_S = 30
RENEW_EVERY_S = 10.0

JOIN_SCRIPT = """
local members = redis.call('HGETALL', KEYS[1])
local alive = {}
for i = 1, #members, 2 do
  local peer, owner = members[i], members[i + 1]
  if redis.call('EXISTS', ARGV[4] .. owner) == 1 then
    table.insert(alive, peer)
  else
    redis.call('HDEL', KEYS[1], peer)
  end
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -2 end
if #alive >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return alive
"""


class RedisRooms:
    """Rooms shared across instances; local delivery is a ``LocalRooms``."""

    def __init__(
        self, url: str, max_peers: int, max_rooms: int, metrics: Metrics
    ) -> None:
        self.address = RedisAddress.parse(url)
        self.instance = secrets.token_hex(8)
        self.local = LocalRooms(max_peers, max_rooms, metrics)
        self.metrics = metrics
        self._conn = RedisConnection(self.address)
        self._sub = RedisSubscriber(self.address)
        self._tasks: list[asyncio.Task[None]] = []
        self._up = False
        metrics.gauges["redis_up"] = lambda: 1.0 if self._up else 0.0

    def __repr__(self) -> str:
        return f"<RedisRooms {self.address!r} instance={self.instance}>"

    # lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Redis, announce this instance, and start listening."""
        await self._connect()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen()),
            loop.create_task(self._renew()),
        ]

    async def _connect(self) -> None:
        await self._conn.connect()
        await self._sub.connect()
        await self._conn.execute(
            "SET", INSTANCE_KEY + self.instance, "1", "EX", INSTANCE_TTL_S
        )
        self._up = True
        log.info(
            "redis rooms: instance %s connected to %r", self.instance, self.address
        )

    async def stop(self) -> None:
        """Remove this instance's members from Redis and disconnect."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RedisError):
            for room, members in list(self.local.members.items()):
                for peer in list(members):
                    await self._forget(room, peer)
            await self._conn.execute("DEL", INSTANCE_KEY + self.instance)
        await self._sub.close()
        await self._conn.close()
        self._up = False

    def healthy(self) -> bool:
        """True while Redis answers."""
        return self._up

    def room_count(self) -> int:
        """Rooms with members on this instance."""
        return self.local.room_count()

    def peer_count(self) -> int:
        """Members on this instance."""
        return self.local.peer_count()

    # membership ----------------------------------------------------------------

    async def join(self, room: str, peer: str, deliver: Deliver) -> list[str]:
        """Add a member across instances; return the others; raise JoinRefused."""
        if not self._up:
            raise JoinRefused("server-full")
        self.local.admit(room, peer, 0)
        fresh = room not in self.local.members
        try:
            if fresh:
                await self._sub.subscribe(_channel(room))
            result = await self._conn.execute(
                "EVAL",
                JOIN_SCRIPT,
                1,
                ROOM_KEY + room,
                peer,
                self.instance,
                self.local.max_peers,
                INSTANCE_KEY,
            )
        except RedisError as exc:
            log.warning("redis join failed: %s", exc)
            raise JoinRefused("server-full") from exc
        if not isinstance(result, list):
            if fresh:
                await self._quietly_unsubscribe(room)
            raise JoinRefused("duplicate-peer" if result == -2 else "room-full")
        others = [p.decode() for p in result if isinstance(p, bytes)]
        self.local.add_local(room, peer, deliver)
        joined = {"type": "peer-joined", "peer": peer}
        await self.local.tell_local(room, joined, skip=peer)
        await self._publish(room, joined)
        return others

    async def leave(self, room: str, peer: str) -> None:
        """Remove a member everywhere and tell the others."""
        if not self.local.remove_local(room, peer):
            return
        left = {"type": "peer-left", "peer": peer}
        await self.local.tell_local(room, left)
        with contextlib.suppress(RedisError):
            await self._forget(room, peer)
        if room not in self.local.members:
            await self._quietly_unsubscribe(room)

    async def _forget(self, room: str, peer: str) -> None:
        await self._conn.execute("HDEL", ROOM_KEY + room, peer)
        await self._publish(room, {"type": "peer-left", "peer": peer})

    async def signal(self, room: str, sender: str, to: str, data: str) -> bool:
        """Deliver locally, or publish for the instance that holds ``to``."""
        if await self.local.signal(room, sender, to, data):
            return True
        try:
            present = await self._conn.execute("HEXISTS", ROOM_KEY + room, to)
        except RedisError:
            return False
        if present != 1:
            return False
        await self._publish(
            room, {"type": "signal", "from": sender, "to": to, "data": data}
        )
        return True

    # redis traffic ---------------------------------------------------------------

    async def _publish(self, room: str, message: dict[str, Any]) -> None:
        body = json.dumps({**message, "room": room, "origin": self.instance})
        try:
            await self._conn.execute("PUBLISH", _channel(room), body)
        except RedisError as exc:
            log.warning("redis publish failed: %s", exc)
            self._up = False

    async def _quietly_unsubscribe(self, room: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._sub.unsubscribe(_channel(room))

    async def _listen(self) -> None:
        while True:
            try:
                async for _channel_name, data in self._sub.messages():
                    await self._on_published(data)
            except RedisError as exc:
                log.warning("redis subscriber lost: %s; reconnecting", exc)
            self._up = False
            await self._reconnect()

    async def _reconnect(self) -> None:
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            try:
                await self._conn.close()
                await self._sub.close()
                await self._connect()
                for room, members in self.local.members.items():
                    for peer in members:
                        await self._conn.execute(
                            "HSET", ROOM_KEY + room, peer, self.instance
                        )
                    asyncio.get_running_loop().create_task(
                        self._sub.subscribe(_channel(room))
                    )
                return
            except RedisError as exc:
                log.warning("redis still unreachable: %s", exc)
                delay = min(delay * 2, 10.0)

    async def _on_published(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            room, origin = message.pop("room"), message.pop("origin")
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable message on a redis room channel")
            return
        if origin == self.instance:
            return
        if message.get("type") == "signal":
            await self.local.deliver_signal(
                room, message["from"], message["to"], message["data"], "redis"
            )
            return
        await self.local.tell_local(room, message, skip=str(message.get("peer", "")))

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                await self._conn.execute(
                    "SET", INSTANCE_KEY + self.instance, "1", "EX", INSTANCE_TTL_S
                )
            except RedisError as exc:
                log.warning("could not renew the instance key: %s", exc)


def _channel(room: str) -> str:
    return ROOM_KEY + room
