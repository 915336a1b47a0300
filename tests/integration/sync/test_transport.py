"""Real aiortc links on loopback: loopback-only candidates, big frames, back-pressure."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from krates_desktop.sync import framing
from krates_desktop.sync.framing import FrameError
from krates_desktop.sync.transport import PeerChannel, TransportConfig
from tests.integration.sync.harness import LOOPBACK


class Pipe:
    """Two PeerChannels linked directly (the SDP handed over in memory)."""

    def __init__(self, config: TransportConfig = LOOPBACK) -> None:
        self.received: list[bytes] = []
        self.errors: list[FrameError] = []
        self.closed: list[str] = []
        self.a = PeerChannel(
            "b", config, lambda f: None, self.errors.append, self.closed.append
        )
        self.b = PeerChannel(
            "a", config, self.received.append, self.errors.append, self.closed.append
        )
        self.sizes: list[int] = []
        original = self.a.channel.send

        def counting(data: Any) -> None:
            self.sizes.append(len(data))
            original(data)

        self.a.channel.send = counting  # type: ignore[method-assign]

    async def open(self) -> str:
        """Negotiate and wait for both ends; return the offer SDP."""
        offer = await self.a.create_offer()
        answer = await self.b.accept_offer(offer)
        await self.a.accept_answer(answer)
        await asyncio.gather(self.a.wait_open(), self.b.wait_open())
        return offer

    async def close(self) -> None:
        """Close both ends."""
        await self.a.close()
        await self.b.close()


def candidate_addresses(sdp: str) -> list[str]:
    """The connection addresses of every a=candidate line."""
    return [
        line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")
    ]


def test_candidates_are_limited_to_loopback() -> None:
    """With host_addresses=127.0.0.1 the offer and answer carry loopback candidates only."""

    async def scenario() -> tuple[list[str], list[str], str]:
        pipe = Pipe()
        try:
            offer = await pipe.open()
            answer = pipe.b.pc.localDescription.sdp
            return (
                candidate_addresses(offer),
                candidate_addresses(answer),
                pipe.a.path(),
            )
        finally:
            await pipe.close()

    offered, answered, path = asyncio.run(scenario())
    assert offered == ["127.0.0.1"] and answered == ["127.0.0.1"]
    assert path == "direct"


def test_frames_of_every_size_arrive_whole_and_in_order() -> None:
    """1 B, 16 KiB, 64 KiB + 1 and 5 MiB frames, then a small one, arrive intact; no piece exceeds 16 KiB."""

    async def scenario() -> tuple[list[bytes], list[bytes], list[int]]:
        pipe = Pipe()
        frames = [
            framing.sync_update(os.urandom(n))
            for n in (1, 16 * 1024, 64 * 1024 + 1, 5 * 1024 * 1024)
        ]
        frames.append(framing.awareness(b"\x01" * 100))
        try:
            await pipe.open()
            for frame in frames:
                pipe.a.send(frame)
            deadline = asyncio.get_running_loop().time() + 15
            while len(pipe.received) < len(frames):
                assert asyncio.get_running_loop().time() < deadline, (
                    "frames did not arrive"
                )
                await asyncio.sleep(0.01)
            return frames, pipe.received, pipe.sizes
        finally:
            await pipe.close()

    sent, received, sizes = asyncio.run(scenario())
    assert received == sent
    assert max(sizes) <= framing.MAX_FRAME


def test_sending_waits_on_the_buffered_amount() -> None:
    """While 8 MiB drain, the channel's buffered amount stays near the high-water mark."""
    config = TransportConfig(
        host_addresses=("127.0.0.1",), high_water=256 * 1024, low_water=64 * 1024
    )

    async def scenario() -> tuple[int, int]:
        pipe = Pipe(config)
        try:
            await pipe.open()
            for _ in range(8):
                pipe.a.send(framing.sync_update(os.urandom(1024 * 1024)))
            peak = 0
            while len(pipe.received) < 8:
                peak = max(peak, int(pipe.a.channel.bufferedAmount))
                await asyncio.sleep(0.002)
            return peak, len(pipe.received)
        finally:
            await pipe.close()

    peak, count = asyncio.run(scenario())
    assert count == 8 and peak <= 256 * 1024 + framing.MAX_FRAME


def test_closing_one_end_is_seen_by_the_other() -> None:
    """Closing a peer connection makes the other end report its channel closed."""

    async def scenario() -> list[str]:
        pipe = Pipe()
        await pipe.open()
        await pipe.a.pc.close()
        deadline = asyncio.get_running_loop().time() + 5
        while len(pipe.closed) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await pipe.close()
        return pipe.closed

    closed = asyncio.run(scenario())
    assert len(closed) >= 2 and any(re.search("closed", r) for r in closed)
