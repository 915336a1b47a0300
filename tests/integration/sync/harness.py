"""Helpers for the sync tests: a real signaling server, real peers on loopback.

Every peer's ICE is limited to 127.0.0.1 (``TransportConfig.host_addresses``), so
no test ever offers or uses the machine's other addresses.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from krates_desktop.signaling.server import ServerConfig, SignalServer
from krates_desktop.sync.framing import Reader
from krates_desktop.sync.invite import Invite, make_invite, parse_invite
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.session import SessionConfig, YardSession
from krates_desktop.sync.transport import TransportConfig
from krates_desktop.yard.awareness import YardAwareness
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.model import ObjRef, Yard

CLUSTER = "9a41c07be2d3f118" + "0" * 48
LOOPBACK = TransportConfig(host_addresses=("127.0.0.1",), open_timeout_s=8.0)
REFS = [ObjRef("Pod", "", "v1", "payments", f"api-server-{i}") for i in range(5)] + [
    ObjRef("Deployment", "apps", "v1", "checkout", "cart"),
    ObjRef("Service", "", "v1", "payments", "api-server"),
]


def fast_options(**overrides: Any) -> dict[str, Any]:
    """Session options with short timers, so fault tests finish in seconds."""
    options: dict[str, Any] = {
        "transport": LOOPBACK,
        "reconnect_initial_s": 0.2,
        "reconnect_max_s": 1.0,
        "silence_timeout_s": 4.0,
        "nobody_timeout_s": 1.0,
        "answer_timeout_s": 4.0,
    }
    options.update(overrides)
    return options


@dataclass
class Peer:
    """One app instance: its yard, its presence and its session."""

    name: str
    yard: Yard
    awareness: YardAwareness
    session: YardSession
    statuses: list[Any] = field(default_factory=list)

    async def start(self) -> None:
        """Start the session."""
        self.session.subscribe_status(self.statuses.append)
        await self.session.start()

    async def stop(self) -> None:
        """Stop the session."""
        await self.session.stop()

    def state(self) -> Any:
        """The document's krates as plain values."""
        return self.yard.doc.krates_map.to_py()


def user_id(index: int) -> str:
    """A UUID-like user id whose first six hex characters differ per peer."""
    return f"{index:06x}aa-0000-4000-8000-{index:012x}"


def peer_from_invite(
    link: str, name: str, index: int, doc: YardDoc | None = None, **options: Any
) -> Peer:
    """A peer that joins through an invite link (with an empty document by default)."""
    invite = parse_invite(link)
    yard = Yard(user_id(index), doc if doc is not None else YardDoc())
    awareness = YardAwareness(yard.doc.client_id, yard.user_id, name, heartbeat_s=1.0)
    config = SessionConfig.from_invite(invite, CLUSTER, **fast_options(**options))
    return Peer(name, yard, awareness, YardSession(yard, awareness, config))


def founder(url: str, name: str = "Dana Ruiz", **options: Any) -> tuple[Peer, Invite]:
    """The peer that creates the yard, and the invite it hands out."""
    doc = YardDoc.new(name="demo-cluster", cluster=CLUSTER)
    meta = doc.meta
    assert meta is not None
    invite = make_invite(
        url, meta.yard_id, YardSecret.generate(), "demo-cluster", CLUSTER
    )
    return peer_from_invite(invite.to_link(), name, 1, doc, **options), invite


async def start_server(**config: Any) -> SignalServer:
    """A real signaling server on a free loopback port."""
    server = SignalServer(ServerConfig(host="127.0.0.1", port=0, **config))
    await server.start()
    return server


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``predicate()``; return the seconds it took; fail with ``what``."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


def all_synced(peers: list[Peer], count: int | None = None) -> Callable[[], bool]:
    """True once every peer is synced with ``count`` others (default: all of them)."""
    wanted = len(peers) - 1 if count is None else count

    def check() -> bool:
        return all(
            p.session.status.state == "synced" and p.session.status.peers >= wanted
            for p in peers
        )

    return check


def state_vector(encoded: bytes) -> dict[int, int]:
    """Decode a state vector (its entries come in no fixed order)."""
    reader = Reader(encoded)
    return {reader.varuint(): reader.varuint() for _ in range(reader.varuint())}


def converged(peers: list[Peer]) -> Callable[[], bool]:
    """True once every peer's document holds the same krates."""

    def check() -> bool:
        vectors = [state_vector(p.yard.doc.state_vector()) for p in peers]
        if any(v != vectors[0] for v in vectors[1:]):
            return False
        first = peers[0].state()
        return all(p.state() == first for p in peers[1:])

    return check


def random_ops(peer: Peer, rng: random.Random, count: int) -> None:
    """Open, move, minimize and close krates at random on one peer."""
    yard = peer.yard
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35 or not yard.krates:
            yard.open_view(
                rng.choice(REFS),
                rng.choice(["logs", "yaml", "describe"]),
                (rng.uniform(500, 11000), rng.uniform(500, 7000)),
            )
            continue
        kid = rng.choice(sorted(yard.krates))
        krate = yard.krates[kid]
        if roll < 0.75:
            yard.move_krate(kid, (rng.uniform(0, 11000), rng.uniform(40, 7000)))
        elif roll < 0.85:
            yard.set_minimized(kid, not krate.minimized)
        else:
            yard.close_window(kid, rng.choice(sorted(krate.windows)))


async def stop_all(peers: list[Peer], *servers: SignalServer) -> None:
    """Stop every peer, then the servers."""
    await asyncio.gather(*(p.stop() for p in peers), return_exceptions=True)
    for server in servers:
        await server.stop()
