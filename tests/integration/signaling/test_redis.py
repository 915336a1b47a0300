"""Two signaling instances sharing rooms through a real redis-server on a Unix socket."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from krates_desktop.sync.invite import make_invite
from tests.integration.signaling.helpers import Client, close_all, serve
from tests.integration.sync.harness import (
    all_synced,
    converged,
    founder,
    peer_from_invite,
    random_ops,
    stop_all,
    wait_for,
)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server (the Debian package) on a Unix socket, for one test."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (Debian package redis-server)"
    sock = tmp_path / "redis.sock"
    child = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert child.poll() is None and time.monotonic() < deadline, (
                "redis did not start"
            )
            time.sleep(0.02)
        yield f"unix://{sock}"
    finally:
        child.terminate()
        child.wait(10)


def test_peers_on_two_instances_share_a_room(redis_url: str) -> None:
    """Joins, signals and leaves cross between instances; the room limit holds across them."""

    async def scenario() -> list[Any]:
        one = await serve(redis_url=redis_url, max_peers_per_room=3)
        two = await serve(redis_url=redis_url, max_peers_per_room=3)
        a, b = await Client.connect(one.url), await Client.connect(two.url)
        c, d = await Client.connect(one.url), await Client.connect(two.url)
        try:
            await a.join("peer-aaaa")
            welcome_b = await b.join("peer-bbbb")
            joined = await a.receive()
            await b.send(type="signal", to="peer-aaaa", data="b-to-a")
            relayed = await a.receive()
            await c.join("peer-cccc")
            refused = await d.join("peer-dddd")
            await b.close()
            left = [await a.receive(), await a.receive()]
            async with aiohttp.ClientSession() as http:
                metrics = await (
                    await http.get(one.url.replace("ws", "http") + "metrics")
                ).text()
            return [welcome_b, joined, relayed, refused, left, metrics]
        finally:
            await close_all([a, b, c, d], one, two)

    welcome_b, joined, relayed, refused, left, metrics = asyncio.run(scenario())
    assert welcome_b["peers"] == ["peer-aaaa"]
    assert joined == {"type": "peer-joined", "peer": "peer-bbbb"}
    assert relayed == {
        "type": "signal",
        "from": "peer-bbbb",
        "to": "peer-aaaa",
        "data": "b-to-a",
    }
    assert refused["code"] == "room-full"
    assert {"type": "peer-left", "peer": "peer-bbbb"} in left
    assert 'krates_signal_relayed_total{via="redis"} 1' in metrics
    assert "krates_signal_redis_up 1" in metrics


def test_yard_peers_on_different_instances_sync(redis_url: str) -> None:
    """Two yard peers whose links name different instances join one yard and converge."""

    async def scenario() -> tuple[Any, Any]:
        one = await serve(redis_url=redis_url)
        two = await serve(redis_url=redis_url)
        first, invite = founder(one.url)
        other = make_invite(two.url, invite.yard_id, invite.secret, invite.name)
        second = peer_from_invite(other.to_link(), "Sam Okafor", 2)
        peers = [first, second]
        try:
            for peer in peers:
                await peer.start()
            await wait_for(all_synced(peers), 10, "sync across instances")
            random_ops(first, __import__("random").Random(3), 8)
            random_ops(second, __import__("random").Random(4), 8)
            await wait_for(converged(peers), 10, "convergence")
            return first.state(), second.state()
        finally:
            await stop_all(peers, one, two)

    at_first, at_second = asyncio.run(scenario())
    assert at_first == at_second and at_first


def test_health_turns_degraded_when_redis_goes_away(
    redis_url: str, tmp_path: Path
) -> None:
    """With Redis gone, /healthz answers 503 and joins are refused as server-full."""

    async def scenario() -> tuple[int, dict[str, Any]]:
        server = await serve(redis_url=redis_url)
        pid = int(
            subprocess.check_output(
                ["redis-cli", "-s", redis_url[7:], "info", "server"], text=True
            )
            .split("process_id:")[1]
            .split()[0]
        )
        subprocess.run(["kill", str(pid)], check=True)
        client = await Client.connect(server.url)
        try:
            await asyncio.sleep(0.3)
            async with aiohttp.ClientSession() as http:
                health = await http.get(server.url.replace("ws", "http") + "healthz")
                status = health.status
            return status, await client.join("peer-aaaa")
        finally:
            await close_all([client], server)

    status, answer = asyncio.run(scenario())
    assert status == 503 and answer["code"] == "server-full"
