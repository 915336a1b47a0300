"""Real peers joined through invite links converge, and presence reaches everyone."""

from __future__ import annotations

import asyncio
import random

from tests.integration.sync.harness import (
    REFS,
    all_synced,
    converged,
    founder,
    peer_from_invite,
    random_ops,
    start_server,
    stop_all,
    wait_for,
)


async def _converge(count: int, seed: int) -> tuple[list[object], float]:
    server = await start_server()
    first, invite = founder(server.url)
    peers = [first] + [
        peer_from_invite(invite.to_link(), f"Peer {i}", i) for i in range(2, count + 1)
    ]
    try:
        for peer in peers:
            await peer.start()
        joined = await wait_for(all_synced(peers), 15, f"{count} peers to sync")
        rng = random.Random(seed)
        for _ in range(6):
            for peer in peers:
                random_ops(peer, rng, 4)
            await asyncio.sleep(rng.uniform(0.0, 0.05))
        await wait_for(converged(peers), 15, "documents to converge")
        return [p.state() for p in peers], joined
    finally:
        await stop_all(peers, server)


def test_two_peers_converge_after_random_concurrent_edits() -> None:
    """Two peers joined by link edit at the same time and end with identical documents."""
    states, joined = asyncio.run(_converge(2, seed=11))
    assert states[0] == states[1] and states[0]
    assert joined < 5


def test_five_peers_converge_after_random_concurrent_edits() -> None:
    """Five peers in a full mesh edit concurrently and all end with the same krates."""
    states, _ = asyncio.run(_converge(5, seed=23))
    assert all(s == states[0] for s in states) and states[0]


def test_presence_reaches_the_other_peers() -> None:
    """A cursor move and a live spotlight query show up in the other peers' awareness."""

    async def scenario() -> tuple[object, object, object]:
        server = await start_server()
        first, invite = founder(server.url)
        second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
        third = peer_from_invite(invite.to_link(), "Kai Lin", 3)
        peers = [first, second, third]
        try:
            for peer in peers:
                await peer.start()
            await wait_for(all_synced(peers), 15, "peers to sync")
            first.awareness.set_cursor((6120.5, 3980.0))
            first.awareness.set_spotlight("pods in payments", typed=True)
            client = first.yard.doc.client_id

            def seen(peer: object) -> bool:
                state = peer.awareness.peers().get(client)  # type: ignore[attr-defined]
                return bool(
                    state
                    and state["spotlightQuery"] == "pods in payments"
                    and state["cursor"] == {"x": 6120.5, "y": 3980.0}
                )

            await wait_for(
                lambda: seen(second) and seen(third), 5, "presence to arrive"
            )
            named = second.session.peers
            return (
                second.awareness.peers()[client],
                third.awareness.peers()[client],
                sorted(p.name or "" for p in named),
            )
        finally:
            await stop_all(peers, server)

    at_second, at_third, names = asyncio.run(scenario())
    assert at_second["name"] == "Dana Ruiz" and at_second["typing"] is True  # type: ignore[index]
    assert at_third["cursor"] == {"x": 6120.5, "y": 3980.0}  # type: ignore[index]
    assert names == ["Dana Ruiz", "Kai Lin"]


def test_a_full_mesh_forwards_nothing() -> None:
    """With every peer linked to every other, moves travel once per link and are not gossiped."""

    async def scenario() -> tuple[int, int]:
        server = await start_server()
        first, invite = founder(server.url)
        second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
        third = peer_from_invite(invite.to_link(), "Kai Lin", 3)
        peers = [first, second, third]
        try:
            for peer in peers:
                await peer.start()
            await wait_for(all_synced(peers), 15, "the mesh")
            krate, _, _ = first.yard.open_view(REFS[0], "logs", (6000, 4000))
            await wait_for(converged(peers), 5, "the krate everywhere")
            await asyncio.sleep(0.3)
            from_first = second.session.links[first.session.peer_id].sync
            from_third = second.session.links[third.session.peer_id].sync
            before = (from_first.updates_received, from_third.updates_received)
            for i in range(5):
                first.yard.move_krate(krate.id, (100.0 * i, 200.0))
            await wait_for(converged(peers), 5, "the moves everywhere")
            await asyncio.sleep(0.3)
            return (
                from_first.updates_received - before[0],
                from_third.updates_received - before[1],
            )
        finally:
            await stop_all(peers, server)

    direct, gossiped = asyncio.run(scenario())
    assert direct == 5 and gossiped == 0
