"""The krates-signal aiohttp application: WebSocket relay, health and metrics.

Each WebSocket is one client: it joins a room under a peer id, hears who else
joins and leaves, and relays opaque ``signal`` payloads to one peer at a time.
Limits (peers per room, rooms, connections, message size, message rate) answer
with the error codes of ``docs/protocol/signaling.md``. Payloads are never
logged or inspected.

The relay's hot path is one ``orjson`` parse and one encode per message, and a
write that never waits: a frame goes straight to the socket when its buffer is
empty, and otherwise into the client's bounded outbox, which the client's own
writer task empties. So a reader that stalls holds up nobody but itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from krates_desktop.signaling.metrics import Metrics
from krates_desktop.signaling.protocol import (
    CLOSE_CODES,
    PROTOCOL_VERSION,
    SERVER_NAME,
    BadRequest,
    Join,
    Leave,
    Ping,
    Pong,
    Signal,
    error,
    parse_client_message,
)
from krates_desktop.signaling.redis_rooms import RedisRooms
from krates_desktop.signaling.rooms import JoinRefused, LocalRooms, Rooms

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 5.0
DROPS_BEFORE_CLOSE = 200
OUTBOX_FRAMES = 256  # frames waiting for one busy socket before it counts as stalled
PING = b'{"type":"ping"}'
PONG = b'{"type":"pong"}'
_ids = itertools.count(1)


@dataclass(frozen=True)
class ServerConfig:
    """How a signaling server listens and what it allows."""

    host: str = "127.0.0.1"
    port: int = 8443
    redis_url: str | None = None
    ice_servers: tuple[dict[str, Any], ...] = ()
    max_peers_per_room: int = 16
    max_rooms: int = 10_000
    max_connections: int = 20_000
    max_message_bytes: int = 64 * 1024
    rate_per_s: float = 20.0
    burst: int = 60
    ping_interval_s: float = 20.0
    idle_timeout_s: float = 60.0
    tls_cert: str | None = None
    tls_key: str | None = None


class TokenBucket:
    """Allows ``rate`` messages a second on average, in bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass(eq=False)
class Client:
    """One WebSocket connection and what it has joined."""

    ws: web.WebSocketResponse
    bucket: TokenBucket
    transport: asyncio.Transport | None = None
    id: int = field(default_factory=lambda: next(_ids))
    room: str | None = None
    peer: str | None = None
    last_heard: float = field(default_factory=time.monotonic)
    last_sent: float = field(default_factory=time.monotonic)
    dropped: int = 0
    last_rate_error: float = 0.0
    welcomed: bool = True
    held: list[bytes] = field(default_factory=list)
    outbox: deque[bytes] = field(default_factory=deque)
    writer: asyncio.Task[None] | None = None
    hung_up: bool = False

    def takes_now(self, frame: bytes) -> bool:
        """True when ``frame`` can be written without waiting: nothing is queued
        and the socket's buffer is empty, so the write cannot reach the buffer's
        high-water mark (where aiohttp would wait for the reader)."""
        transport = self.transport
        if self.writer is not None or transport is None:
            return False
        if transport.is_closing() or transport.get_write_buffer_size():
            return False
        return len(frame) + 16 < transport.get_write_buffer_limits()[1]

    def __repr__(self) -> str:
        return f"<Client c{self.id} peer={self.peer} room={(self.room or '')[:8]}>"


class SignalServer:
    """The signaling server; ``start()`` returns the port it listens on."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self.rooms: Rooms = self._make_rooms()
        self.clients: set[Client] = set()
        self._runner: web.AppRunner | None = None
        self._reaper: asyncio.Task[None] | None = None
        self._hangups: set[asyncio.Task[bool]] = set()
        self.port = 0
        self.metrics.gauges["rooms"] = lambda: float(self.rooms.room_count())
        self.metrics.gauges["peers"] = lambda: float(self.rooms.peer_count())

    def __repr__(self) -> str:
        return f"<SignalServer {self.config.host}:{self.port}>"

    def _make_rooms(self) -> Rooms:
        cfg = self.config
        if cfg.redis_url:
            return RedisRooms(
                cfg.redis_url, cfg.max_peers_per_room, cfg.max_rooms, self.metrics
            )
        return LocalRooms(cfg.max_peers_per_room, cfg.max_rooms, self.metrics)

    @property
    def url(self) -> str:
        """The WebSocket URL clients use."""
        scheme = "wss" if self.config.tls_cert else "ws"
        return f"{scheme}://{self.config.host}:{self.port}/"

    # lifecycle -------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application (routes for health, metrics and the WebSocket)."""
        application = web.Application()
        application.router.add_get("/healthz", self._healthz)
        application.router.add_get("/metrics", self._metrics)
        application.router.add_get("/{tail:.*}", self._websocket)
        return application

    async def start(self) -> int:
        """Connect the rooms backend and listen; return the port."""
        await self.rooms.start()
        self._runner = web.AppRunner(self.app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.config.host,
            self.config.port,
            ssl_context=self._tls(),
            reuse_address=True,
        )
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port
        self._reaper = asyncio.get_running_loop().create_task(self._reap_idle())
        log.info("krates-signal listening on %s", self.url)
        return self.port

    def _tls(self) -> ssl.SSLContext | None:
        if not self.config.tls_cert:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        return context

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                await client.ws.close(
                    code=WSCloseCode.GOING_AWAY, message=b"server stopping"
                )
        await asyncio.gather(*self._hangups, return_exceptions=True)
        await self.rooms.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        log.info("krates-signal stopped")

    # plain HTTP -------------------------------------------------------------------

    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy = self.rooms.healthy()
        body = {
            "status": "ok" if healthy else "degraded",
            "connections": len(self.clients),
            "rooms": self.rooms.room_count(),
            "version": PROTOCOL_VERSION,
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        self.metrics.connections = len(self.clients)
        return web.Response(
            text=self.metrics.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Version": "0.0.4"},
        )

    # the WebSocket -----------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        cfg = self.config
        # No permessage-deflate: sealed payloads do not compress, so zlib at both
        # ends would be spent for nothing on every message.
        ws = web.WebSocketResponse(
            max_msg_size=cfg.max_message_bytes * 4, autoping=True, compress=False
        )
        if not ws.can_prepare(request).ok:
            return web.Response(
                status=400, text="krates-signal: connect with a WebSocket\n"
            )
        await ws.prepare(request)
        client = Client(ws, TokenBucket(cfg.rate_per_s, cfg.burst), request.transport)
        if len(self.clients) >= cfg.max_connections:
            await self._refuse(client, "server-full")
            return ws
        self.clients.add(client)
        log.debug("c%d connected from %s", client.id, request.remote)
        try:
            await self._serve(client)
        finally:
            self.clients.discard(client)
            await self._leave(client)
            log.debug("c%d disconnected", client.id)
        return ws

    async def _serve(self, client: Client) -> None:
        async for message in client.ws:
            client.last_heard = time.monotonic()
            if message.type == WSMsgType.TEXT:
                if not await self._on_text(client, message.data):
                    return
            elif message.type == WSMsgType.BINARY:
                await self._reject(
                    client, "bad-request", "Binary frames are not accepted."
                )
            elif message.type == WSMsgType.ERROR:
                self.metrics.rejections["message-too-large"] += 1
                return

    async def _on_text(self, client: Client, text: str) -> bool:
        """Handle one message; False when the connection must end."""
        limit = self.config.max_message_bytes
        if len(text) > limit // 4 and len(text.encode("utf-8")) > limit:
            await self._refuse(client, "message-too-large")
            return False
        if not client.bucket.take():
            return await self._rate_limited(client)
        client.dropped = 0
        try:
            message = parse_client_message(text)
        except BadRequest as exc:
            self.metrics.messages["invalid"] += 1
            if exc.code == "unsupported-version":
                await self._refuse(client, exc.code)
                return False
            await self._reject(client, exc.code, str(exc))
            return True
        self.metrics.messages[type(message).__name__.lower()] += 1
        return await self._dispatch(client, message)

    async def _dispatch(self, client: Client, message: object) -> bool:
        if isinstance(message, Join):
            return await self._join(client, message)
        if isinstance(message, Signal):
            await self._signal(client, message)
        elif isinstance(message, Leave):
            await self._leave(client)
        elif isinstance(message, Ping):
            await self._write(client, PONG)
        elif isinstance(message, Pong):
            pass
        return True

    async def _join(self, client: Client, join: Join) -> bool:
        if client.room is not None:
            await self._reject(client, "already-joined")
            return True
        client.welcomed = False
        try:
            others = await self.rooms.join(
                join.room, join.peer, self._deliverer(client)
            )
        except JoinRefused as refused:
            client.welcomed, client.held = True, []
            await self._refuse(client, refused.code)
            return False
        client.room, client.peer = join.room, join.peer
        log.debug(
            "c%d joined room %s… as %s (%d others)",
            client.id,
            join.room[:8],
            join.peer,
            len(others),
        )
        await self._send(
            client,
            {
                "type": "welcome",
                "version": PROTOCOL_VERSION,
                "peers": others,
                "iceServers": list(self.config.ice_servers),
                "server": SERVER_NAME,
            },
        )
        while client.held:
            await self._write(client, client.held.pop(0))
        client.welcomed = True
        return True

    async def _signal(self, client: Client, signal: Signal) -> None:
        if client.room is None or client.peer is None:
            await self._reject(client, "not-joined")
            return
        if not await self.rooms.signal(
            client.room, client.peer, signal.to, signal.data
        ):
            await self._reject(client, "unknown-peer")

    async def _leave(self, client: Client) -> None:
        room, peer = client.room, client.peer
        client.room = client.peer = None
        if room is not None and peer is not None:
            await self.rooms.leave(room, peer)

    def _deliverer(self, client: Client) -> Any:
        async def deliver(frame: bytes) -> None:
            if not client.welcomed:
                client.held.append(frame)
                return
            await self._write(client, frame)

        return deliver

    # sending ------------------------------------------------------------------

    async def _send(self, client: Client, message: dict[str, Any]) -> None:
        await self._write(client, orjson.dumps(message))

    async def _write(self, client: Client, frame: bytes) -> None:
        """Write one text frame now if the socket takes it at once, else queue it.

        The caller is usually another client's reader, which must never wait for
        this client's socket. An outbox that fills up means the client stopped
        reading: it is closed with ``slow-reader``.
        """
        if client.ws.closed or client.hung_up:
            return
        if client.takes_now(frame):
            try:
                await client.ws.send_frame(frame, WSMsgType.TEXT)
                client.last_sent = time.monotonic()
            except (ConnectionError, RuntimeError) as exc:
                self._hang_up(client, WSCloseCode.GOING_AWAY, type(exc).__name__)
            return
        if len(client.outbox) >= OUTBOX_FRAMES:
            self._stalled(client)
            return
        client.outbox.append(frame)
        if client.writer is None:
            client.writer = asyncio.get_running_loop().create_task(self._flush(client))

    async def _flush(self, client: Client) -> None:
        """Empty a busy client's outbox in order; close it if its socket takes no
        frame for SEND_TIMEOUT_S."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S) as deadline:
                while client.outbox:
                    await client.ws.send_frame(client.outbox.popleft(), WSMsgType.TEXT)
                    client.last_sent = time.monotonic()
                    deadline.reschedule(loop.time() + SEND_TIMEOUT_S)
        except TimeoutError:
            self._stalled(client)
        except (ConnectionError, RuntimeError) as exc:
            self._hang_up(client, WSCloseCode.GOING_AWAY, type(exc).__name__)
        finally:
            client.writer = None

    def _stalled(self, client: Client) -> None:
        """The client does not read what it is sent: count it and close it."""
        if not client.hung_up:
            self.metrics.rejections["slow-reader"] += 1
            self._hang_up(client, CLOSE_CODES["slow-reader"], "slow-reader")

    def _hang_up(self, client: Client, code: int, why: str) -> None:
        """Close a connection that cannot be written to, in the background. Its
        socket may not even take the close frame, so it is cut SEND_TIMEOUT_S later
        whatever the close is doing (a no-op once it has closed)."""
        client.outbox.clear()
        if client.ws.closed or client.hung_up:
            return
        client.hung_up = True
        log.debug("c%d: %s; closing", client.id, why)
        loop = asyncio.get_running_loop()
        task = loop.create_task(client.ws.close(code=code, message=why.encode()))
        self._hangups.add(task)
        task.add_done_callback(self._hung_up)
        if client.transport is not None:
            loop.call_later(SEND_TIMEOUT_S, client.transport.abort)

    def _hung_up(self, task: asyncio.Task[bool]) -> None:
        self._hangups.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("closing a stalled connection: %s", task.exception())

    async def _reject(
        self, client: Client, code: str, detail: str | None = None
    ) -> None:
        self.metrics.rejections[code] += 1
        await self._send(client, error(code, detail))

    async def _refuse(self, client: Client, code: str) -> None:
        """Send the error, then close with the code's close code."""
        await self._reject(client, code)
        close_code = CLOSE_CODES.get(code, WSCloseCode.POLICY_VIOLATION)
        await client.ws.close(code=close_code, message=code.encode())

    async def _rate_limited(self, client: Client) -> bool:
        client.dropped += 1
        self.metrics.rejections["rate-limited"] += 1
        if client.dropped >= DROPS_BEFORE_CLOSE:
            await self._refuse(client, "rate-limited")
            return False
        now = time.monotonic()
        if now - client.last_rate_error >= 1.0:
            client.last_rate_error = now
            await self._send(client, error("rate-limited"))
        return True

    # keepalive ------------------------------------------------------------------

    async def _reap_idle(self) -> None:
        """Ping quiet clients and close the ones that went silent."""
        cfg = self.config
        period = max(0.05, min(cfg.ping_interval_s, cfg.idle_timeout_s) / 4)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for client in list(self.clients):
                if now - client.last_heard >= cfg.idle_timeout_s:
                    await self._refuse(client, "idle")
                elif now - client.last_sent >= cfg.ping_interval_s:
                    await self._write(client, PING)
