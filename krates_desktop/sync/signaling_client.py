"""The client side of the signaling protocol: join a room, hear peers, relay signals.

``SignalingClient`` keeps one WebSocket to ``krates-signal`` open for the session:
it joins the room, reports ``welcome``, ``peer-joined``, ``peer-left`` and
``signal`` messages to its owner, pings every 20 s, and when the connection
drops it reconnects with a backoff of 1 s, 2 s, 4 s … up to 30 s and joins
again under the same peer id. Refusals that another try would not fix
(``room-full``, ``duplicate-peer``, ``unsupported-version``) stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp

from krates_desktop.signaling.protocol import PROTOCOL_VERSION

log = logging.getLogger(__name__)

FINAL_CODES = frozenset({"room-full", "duplicate-peer", "unsupported-version"})
WELCOME_TIMEOUT_S = 10.0

SignalingState = Literal[
    "idle", "connecting", "joined", "reconnecting", "refused", "stopped"
]


@dataclass(frozen=True)
class SignalingStatus:
    """Where the signaling connection stands, and why."""

    state: SignalingState
    reason: str = ""
    code: str = ""


class SignalingEvents(Protocol):
    """What the client reports to its owner."""

    def signaling_status(self, status: SignalingStatus) -> None:
        """The connection's status changed."""

    def welcomed(self, peers: list[str], ice_servers: list[dict[str, Any]]) -> None:
        """The room was joined; ``peers`` were there already."""

    def peer_joined(self, peer: str) -> None:
        """A peer entered the room."""

    def peer_left(self, peer: str) -> None:
        """A peer left the room (its links may still be up)."""

    def signal_received(self, sender: str, data: str) -> None:
        """A peer relayed ``data`` to us."""


class Backoff:
    """1 s, 2 s, 4 s … up to a ceiling, with a little jitter."""

    def __init__(self, initial: float = 1.0, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait now; the next one doubles."""
        delay = self._next
        self._next = min(self.maximum, self._next * 2)
        return delay * random.uniform(0.9, 1.1)

    def reset(self) -> None:
        """Start from the initial delay again."""
        self._next = self.initial


class SignalingRefused(Exception):
    """The server refused the join with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class SignalingClient:
    """One session's connection to the signaling server."""

    def __init__(
        self,
        url: str,
        room: str,
        peer: str,
        events: SignalingEvents,
        *,
        ping_interval_s: float = 20.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self.room = room
        self.peer = peer
        self.events = events
        self.ping_interval_s = ping_interval_s
        self.backoff = backoff or Backoff()
        self.status = SignalingStatus("idle")
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return (
            f"<SignalingClient {self.peer} room={self.room[:8]}… {self.status.state}>"
        )

    # lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Connect and keep connected, on the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Leave the room and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()
        self._set(SignalingStatus("stopped"))

    async def change_room(self, room: str) -> None:
        """Leave the current room and join ``room`` (after a secret rotation)."""
        self.room = room
        ws = self._ws
        if ws is not None and not ws.closed and self.status.state == "joined":
            await ws.send_str(json.dumps({"type": "leave"}))
            await ws.send_str(json.dumps(self._join_message()))

    async def send_signal(self, to: str, data: str) -> bool:
        """Relay ``data`` to peer ``to``; False when not connected."""
        ws = self._ws
        if ws is None or ws.closed or self.status.state != "joined":
            return False
        try:
            await ws.send_str(json.dumps({"type": "signal", "to": to, "data": data}))
        except (ConnectionError, RuntimeError):
            return False
        return True

    def _set(self, status: SignalingStatus) -> None:
        if status != self.status:
            log.debug("signaling %s -> %s", self.status.state, status.state)
            self.status = status
            self.events.signaling_status(status)

    # the connection loop ---------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._set(
                SignalingStatus(
                    "connecting" if self.status.state == "idle" else "reconnecting",
                    self.status.reason,
                )
            )
            try:
                await self._session_once()
                reason = "The signaling server closed the connection."
            except SignalingRefused as refused:
                if refused.code in FINAL_CODES:
                    self._set(SignalingStatus("refused", str(refused), refused.code))
                    await self._close()
                    return
                reason = str(refused)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"The signaling server at {self.url} cannot be reached ({_why(exc)})."
            await self._close()
            delay = self.backoff.next_delay()
            log.warning("%s Retrying in %.0f s.", reason, delay)
            self._set(SignalingStatus("reconnecting", reason))
            await asyncio.sleep(delay)

    async def _session_once(self) -> None:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(
            self.url,
            heartbeat=None,
            autoping=True,
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
        await self._ws.send_str(json.dumps(self._join_message()))
        pinger = asyncio.get_running_loop().create_task(self._ping_loop(self._ws))
        try:
            await self._read_loop(self._ws)
        finally:
            pinger.cancel()

    def _join_message(self) -> dict[str, Any]:
        return {
            "type": "join",
            "version": PROTOCOL_VERSION,
            "room": self.room,
            "peer": self.peer,
        }

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        welcomed = False
        while True:
            timeout = None if welcomed else WELCOME_TIMEOUT_S
            message = await asyncio.wait_for(ws.receive(), timeout)
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            body = _parse(message.data)
            if body is None:
                continue
            if body.get("type") == "welcome":
                welcomed = True
                self.backoff.reset()
                self._set(SignalingStatus("joined"))
            self._dispatch(body)

    def _dispatch(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        if kind == "welcome":
            peers = [str(p) for p in body.get("peers", []) if isinstance(p, str)]
            servers = [s for s in body.get("iceServers", []) if isinstance(s, dict)]
            self.events.welcomed(peers, servers)
        elif kind == "peer-joined" and isinstance(body.get("peer"), str):
            self.events.peer_joined(body["peer"])
        elif kind == "peer-left" and isinstance(body.get("peer"), str):
            self.events.peer_left(body["peer"])
        elif kind == "signal" and isinstance(body.get("from"), str):
            if isinstance(body.get("data"), str):
                self.events.signal_received(body["from"], body["data"])
        elif kind == "ping" and self._ws is not None:
            asyncio.get_running_loop().create_task(self._ws.send_str('{"type":"pong"}'))
        elif kind == "error":
            self._on_error(body)

    def _on_error(self, body: dict[str, Any]) -> None:
        code = str(body.get("code", ""))
        text = str(body.get("message", code))
        if code in FINAL_CODES or code in ("server-full", "idle"):
            raise SignalingRefused(code, _refusal_text(code, text))
        log.warning("signaling server: %s (%s)", text, code)

    async def _ping_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.ping_interval_s)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str('{"type":"ping"}')

    async def _close(self) -> None:
        ws, self._ws = self._ws, None
        http, self._http = self._http, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if http is not None:
            await http.close()


def _parse(text: str) -> dict[str, Any] | None:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        log.warning("the signaling server sent something that is not JSON; ignored")
        return None
    return body if isinstance(body, dict) else None


def _refusal_text(code: str, text: str) -> str:
    if code == "room-full":
        return "This yard already has 16 people in it; try again when someone leaves."
    if code == "unsupported-version":
        return "The signaling server speaks another protocol version; update Krates."
    return text


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
