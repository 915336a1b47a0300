"""The signaling protocol's messages, limits and error codes, shared by both ends.

``docs/protocol/signaling.md`` is the contract; this module holds its constants
and validates what a client sends before the server acts on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

PROTOCOL_VERSION = 1
SERVER_NAME = "krates-signal/0.1.0"

ROOM_RE = re.compile(r"^[0-9a-f]{32}$")
PEER_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# Close codes the server uses along with an error message (4000-4999 are private).
CLOSE_CODES = {
    "unsupported-version": 4000,
    "duplicate-peer": 4001,
    "room-full": 4002,
    "server-full": 4003,
    "rate-limited": 4004,
    "idle": 4005,
    "slow-reader": 4006,
    "message-too-large": 1009,
}

ERROR_MESSAGES = {
    "bad-request": "The signaling server could not read that message.",
    "unsupported-version": "This signaling server speaks another protocol version; "
    "update Krates or the server.",
    "not-joined": "Join a room before sending signals.",
    "already-joined": "This connection has already joined a room.",
    "duplicate-peer": "Another connection already uses this peer id in the room.",
    "room-full": "This yard already has the most people it can hold (16).",
    "server-full": "The signaling server is at its limit of rooms or connections; "
    "try again later.",
    "unknown-peer": "That peer is not in the room (it may just have left).",
    "message-too-large": "That message is larger than the signaling server accepts.",
    "rate-limited": "Too many messages: the signaling server dropped some.",
    "idle": "Nothing was heard on this connection for too long.",
    "slow-reader": "This connection did not read what the server sent it; reconnect.",
}


class BadRequest(ValueError):
    """A client message that does not follow the protocol; ``code`` names why."""

    def __init__(self, code: str = "bad-request", detail: str = "") -> None:
        super().__init__(detail or ERROR_MESSAGES.get(code, code))
        self.code = code


@dataclass(frozen=True)
class Join:
    """``join``: enter a room under a peer id."""

    room: str
    peer: str


@dataclass(frozen=True)
class Signal:
    """``signal``: relay opaque data to one peer of the room."""

    to: str
    data: str


@dataclass(frozen=True)
class Leave:
    """``leave``: quit the room, keeping the connection."""


@dataclass(frozen=True)
class Ping:
    """``ping``: answer with ``pong``."""


@dataclass(frozen=True)
class Pong:
    """``pong``: the answer to our ping."""


ClientMessage = Join | Signal | Leave | Ping | Pong


def error(code: str, message: str | None = None) -> dict[str, Any]:
    """An ``error`` message."""
    return {
        "type": "error",
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, code),
    }


def parse_client_message(text: str) -> ClientMessage:
    """Validate one text frame from a client; raise BadRequest."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(detail="The message is not JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest(detail="The message is not a JSON object.")
    kind = body.get("type")
    if kind == "join":
        return _join(body)
    if kind == "signal":
        return _signal(body)
    if kind == "leave":
        return Leave()
    if kind == "ping":
        return Ping()
    if kind == "pong":
        return Pong()
    raise BadRequest(detail=f"Unknown message type {str(kind)[:32]!r}.")


def _join(body: dict[str, Any]) -> Join:
    if body.get("version") != PROTOCOL_VERSION:
        raise BadRequest("unsupported-version")
    room, peer = body.get("room"), body.get("peer")
    if not isinstance(room, str) or not ROOM_RE.match(room):
        raise BadRequest(detail="join.room must be 32 lowercase hex characters.")
    if not isinstance(peer, str) or not PEER_RE.match(peer):
        raise BadRequest(detail="join.peer must be 8-64 characters of A-Z a-z 0-9 _ -.")
    return Join(room, peer)


def _signal(body: dict[str, Any]) -> Signal:
    to, data = body.get("to"), body.get("data")
    if not isinstance(to, str) or not PEER_RE.match(to):
        raise BadRequest(detail="signal.to must be a peer id.")
    if not isinstance(data, str) or not data:
        raise BadRequest(detail="signal.data must be a non-empty string.")
    return Signal(to, data)
