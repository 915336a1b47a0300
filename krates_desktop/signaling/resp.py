"""A small asyncio Redis client: commands and publish/subscribe over RESP2.

It speaks just what the scale-out needs (commands with bulk-string arguments,
their replies, and a subscriber connection that yields channel messages), over
TCP (``redis://host:port/db``, optional ``user:password@``) or a Unix socket
(``unix:///path/to/redis.sock``).

Limitations: no TLS (``rediss://``), no cluster or sentinel support, and one
command in flight per connection (callers share a connection through a lock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

Reply = None | int | bytes | str | list["Reply"]


class RedisError(Exception):
    """Redis could not be reached or answered with an error."""


@dataclass(frozen=True)
class RedisAddress:
    """Where Redis listens, parsed from a URL."""

    host: str | None = None
    port: int = 6379
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        where = self.path or f"{self.host}:{self.port}"
        return f"RedisAddress({where}, db={self.db})"

    @classmethod
    def parse(cls, url: str) -> RedisAddress:
        """Read ``redis://[user:pass@]host[:port][/db]`` or ``unix:///path``."""
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return cls(path=parts.path)
        if parts.scheme != "redis" or not parts.hostname:
            raise RedisError(f"{url!r} is not a redis:// or unix:// URL.")
        db = int(parts.path.strip("/") or 0)
        return cls(
            host=parts.hostname,
            port=parts.port or 6379,
            db=db,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def encode_command(*args: str | bytes | int) -> bytes:
    """A RESP array of bulk strings."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """Read one RESP2 reply; an error reply raises RedisError."""
    line = await reader.readline()
    if not line:
        raise RedisError("Redis closed the connection.")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise RedisError(body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        length = int(body)
        if length < 0:
            return None
        data = await reader.readexactly(length + 2)
        return data[:-2]
    if kind == b"*":
        count = int(body)
        if count < 0:
            return None
        return [await read_reply(reader) for _ in range(count)]
    raise RedisError(f"Redis sent an unreadable reply: {line[:40]!r}")


class RedisConnection:
    """One connection to Redis; ``execute`` runs a command and returns its reply."""

    def __init__(self, address: RedisAddress, timeout: float = 5.0) -> None:
        self.address = address
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<RedisConnection {self.address!r}>"

    async def connect(self) -> None:
        """Open the connection (and authenticate and select the database)."""
        try:
            if self.address.path:
                opener = asyncio.open_unix_connection(self.address.path)
            else:
                opener = asyncio.open_connection(self.address.host, self.address.port)
            self._reader, self._writer = await asyncio.wait_for(opener, self.timeout)
        except (OSError, TimeoutError) as exc:
            raise RedisError(
                f"Could not connect to Redis at {self.address!r}: {exc}"
            ) from exc
        if self.address.password:
            auth = [self.address.username] if self.address.username else []
            await self._raw("AUTH", *auth, self.address.password)
        if self.address.db:
            await self._raw("SELECT", self.address.db)

    @property
    def connected(self) -> bool:
        """True while the connection is open."""
        return self._writer is not None and not self._writer.is_closing()

    async def execute(self, *args: str | bytes | int) -> Reply:
        """Run one command; raise RedisError if Redis fails or answers with an error."""
        async with self._lock:
            return await self._raw(*args)

    async def _raw(self, *args: str | bytes | int) -> Reply:
        if self._reader is None or self._writer is None:
            raise RedisError("Not connected to Redis.")
        try:
            self._writer.write(encode_command(*args))
            await self._writer.drain()
            return await asyncio.wait_for(read_reply(self._reader), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            await self.close()
            raise RedisError(f"Lost the connection to Redis: {exc!r}") from exc

    async def close(self) -> None:
        """Close the connection."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


class RedisSubscriber:
    """A connection in subscribe mode: ``messages()`` yields (channel, data).

    ``subscribe`` waits for Redis to confirm, which it reads through the running
    ``messages()`` loop, so that loop must be consumed by a task.
    """

    def __init__(self, address: RedisAddress, timeout: float = 5.0) -> None:
        self._conn = RedisConnection(address)
        self._timeout = timeout
        self._pending: dict[str, asyncio.Future[None]] = {}

    async def connect(self) -> None:
        """Open the subscriber connection."""
        await self._conn.connect()

    async def subscribe(self, channel: str) -> None:
        """Start receiving a channel's messages; return once Redis confirmed."""
        future = self._pending.get(channel)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[channel] = future
            await self._send("SUBSCRIBE", channel)
        try:
            await asyncio.wait_for(asyncio.shield(future), self._timeout)
        except TimeoutError as exc:
            self._pending.pop(channel, None)
            raise RedisError(
                f"Redis did not confirm the subscription to {channel}."
            ) from exc

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving a channel's messages."""
        self._pending.pop(channel, None)
        await self._send("UNSUBSCRIBE", channel)

    async def _send(self, *args: str) -> None:
        writer = self._conn._writer
        if writer is None:
            raise RedisError("Not connected to Redis.")
        writer.write(encode_command(*args))
        await writer.drain()

    async def messages(self) -> AsyncIterator[tuple[str, bytes]]:
        """Yield each published message; confirmations are skipped."""
        reader = self._conn._reader
        if reader is None:
            raise RedisError("Not connected to Redis.")
        while True:
            try:
                reply = await read_reply(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                raise RedisError(
                    f"Lost the subscriber connection to Redis: {exc!r}"
                ) from exc
            if not isinstance(reply, list) or len(reply) != 3:
                continue
            kind, channel, data = reply
            if not isinstance(channel, bytes):
                continue
            if kind == b"message" and isinstance(data, bytes):
                yield channel.decode(), data
            elif kind == b"subscribe":
                future = self._pending.get(channel.decode())
                if future is not None and not future.done():
                    future.set_result(None)

    async def close(self) -> None:
        """Close the subscriber connection."""
        await self._conn.close()
