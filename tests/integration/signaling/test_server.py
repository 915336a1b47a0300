"""The real signaling server on a free port: rooms, relay, limits, health and metrics."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from krates_desktop.signaling.protocol import PROTOCOL_VERSION
from tests.integration.signaling.helpers import (
    OTHER_ROOM,
    ROOM,
    Client,
    StalledPeer,
    close_all,
    serve,
)

REPO = Path(__file__).resolve().parents[3]


def test_peers_meet_in_a_room_and_relay_signals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Join, welcome, peer-joined, a relayed signal with the sender set by the server, peer-left."""

    async def scenario() -> list[Any]:
        server = await serve(ice_servers=({"urls": ["stun:stun.example.test:3478"]},))
        a, b = await Client.connect(server.url), await Client.connect(server.url)
        try:
            welcome_a = await a.join("peer-aaaa")
            welcome_b = await b.join("peer-bbbb")
            joined = await a.receive()
            await b.send(
                type="signal",
                to="peer-aaaa",
                data="c2VhbGVkLXBheWxvYWQ=",
                **{"from": "peer-zzzz"},
            )
            relayed = await a.receive()
            await b.close()
            left = await a.receive()
            return [welcome_a, welcome_b, joined, relayed, left]
        finally:
            await close_all([a, b], server)

    with caplog.at_level(logging.DEBUG):
        welcome_a, welcome_b, joined, relayed, left = asyncio.run(scenario())
    assert welcome_a["type"] == "welcome" and welcome_a["peers"] == []
    assert welcome_a["version"] == PROTOCOL_VERSION
    assert welcome_a["iceServers"] == [{"urls": ["stun:stun.example.test:3478"]}]
    assert welcome_b["peers"] == ["peer-aaaa"]
    assert joined == {"type": "peer-joined", "peer": "peer-bbbb"}
    assert relayed == {
        "type": "signal",
        "from": "peer-bbbb",
        "to": "peer-aaaa",
        "data": "c2VhbGVkLXBheWxvYWQ=",
    }
    assert left == {"type": "peer-left", "peer": "peer-bbbb"}
    assert "c2VhbGVkLXBheWxvYWQ=" not in caplog.text


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        (["not json"], "bad-request"),
        ([{"type": "dance"}], "bad-request"),
        (
            [{"type": "join", "version": 1, "room": "short", "peer": "peer-aaaa"}],
            "bad-request",
        ),
        ([{"type": "signal", "to": "peer-bbbb", "data": "x"}], "not-joined"),
        (
            [
                {"type": "join", "version": 1, "room": ROOM, "peer": "peer-aaaa"},
                {"type": "join", "version": 1, "room": ROOM, "peer": "peer-aaaa"},
            ],
            "already-joined",
        ),
        (
            [
                {"type": "join", "version": 1, "room": ROOM, "peer": "peer-aaaa"},
                {"type": "signal", "to": "peer-nobody", "data": "x"},
            ],
            "unknown-peer",
        ),
    ],
)
def test_bad_messages_get_clear_error_codes(messages: list[Any], code: str) -> None:
    """Malformed or out-of-order messages are answered with an error code; the socket stays."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        server = await serve()
        client = await Client.connect(server.url)
        try:
            answer: dict[str, Any] = {}
            for message in messages:
                if isinstance(message, str):
                    await client.ws.send_str(message)
                else:
                    await client.send(**message)
                answer = await client.receive()
            await client.send(type="ping")
            return answer, await client.receive()
        finally:
            await close_all([client], server)

    answer, pong = asyncio.run(scenario())
    assert answer["type"] == "error" and answer["code"] == code and answer["message"]
    assert pong == {"type": "pong"}


@pytest.mark.parametrize(
    ("setup", "code", "close"),
    [
        ({}, "unsupported-version", 4000),
        ({}, "duplicate-peer", 4001),
        ({"max_peers_per_room": 2}, "room-full", 4002),
        ({"max_rooms": 1}, "server-full", 4003),
        ({"max_message_bytes": 1024}, "message-too-large", 1009),
    ],
)
def test_refusals_close_with_their_code(
    setup: dict[str, Any], code: str, close: int
) -> None:
    """Joins and messages beyond a limit get the error, then a close with its code."""

    async def scenario() -> tuple[dict[str, Any], int | None]:
        server = await serve(**setup)
        first, second = (
            await Client.connect(server.url),
            await Client.connect(server.url),
        )
        extra = await Client.connect(server.url)
        try:
            await first.join("peer-aaaa")
            if code == "unsupported-version":
                await extra.send(type="join", version=99, room=ROOM, peer="peer-cccc")
            elif code == "duplicate-peer":
                await extra.send(type="join", version=1, room=ROOM, peer="peer-aaaa")
            elif code == "room-full":
                await second.join("peer-bbbb")
                await extra.send(type="join", version=1, room=ROOM, peer="peer-cccc")
            elif code == "server-full":
                await extra.send(
                    type="join", version=1, room=OTHER_ROOM, peer="peer-cccc"
                )
            else:
                await extra.join("peer-cccc")
                await extra.send(type="signal", to="peer-aaaa", data="x" * 2000)
            return await extra.receive(), await extra.closed()
        finally:
            await close_all([first, second, extra], server)

    answer, close_code = asyncio.run(scenario())
    assert answer["code"] == code and close_code == close


def test_a_flood_is_rate_limited_and_counted() -> None:
    """Beyond the burst, messages are dropped with rate-limited, and metrics count them."""

    async def scenario() -> tuple[list[str], str]:
        server = await serve(rate_per_s=5, burst=5)
        client = await Client.connect(server.url)
        try:
            for _ in range(12):
                await client.send(type="ping")
            kinds = []
            for _ in range(6):
                body = await client.receive()
                kinds.append(body.get("code") or body["type"])
            async with aiohttp.ClientSession() as http:
                metrics = await (
                    await http.get(server.url.replace("ws", "http") + "metrics")
                ).text()
            return kinds, metrics
        finally:
            await close_all([client], server)

    kinds, metrics = asyncio.run(scenario())
    assert kinds == ["pong"] * 5 + ["rate-limited"]
    assert 'krates_signal_rejections_total{code="rate-limited"} 7' in metrics


def test_a_peer_that_stops_reading_is_closed_and_holds_up_nobody() -> None:
    """Signals to a peer that never reads fill its outbox: the server closes it with
    slow-reader, the room hears it left, and the sender is answered all along."""

    async def scenario() -> tuple[list[str], int, bool]:
        server = await serve(rate_per_s=10_000, burst=10_000)
        sender = await Client.connect(server.url)
        await sender.join("peer-aaaa")
        stalled = await StalledPeer.join(server.url, "peer-bbbb")
        try:
            heard = [(await sender.receive())["type"]]
            offer = "x" * 60_000
            # 36 MB: more than the sockets' buffers and the outbox can hold.
            for _ in range(600):
                await sender.send(type="signal", to="peer-bbbb", data=offer)
            await sender.send(type="ping")
            heard += [(await sender.receive(timeout=30))["type"] for _ in range(2)]
            ended = await stalled.ended()
            return heard, server.metrics.rejections["slow-reader"], ended
        finally:
            stalled.close()
            await close_all([sender], server)

    heard, slow_readers, ended = asyncio.run(scenario())
    assert heard == ["peer-joined", "pong", "peer-left"]
    assert slow_readers == 1
    assert ended


def test_quiet_clients_are_pinged_and_silent_ones_closed() -> None:
    """The server pings a quiet client and closes one that stays silent with code idle."""

    async def scenario() -> tuple[str, dict[str, Any], int | None]:
        server = await serve(ping_interval_s=0.2, idle_timeout_s=0.7)
        client = await Client.connect(server.url)
        try:
            ping = await asyncio.wait_for(client.ws.receive_json(), 2)
            error = await client.receive()
            return ping["type"], error, await client.closed()
        finally:
            await close_all([client], server)

    ping, error, close_code = asyncio.run(scenario())
    assert ping == "ping" and error["code"] == "idle" and close_code == 4005


def test_health_metrics_and_plain_http() -> None:
    """/healthz says ok, /metrics shows connections, rooms and messages, / without upgrade is 400."""

    async def scenario() -> tuple[int, dict[str, Any], str, int]:
        server = await serve()
        clients = [await Client.connect(server.url) for _ in range(3)]
        base = server.url.replace("ws://", "http://")
        try:
            for i, client in enumerate(clients):
                await client.join(f"peer-{i:04d}", ROOM if i < 2 else OTHER_ROOM)
            async with aiohttp.ClientSession() as http:
                health = await http.get(base + "healthz")
                metrics = await (await http.get(base + "metrics")).text()
                plain = await http.get(base + "krates")
                return health.status, await health.json(), metrics, plain.status
        finally:
            await close_all(clients, server)

    status, health, metrics, plain = asyncio.run(scenario())
    assert status == 200 and health["status"] == "ok" and health["rooms"] == 2
    for line in (
        "krates_signal_connections 3",
        "krates_signal_rooms 2",
        "krates_signal_peers 3",
        'krates_signal_messages_total{type="join"} 3',
    ):
        assert line in metrics
    assert "# TYPE krates_signal_relayed_total counter" in metrics
    assert "krates_signal_resident_memory_bytes" in metrics
    assert plain == 400


def test_the_command_line_serves_until_sigterm() -> None:
    """`python -m krates_desktop.signaling --port 0` prints its URL, serves, and exits 0 on SIGTERM."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "krates_desktop.signaling",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line.startswith("krates-signal listening on ws://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]

        async def probe() -> dict[str, Any]:
            client = await Client.connect(url)
            try:
                return await client.join("peer-aaaa")
            finally:
                await client.close()

        assert asyncio.run(probe())["type"] == "welcome"
        child.send_signal(signal.SIGTERM)
        assert child.wait(10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)


def test_a_joiner_hears_welcome_before_anything_else() -> None:
    """Among many simultaneous joins, each client's first message is its welcome."""

    async def scenario() -> list[str]:
        server = await serve()
        try:
            clients = await asyncio.gather(
                *(Client.connect(server.url) for _ in range(12))
            )
            answers = await asyncio.gather(
                *(c.join(f"peer-{i:04d}") for i, c in enumerate(clients))
            )
            await close_all(list(clients))
            return [a["type"] for a in answers]
        finally:
            await server.stop()

    assert asyncio.run(scenario()) == ["welcome"] * 12
