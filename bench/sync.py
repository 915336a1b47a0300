"""Yard sharing figures: join time, move latency, awareness traffic, signaling load.

Everything runs on this machine: a real krates-signal (in this process, or in a
child process where its memory is measured) and real aiortc peers whose ICE is
limited to 127.0.0.1. It prints

* the time from opening an invite link to the first full sync (goal < 2 s);
* peer-to-peer update latency of a krate move with 2, 5 and 10 peers, median and
  99th percentile (goal: median < 50 ms with 10 peers), against the baseline of
  a bare 30-byte data-channel message between two peers;
* awareness traffic per peer per second, idle (heartbeats) and with a cursor
  moving at 60 Hz (throttled to 20 Hz);
* signaling-server memory per connected peer (1,000 joined clients);
* the document's size before and after 10,000 moves of one krate (goal: growth
  < 2 KB);
* a signaling load test (``tests/integration/signaling/load.py``; the real
  krates-signal in its own process, the clients in two others): N clients in
  N/10 rooms exchanging sealed offer-sized signals and pings for the given time
  (a minute by default): messages per second, relay latency (p50, p95, p99,
  max; goal p99 < 10 ms) against the ping round trip as the baseline, how busy
  each process was and how long it waited for a CPU, the server's memory, and
  errors (goal: none).

Run: `.venv/bin/python bench/sync.py [--quick] [--load-seconds 60] [--load-clients 1000]`
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from krates_desktop.signaling.server import ServerConfig, SignalServer  # noqa: E402
from krates_desktop.sync import framing  # noqa: E402
from krates_desktop.sync.invite import make_invite, parse_invite  # noqa: E402
from krates_desktop.sync.sealing import YardSecret  # noqa: E402
from krates_desktop.sync.session import SessionConfig, YardSession  # noqa: E402
from krates_desktop.sync.transport import PeerChannel, TransportConfig  # noqa: E402
from krates_desktop.yard.awareness import YardAwareness  # noqa: E402
from krates_desktop.yard.doc import YardDoc  # noqa: E402
from krates_desktop.yard.model import ObjRef, Yard  # noqa: E402
from tests.integration.signaling.load import pct, report, run_load  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLUSTER = "9a41c07be2d3f118" + "0" * 48
LOOPBACK = TransportConfig(host_addresses=("127.0.0.1",))


def row(label: str, value: str, goal: str = "") -> None:
    """Print one figure."""
    print(f"  {label:<52} {value:>18}  {goal}")


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for a condition."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.002)


class Swarm:
    """A founder and n-1 joiners on one in-process signaling server."""

    def __init__(self, server: SignalServer, count: int, krates: int = 20) -> None:
        doc = YardDoc.new(name="bench", cluster=CLUSTER)
        meta = doc.meta
        assert meta is not None
        self.invite = make_invite(server.url, meta.yard_id, YardSecret.generate())
        self.yards = [Yard(f"{1:06x}aa-bench", doc)]
        for i in range(krates):
            ref = ObjRef("Pod", "", "v1", "bench", f"pod-{i}")
            self.yards[0].open_view(
                ref, "logs", (600.0 + 500 * (i % 20), 600.0 + 900 * (i // 20))
            )
        self.yards += [Yard(f"{i:06x}aa-bench", YardDoc()) for i in range(2, count + 1)]
        self.sessions = [self._session(y, i) for i, y in enumerate(self.yards)]

    def _session(self, yard: Yard, index: int) -> YardSession:
        awareness = YardAwareness(yard.doc.client_id, yard.user_id, f"Peer {index}")
        invite = parse_invite(self.invite.to_link())
        return YardSession(
            yard,
            awareness,
            SessionConfig.from_invite(invite, CLUSTER, transport=LOOPBACK),
        )

    def synced(self) -> bool:
        """Every session synced with all the others."""
        wanted = len(self.sessions) - 1
        return all(
            s.status.state == "synced" and s.status.peers >= wanted
            for s in self.sessions
        )

    async def start(self) -> None:
        """Start everyone and wait for the full mesh."""
        for session in self.sessions:
            await session.start()
        await until(self.synced, 60, "the swarm to sync")

    async def stop(self) -> None:
        """Stop everyone."""
        await asyncio.gather(*(s.stop() for s in self.sessions), return_exceptions=True)


# -- join -------------------------------------------------------------------------


async def bench_join(runs: int) -> list[float]:
    """Seconds from parsing an invite link to the first full sync."""
    server = SignalServer(ServerConfig(port=0))
    await server.start()
    swarm = Swarm(server, 1, krates=50)
    await swarm.start()
    times = []
    try:
        for index in range(runs):
            link = swarm.invite.to_link()
            started = time.perf_counter()
            invite = parse_invite(link)
            yard = Yard(f"{index + 10:06x}aa-joiner", YardDoc())
            awareness = YardAwareness(yard.doc.client_id, yard.user_id, "Joiner")
            config = SessionConfig.from_invite(invite, CLUSTER, transport=LOOPBACK)
            session = YardSession(yard, awareness, config)
            await session.start()
            await until(
                lambda s=session: s.status.state == "synced" and s.status.peers >= 1,
                20,
                "the joiner to sync",
            )
            times.append(time.perf_counter() - started)
            assert len(yard.krates) == 50
            await session.stop()
            await asyncio.sleep(0.1)
    finally:
        await swarm.stop()
        await server.stop()
    return times


# -- move latency -------------------------------------------------------------------


async def bench_moves(count: int, moves: int) -> tuple[list[float], float]:
    """Latencies (s) of krate moves reaching every other peer, and the setup time."""
    server = SignalServer(ServerConfig(port=0))
    await server.start()
    swarm = Swarm(server, count)
    started = time.perf_counter()
    await swarm.start()
    setup = time.perf_counter() - started
    kid = next(iter(swarm.yards[0].krates))
    arrivals: dict[tuple[int, tuple[float, float]], float] = {}
    for index, yard in enumerate(swarm.yards[1:], start=1):

        def heard(event: str, krate: str, i: int = index, y: Yard = yard) -> None:
            if krate == kid and event == "changed":
                arrivals.setdefault((i, y.krates[kid].pos), time.perf_counter())

        yard.subscribe(heard)
    latencies = []
    try:
        for n in range(moves):
            pos = (float(n), 100.0 + n)
            sent = time.perf_counter()
            swarm.yards[0].move_krate(kid, pos)
            await until(
                lambda p=pos: all((i, p) in arrivals for i in range(1, count)),
                10,
                "a move to arrive",
            )
            latencies += [arrivals[(i, pos)] - sent for i in range(1, count)]
            await asyncio.sleep(0.01)
    finally:
        await swarm.stop()
        await server.stop()
    return latencies, setup


async def bench_channel_baseline(messages: int) -> list[float]:
    """One-way latency of a bare 30-byte frame over one data channel."""
    arrived: list[float] = []
    a = PeerChannel("b", LOOPBACK, lambda f: None, lambda e: None, lambda r: None)
    b = PeerChannel(
        "a",
        LOOPBACK,
        lambda f: arrived.append(time.perf_counter()),
        lambda e: None,
        lambda r: None,
    )
    offer = await a.create_offer()
    await a.accept_answer(await b.accept_offer(offer))
    await asyncio.gather(a.wait_open(), b.wait_open())
    latencies = []
    for _ in range(messages):
        count = len(arrived)
        sent = time.perf_counter()
        a.send(framing.sync_update(b"\x00" * 26))
        await until(lambda c=count: len(arrived) > c, 5, "a frame")
        latencies.append(arrived[-1] - sent)
        await asyncio.sleep(0.005)
    await a.close()
    await b.close()
    return latencies


# -- awareness traffic ------------------------------------------------------------


async def bench_awareness(seconds: float) -> tuple[float, float]:
    """Awareness bytes per link per second: idle, then with a 60 Hz cursor."""
    server = SignalServer(ServerConfig(port=0))
    await server.start()
    swarm = Swarm(server, 3)
    await swarm.start()
    sessions = swarm.sessions

    def sent() -> int:
        return sum(
            link.sync.awareness_bytes_sent
            for link in sessions[0].links.values()
            if link.sync is not None
        )

    links = len(sessions[0].links)
    try:
        before = sent()
        await asyncio.sleep(max(seconds, 10.0))
        idle = (sent() - before) / max(seconds, 10.0) / links
        before = sent()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            t = time.perf_counter() - started
            sessions[0].awareness.set_cursor((6000 + 300 * t, 4000 + 50 * t))
            await asyncio.sleep(1 / 60)
        moving = (sent() - before) / seconds / links
    finally:
        await swarm.stop()
        await server.stop()
    return idle, moving


# -- document growth ---------------------------------------------------------------


def bench_growth(moves: int) -> tuple[int, int]:
    """The document's size before and after `moves` moves of one krate."""
    yard = Yard("3f9c2a7e-bench")
    krate, _, _ = yard.open_view(
        ObjRef("Deployment", "apps", "v1", "payments", "api-server"),
        "logs",
        (6000, 4000),
    )
    before = yard.doc.size()
    for i in range(moves):
        yard.move_krate(krate.id, (float(i % 9000), float(i % 5000)))
    return before, yard.doc.size()


# -- main --------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    """Run every benchmark and print its figures."""
    print("Yard sharing benchmarks (loopback, real aiortc and krates-signal)")
    joins = await bench_join(3 if args.quick else 8)
    print("\nJoining through an invite link (50 krates)")
    row(
        "link -> first full sync, median",
        f"{statistics.median(joins) * 1000:.0f} ms",
        "goal < 2000 ms",
    )
    row("link -> first full sync, worst", f"{max(joins) * 1000:.0f} ms")

    print("\nKrate move, peer to peer")
    baseline = await bench_channel_baseline(50 if args.quick else 200)
    row(
        "baseline: bare 30-byte frame, median / p99",
        f"{pct(baseline, 50) * 1000:.2f} / {pct(baseline, 99) * 1000:.2f} ms",
    )
    for count in args.peers:
        latencies, setup = await bench_moves(count, 30 if args.quick else 100)
        row(
            f"{count:>2} peers: move latency median / p99",
            f"{pct(latencies, 50) * 1000:.2f} / {pct(latencies, 99) * 1000:.2f} ms",
            "goal: median < 50 ms at 10 peers" if count == 10 else "",
        )
        row(f"{count:>2} peers: full mesh set up in", f"{setup * 1000:.0f} ms")

    idle, moving = await bench_awareness(2.0 if args.quick else 5.0)
    print("\nAwareness traffic per peer")
    row("idle (heartbeats)", f"{idle:.0f} B/s")
    row("cursor moving at 60 Hz (sent at most 20 Hz)", f"{moving:.0f} B/s")

    before, after = bench_growth(10_000)
    print("\nDocument growth")
    row(
        "one krate, before / after 10,000 moves",
        f"{before} / {after} B",
        f"growth {after - before} B (goal < 2048 B)",
    )

    print(f"\nSignaling load: {args.load_clients} clients, {args.load_seconds:.0f} s")
    load = await run_load(
        args.load_clients, max(1, args.load_clients // 10), args.load_seconds
    )
    print(report(load))


def main() -> None:
    """Parse options and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer samples, shorter load"
    )
    parser.add_argument("--load-seconds", type=float, default=None)
    parser.add_argument("--load-clients", type=int, default=1000)
    parser.add_argument(
        "--peers", type=lambda s: [int(x) for x in s.split(",")], default=[2, 5, 10]
    )
    args = parser.parse_args()
    if args.load_seconds is None:
        args.load_seconds = 10.0 if args.quick else 60.0
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
