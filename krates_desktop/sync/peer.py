"""The sync protocol spoken on one link: hello, sync steps, updates, awareness, acks.

``PeerSync`` reads whole frames from one remote peer and writes frames to it
through a ``send`` callable; it does not know how the bytes travel, so the same
code runs over aiortc and over in-memory pipes. Whatever a peer sends, a bad
frame is dropped with a warning and answered with a resync request, never an
exception out of ``on_frame``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from krates_desktop.sync import framing
from krates_desktop.sync.framing import (
    PROTOCOL,
    Ack,
    AwarenessMessage,
    FrameError,
    Hello,
    Links,
    QueryAwareness,
    SecretRotation,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    UnknownFrame,
)
from krates_desktop.yard.awareness import AwarenessError, YardAwareness
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.errors import UpdateRejected

log = logging.getLogger(__name__)

LinkState = Literal["handshake", "syncing", "synced", "refused", "closed"]

RESYNC_EVERY_S = 1.0
ACK_EVERY_S = 0.05
BAD_FRAME_LIMIT = 20
BAD_FRAME_WINDOW_S = 10.0


class LinkOwner(Protocol):
    """What a link tells the session."""

    def link_changed(self, link: PeerSync) -> None:
        """The link's state or counters changed."""

    def awareness_accepted(self, link: PeerSync, client_ids: tuple[int, ...]) -> None:
        """Newer awareness entries arrived on this link (to pass on to the others)."""

    def secret_received(self, link: PeerSync, secret: str) -> None:
        """The peer sent a new yard secret."""

    def link_unbearable(self, link: PeerSync, reason: str) -> None:
        """The peer misbehaves beyond tolerance: close the link."""

    def links_announced(self, link: PeerSync, lost: frozenset[str]) -> None:
        """The peer said which peers it is synced with; ``lost`` it no longer is."""


@dataclass(frozen=True)
class Refusal:
    """Why a peer's hello was refused."""

    reason: str
    schema: bool = False


def check_hello(theirs: Hello, ours: Hello, strict_cluster: bool) -> Refusal | None:
    """Return why we cannot sync with a peer that said ``theirs``, or None."""
    if theirs.app != "krates":
        return Refusal(f"The peer is not Krates (it says {theirs.app[:32]!r}).")
    if theirs.schema > ours.schema:
        return Refusal(
            "Update Krates to join this yard: its peers use a newer document "
            f"schema ({theirs.schema}, this Krates has {ours.schema}).",
            schema=True,
        )
    if theirs.schema < ours.schema:
        return Refusal(
            f"A peer runs an older Krates (schema {theirs.schema}); it must "
            "update before it can sync with this yard.",
            schema=True,
        )
    if theirs.protocol > PROTOCOL:
        return Refusal(
            f"Update Krates: a peer speaks a newer sync protocol ({theirs.protocol})."
        )
    if strict_cluster and theirs.cluster != ours.cluster:
        return Refusal("The peer is connected to a different cluster.")
    return None


class PeerSync:
    """Protocol state of one link."""

    def __init__(
        self,
        peer: str,
        doc: YardDoc,
        awareness: YardAwareness,
        hello: Hello,
        send: Callable[[bytes], None],
        owner: LinkOwner,
        strict_cluster: bool = False,
    ) -> None:
        self.peer = peer
        self.doc = doc
        self.awareness = awareness
        self.hello = hello
        self._send = send
        self.owner = owner
        self.strict_cluster = strict_cluster
        self.state: LinkState = "handshake"
        self.remote: Hello | None = None
        self.refusal: Refusal | None = None
        self.answered_step1 = False
        self.updates_sent = 0
        self.updates_acked = 0
        self.updates_received = 0
        self.last_update_at: float | None = None
        self.last_heard = time.monotonic()
        self.bad_frames = 0
        self.awareness_bytes_sent = 0
        self.remote_links: frozenset[str] | None = None
        self._bad_times: deque[float] = deque()
        self._last_resync = -1e9
        self._ack_handle: asyncio.TimerHandle | None = None
        self._resync_handle: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<PeerSync {self.peer} {self.state}>"

    @property
    def accepted(self) -> bool:
        """True once the peer's hello was accepted and until the link ends."""
        return self.state in ("syncing", "synced")

    @property
    def unacked(self) -> int:
        """Updates sent that the peer has not acknowledged yet."""
        return max(0, self.updates_sent - self.updates_acked)

    @property
    def cluster_mismatch(self) -> bool:
        """True when the peer works with another cluster (it is still synced)."""
        return self.remote is not None and self.remote.cluster != self.hello.cluster

    # starting and sending ------------------------------------------------------------

    def start(self) -> None:
        """The channel opened: send hello, our state vector and our awareness."""
        self._send(framing.hello(self.hello))
        self._send(framing.sync_step1(self.doc.state_vector()))
        self._send(framing.awareness(self.awareness.encode_all()))

    def send_update(self, update: bytes) -> None:
        """Send one transaction's update, if the link is past the handshake."""
        if self.accepted:
            self._send(framing.sync_update(update))
            self.updates_sent += 1

    def send_awareness(self, update: bytes) -> None:
        """Send an awareness update, if the link is past the handshake."""
        if self.accepted:
            frame = framing.awareness(update)
            self.awareness_bytes_sent += len(frame)
            self._send(frame)

    def send_links(self, peers: frozenset[str]) -> None:
        """Tell the peer which peers we are synced with."""
        if self.accepted:
            self._send(framing.links(peers))

    def reaches(self, peer: str) -> bool:
        """True when this link's peer said it is synced with ``peer`` directly."""
        return self.remote_links is not None and peer in self.remote_links

    def send_secret(self, secret: str) -> None:
        """Send a new yard secret (only over an accepted link)."""
        if self.accepted:
            self._send(framing.secret_rotation(secret))

    def close(self) -> None:
        """The link ended."""
        self.state = "closed"
        for handle in (self._ack_handle, self._resync_handle):
            if handle is not None:
                handle.cancel()
        self.owner.link_changed(self)

    # receiving -------------------------------------------------------------------

    def on_frame(self, frame: bytes) -> None:
        """Handle one whole frame from the peer."""
        self.last_heard = time.monotonic()
        if self.state in ("refused", "closed"):
            return
        try:
            message = framing.decode(frame)
        except UnknownFrame as exc:
            log.debug("peer %s: %s; ignored", self.peer, exc)
            return
        except FrameError as exc:
            self.bad_frame(f"{exc}")
            return
        try:
            self._dispatch(message)
        except (UpdateRejected, AwarenessError) as exc:
            self.bad_frame(str(exc))

    def _dispatch(self, message: framing.Message) -> None:
        if isinstance(message, Hello):
            self._on_hello(message)
            return
        if not self.accepted:
            log.warning(
                "peer %s sent %s before its hello; dropped",
                self.peer,
                type(message).__name__,
            )
            return
        if isinstance(message, SyncStep1):
            self._on_step1(message)
        elif isinstance(message, SyncStep2):
            self._apply(message.update)
            if self.state == "syncing":
                self.state = "synced"
                log.info("peer %s: initial sync done", self.peer)
            self.owner.link_changed(self)
        elif isinstance(message, SyncUpdate):
            self._apply(message.update)
            self.updates_received += 1
            self._schedule_ack()
            self.owner.link_changed(self)
        elif isinstance(message, AwarenessMessage):
            applied = self.awareness.apply(message.update, self.peer)
            if applied.accepted:
                self.owner.awareness_accepted(self, applied.accepted)
        elif isinstance(message, QueryAwareness):
            self._send(framing.awareness(self.awareness.encode_all()))
        elif isinstance(message, SecretRotation):
            self.owner.secret_received(self, message.secret)
        elif isinstance(message, Ack):
            self.updates_acked = min(message.count, self.updates_sent)
            self.owner.link_changed(self)
        elif isinstance(message, Links):
            before = self.remote_links or frozenset()
            self.remote_links = message.peers
            self.owner.links_announced(self, before - message.peers)

    def _on_hello(self, hello: Hello) -> None:
        if self.remote is not None:
            log.debug("peer %s repeated its hello; ignored", self.peer)
            return
        self.remote = hello
        refusal = check_hello(hello, self.hello, self.strict_cluster)
        if refusal is not None:
            log.error("peer %s refused: %s", self.peer, refusal.reason)
            self.refusal = refusal
            self.state = "refused"
        else:
            self.state = "syncing"
            if self.cluster_mismatch:
                log.warning("peer %s is connected to a different cluster", self.peer)
        self.owner.link_changed(self)

    def _on_step1(self, message: SyncStep1) -> None:
        self._send(framing.sync_step2(self.doc.update_since(message.state_vector)))
        self.answered_step1 = True

    def _apply(self, update: bytes) -> None:
        self.doc.apply_update(update, self.peer)
        self.last_update_at = time.time()

    # acks and faults -----------------------------------------------------------------

    def _schedule_ack(self) -> None:
        if self._ack_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush_ack()
            return
        self._ack_handle = loop.call_later(ACK_EVERY_S, self._flush_ack)

    def _flush_ack(self) -> None:
        self._ack_handle = None
        if self.accepted:
            self._send(framing.ack(self.updates_received))

    def bad_frame(self, reason: str) -> None:
        """Drop a frame that failed: warn, ask for a resync, close if it keeps up."""
        now = time.monotonic()
        self.bad_frames += 1
        self._bad_times.append(now)
        while self._bad_times and now - self._bad_times[0] > BAD_FRAME_WINDOW_S:
            self._bad_times.popleft()
        log.warning("dropped a frame from peer %s: %s", self.peer, reason)
        if len(self._bad_times) > BAD_FRAME_LIMIT:
            self.owner.link_unbearable(
                self, f"{len(self._bad_times)} bad frames in 10 s"
            )
            return
        self.resync()

    def resync(self) -> None:
        """Ask the peer for everything we lack (at most once a second; a request
        that comes sooner is sent when the second is up)."""
        if not self.accepted:
            return
        now = time.monotonic()
        wait = self._last_resync + RESYNC_EVERY_S - now
        if wait > 0:
            self._defer_resync(wait)
            return
        self._last_resync = now
        log.info("asking peer %s for a full resync", self.peer)
        self._send(framing.sync_step1(self.doc.state_vector()))

    def _defer_resync(self, wait: float) -> None:
        if self._resync_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def later() -> None:
            self._resync_handle = None
            self.resync()

        self._resync_handle = loop.call_later(wait, later)
