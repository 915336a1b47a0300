"""Presence over the awareness protocol: codec, throttle, heartbeat, expiry and gossip."""

from __future__ import annotations

import asyncio

import pytest
from pycrdt import Awareness, Doc

from krates_desktop.yard.awareness import (
    AwarenessChange,
    AwarenessError,
    SmoothedCursor,
    YardAwareness,
    decode_awareness_update,
    user_color,
)
from krates_desktop.yard.palette import fnv1a32


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pair(clock: Clock) -> tuple[YardAwareness, YardAwareness, list[bytes]]:
    """Two awareness replicas; everything `a` broadcasts is collected in the list."""
    a = YardAwareness(11, "3f9c2a7e-aaaa", "Dana Ruiz", clock=clock)
    b = YardAwareness(22, "9b1c0d2e-bbbb", "Sam Okafor", clock=clock)
    sent: list[bytes] = []
    a.on_broadcast(sent.append)
    return a, b, sent


def test_states_travel_in_the_yjs_wire_format() -> None:
    """An update we encode is read by pycrdt's own Awareness, and the reverse."""
    clock = Clock()
    a, _, sent = pair(clock)
    a.update(activeKrateId="o-1", activeNamespace="payments")
    theirs = Awareness(Doc())
    theirs.apply_awareness_update(sent[-1], "test")
    assert theirs.states[11]["name"] == "Dana Ruiz"
    assert theirs.states[11]["activeNamespace"] == "payments"
    theirs.set_local_state({"userId": "u-js", "name": "From Yjs", "typing": True})
    b = YardAwareness(22, "x", "me", clock=clock)
    b.apply(theirs.encode_awareness_update([theirs.client_id]), "peer")
    assert b.peers()[theirs.client_id]["name"] == "From Yjs"
    assert b.peers()[theirs.client_id]["typing"] is True


def test_remote_presence_is_applied_and_listeners_hear_of_it() -> None:
    """A peer's state arrives with every Presence field; listeners get added then updated."""
    clock = Clock()
    a, b, sent = pair(clock)
    changes: list[AwarenessChange] = []
    b.subscribe(changes.append)
    a.set_spotlight("pods in payments", typed=True)
    b.apply(sent[-1], "peer-a")
    presence = b.peers()[11]
    assert (
        presence["spotlightQuery"] == "pods in payments" and presence["typing"] is True
    )
    assert presence["color"] == user_color("3f9c2a7e-aaaa")
    assert set(presence) == {
        "userId",
        "name",
        "color",
        "cursor",
        "activeKrateId",
        "spotlightQuery",
        "typing",
        "activeNamespace",
        "lastActive",
        "ts",
    }
    a.set_spotlight(None)
    b.apply(sent[-1], "peer-a")
    assert [c.added for c in changes] == [(11,), ()]
    assert changes[-1].updated == (11,)


def test_cursor_updates_are_throttled_to_one_per_50_ms() -> None:
    """Ten cursor moves within 50 ms send one update; the last position follows on tick."""
    clock = Clock()
    a, b, sent = pair(clock)
    for i in range(10):
        a.set_cursor((float(i), 2.0))
        clock.now += 0.004
    assert len(sent) == 1
    clock.now += 0.02
    a.tick()
    assert len(sent) == 2
    b.apply(sent[-1], "peer-a")
    assert b.peers()[11]["cursor"] == {"x": 9.0, "y": 2.0}


def test_a_heartbeat_goes_out_at_least_every_5_s() -> None:
    """With nothing changing, tick re-broadcasts the state every 5 s (and says when next)."""
    clock = Clock()
    a, _, sent = pair(clock)
    a.update(activeKrateId="o-1")
    assert a.tick() == pytest.approx(5.0)
    clock.now += 4.9
    a.tick()
    assert len(sent) == 1
    clock.now += 0.2
    a.tick()
    assert len(sent) == 2


def test_a_peer_silent_for_30_s_is_removed() -> None:
    """A remote state not refreshed for 30 s disappears, with a removal change."""
    clock = Clock()
    a, b, sent = pair(clock)
    a.update(activeKrateId="o-1")
    b.apply(sent[-1], "peer-a")
    changes: list[AwarenessChange] = []
    b.subscribe(changes.append)
    clock.now += 29.0
    b.tick()
    assert 11 in b.peers()
    clock.now += 1.5
    b.tick()
    assert 11 not in b.peers() and changes[-1].removed == (11,)


def test_heartbeats_keep_a_peer_and_are_not_reported_as_changes() -> None:
    """Heartbeats refresh the expiry timer without telling listeners anything changed."""
    clock = Clock()
    a, b, sent = pair(clock)
    a.update(activeKrateId="o-1")
    b.apply(sent[-1], "peer-a")
    changes: list[AwarenessChange] = []
    b.subscribe(changes.append)
    for _ in range(10):
        clock.now += 5.0
        a.tick()
        b.apply(sent[-1], "peer-a")
        b.tick()
    assert 11 in b.peers() and changes == []


def test_a_goodbye_removes_the_peer_at_once() -> None:
    """A null state with a newer clock removes the sender's presence."""
    clock = Clock()
    a, b, sent = pair(clock)
    a.update(activeKrateId="o-1")
    b.apply(sent[-1], "peer-a")
    change = b.apply(a.goodbye(), "peer-a").change
    assert change is not None and change.removed == (11,) and b.peers() == {}


def test_repeats_are_ignored_so_gossip_stops() -> None:
    """The same update applied twice changes nothing the second time and is not re-gossiped."""
    clock = Clock()
    a, b, sent = pair(clock)
    a.update(activeKrateId="o-1")
    first = b.apply(sent[-1], "peer-a")
    assert first.change is not None and first.accepted == (11,)
    again = b.apply(sent[-1], "peer-c")
    assert again.change is None and again.accepted == ()
    a.tick()
    clock.now += 6.0
    a.tick()
    heartbeat = b.apply(sent[-1], "peer-a")
    assert heartbeat.change is None and heartbeat.accepted == (11,)


def test_closing_a_link_drops_only_states_not_heard_elsewhere_lately() -> None:
    """States heard through another link in the last 5 s survive that link closing."""
    clock = Clock()
    a, b, sent = pair(clock)
    c = YardAwareness(33, "c", "Third", clock=clock)
    c_sent: list[bytes] = []
    c.on_broadcast(c_sent.append)
    a.update(activeKrateId="o-1")
    c.update(activeKrateId="o-2")
    b.apply(sent[-1], "link-a")
    b.apply(c_sent[-1], "link-a")
    b.apply(c_sent[-1], "link-c")
    change = b.forget_via("link-a")
    assert change is not None and change.removed == (11,)
    assert list(b.peers()) == [33]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xff\xff",
        b'\x01\x0b\x01\x05{"a"',
        b"\x01\x0b\x01\x03[1]",
        b"\x01\x0b\x01\x02{}xx",
    ],
)
def test_malformed_awareness_updates_are_rejected(payload: bytes) -> None:
    """Truncated, non-object or trailing-garbage updates raise AwarenessError."""
    with pytest.raises(AwarenessError):
        decode_awareness_update(payload)


def test_user_colour_comes_from_the_palette_by_hash() -> None:
    """The default colour is userPalette[fnv1a32(userId) % 8]."""
    from krates_desktop.yard.awareness import USER_PALETTE

    assert user_color("3f9c2a7e") == USER_PALETTE[fnv1a32(b"3f9c2a7e") % 8]


def test_the_run_loop_flushes_a_throttled_cursor() -> None:
    """On a real asyncio loop the pending cursor goes out about 50 ms after the first."""

    async def scenario() -> list[bytes]:
        awareness = YardAwareness(1, "u", "me")
        sent: list[bytes] = []
        awareness.on_broadcast(sent.append)
        awareness.start()
        awareness.set_cursor((1.0, 1.0))
        awareness.set_cursor((2.0, 2.0))
        await asyncio.sleep(0.12)
        await awareness.stop()
        return sent

    sent = asyncio.run(scenario())
    last = decode_awareness_update(sent[-1])[0].state
    assert (
        len(sent) == 2 and last is not None and last["cursor"] == {"x": 2.0, "y": 2.0}
    )


def test_smoothed_cursor_eases_over_80_ms() -> None:
    """A smoothed cursor starts at the old spot, is past halfway at 40 ms, arrives at 80 ms."""
    cursor = SmoothedCursor()
    cursor.target((0.0, 0.0), now=0.0)
    cursor.target((100.0, 0.0), now=1.0)
    assert cursor.position(1.0) == (0.0, 0.0)
    middle = cursor.position(1.04)
    assert middle is not None and 50.0 < middle[0] < 100.0
    assert cursor.position(1.08) == (100.0, 0.0) and cursor.settled(1.08)
    cursor.target(None, now=2.0)
    assert cursor.position(2.0) is None
