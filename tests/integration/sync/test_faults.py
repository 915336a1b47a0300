"""Faults between real peers: bad frames, cut channels, wrong secrets, hostile relays."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from pycrdt import Map

from krates_desktop.signaling.protocol import PROTOCOL_VERSION
from krates_desktop.signaling.server import ServerConfig, SignalServer
from krates_desktop.sync import framing
from krates_desktop.sync.invite import make_invite
from krates_desktop.sync.sealing import YardSecret
from krates_desktop.sync.session import BAD_SECRET, NOBODY_HERE
from krates_desktop.yard.model import ObjRef, Window, krate_id
from tests.integration.sync.harness import (
    CLUSTER,
    REFS,
    Peer,
    all_synced,
    converged,
    founder,
    peer_from_invite,
    start_server,
    stop_all,
    wait_for,
)


def link_to(peer: Peer, other: Peer) -> Any:
    """The link object `peer` holds for `other`."""
    return peer.session.links[other.session.peer_id]


async def pair(server: SignalServer) -> tuple[Peer, Peer]:
    """A founder and one joiner, synced."""
    first, invite = founder(server.url)
    second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
    await first.start()
    await second.start()
    await wait_for(all_synced([first, second]), 10, "the pair to sync")
    return first, second


def test_garbage_truncated_and_oversized_frames_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bad frames from a peer are dropped with warnings; the session keeps syncing."""

    async def scenario() -> tuple[int, str, Any]:
        server = await start_server()
        first, second = await pair(server)
        try:
            kid = first.yard.open_view(REFS[0], "logs", (6000, 4000))[0].id
            await wait_for(lambda: kid in second.yard.krates, 5, "the krate to arrive")
            update = second.yard.doc.update_since()
            channel = link_to(second, first).channel
            for bad in (
                framing.sync_update(b"\x01" + b"\xff" * 10),
                framing.sync_update(update)[: len(update) // 2],
                b"\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                b"\x00" + os.urandom(100 * 1024),
                framing.split(framing.sync_update(os.urandom(40_000)), 9)[1],
            ):
                channel.send_raw(bad)
            second.yard.move_krate(kid, (321.0, 654.0))
            await wait_for(
                lambda: first.yard.krates[kid].pos == (321.0, 654.0),
                5,
                "a move after the garbage",
            )
            bad = link_to(first, second).sync.bad_frames
            return bad, first.session.status.state, first.yard.krates[kid].pos
        finally:
            await stop_all([first, second], server)

    with caplog.at_level(logging.WARNING, logger="krates_desktop"):
        bad, state, pos = asyncio.run(scenario())
    assert bad == 5 and state == "synced" and pos == (321.0, 654.0)
    dropped = [r for r in caplog.records if "dropped a frame" in r.getMessage()]
    assert len(dropped) == 5


def fill(peer: Peer, count: int) -> None:
    """Write `count` krates straight into the document, in one transaction."""
    with peer.yard.doc.transact():
        for i in range(count):
            ref = ObjRef("Pod", "", "v1", "big", f"pod-{i:04d}")
            window = Window(f"w1-{peer.yard.user_id[:6]}", "logs")
            peer.yard.doc.krates_map[krate_id(ref)] = Map(
                {
                    "id": krate_id(ref),
                    "objRef": ref.to_json(),
                    "collScope": None,
                    "label": ref.name,
                    "color": "#6fb1ff",
                    "pos": [float(i % 20) * 500, 100.0],
                    "minimized": False,
                    "seq": 1,
                    "owner": peer.yard.user_id,
                    "windows": Map({window.wid: window.to_map()}),
                }
            )


def test_a_channel_cut_mid_sync_recovers() -> None:
    """Cutting the data channel while a large first sync is under way ends converged anyway."""

    async def scenario() -> tuple[bool, int]:
        server = await start_server()
        first, invite = founder(server.url)
        fill(first, 1500)
        size = first.yard.doc.size()
        second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
        try:
            await first.start()
            await second.start()

            def receiving() -> bool:
                link = second.session.links.get(first.session.peer_id)
                return bool(
                    link and link.channel and link.channel.bytes_received > 20_000
                )

            await wait_for(receiving, 10, "the first sync to start")
            cut = link_to(second, first)
            assert cut.sync.state != "synced"
            await cut.channel.pc.close()
            await wait_for(converged([first, second]), 20, "convergence after the cut")
            return second.session.links[first.session.peer_id] is not cut, size
        finally:
            await stop_all([first, second], server)

    relinked, size = asyncio.run(scenario())
    assert relinked and size > 200_000


def test_a_wrong_secret_cannot_join_and_says_why() -> None:
    """A link with another secret finds nobody; one in the right room with a wrong key is told why."""

    async def scenario() -> tuple[Any, Any, int]:
        server = await start_server()
        first, invite = founder(server.url)
        await first.start()
        wrong = make_invite(server.url, invite.yard_id, YardSecret.generate())
        elsewhere = peer_from_invite(wrong.to_link(), "Old Link", 3)
        forged = peer_from_invite(wrong.to_link(), "Forger", 4)
        forged.session.room = first.session.room
        forged.session.signaling.room = first.session.room
        try:
            await elsewhere.start()
            await forged.start()
            await wait_for(
                lambda: forged.session.status.state == "refused",
                8,
                "the wrong key to be refused",
            )
            await wait_for(
                lambda: elsewhere.session.status.state == "offline",
                8,
                "the lone joiner to give up waiting",
            )
            return (
                elsewhere.session.status,
                forged.session.status,
                len(forged.yard.krates),
            )
        finally:
            await stop_all([first, elsewhere, forged], server)

    elsewhere, forged, krates = asyncio.run(scenario())
    assert elsewhere.reason == NOBODY_HERE
    assert forged.reason == BAD_SECRET and krates == 0


class TamperingServer(SignalServer):
    """A hostile relay: it flips one character of every signal it relays."""

    def _make_rooms(self) -> Any:
        rooms = super()._make_rooms()
        original = rooms.signal

        async def tampered(room: str, sender: str, to: str, data: str) -> bool:
            flipped = data[:40] + ("A" if data[40] != "A" else "B") + data[41:]
            return await original(room, sender, to, flipped)

        rooms.signal = tampered  # type: ignore[method-assign]
        return rooms


def test_a_relay_that_rewrites_offers_gets_no_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Offers altered in transit do not open, so no link is ever established."""

    async def scenario() -> tuple[list[str], list[str]]:
        server = TamperingServer(ServerConfig(port=0))
        await server.start()
        first, invite = founder(server.url)
        second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
        first.yard.open_view(REFS[1], "logs", (6000, 4000))
        try:
            await first.start()
            await second.start()
            await asyncio.sleep(2.5)
            states = [first.session.status.state, second.session.status.state]
            opened = [
                p.peer_id
                for p in second.session.peers
                if p.state != "connecting" and p.state != "closed"
            ]
            assert second.yard.krates == {}
            return states, opened
        finally:
            await stop_all([first, second], server)

    with caplog.at_level(logging.WARNING, logger="krates_desktop"):
        states, opened = asyncio.run(scenario())
    assert opened == [] and "synced" not in states[1:]
    assert any("dropped a signal" in r.getMessage() for r in caplog.records)


def test_a_peer_with_another_schema_is_refused_with_a_message() -> None:
    """A peer speaking document schema 2 neither gets nor gives updates; both say why."""

    async def scenario() -> tuple[Any, Any, int]:
        server = await start_server()
        first, invite = founder(server.url)
        first.yard.open_view(REFS[2], "logs", (6000, 4000))
        newer = peer_from_invite(invite.to_link(), "Newer", 2)
        newer.session.hello = replace(newer.session.hello, schema=2)
        try:
            await first.start()
            await newer.start()
            await wait_for(
                lambda: (
                    newer.session.status.state == "refused"
                    and first.session.status.state == "refused"
                ),
                8,
                "both refusals",
            )
            await asyncio.sleep(0.3)
            return first.session.status, newer.session.status, len(newer.yard.krates)
        finally:
            await stop_all([first, newer], server)

    older_view, newer_view, krates = asyncio.run(scenario())
    assert older_view.reason.startswith("Update Krates to join this yard")
    assert "older Krates" in newer_view.reason and krates == 0


class PartitionedServer(SignalServer):
    """A relay that never lets two named peers reach each other (a partial mesh)."""

    blocked: set[frozenset[str]] = set()

    def _make_rooms(self) -> Any:
        rooms = super()._make_rooms()
        original = rooms.signal

        async def filtered(room: str, sender: str, to: str, data: str) -> bool:
            if frozenset((sender, to)) in self.blocked:
                return True
            return await original(room, sender, to, data)

        rooms.signal = filtered  # type: ignore[method-assign]
        return rooms


def test_gossip_carries_updates_across_a_partial_mesh() -> None:
    """With no link between A and C, A's edits still reach C through B."""

    async def scenario() -> tuple[Any, bool]:
        server = PartitionedServer(ServerConfig(port=0))
        await server.start()
        a, invite = founder(server.url)
        b = peer_from_invite(invite.to_link(), "B", 2)
        c = peer_from_invite(invite.to_link(), "C", 3)
        server.blocked = {frozenset((a.session.peer_id, c.session.peer_id))}
        peers = [a, b, c]
        try:
            for peer in peers:
                await peer.start()
            await wait_for(
                lambda: b.session.status.peers == 2, 10, "B to link with both"
            )
            krate, _, _ = a.yard.open_view(REFS[3], "logs", (6000, 4000))
            a.yard.move_krate(krate.id, (777.0, 888.0))
            await wait_for(
                lambda: (
                    krate.id in c.yard.krates
                    and c.yard.krates[krate.id].pos == (777.0, 888.0)
                ),
                5,
                "gossip",
            )
            a.awareness.update(activeKrateId=krate.id)
            await wait_for(
                lambda: (
                    (c.awareness.peers().get(a.yard.doc.client_id) or {}).get(
                        "activeKrateId"
                    )
                    == krate.id
                ),
                5,
                "gossiped presence",
            )
            direct = c.session.links.get(a.session.peer_id)
            return c.yard.krates[
                krate.id
            ].pos, direct is not None and direct.state == "open"
        finally:
            await stop_all(peers, server)

    pos, direct = asyncio.run(scenario())
    assert pos == (777.0, 888.0) and not direct


def test_resetting_the_secret_moves_connected_peers_and_retires_old_links() -> None:
    """After a reset the pair stays synced; an old link is refused with the message that
    its secret is wrong or was reset (the peer that reset answers in the old room); a new
    link joins."""

    async def scenario() -> tuple[Any, Any, bool]:
        server = await start_server()
        first, second = await pair(server)
        invite = make_invite(
            server.url, first.session.config.yard_id, first.session.secret
        )
        stored: list[YardSecret] = []
        second.session.subscribe_secret(stored.append)
        peers = [first, second]
        try:
            fresh = await first.session.reset_secret()
            await wait_for(
                lambda: second.session.room == first.session.room, 5, "the move"
            )
            old = peer_from_invite(invite.to_link(), "Old", 3)
            peers.append(old)
            await old.start()
            await wait_for(
                lambda: old.session.status.state == "refused", 8, "the old link refused"
            )
            new = peer_from_invite(replace(invite, secret=fresh).to_link(), "New", 4)
            peers.append(new)
            await new.start()
            await wait_for(all_synced([first, second, new]), 10, "the new link to join")
            first.yard.open_view(REFS[4], "yaml", (6000, 4000))
            await wait_for(
                converged([first, second, new]), 5, "convergence in the new room"
            )
            return old.session.status, stored, krate_id(REFS[4]) in new.yard.krates
        finally:
            await stop_all(peers, server)

    old_status, stored, arrived = asyncio.run(scenario())
    assert old_status.reason == BAD_SECRET and len(stored) == 1 and arrived


def test_the_seventeenth_peer_is_turned_away() -> None:
    """With 16 peers in the room, a session joining shows that the yard is full."""

    async def scenario() -> Any:
        server = await start_server()
        first, invite = founder(server.url)
        room = first.session.room
        async with aiohttp.ClientSession() as http:
            sockets = []
            for i in range(16):
                ws = await http.ws_connect(server.url)
                await ws.send_json(
                    {
                        "type": "join",
                        "version": PROTOCOL_VERSION,
                        "room": room,
                        "peer": f"filler-{i:04d}",
                    }
                )
                await ws.receive_json()
                sockets.append(ws)
            try:
                await first.start()
                await wait_for(
                    lambda: first.session.status.state == "refused", 5, "refusal"
                )
                return first.session.status
            finally:
                await stop_all([first], server)

    status = asyncio.run(scenario())
    assert status.reason.startswith("This yard already has 16 people")


def test_a_peer_on_another_cluster_is_synced_and_flagged() -> None:
    """A peer whose hello names another cluster still syncs; its status says so."""

    async def scenario() -> tuple[Any, Any]:
        server = await start_server()
        first, invite = founder(server.url)
        other = peer_from_invite(invite.to_link(), "Elsewhere", 2)
        other.session.hello = replace(other.session.hello, cluster="f" * 64)
        try:
            await first.start()
            await other.start()
            await wait_for(all_synced([first, other]), 10, "sync across clusters")
            return first.session.peers[0], other.session.peers[0]
        finally:
            await stop_all([first, other], server)

    seen_by_first, seen_by_other = asyncio.run(scenario())
    assert seen_by_first.cluster_mismatch and seen_by_first.state == "synced"
    assert seen_by_other.cluster_mismatch and seen_by_first.path == "direct"
    assert CLUSTER != "f" * 64
