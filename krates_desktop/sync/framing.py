"""Frames on the data channel: the y-websocket message types plus Krates' own.

Encoders build each frame (sync steps through pycrdt's sync helpers); ``decode``
turns one frame into a typed message or raises ``FrameError``; ``split`` and
``Reassembler`` carry frames longer than 16 KiB as CRC-checked chunks. The
protocol is written down in ``docs/protocol/sync.md``.

Limitations: one partial chunked frame per sender at a time (the channel is
ordered, so a well-behaved sender never interleaves them).
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from pycrdt import YMessageType, YSyncMessageType, create_update_message, write_message

log = logging.getLogger(__name__)

PROTOCOL = 1

MSG_SYNC = int(YMessageType.SYNC)
MSG_AWARENESS = int(YMessageType.AWARENESS)
MSG_QUERY_AWARENESS = 3
MSG_HELLO = 64
MSG_SECRET = 65
MSG_CHUNK = 66
MSG_ACK = 67
MSG_LINKS = 68
MAX_LINKS = 64

SYNC_STEP1 = int(YSyncMessageType.SYNC_STEP1)
SYNC_STEP2 = int(YSyncMessageType.SYNC_STEP2)
SYNC_UPDATE = int(YSyncMessageType.SYNC_UPDATE)

MAX_FRAME = 16 * 1024
MAX_INBOUND_FRAME = 64 * 1024
MAX_MESSAGE = 64 * 1024 * 1024
_CHUNK_HEADER_MAX = 1 + 5 * 4 + 4


class FrameError(ValueError):
    """A frame that does not follow the sync protocol; it is dropped."""


class UnknownFrame(FrameError):
    """A frame of a type we do not know: ignored without a resync."""


# messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStep1:
    """The sender's state vector; answer with SyncStep2."""

    state_vector: bytes


@dataclass(frozen=True)
class SyncStep2:
    """What the sender has that our state vector lacked."""

    update: bytes


@dataclass(frozen=True)
class SyncUpdate:
    """One transaction's update."""

    update: bytes


@dataclass(frozen=True)
class AwarenessMessage:
    """An awareness update (y-protocols encoding)."""

    update: bytes


@dataclass(frozen=True)
class QueryAwareness:
    """A request for our full awareness."""


@dataclass(frozen=True)
class Hello:
    """The first frame of each side: who we are and what we speak."""

    app: str
    version: str
    schema: int
    cluster: str
    protocol: int = PROTOCOL
    client: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The frame's JSON body."""
        body: dict[str, Any] = {
            "app": self.app,
            "version": self.version,
            "schema": self.schema,
            "cluster": self.cluster,
            "protocol": self.protocol,
        }
        if self.client is not None:
            body["client"] = self.client
        return body


@dataclass(frozen=True)
class SecretRotation:
    """A new yard secret, sent to every connected peer on reset."""

    secret: str

    def __repr__(self) -> str:
        return "SecretRotation(secret=<hidden>)"


@dataclass(frozen=True)
class Ack:
    """How many Update frames the sender has received from us so far."""

    count: int


@dataclass(frozen=True)
class Links:
    """The peers the sender is directly synced with (so gossip can skip them)."""

    peers: frozenset[str]


Message = (
    SyncStep1
    | SyncStep2
    | SyncUpdate
    | AwarenessMessage
    | QueryAwareness
    | Hello
    | SecretRotation
    | Ack
    | Links
)


# varuints ------------------------------------------------------------------------


def write_varuint(value: int) -> bytes:
    """LEB128 encoding, as lib0 writes it."""
    if value < 0:
        raise ValueError("varuints are not negative")
    out = bytearray()
    while value > 127:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


class Reader:
    """Reads varuints and byte strings from a frame; running short raises FrameError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varuint(self) -> int:
        """Read one varuint (at most 64 bits)."""
        value = shift = 0
        while True:
            if self.pos >= len(self.data):
                raise FrameError("frame ends inside a number")
            if shift > 63:
                raise FrameError("number in frame is too long")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def take(self, length: int) -> bytes:
        """Read exactly ``length`` bytes."""
        if length > len(self.data) - self.pos:
            raise FrameError(f"frame announces {length} bytes but has fewer")
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def varbytes(self) -> bytes:
        """Read a varuint length, then that many bytes."""
        return self.take(self.varuint())

    def rest(self) -> bytes:
        """Everything not read yet."""
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    def end(self) -> None:
        """Insist that the whole frame was read."""
        if self.pos != len(self.data):
            raise FrameError(f"frame has {len(self.data) - self.pos} trailing bytes")


# encoders ------------------------------------------------------------------------


def sync_step1(state_vector: bytes) -> bytes:
    """Frame a SyncStep1 (our state vector)."""
    return bytes([MSG_SYNC, SYNC_STEP1]) + bytes(write_message(state_vector))


def sync_step2(update: bytes) -> bytes:
    """Frame a SyncStep2 (the answer to their state vector)."""
    return bytes([MSG_SYNC, SYNC_STEP2]) + bytes(write_message(update))


def sync_update(update: bytes) -> bytes:
    """Frame one transaction's update."""
    return bytes(create_update_message(update))


def awareness(update: bytes) -> bytes:
    """Frame an awareness update."""
    return write_varuint(MSG_AWARENESS) + write_varuint(len(update)) + update


def query_awareness() -> bytes:
    """Frame a request for the peer's full awareness."""
    return write_varuint(MSG_QUERY_AWARENESS)


def hello(message: Hello) -> bytes:
    """Frame our hello."""
    return write_varuint(MSG_HELLO) + _json(message.to_json())


def secret_rotation(secret: str) -> bytes:
    """Frame a secret rotation (never log the result)."""
    return write_varuint(MSG_SECRET) + _json({"secret": secret})


def ack(count: int) -> bytes:
    """Frame an acknowledgement of ``count`` received updates."""
    return write_varuint(MSG_ACK) + write_varuint(count)


def links(peers: frozenset[str] | set[str]) -> bytes:
    """Frame the list of peers we are directly synced with."""
    return write_varuint(MSG_LINKS) + _json({"links": sorted(peers)})


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


# decoding ------------------------------------------------------------------------


def decode(frame: bytes) -> Message:
    """Decode one whole (reassembled) frame; raise FrameError if it is malformed."""
    reader = Reader(frame)
    kind = reader.varuint()
    if kind == MSG_SYNC:
        return _decode_sync(reader)
    if kind == MSG_AWARENESS:
        update = reader.varbytes()
        reader.end()
        return AwarenessMessage(update)
    if kind == MSG_QUERY_AWARENESS:
        reader.end()
        return QueryAwareness()
    if kind == MSG_HELLO:
        return _decode_hello(_read_json(reader))
    if kind == MSG_SECRET:
        return _decode_secret(_read_json(reader))
    if kind == MSG_ACK:
        count = reader.varuint()
        reader.end()
        return Ack(count)
    if kind == MSG_LINKS:
        return _decode_links(_read_json(reader))
    if kind == MSG_CHUNK:
        raise FrameError("a chunk inside a reassembled frame")
    raise UnknownFrame(f"frame type {kind} is not known")


def _decode_sync(reader: Reader) -> Message:
    step = reader.varuint()
    payload = reader.varbytes()
    reader.end()
    if step == SYNC_STEP1:
        return SyncStep1(payload)
    if step == SYNC_STEP2:
        return SyncStep2(payload)
    if step == SYNC_UPDATE:
        return SyncUpdate(payload)
    raise FrameError(f"sync message type {step} is not known")


def _read_json(reader: Reader) -> dict[str, Any]:
    raw = reader.rest()
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameError("frame body is not UTF-8 JSON") from exc
    if not isinstance(body, dict):
        raise FrameError("frame body is not a JSON object")
    return body


def _decode_hello(body: dict[str, Any]) -> Hello:
    try:
        client = body.get("client")
        return Hello(
            app=str(body["app"]),
            version=str(body.get("version", "")),
            schema=int(body["schema"]),
            cluster=str(body.get("cluster", "")),
            protocol=int(body.get("protocol", PROTOCOL)),
            client=int(client) if client is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FrameError("hello lacks app or schema") from exc


def _decode_links(body: dict[str, Any]) -> Links:
    peers = body.get("links")
    if not isinstance(peers, list) or len(peers) > MAX_LINKS:
        raise FrameError("links frame carries no usable list")
    if not all(isinstance(p, str) and 0 < len(p) <= 64 for p in peers):
        raise FrameError("links frame names something that is not a peer id")
    return Links(frozenset(peers))


def _decode_secret(body: dict[str, Any]) -> SecretRotation:
    secret = body.get("secret")
    if not isinstance(secret, str) or not 16 <= len(secret) <= 128:
        raise FrameError("secret rotation carries no usable secret")
    return SecretRotation(secret)


# chunks --------------------------------------------------------------------------


def split(frame: bytes, msg_id: int, limit: int = MAX_FRAME) -> list[bytes]:
    """Return ``frame`` as is when it fits in ``limit``, else as chunk frames."""
    if len(frame) <= limit:
        return [frame]
    crc = zlib.crc32(frame).to_bytes(4, "big")
    room = limit - _CHUNK_HEADER_MAX
    count = -(-len(frame) // room)
    chunks = []
    for index in range(count):
        header = b"".join(
            (
                write_varuint(MSG_CHUNK),
                write_varuint(msg_id),
                write_varuint(index),
                write_varuint(count),
                write_varuint(len(frame)),
                crc,
            )
        )
        chunks.append(header + frame[index * room : (index + 1) * room])
    return chunks


@dataclass
class _Partial:
    msg_id: int
    count: int
    total: int
    crc: bytes
    parts: list[bytes]
    size: int = 0


class Reassembler:
    """Collects chunk frames from one sender back into whole frames."""

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self._partial: _Partial | None = None

    def feed(self, frame: bytes) -> bytes | None:
        """Return a whole frame when one is complete, None while chunks are pending.

        Raises FrameError (and forgets the partial frame) when the chunks do not
        add up.
        """
        if not frame:
            raise FrameError("empty frame")
        if len(frame) > MAX_INBOUND_FRAME:
            self._partial = None
            raise FrameError(f"a frame of {len(frame)} bytes is larger than allowed")
        if frame[0] != MSG_CHUNK:
            if self._partial is not None:
                self._partial = None
                raise FrameError("a frame arrived in the middle of a chunked frame")
            return frame
        try:
            return self._feed_chunk(frame)
        except FrameError:
            self._partial = None
            raise

    def _feed_chunk(self, frame: bytes) -> bytes | None:
        reader = Reader(frame)
        reader.varuint()
        msg_id, index, count, total = (reader.varuint() for _ in range(4))
        crc = reader.take(4)
        data = reader.rest()
        partial = self._start(msg_id, index, count, total, crc)
        if (msg_id, count, total, crc) != (
            partial.msg_id,
            partial.count,
            partial.total,
            partial.crc,
        ) or index != len(partial.parts):
            raise FrameError(f"chunk {index} of message {msg_id} is out of sequence")
        partial.parts.append(data)
        partial.size += len(data)
        if partial.size > partial.total:
            raise FrameError(f"chunks of message {msg_id} overflow its length")
        if len(partial.parts) < partial.count:
            return None
        return self._finish(partial)

    def _start(
        self, msg_id: int, index: int, count: int, total: int, crc: bytes
    ) -> _Partial:
        if self._partial is not None and self._partial.msg_id == msg_id:
            return self._partial
        if self._partial is not None:
            raise FrameError(
                f"message {msg_id} began before {self._partial.msg_id} ended"
            )
        if index != 0:
            raise FrameError(f"message {msg_id} began at chunk {index}")
        if total > self.max_message:
            raise FrameError(f"a message of {total} bytes is larger than allowed")
        if count < 2 or count > total:
            raise FrameError(f"message {msg_id} announces {count} chunks")
        self._partial = _Partial(msg_id, count, total, crc, [])
        return self._partial

    def _finish(self, partial: _Partial) -> bytes:
        self._partial = None
        whole = b"".join(partial.parts)
        if len(whole) != partial.total:
            raise FrameError(
                f"message {partial.msg_id} is {len(whole)} bytes, not {partial.total}"
            )
        if zlib.crc32(whole).to_bytes(4, "big") != partial.crc:
            raise FrameError(f"message {partial.msg_id} fails its checksum")
        return whole

    @property
    def pending(self) -> bool:
        """True while a chunked frame is half received."""
        return self._partial is not None
