"""A shared yard's session: signaling, one link per peer, sync, gossip and status.

``YardSession`` is the one object the UI drives. It runs on the asyncio loop it
is started on (a qasync loop in the app, a plain one in tests), joins the yard's
room through the signaling client, opens a ``PeerChannel`` + ``PeerSync`` per
remote peer, sends every local transaction and awareness change to every
synced peer, passes on what one peer sends to the peers that peer does not
reach itself, reconnects closed links with backoff, and reports its state as
frozen ``SyncStatus`` and ``PeerStatus`` values to listeners.

Limitations: a link that never opens (no network path) is retried with backoff
but never relayed through another peer; the document still reaches such a
peer by gossip when a third peer is connected to both.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from krates_desktop import __version__
from krates_desktop.sync.framing import Hello
from krates_desktop.sync.invite import Invite
from krates_desktop.sync.peer import PeerSync
from krates_desktop.sync.retired_room import RetiredRoom
from krates_desktop.sync.sealing import (
    Sealer,
    SealError,
    YardSecret,
    bad_seal_notice,
    is_bad_seal_notice,
    room_id,
)
from krates_desktop.sync.signaling_client import (
    Backoff,
    SignalingClient,
    SignalingStatus,
)
from krates_desktop.sync.transport import PeerChannel, TransportConfig, TransportError
from krates_desktop.yard.awareness import YardAwareness
from krates_desktop.yard.doc import SCHEMA
from krates_desktop.yard.model import Yard

log = logging.getLogger(__name__)

SyncState = Literal["local", "connecting", "syncing", "synced", "offline", "refused"]
PeerState = Literal["connecting", "syncing", "synced", "refused", "closed"]

NOBODY_HERE = (
    "Nobody from this yard is online. If someone should be, the invite link may be "
    "out of date (its secret was reset): ask for a new link."
)
BAD_SECRET = (
    "The yard's members could not read your connection request: the invite link's "
    "secret is wrong or was reset. Ask for a new link."
)
BAD_SEAL_NOTICE_EVERY_S = 10.0
SIGNALING_DOWN = (
    "The signaling server is unreachable: connected peers keep syncing, but no one "
    "new can join until it is back."
)


@dataclass(frozen=True)
class SessionConfig:
    """What a session needs to join a yard's room."""

    signal_url: str
    yard_id: str
    secret: YardSecret
    cluster: str
    app_version: str = __version__
    transport: TransportConfig = field(default_factory=TransportConfig)
    peer_id: str | None = None
    strict_cluster: bool = False
    answer_timeout_s: float = 15.0
    silence_timeout_s: float = 15.0
    nobody_timeout_s: float = 10.0
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 30.0
    ping_interval_s: float = 20.0

    @classmethod
    def from_invite(cls, invite: Invite, cluster: str, **options: Any) -> SessionConfig:
        """The configuration for joining the yard an invite link names."""
        return cls(invite.signal, invite.yard_id, invite.secret, cluster, **options)

    def __repr__(self) -> str:
        return (
            f"SessionConfig(signal_url={self.signal_url!r}, yard_id={self.yard_id!r})"
        )


@dataclass(frozen=True)
class SyncStatus:
    """What the sync pill shows: the state, a sentence why, and how many are synced."""

    state: SyncState
    reason: str = ""
    peers: int = 0


@dataclass(frozen=True)
class PeerStatus:
    """One remote peer as the admin drawer and health view show it."""

    peer_id: str
    state: PeerState
    path: Literal["direct", "relay", "unknown"] = "unknown"
    client_id: int | None = None
    user_id: str | None = None
    name: str | None = None
    version: str = ""
    cluster_mismatch: bool = False
    last_update_at: float | None = None
    unacked: int = 0
    reason: str = ""
    rtt_ms: float | None = None


def new_peer_id() -> str:
    """A fresh random peer id (22 characters of base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


@dataclass(eq=False)
class Link:
    """Everything about the link to one remote peer."""

    peer: str
    role: Literal["offerer", "answerer"]
    attempt: str
    channel: PeerChannel | None = None
    sync: PeerSync | None = None
    state: Literal["connecting", "open", "closed"] = "connecting"
    was_open: bool = False
    answer: asyncio.Future[str] | None = None
    task: asyncio.Task[None] | None = None
    reason: str = ""

    def __repr__(self) -> str:
        return f"<Link {self.peer} {self.role} {self.state}>"


class YardSession:
    """A yard shared with its peers, for as long as it is started."""

    def __init__(
        self, yard: Yard, awareness: YardAwareness, config: SessionConfig
    ) -> None:
        self.yard = yard
        self.doc = yard.doc
        self.awareness = awareness
        self.config = config
        self.peer_id = config.peer_id or new_peer_id()
        self.secret = config.secret
        self._sealer = Sealer(config.secret)
        self.room = room_id(config.yard_id, config.secret)
        self.hello = Hello(
            "krates",
            config.app_version,
            SCHEMA,
            config.cluster,
            client=self.doc.client_id,
        )
        self.transport = config.transport
        self.links: dict[str, Link] = {}
        self.present: set[str] = set()
        self.signaling = SignalingClient(
            config.signal_url,
            self.room,
            self.peer_id,
            self,
            ping_interval_s=config.ping_interval_s,
            backoff=Backoff(config.reconnect_initial_s, config.reconnect_max_s),
        )
        self.status = SyncStatus("local")
        self.peers: tuple[PeerStatus, ...] = ()
        self._refusal = ""
        self._retired: list[RetiredRoom] = []
        self._joined_at: float | None = None
        self._backoffs: dict[str, Backoff] = {}
        self._notified: dict[str, float] = {}
        self._advertised: frozenset[str] = frozenset()
        self._retries: dict[str, asyncio.TimerHandle] = {}
        self._status_listeners: list[Callable[[SyncStatus], None]] = []
        self._peer_listeners: list[Callable[[tuple[PeerStatus, ...]], None]] = []
        self._secret_listeners: list[Callable[[YardSecret], None]] = []
        self._watchdog: asyncio.Task[None] | None = None
        self._stopping = False
        self._unsubscribe: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"<YardSession {self.peer_id} room={self.room[:8]}… {self.status.state}>"

    # listeners ------------------------------------------------------------------

    def subscribe_status(
        self, listener: Callable[[SyncStatus], None]
    ) -> Callable[[], None]:
        """Call ``listener(status)`` whenever the sync status changes."""
        self._status_listeners.append(listener)
        return lambda: self._status_listeners.remove(listener)

    def subscribe_peers(
        self, listener: Callable[[tuple[PeerStatus, ...]], None]
    ) -> Callable[[], None]:
        """Call ``listener(peers)`` whenever a peer's status changes."""
        self._peer_listeners.append(listener)
        return lambda: self._peer_listeners.remove(listener)

    def subscribe_secret(
        self, listener: Callable[[YardSecret], None]
    ) -> Callable[[], None]:
        """Call ``listener(secret)`` when the yard secret changes (to store it)."""
        self._secret_listeners.append(listener)
        return lambda: self._secret_listeners.remove(listener)

    # lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Join the room and keep the links up, on the running loop."""
        self._unsubscribe = [
            self.doc.on_update(self._on_doc_update),
            self.awareness.on_broadcast(self._on_awareness_broadcast),
        ]
        self.awareness.start()
        self.signaling.start()
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        self._refresh()
        log.info("yard session %s started", self.peer_id)

    async def stop(self) -> None:
        """Say goodbye to every peer and close everything (a second call does nothing)."""
        if self._stopping:
            return
        self._stopping = True
        goodbye = self.awareness.goodbye()
        for link in self._open_links():
            link.sync.send_awareness(goodbye)  # type: ignore[union-attr]
        await asyncio.gather(
            *(
                link.channel.drain(0.5)
                for link in self._open_links()
                if link.channel is not None
            )
        )
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        for handle in self._retries.values():
            handle.cancel()
        await asyncio.gather(*(self._drop(link) for link in list(self.links.values())))
        await self.signaling.stop()
        await asyncio.gather(*(retired.stop() for retired in self._retired))
        await self.awareness.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._set_status(SyncStatus("offline", "Left the yard."))
        log.info("yard session %s stopped", self.peer_id)

    async def reset_secret(self) -> YardSecret:
        """Make a new secret, hand it to every connected peer, and move rooms.

        The old room is kept by a :class:`RetiredRoom` while this session runs, so
        that someone opening an old link is told it was reset instead of waiting
        alone in an empty room.
        """
        fresh = YardSecret.generate()
        for link in self._accepted_links():
            link.sync.send_secret(fresh.reveal())  # type: ignore[union-attr]
        old_room = self.room
        await self._move_to(fresh)
        retired = RetiredRoom(self.config.signal_url, old_room, new_peer_id())
        self._retired.append(retired)
        retired.start()
        return fresh

    async def _move_to(self, secret: YardSecret) -> None:
        self.secret = secret
        self._sealer = Sealer(secret)
        self.room = room_id(self.config.yard_id, secret)
        log.info("yard secret changed; moving to room %s…", self.room[:8])
        for listener in list(self._secret_listeners):
            try:
                listener(secret)
            except Exception:
                log.exception("a secret listener failed")
        await self.signaling.change_room(self.room)

    # signaling events ------------------------------------------------------------------

    def signaling_status(self, status: SignalingStatus) -> None:
        """Track the signaling connection (refusals become the session's)."""
        if status.state == "refused":
            self._refusal = status.reason
        if status.state == "joined":
            self._joined_at = time.monotonic()
        self._refresh()

    def welcomed(self, peers: list[str], ice_servers: list[dict[str, Any]]) -> None:
        """We are in the room: offer to every peer we are not linked with."""
        self.present = set(peers)
        if ice_servers:
            self.transport = self.transport.with_ice(ice_servers)
        for peer in peers:
            link = self.links.get(peer)
            if link is None or link.state == "closed":
                self._offer_to(peer)
        self._refresh()

    def peer_joined(self, peer: str) -> None:
        """A newcomer: it will offer to us."""
        self.present.add(peer)

    def peer_left(self, peer: str) -> None:
        """A peer left signaling: give up links to it that are not open."""
        self.present.discard(peer)
        link = self.links.get(peer)
        if link is not None and link.state != "open":
            asyncio.get_running_loop().create_task(self._drop(link))
        handle = self._retries.pop(peer, None)
        if handle is not None:
            handle.cancel()
        self._refresh()

    def signal_received(self, sender: str, data: str) -> None:
        """An offer, an answer, or the notice that our seal did not open."""
        if is_bad_seal_notice(data):
            log.error("peer %s could not open our connection request", sender)
            if not self._accepted_links():
                self._refusal = BAD_SECRET
            self._refresh()
            return
        try:
            payload = self._sealer.open(sender, self.peer_id, data)
        except SealError as exc:
            log.warning("dropped a signal from peer %s: %s", sender, exc)
            self._notify_bad_seal(sender)
            return
        kind, sdp, attempt = (
            payload.get("kind"),
            payload.get("sdp"),
            payload.get("attempt"),
        )
        if not isinstance(sdp, str) or not isinstance(attempt, str):
            log.warning("dropped a signal from peer %s without sdp or attempt", sender)
        elif kind == "offer":
            self._answer_offer(sender, sdp, attempt)
        elif kind == "answer":
            self._take_answer(sender, sdp, attempt)

    def _notify_bad_seal(self, peer: str) -> None:
        """Tell a peer its seal did not open, at most once per peer every 10 s (a
        tampering relay would otherwise bounce notices between us forever)."""
        now = time.monotonic()
        if now - self._notified.get(peer, -1e9) < BAD_SEAL_NOTICE_EVERY_S:
            return
        self._notified[peer] = now
        asyncio.get_running_loop().create_task(
            self.signaling.send_signal(peer, bad_seal_notice())
        )

    # negotiation ---------------------------------------------------------------------

    def _offer_to(self, peer: str) -> None:
        if self._stopping or self._refusal:
            return
        link = Link(peer, "offerer", secrets.token_hex(8))
        self._replace(link)
        link.task = asyncio.get_running_loop().create_task(self._run_offer(link))

    def _replace(self, link: Link) -> None:
        old = self.links.get(link.peer)
        self.links[link.peer] = link
        if old is not None:
            asyncio.get_running_loop().create_task(self._drop(old))

    async def _run_offer(self, link: Link) -> None:
        try:
            channel = self._channel(link)
            sdp = await channel.create_offer()
            link.answer = asyncio.get_running_loop().create_future()
            await self._send_sealed(
                link.peer, {"kind": "offer", "sdp": sdp, "attempt": link.attempt}
            )
            answer = await asyncio.wait_for(link.answer, self.config.answer_timeout_s)
            await channel.accept_answer(answer)
            await channel.wait_open()
        except (TransportError, TimeoutError, ConnectionError, ValueError) as exc:
            reason = str(exc) or f"peer {link.peer} did not answer"
            self._failed(link, reason)
        except Exception as exc:  # a task boundary: never let a link die silently
            log.exception("offer to %s failed unexpectedly", link.peer)
            self._failed(link, f"internal error: {type(exc).__name__}")

    def _answer_offer(self, peer: str, sdp: str, attempt: str) -> None:
        existing = self.links.get(peer)
        if existing is not None and existing.attempt == attempt:
            return
        if (
            existing is not None
            and existing.role == "offerer"
            and existing.state == "connecting"
            and self.peer_id < peer
        ):
            log.debug("offer glare with %s: keeping ours", peer)
            return
        link = Link(peer, "answerer", attempt)
        self._replace(link)
        link.task = asyncio.get_running_loop().create_task(self._run_answer(link, sdp))

    async def _run_answer(self, link: Link, sdp: str) -> None:
        try:
            channel = self._channel(link)
            answer = await channel.accept_offer(sdp)
            await self._send_sealed(
                link.peer, {"kind": "answer", "sdp": answer, "attempt": link.attempt}
            )
            await channel.wait_open()
        except (TransportError, TimeoutError, ConnectionError, ValueError) as exc:
            self._failed(link, str(exc) or "the offer could not be answered")
        except Exception as exc:  # a task boundary: never let a link die silently
            log.exception("answer to %s failed unexpectedly", link.peer)
            self._failed(link, f"internal error: {type(exc).__name__}")

    def _take_answer(self, peer: str, sdp: str, attempt: str) -> None:
        link = self.links.get(peer)
        if link is None or link.attempt != attempt or link.answer is None:
            log.debug("ignored a stale answer from %s", peer)
            return
        if not link.answer.done():
            link.answer.set_result(sdp)

    async def _send_sealed(self, peer: str, payload: dict[str, Any]) -> None:
        data = self._sealer.seal(self.peer_id, peer, payload)
        if not await self.signaling.send_signal(peer, data):
            raise ConnectionError("the signaling server is not reachable")

    def _channel(self, link: Link) -> PeerChannel:
        channel = PeerChannel(
            link.peer,
            self.transport,
            on_frame=lambda frame: self._on_frame(link, frame),
            on_bad_frame=lambda exc: (
                link.sync.bad_frame(str(exc)) if link.sync else None
            ),
            on_closed=lambda reason: self._closed(link, reason),
            on_open=lambda: self._opened(link),
        )
        link.channel = channel
        link.sync = PeerSync(
            link.peer,
            self.doc,
            self.awareness,
            self.hello,
            channel.send,
            self,
            strict_cluster=self.config.strict_cluster,
        )
        return channel

    # link events -----------------------------------------------------------------------

    def _opened(self, link: Link) -> None:
        if self.links.get(link.peer) is not link or link.sync is None:
            return
        link.state = "open"
        link.was_open = True
        self._backoffs.pop(link.peer, None)
        log.info("link to peer %s open (%s)", link.peer, link.role)
        link.sync.start()
        self._refresh()

    def _on_frame(self, link: Link, frame: bytes) -> None:
        if link.sync is not None:
            link.sync.on_frame(frame)

    def _closed(self, link: Link, reason: str) -> None:
        was_open = link.state == "open"
        link.state = "closed"
        link.reason = reason
        if link.sync is not None and link.sync.state != "closed":
            link.sync.close()
        if self.links.get(link.peer) is not link or self._stopping:
            return
        change = self.awareness.forget_via(link.peer)
        if change is not None:
            log.info(
                "awareness of %d client(s) removed with the link", len(change.removed)
            )
        if was_open and self.peer_id < link.peer:
            self._schedule_retry(link.peer)
        self._refresh()

    def _failed(self, link: Link, reason: str) -> None:
        log.warning("link to peer %s failed: %s", link.peer, reason)
        role = link.role
        self._closed(link, reason)
        if self.links.get(link.peer) is link and role == "offerer":
            self._schedule_retry(link.peer)
        if link.channel is not None:
            asyncio.get_running_loop().create_task(link.channel.close())

    def _schedule_retry(self, peer: str) -> None:
        if self._stopping or peer in self._retries or self._refusal:
            return
        backoff = self._backoffs.setdefault(
            peer, Backoff(self.config.reconnect_initial_s, self.config.reconnect_max_s)
        )
        delay = backoff.next_delay()
        log.info("retrying peer %s in %.1f s", peer, delay)
        self._retries[peer] = asyncio.get_running_loop().call_later(
            delay, self._retry, peer
        )

    def _retry(self, peer: str) -> None:
        self._retries.pop(peer, None)
        link = self.links.get(peer)
        if link is not None and link.state != "closed":
            return
        if self.signaling.status.state != "joined":
            self._schedule_retry(peer)
            return
        if peer in self.present:
            self._offer_to(peer)

    async def _drop(self, link: Link) -> None:
        """Close a link on purpose (replaced, given up, or stopping)."""
        if self.links.get(link.peer) is link:
            del self.links[link.peer]
        if link.task is not None and not link.task.done():
            link.task.cancel()
        if link.channel is not None:
            await link.channel.close()
        if link.sync is not None and link.sync.state != "closed":
            link.sync.close()

    # what links report ---------------------------------------------------------------------

    def link_changed(self, link: PeerSync) -> None:
        """A link's protocol state or counters moved."""
        self._refresh()

    def awareness_accepted(self, link: PeerSync, client_ids: tuple[int, ...]) -> None:
        """Pass newer awareness entries on to the peers the sender does not reach."""
        update = self.awareness.encode(client_ids)
        for other in self._gossip_targets(link.peer):
            other.sync.send_awareness(update)  # type: ignore[union-attr]

    def links_announced(self, link: PeerSync, lost: frozenset[str]) -> None:
        """A peer lost direct links: what it sent them may not have arrived, so
        hand those peers the whole document (merging it is idempotent)."""
        for other in self._accepted_links():
            if other.peer in lost and other.peer != link.peer:
                log.info(
                    "peer %s lost its link to %s; resending the yard to it",
                    link.peer,
                    other.peer,
                )
                other.sync.send_update(self.doc.update_since())  # type: ignore[union-attr]

    def _gossip_targets(self, origin: str) -> list[Link]:
        """Synced links other than ``origin`` that ``origin`` does not reach itself."""
        source = self.links.get(origin)
        sync = source.sync if source is not None else None
        return [
            k
            for k in self._accepted_links()
            if k.peer != origin and not (sync is not None and sync.reaches(k.peer))
        ]

    def _advertise_links(self) -> None:
        synced = frozenset(
            k.peer
            for k in self._accepted_links()
            if k.sync and k.sync.state == "synced"
        )
        if synced == self._advertised:
            return
        self._advertised = synced
        for link in self._accepted_links():
            link.sync.send_links(synced)  # type: ignore[union-attr]

    def secret_received(self, link: PeerSync, secret: str) -> None:
        """A peer reset the secret: pass it on, store it, and move rooms."""
        try:
            fresh = YardSecret(secret)
        except ValueError:
            link.bad_frame("a secret rotation with a malformed secret")
            return
        if fresh == self.secret:
            return
        for other in self._accepted_links():
            if other.peer != link.peer:
                other.sync.send_secret(secret)  # type: ignore[union-attr]
        asyncio.get_running_loop().create_task(self._move_to(fresh))

    def link_unbearable(self, link: PeerSync, reason: str) -> None:
        """Close a link whose peer keeps sending garbage (it is retried later)."""
        owner = self.links.get(link.peer)
        if owner is not None and owner.channel is not None:
            log.warning("closing the link to %s: %s", link.peer, reason)
            asyncio.get_running_loop().create_task(owner.channel.close())

    def _on_doc_update(self, update: bytes, origin: str) -> None:
        for link in self._gossip_targets(origin):
            link.sync.send_update(update)  # type: ignore[union-attr]

    def _on_awareness_broadcast(self, update: bytes) -> None:
        for link in self._accepted_links():
            link.sync.send_awareness(update)  # type: ignore[union-attr]

    # status ---------------------------------------------------------------------------

    def _open_links(self) -> list[Link]:
        return [
            k for k in self.links.values() if k.state == "open" and k.sync is not None
        ]

    def _accepted_links(self) -> list[Link]:
        return [k for k in self._open_links() if k.sync is not None and k.sync.accepted]

    async def _watch(self) -> None:
        """Close silent links and keep the status fresh."""
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for link in self._open_links():
                if link.channel is None:
                    continue
                heard = max(link.sync.last_heard, link.channel.last_received)  # type: ignore[union-attr]
                silent = now - heard
                if silent > self.config.silence_timeout_s:
                    log.warning(
                        "peer %s silent for %.0f s; closing its link", link.peer, silent
                    )
                    await link.channel.close()
            self._refresh()

    def _refresh(self) -> None:
        if not self._stopping:
            self._advertise_links()
        self._set_status(self._compute_status())
        peers = tuple(self._peer_status(link) for link in self.links.values())
        if peers != self.peers:
            self.peers = peers
            for listener in list(self._peer_listeners):
                try:
                    listener(peers)
                except Exception:
                    log.exception("a peer listener failed")

    def _set_status(self, status: SyncStatus) -> None:
        if status == self.status:
            return
        log.info(
            "sync %s -> %s%s",
            self.status.state,
            status.state,
            f" ({status.reason})" if status.reason else "",
        )
        self.status = status
        for listener in list(self._status_listeners):
            try:
                listener(status)
            except Exception:
                log.exception("a status listener failed")

    def _compute_status(self) -> SyncStatus:
        if self._refusal:
            return SyncStatus("refused", self._refusal)
        if self._stopping:
            return self.status
        open_links = self._open_links()
        refused = [k for k in open_links if k.sync.state == "refused"]  # type: ignore[union-attr]
        if refused and len(refused) == len(open_links):
            return SyncStatus("refused", refused[0].sync.refusal.reason)  # type: ignore[union-attr]
        synced = [k for k in open_links if k.sync.state == "synced"]  # type: ignore[union-attr]
        if any(k.sync.state in ("handshake", "syncing") for k in open_links):  # type: ignore[union-attr]
            return SyncStatus("syncing", "", len(synced))
        joined = self.signaling.status.state == "joined"
        if synced:
            return SyncStatus("synced", "" if joined else SIGNALING_DOWN, len(synced))
        return self._status_alone(joined)

    def _status_alone(self, joined: bool) -> SyncStatus:
        connecting = [k for k in self.links.values() if k.state == "connecting"]
        if not joined:
            if self.signaling.status.state in ("idle", "connecting"):
                return SyncStatus("connecting", "Connecting to the signaling server…")
            return SyncStatus("offline", self.signaling.status.reason)
        if connecting:
            return SyncStatus("connecting", f"Connecting to {len(connecting)} peer(s)…")
        if self.doc.meta is not None:
            return SyncStatus("synced", "No one else is in the yard right now.", 0)
        waited = time.monotonic() - (self._joined_at or time.monotonic())
        if waited >= self.config.nobody_timeout_s:
            return SyncStatus("offline", NOBODY_HERE)
        return SyncStatus("connecting", "Waiting for a member of the yard…")

    def _peer_status(self, link: Link) -> PeerStatus:
        sync = link.sync
        initial: PeerState = "connecting" if link.state == "connecting" else "closed"
        base = PeerStatus(link.peer, initial, reason=link.reason)
        if sync is None or link.state != "open":
            return base
        states: dict[str, PeerState] = {
            "handshake": "syncing",
            "syncing": "syncing",
            "synced": "synced",
            "refused": "refused",
            "closed": "closed",
        }
        state = states[sync.state]
        client = sync.remote.client if sync.remote else None
        presence = self.awareness.peers().get(client) if client is not None else None
        return replace(
            base,
            state=state,
            path=link.channel.path() if link.channel else "unknown",
            client_id=client,
            user_id=presence["userId"] if presence else None,
            name=presence["name"] if presence else None,
            version=sync.remote.version if sync.remote else "",
            cluster_mismatch=sync.cluster_mismatch,
            last_update_at=sync.last_update_at,
            unacked=sync.unacked,
            reason=sync.refusal.reason if sync.refusal else "",
            rtt_ms=link.channel.rtt_ms() if link.channel else None,
        )

    def peer_figures(self) -> tuple[PeerStatus, ...]:
        """Every peer as it is now, round-trip time and lag included (for the health view).

        :attr:`peers` changes only when a peer's state does; RTT and lag move on
        their own, so views that show them read this instead.
        """
        return tuple(self._peer_status(link) for link in self.links.values())


__all__ = [
    "PeerStatus",
    "SessionConfig",
    "SyncStatus",
    "YardSession",
    "new_peer_id",
]
