"""Data-channel frames: the y-websocket types, Krates' own, and 16 KiB chunking."""

from __future__ import annotations

import os
import zlib

import pytest
from pycrdt import Doc, Map, handle_sync_message

from krates_desktop.sync import framing
from krates_desktop.sync.framing import (
    MAX_FRAME,
    Ack,
    AwarenessMessage,
    FrameError,
    Hello,
    Links,
    QueryAwareness,
    Reassembler,
    SecretRotation,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    UnknownFrame,
    decode,
    split,
)


def test_every_frame_type_round_trips() -> None:
    """Each encoder's frame decodes back to the message it was built from."""
    hello = Hello("krates", "0.1.0", 1, "ab" * 32, client=42)
    cases = [
        (framing.sync_step1(b"\x01\x02"), SyncStep1(b"\x01\x02")),
        (framing.sync_step2(b"\x00\x00"), SyncStep2(b"\x00\x00")),
        (framing.sync_update(b"\x07" * 300), SyncUpdate(b"\x07" * 300)),
        (framing.awareness(b"\x00"), AwarenessMessage(b"\x00")),
        (framing.query_awareness(), QueryAwareness()),
        (framing.hello(hello), hello),
        (
            framing.secret_rotation("n8Fh" * 10 + "abc"),
            SecretRotation("n8Fh" * 10 + "abc"),
        ),
        (framing.ack(70000), Ack(70000)),
        (framing.links({"peer-b", "peer-a"}), Links(frozenset({"peer-a", "peer-b"}))),
    ]
    for frame, message in cases:
        assert decode(frame) == message
    assert "n8Fh" not in repr(SecretRotation("n8Fh" * 11))


def test_sync_frames_are_the_y_protocols_bytes() -> None:
    """pycrdt's own sync handler answers our SyncStep1 and applies our SyncStep2."""
    source = Doc()
    source["krates"] = krates = Map()
    krates["o-1"] = {"label": "api"}
    target = Doc()
    step1 = framing.sync_step1(target.get_state())
    reply = handle_sync_message(step1[1:], source)
    assert reply is not None
    message = decode(reply)
    assert isinstance(message, SyncStep2)
    handle_sync_message(framing.sync_step2(message.update)[1:], target)
    assert target.get("krates", type=Map).to_py() == {"o-1": {"label": "api"}}


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00",
        b"\x00\x02\x05ab",
        b"\x00\x09\x00",
        b"\x01\x05\x00",
        b"\x01\x01\x00extra",
        b"\x40not json",
        b"\x40[1, 2]",
        b'\x40{"app": "krates"}',
        b'\x41{"secret": 3}',
        b'\x44{"links": "peer-a"}',
        b'\x44{"links": [3]}',
        b"\x03trailing",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
    ],
)
def test_malformed_frames_raise_frame_error(frame: bytes) -> None:
    """Truncated, overlong, trailing or ill-typed frames raise FrameError."""
    with pytest.raises(FrameError):
        decode(frame)


def test_unknown_frame_types_are_told_apart() -> None:
    """A frame of an unlisted type raises UnknownFrame (ignored without a resync)."""
    with pytest.raises(UnknownFrame):
        decode(b"\x02hello")


@pytest.mark.parametrize("size", [1, MAX_FRAME, 64 * 1024 + 1, 5 * 1024 * 1024])
def test_frames_of_any_size_are_split_and_reassembled(size: int) -> None:
    """1 B, 16 KiB, 64 KiB + 1 and 5 MiB frames arrive whole; no piece exceeds 16 KiB."""
    payload = framing.sync_update(os.urandom(size))
    pieces = split(payload, msg_id=7)
    assert all(len(p) <= MAX_FRAME for p in pieces)
    reassembler = Reassembler()
    results = [reassembler.feed(p) for p in pieces]
    assert results[-1] == payload and all(r is None for r in results[:-1])
    assert not reassembler.pending


def test_damaged_chunks_are_refused_and_the_next_frame_still_works() -> None:
    """A flipped byte, a lost chunk or a reordered chunk raises; a later frame reassembles."""
    payload = framing.sync_update(os.urandom(40_000))
    pieces = split(payload, msg_id=1)
    flipped = bytearray(pieces[1])
    flipped[-1] ^= 0xFF
    for broken in (
        [pieces[0], bytes(flipped), pieces[2]],
        [pieces[0], pieces[2]],
        [pieces[1]],
        [pieces[0], framing.query_awareness()],
    ):
        reassembler = Reassembler()
        with pytest.raises(FrameError):
            for piece in broken:
                reassembler.feed(piece)
        assert not reassembler.pending
        fresh = split(payload, msg_id=2)
        assert [reassembler.feed(p) for p in fresh][-1] == payload


def test_oversized_frames_and_messages_are_refused() -> None:
    """A single frame over 64 KiB, or chunks announcing over the cap, raise FrameError."""
    with pytest.raises(FrameError, match="larger than allowed"):
        Reassembler().feed(b"\x00\x02" + b"\x00" * 70_000)
    header = (
        framing.write_varuint(66)
        + framing.write_varuint(1)
        + framing.write_varuint(0)
        + framing.write_varuint(9)
        + framing.write_varuint(10**9)
        + zlib.crc32(b"").to_bytes(4, "big")
    )
    with pytest.raises(FrameError, match="larger than allowed"):
        Reassembler(max_message=1024).feed(header + b"x")
