"""Signaling load: many WebSocket clients in rooms, relaying sealed offers and pings.

The server is the real ``krates-signal`` in its own process, and the clients run
in one or more other processes, so that what is measured is the relay as a user
runs it rather than a load generator sharing the server's event loop. Relay
latency is the time from a client stamping a signal (``time.perf_counter()``,
the machine's monotonic clock, the same in every process) to its room mate
reading it. Server memory and CPU time come from ``/proc`` by the server's pid.

``run_load()`` is the coordinator (used by the test and by ``bench/sync.py``);
``python -m tests.integration.signaling.load`` is one client process, driven by
JSON lines on stdin and stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

REPO = Path(__file__).resolve().parents[3]
SIGNALS_PER_CLIENT_S = 2.0
PING_EVERY = 40
DRAIN_S = 2.0
RESULT_LINE_LIMIT = 1 << 28  # a client's result line holds every latency it measured
LAG_PROBE_S = 0.005


def sealed_offer() -> str:
    """A sealed offer of the size the desktop sends (about 1.3 KB)."""
    from krates_desktop.sync.sealing import Sealer, YardSecret

    return Sealer(YardSecret.generate()).seal(
        "peer-a", "peer-b", {"kind": "offer", "sdp": "x" * 900}
    )


def room_id(seed: str, number: int) -> str:
    """The room of ``number``: 32 hex characters, like a yard's."""
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()[:32]


def peer_id(index: int) -> str:
    """The peer id of client ``index``."""
    return f"load-{index:06d}"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values (nan when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# -- one client process ----------------------------------------------------------------


@dataclass
class Tally:
    """What one client process saw."""

    signals_sent: int = 0
    pings_sent: int = 0
    signals_received: int = 0
    pongs: int = 0
    latencies: list[float] = field(default_factory=list)
    ping_rtts: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)


class LoadClient:
    """One signaling client: joins its room, signals its room mates, pings."""

    def __init__(self, index: int, room: str, mates: list[str]) -> None:
        self.peer = peer_id(index)
        self.room = room
        self.mates = mates
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.closing = False
        self.ping_sent = 0.0

    def __repr__(self) -> str:
        return f"<LoadClient {self.peer}>"

    async def join(self, http: aiohttp.ClientSession, url: str, tally: Tally) -> None:
        """Connect with the desktop's options and join; a refusal is an error."""
        self.ws = await http.ws_connect(url, heartbeat=None, autoping=True)
        join = {"type": "join", "version": 1, "room": self.room, "peer": self.peer}
        await self.ws.send_str(orjson.dumps(join).decode())
        message = await self.ws.receive()
        kind = (
            orjson.loads(message.data).get("type")
            if message.type == aiohttp.WSMsgType.TEXT
            else None
        )
        if kind != "welcome":
            tally.errors.append(f"{self.peer}: {kind or message.type} before welcome")

    async def read(self, tally: Tally) -> None:
        """Read until closed, timing signals and pongs."""
        assert self.ws is not None
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            body = orjson.loads(message.data)
            kind = body.get("type")
            if kind == "signal":
                stamp = float(body["data"].partition(":")[0])
                tally.latencies.append(time.perf_counter() - stamp)
                tally.signals_received += 1
            elif kind == "pong":
                tally.ping_rtts.append(time.perf_counter() - self.ping_sent)
                tally.pongs += 1
            elif kind == "ping":
                await self.ws.send_str('{"type":"pong"}')
            elif kind == "error":
                tally.errors.append(f"{self.peer}: error {body.get('code')}")
        if not self.closing:
            tally.errors.append(
                f"{self.peer}: closed by the server ({self.ws.close_code})"
            )

    async def send(
        self, number: int, rng: random.Random, blob: str, tally: Tally
    ) -> None:
        """Send the ``number``-th message: a ping now and then, else a stamped signal."""
        assert self.ws is not None
        if number % PING_EVERY == 0:
            self.ping_sent = time.perf_counter()
            await self.ws.send_str('{"type":"ping"}')
            tally.pings_sent += 1
            return
        to = rng.choice(self.mates)
        text = (
            f'{{"type":"signal","to":"{to}","data":"{time.perf_counter():.6f}:{blob}"}}'
        )
        await self.ws.send_str(text)
        tally.signals_sent += 1


async def _say(event: str, **fields: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps({"event": event, **fields}) + b"\n")
    sys.stdout.flush()


async def _hear(reader: asyncio.StreamReader, word: str) -> None:
    line = (await reader.readline()).decode().strip()
    if line != word:
        raise SystemExit(f"load client: expected {word!r} on stdin, got {line!r}")


async def _pace(
    crowd: list[LoadClient], blob: str, seconds: float, tally: Tally
) -> None:
    """Send at a steady rate, spread evenly over time as separate machines would."""
    rng = random.Random(crowd[0].peer)
    rate = SIGNALS_PER_CLIENT_S * len(crowd)
    started = time.perf_counter()
    number = 0
    while (now := time.perf_counter()) - started < seconds:
        due = int((now - started) * rate)
        while number < due:
            client = crowd[number % len(crowd)]
            try:
                await client.send(number, rng, blob, tally)
            except (ConnectionError, RuntimeError) as exc:
                tally.errors.append(f"{client.peer}: send failed ({exc})")
            number += 1
        await asyncio.sleep(0.002)


async def _probe_lag(tally: Tally) -> None:
    """How late this process's event loop wakes up (its own share of the latency)."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(LAG_PROBE_S)
        tally.lags.append(time.perf_counter() - asked - LAG_PROBE_S)


async def client_process() -> None:
    """One client process: config on stdin, then ``go`` and ``stop``; results on stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    cfg = orjson.loads(await reader.readline())
    total, rooms, seed = cfg["total"], cfg["rooms"], cfg["seed"]
    mine = range(cfg["first"], total, cfg["step"])
    members: dict[int, list[str]] = {}
    for index in range(total):
        members.setdefault(index % rooms, []).append(peer_id(index))
    crowd = [
        LoadClient(
            i,
            room_id(seed, i % rooms),
            [p for p in members[i % rooms] if p != peer_id(i)],
        )
        for i in mine
    ]
    tally = Tally()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        for start in range(0, len(crowd), 50):
            batch = crowd[start : start + 50]
            await asyncio.gather(*(c.join(http, cfg["url"], tally) for c in batch))
        readers = [loop.create_task(c.read(tally)) for c in crowd]
        await _say("joined", count=len(crowd))
        await _hear(reader, "go")
        probe = loop.create_task(_probe_lag(tally))
        await _pace(crowd, cfg["payload"], cfg["seconds"], tally)
        probe.cancel()
        await _say("sent")
        await _hear(reader, "stop")
        for client in crowd:
            client.closing = True
        await asyncio.gather(*(c.ws.close() for c in crowd if c.ws is not None))
        await asyncio.gather(*readers, return_exceptions=True)
    await _say("result", **tally.__dict__)


# -- the coordinator -------------------------------------------------------------------


def proc_times(pid: int) -> tuple[float, float]:
    """Seconds a process ran on a CPU, and seconds it waited for one (schedstat)."""
    ran, waited, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(ran) / 1e9, int(waited) / 1e9


class ServerChild:
    """The real krates-signal with default limits, in its own process."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    @classmethod
    async def start(cls) -> ServerChild:
        """Start it on a free loopback port and read the URL it prints."""
        script = Path(sys.executable).with_name("krates-signal")
        command = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-m", "krates_desktop.signaling"]
        )
        process = await asyncio.create_subprocess_exec(
            *command,
            *("--host", "127.0.0.1", "--port", "0", "--log-level", "warning"),
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line.startswith(b"krates-signal listening on "):
            raise RuntimeError(f"krates-signal did not start: {line!r}")
        return cls(process, line.decode().split()[-1])

    def memory(self, key: str) -> int:
        """A ``/proc/PID/status`` figure in bytes (``VmRSS``, or ``VmHWM``: the peak)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in text.splitlines() if x.startswith(f"{key}:"))
        return int(line.split()[1]) * 1024

    async def stop(self) -> int:
        """SIGTERM by pid; return the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 15)


async def _expect(
    child: asyncio.subprocess.Process, event: str, timeout: float
) -> dict[str, Any]:
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), timeout)
    if not line:
        raise RuntimeError(f"a load client process ended (status {await child.wait()})")
    body: dict[str, Any] = orjson.loads(line)
    if body.get("event") != event:
        raise RuntimeError(
            f"a load client said {body.get('event')!r}, expected {event!r}"
        )
    return body


async def _tell(children: list[asyncio.subprocess.Process], line: str) -> None:
    for child in children:
        assert child.stdin is not None
        child.stdin.write(line.encode() + b"\n")
        await child.stdin.drain()


async def _spawn_clients(count: int) -> list[asyncio.subprocess.Process]:
    return [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.integration.signaling.load"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            limit=RESULT_LINE_LIMIT,
        )
        for _ in range(count)
    ]


async def run_load(
    clients: int = 1000, rooms: int = 100, seconds: float = 60.0, processes: int = 2
) -> dict[str, Any]:
    """Start the server and the client processes, run the load, return the figures."""
    server = await ServerChild.start()
    children: list[asyncio.subprocess.Process] = []
    seen: dict[str, Any] = {"clients": clients, "rooms": rooms}
    try:
        seen["rss_idle"] = server.memory("VmRSS")
        children = await _spawn_clients(processes)
        cfg = {
            "url": server.url,
            "total": clients,
            "rooms": rooms,
            "seed": os.urandom(8).hex(),
            "step": processes,
            "seconds": seconds,
            "payload": sealed_offer(),
        }
        for first, child in enumerate(children):
            await _tell([child], orjson.dumps({**cfg, "first": first}).decode())
        seen["joined"] = sum(
            [(await _expect(c, "joined", 60 + clients / 10))["count"] for c in children]
        )
        seen["rss_joined"] = server.memory("VmRSS")
        pids = [server.process.pid, *(c.pid for c in children)]
        before = [proc_times(pid) for pid in pids]
        await _tell(children, "go")
        started = time.perf_counter()
        for child in children:
            await _expect(child, "sent", seconds + 60)
        seen["seconds"] = time.perf_counter() - started
        await asyncio.sleep(DRAIN_S)
        seen["times"] = [
            (ran - ran0, waited - waited0)
            for (ran, waited), (ran0, waited0) in zip(
                [proc_times(pid) for pid in pids], before, strict=True
            )
        ]
        seen["rss_peak"] = server.memory("VmHWM")
        await _tell(children, "stop")
        seen["tallies"] = [await _expect(c, "result", 60) for c in children]
        for child in children:
            await asyncio.wait_for(child.wait(), 15)
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(child.wait(), 15)
        seen["server_exit"] = await server.stop()
    return _figures(seen)


def _figures(seen: dict[str, Any]) -> dict[str, Any]:
    tallies = seen.pop("tallies")
    (server_ran, server_waited), *client_times = seen.pop("times")

    def total(key: str) -> int:
        return sum(t[key] for t in tallies)

    def every(key: str) -> list[float]:
        return [x for t in tallies for x in t[key]]

    latencies, rtts, lags = every("latencies"), every("ping_rtts"), every("lags")
    errors = [e for t in tallies for e in t["errors"]]
    lost = (
        total("signals_sent")
        - total("signals_received")
        + total("pings_sent")
        - total("pongs")
    )
    if lost:
        errors.append(f"{lost} messages were never delivered or answered")
    sent = total("signals_sent") + total("pings_sent")
    span = seen["seconds"] + DRAIN_S
    return {
        **seen,
        "messages_in_per_s": sent / seen["seconds"],
        "messages_out_per_s": (total("signals_received") + total("pongs"))
        / seen["seconds"],
        "signals": len(latencies),
        "relay_p50": pct(latencies, 50),
        "relay_p95": pct(latencies, 95),
        "relay_p99": pct(latencies, 99),
        "relay_max": max(latencies, default=float("nan")),
        "ping_p50": pct(rtts, 50),
        "ping_p99": pct(rtts, 99),
        "client_lag_p99": pct(lags, 99),
        "client_lag_max": max(lags, default=float("nan")),
        "server_cpu_us_per_message": server_ran / max(1, sent) * 1e6,
        "server_cpu_share": server_ran / span,
        "server_wait_share": server_waited / span,
        "client_cpu_shares": [ran / span for ran, _ in client_times],
        "client_wait_shares": [waited / span for _, waited in client_times],
        "memory_per_peer": (seen["rss_joined"] - seen["rss_idle"])
        / max(1, seen["joined"]),
        "errors": len(errors) - (lost > 0) + lost,
        "error_samples": errors[:10],
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as the lines the test and the bench print."""
    f = figures
    ms, mib = 1000.0, 1048576.0
    shares = " / ".join(
        f"{ran * 100:.0f} % ({waited * 100:.0f} %)"
        for ran, waited in zip(
            f["client_cpu_shares"], f["client_wait_shares"], strict=True
        )
    )
    return "\n".join(
        [
            f"  {f['clients']} clients in {f['rooms']} rooms, {f['seconds']:.0f} s; "
            f"krates-signal and {len(f['client_cpu_shares'])} client processes",
            f"  messages/s into the server / out of it      "
            f"{f['messages_in_per_s']:.0f} / {f['messages_out_per_s']:.0f}",
            f"  relay latency p50 / p95 / p99 / max          {f['relay_p50'] * ms:.2f} / "
            f"{f['relay_p95'] * ms:.2f} / {f['relay_p99'] * ms:.2f} / "
            f"{f['relay_max'] * ms:.1f} ms  (goal p99 < 10 ms; {f['signals']} signals)",
            f"  baseline: ping round trip p50 / p99          {f['ping_p50'] * ms:.2f} / "
            f"{f['ping_p99'] * ms:.2f} ms",
            f"  client event-loop lag p99 / max              "
            f"{f['client_lag_p99'] * ms:.1f} / {f['client_lag_max'] * ms:.1f} ms",
            f"  server CPU per message received              "
            f"{f['server_cpu_us_per_message']:.0f} us",
            f"  server CPU (waiting for a CPU), of a core    "
            f"{f['server_cpu_share'] * 100:.0f} % ({f['server_wait_share'] * 100:.0f} %)",
            f"  client processes' CPU (waiting), of a core   {shares}",
            f"  server RSS idle / joined / peak              {f['rss_idle'] / mib:.1f} / "
            f"{f['rss_joined'] / mib:.1f} / {f['rss_peak'] / mib:.1f} MiB "
            f"({f['memory_per_peer'] / 1024:.1f} KiB per peer)",
            f"  errors                                       {f['errors']}  (goal 0) "
            f"{'; '.join(f['error_samples'][:3])}",
        ]
    )


if __name__ == "__main__":
    asyncio.run(client_process())
