"""One WebRTC link to one remote peer: an aiortc peer connection and its data channel.

``PeerChannel`` makes or answers an offer (the SDP travels through signaling,
sealed, elsewhere), opens the negotiated ``krates`` channel, sends frames split
to 16 KiB with back-pressure on the channel's buffered amount, and hands whole
reassembled frames to its owner. It knows nothing of the yard.

``TransportConfig.host_addresses`` limits the ICE host candidates to the given
local addresses (aioice otherwise offers every interface address except
127.0.0.1). Tests pass ``("127.0.0.1",)`` so peers meet on loopback only; a user
can pin a VPN or LAN address the same way.

Limitations: the candidate restriction reaches into aioice's ``Connection``
through aiortc's gatherer (there is no public hook); it is checked by a test
that reads the candidates back from the SDP.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)

from krates_desktop.sync.framing import FrameError, Reassembler, split

log = logging.getLogger(__name__)


class SdpRedactor(logging.Filter):
    """Keeps session descriptions out of logs: aiortc logs whole SDPs at DEBUG,
    and they carry the ICE password and the DTLS fingerprints."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "a=ice-pwd:" in text or "a=fingerprint:" in text or "\nv=0" in text:
            record.msg = text.split("\n", 1)[0] + " [session description hidden]"
            record.args = None
        return True


for _name in ("aiortc.rtcpeerconnection", "aiortc"):
    logging.getLogger(_name).addFilter(SdpRedactor())

CHANNEL_LABEL = "krates"
CHANNEL_ID = 0
Path = Literal["direct", "relay", "unknown"]
_ids = itertools.count(1)


@dataclass(frozen=True)
class TransportConfig:
    """How links are made: ICE servers, allowed host addresses, buffer marks."""

    ice_servers: tuple[dict[str, Any], ...] = ()
    host_addresses: tuple[str, ...] | None = None
    high_water: int = 1024 * 1024
    low_water: int = 256 * 1024
    open_timeout_s: float = 15.0

    def with_ice(self, servers: list[dict[str, Any]]) -> TransportConfig:
        """A copy that also uses ``servers`` (from the signaling ``welcome``)."""
        merged = list(self.ice_servers) + [
            s for s in servers if s not in self.ice_servers
        ]
        return TransportConfig(
            tuple(merged),
            self.host_addresses,
            self.high_water,
            self.low_water,
            self.open_timeout_s,
        )


class TransportError(Exception):
    """A link could not be set up; ``str()`` is one sentence for a person."""


def rtc_configuration(config: TransportConfig) -> RTCConfiguration:
    """The aiortc configuration: no STUN/TURN unless some were configured."""
    servers = []
    for server in config.ice_servers:
        urls = server.get("urls")
        if not urls:
            continue
        servers.append(
            RTCIceServer(
                urls=urls,
                username=server.get("username"),
                credential=server.get("credential"),
            )
        )
    return RTCConfiguration(iceServers=servers)


def restrict_host_candidates(pc: RTCPeerConnection, allowed: tuple[str, ...]) -> None:
    """Make the connection gather host candidates on the ``allowed`` addresses only."""
    sctp = pc.sctp
    if sctp is None:
        raise TransportError(
            "the data channel must exist before candidates are restricted"
        )
    connection = sctp.transport.transport.iceGatherer._connection
    gather = connection.get_component_candidates

    async def only_given(component: int, addresses: list[str], timeout: int = 5) -> Any:
        return await gather(
            component=component, addresses=list(allowed), timeout=timeout
        )

    connection.get_component_candidates = only_given  # type: ignore[method-assign]


class PeerChannel:
    """The peer connection and data channel to one remote peer."""

    def __init__(
        self,
        remote: str,
        config: TransportConfig,
        on_frame: Callable[[bytes], None],
        on_bad_frame: Callable[[FrameError], None],
        on_closed: Callable[[str], None],
        on_open: Callable[[], None] | None = None,
    ) -> None:
        self.remote = remote
        self.config = config
        self.id = next(_ids)
        self._on_frame = on_frame
        self._on_bad_frame = on_bad_frame
        self._on_closed = on_closed
        self._on_open_cb = on_open
        self.pc = RTCPeerConnection(rtc_configuration(config))
        self.channel: RTCDataChannel = self.pc.createDataChannel(
            CHANNEL_LABEL, negotiated=True, id=CHANNEL_ID, ordered=True
        )
        if config.host_addresses is not None:
            restrict_host_candidates(self.pc, config.host_addresses)
        self.channel.bufferedAmountLowThreshold = config.low_water
        self.opened = asyncio.Event()
        self._low = asyncio.Event()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._queued_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._reassembler = Reassembler()
        self._msg_ids = itertools.count(1)
        self._closed = False
        self.bytes_sent = 0
        self.bytes_received = 0
        self.last_received = time.monotonic()
        self._wire()

    def __repr__(self) -> str:
        return f"<PeerChannel #{self.id} to {self.remote} {self.pc.connectionState}>"

    def _wire(self) -> None:
        self.channel.on("open", self._on_open)
        self.channel.on("message", self._on_message)
        self.channel.on("close", lambda: self._finish("the data channel closed"))
        self.channel.on("bufferedamountlow", self._low.set)
        self.pc.on("connectionstatechange", self._on_state)

    # negotiation -----------------------------------------------------------------

    async def create_offer(self) -> str:
        """Gather candidates and return the offer SDP."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_offer(self, sdp: str) -> str:
        """Take the remote offer and return the answer SDP."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        """Take the remote answer; ICE and DTLS then run."""
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=sdp, type="answer")
        )

    async def wait_open(self) -> None:
        """Wait until the channel is open; raise TransportError after the timeout."""
        try:
            await asyncio.wait_for(self.opened.wait(), self.config.open_timeout_s)
        except TimeoutError as exc:
            raise TransportError(
                f"No network path to peer {self.remote} was found within "
                f"{self.config.open_timeout_s:.0f} s."
            ) from exc

    # events ------------------------------------------------------------------------

    def _on_open(self) -> None:
        log.debug("%r: channel open", self)
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        if self._on_open_cb is not None:
            self._on_open_cb()
        self.opened.set()

    def _on_state(self) -> None:
        state = self.pc.connectionState
        log.debug("%r: connection state -> %s", self, state)
        if state in ("failed", "closed"):
            self._finish(f"the connection {state}")

    def _on_message(self, message: bytes | str) -> None:
        if isinstance(message, str):
            self._on_bad_frame(FrameError("a text message on a binary channel"))
            return
        self.bytes_received += len(message)
        self.last_received = time.monotonic()
        try:
            frame = self._reassembler.feed(message)
        except FrameError as exc:
            self._on_bad_frame(exc)
            return
        if frame is not None:
            self._on_frame(frame)

    def _finish(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        log.info("link to %s closed: %s", self.remote, reason)
        if self._writer is not None:
            self._writer.cancel()
        self._on_closed(reason)

    # sending -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while frames can be sent."""
        return self.channel.readyState == "open" and not self._closed

    @property
    def buffered(self) -> int:
        """Bytes waiting: in our queue plus in the channel's buffer."""
        return self._queued_bytes + int(self.channel.bufferedAmount)

    def send(self, frame: bytes) -> None:
        """Queue one frame (split into chunks when larger than 16 KiB)."""
        if self._closed:
            return
        for piece in split(frame, next(self._msg_ids)):
            self._queued_bytes += len(piece)
            self._queue.put_nowait(piece)

    def send_raw(self, data: bytes) -> None:
        """Queue bytes exactly as given, unsplit (for fault tests)."""
        self._queued_bytes += len(data)
        self._queue.put_nowait(data)

    async def _write_loop(self) -> None:
        while True:
            piece = await self._queue.get()
            self._queued_bytes -= len(piece)
            while self.channel.bufferedAmount > self.config.high_water:
                self._low.clear()
                await self._low.wait()
            if self.channel.readyState != "open":
                return
            self.channel.send(piece)
            self.bytes_sent += len(piece)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything queued has been handed to the channel."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.buffered and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)

    # status ------------------------------------------------------------------------

    def path(self) -> Path:
        """``relay`` when the nominated pair goes through TURN, else ``direct``."""
        try:
            gatherer = self.pc.sctp.transport.transport.iceGatherer  # type: ignore[union-attr]
            pairs = gatherer._connection._nominated
        except AttributeError:
            return "unknown"
        pair = pairs.get(1) if isinstance(pairs, dict) else None
        if pair is None:
            return "unknown"
        kinds = {pair.local_candidate.type, pair.remote_candidate.type}
        return "relay" if "relay" in kinds else "direct"

    def rtt_ms(self) -> float | None:
        """The smoothed round-trip time SCTP measured on this link, None before any.

        aiortc keeps it (RFC 4960's SRTT) on the SCTP transport and reports no
        candidate-pair RTT in ``getStats()``, so it is read from there.
        """
        srtt = getattr(self.pc.sctp, "_srtt", None)
        return round(float(srtt) * 1000, 1) if srtt is not None else None

    def local_candidates(self) -> list[str]:
        """The host addresses this side offered (for checks and diagnostics)."""
        gatherer = self.pc.sctp.transport.transport.iceGatherer  # type: ignore[union-attr]
        return [c.ip for c in gatherer.getLocalCandidates()]

    async def close(self) -> None:
        """Close the connection (the remote sees the channel close)."""
        self._finish("closed here")
        with contextlib.suppress(Exception):
            await self.pc.close()
