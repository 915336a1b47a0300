"""What sandbox containers print: believable log lines in the style of each program
(a Go API, PostgreSQL, a Prometheus exporter, a Rust service, a JSON-logging
gateway, kube-proxy), with levels, stack traces, ANSI colours, JSON and the odd very
long or non-UTF-8 line."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime

Lines = list[bytes]
Profile = Callable[[random.Random, datetime], Lines]

_PATHS = (
    "/v1/payments",
    "/v1/payments/{id}",
    "/v1/refunds",
    "/v1/customers/{id}",
    "/healthz",
)
_METHODS = ("GET", "GET", "GET", "POST", "PUT")
_RESET, _GREEN, _YELLOW, _RED, _DIM = (
    "\x1b[0m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[31m",
    "\x1b[2m",
)


def _id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(
        rng.choice("abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(10)
    )


def _level(rng: random.Random) -> str:
    return rng.choices(("INFO", "WARN", "ERROR", "DEBUG"), (80, 12, 4, 4))[0]


def _go_stack(rng: random.Random) -> Lines:
    goroutine = rng.randint(40, 900)
    return [
        f"goroutine {goroutine} [running]:".encode(),
        b"github.com/acme/api-server/internal/ledger.(*Client).Post("
        b"0xc0001a2000, {0x1a2b3c0, 0xc000412f00})",
        b"\t/src/internal/ledger/client.go:214 +0x3c5",
        b"github.com/acme/api-server/internal/payments.(*Service).Capture("
        b"0xc00011c0a0, {0x1a2b3c0, 0xc000412f00}, 0xc0004a6000)",
        b"\t/src/internal/payments/capture.go:88 +0x1f2",
        b"net/http.HandlerFunc.ServeHTTP(0xc000132400, {0x1a30e40, 0xc0003e20e0}, 0xc0004b4100)",
        b"\t/usr/local/go/src/net/http/server.go:2294 +0x29",
    ]


def api_server(rng: random.Random, now: datetime) -> Lines:
    """A Go HTTP service logging levelled key=value lines, colour-coded levels."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    level = _level(rng)
    colour = {"INFO": _GREEN, "WARN": _YELLOW, "ERROR": _RED, "DEBUG": _DIM}[level]
    tag = f"{colour}{level:<5}{_RESET}" if rng.random() < 0.5 else f"{level:<5}"
    if level == "ERROR":
        lines = [
            f"{stamp} {tag} capture failed payment={_id(rng, 'pay_')} "
            f'err="ledger: context deadline exceeded" attempt={rng.randint(1, 5)}'.encode()
        ]
        if rng.random() < 0.5:
            lines += _go_stack(rng)
        return lines
    if level == "WARN":
        return [
            f"{stamp} {tag} slow ledger response duration={rng.randint(800, 4000)}ms "
            f"threshold=750ms".encode()
        ]
    if rng.random() < 0.08:
        record = {
            "ts": stamp,
            "level": "info",
            "msg": "payment captured",
            "payment": _id(rng, "pay_"),
            "amount": rng.randint(100, 90000),
            "currency": rng.choice(["EUR", "USD", "GBP"]),
            "provider": "stripe",
        }
        return [json.dumps(record).encode()]
    if rng.random() < 0.02:
        query = "&".join(f"ids[]={_id(rng, 'pay_')}" for _ in range(140))
        return [
            f"{stamp} {tag} request with oversized query path=/v1/payments?{query}".encode()
        ]
    path = rng.choice(_PATHS).replace("{id}", _id(rng, "pay_"))
    status = rng.choices((200, 201, 204, 404, 409), (70, 10, 5, 10, 5))[0]
    return [
        f"{stamp} {tag} http request method={rng.choice(_METHODS)} path={path} "
        f"status={status} duration={rng.uniform(0.4, 60):.1f}ms".encode()
    ]


def postgres(rng: random.Random, now: datetime) -> Lines:
    """PostgreSQL server log lines."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
    pid = rng.randint(60, 4000)
    choice = rng.random()
    if choice < 0.5:
        return [
            f"{stamp} [{pid}] LOG:  checkpoint complete: wrote {rng.randint(3, 900)} "
            f"buffers ({rng.uniform(0, 5):.1f}%); 0 WAL file(s) added, 0 removed, "
            f"1 recycled; write={rng.uniform(0, 30):.3f} s".encode()
        ]
    if choice < 0.8:
        return [
            f"{stamp} [{pid}] LOG:  duration: {rng.uniform(1, 900):.3f} ms  statement: "
            f"SELECT balance FROM accounts WHERE id = {rng.randint(1, 99999)}".encode()
        ]
    if choice < 0.95:
        return [
            f"{stamp} [{pid}] WARNING:  there is no transaction in progress".encode()
        ]
    return [
        f"{stamp} [{pid}] ERROR:  duplicate key value violates unique constraint "
        f'"ledger_entries_pkey"'.encode(),
        f"{stamp} [{pid}] DETAIL:  Key (id)=({rng.randint(1000, 99999)}) already exists.".encode(),
        f"{stamp} [{pid}] STATEMENT:  INSERT INTO ledger_entries (id, amount) "
        "VALUES ($1, $2)".encode(),
    ]


def exporter(rng: random.Random, now: datetime) -> Lines:
    """A Prometheus exporter in go-kit logfmt."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if rng.random() < 0.1:
        return [
            f'ts={stamp} caller=collector.go:189 level=warn msg="collector took long" '
            f"collector=stat_statements duration_seconds={rng.uniform(1, 4):.3f}".encode()
        ]
    return [
        f'ts={stamp} caller=server.go:112 level=info msg="scrape complete" '
        f"duration_seconds={rng.uniform(0.01, 0.2):.4f} series={rng.randint(900, 1400)}".encode()
    ]


def rust_service(rng: random.Random, now: datetime) -> Lines:
    """A Rust service using `tracing` with its default ANSI colours; rarely a raw byte."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    level = _level(rng)
    colour = {"INFO": _GREEN, "WARN": _YELLOW, "ERROR": _RED, "DEBUG": "\x1b[34m"}[
        level
    ]
    head = f"{_DIM}{stamp}{_RESET} {colour}{level:>5}{_RESET} \x1b[2mrapid_io::server\x1b[0m:"
    if rng.random() < 0.015:
        # A client sent garbage; the service logs the bytes as received (Latin-1).
        return [
            head.encode() + b" bad frame from peer: caf\xe9 \xff\xfe\x00\x01 discarded"
        ]
    if level == "ERROR":
        return [
            f"{head} stream reset peer=10.244.2.{rng.randint(2, 250)}:{rng.randint(30000, 60000)} "
            f"error=h2 protocol error: frame with invalid size".encode()
        ]
    if rng.random() < 0.05:
        bar = "█" * rng.randint(5, 40)
        return [f"{head} replaying journal {bar} {rng.randint(1, 100)}%".encode()]
    return [
        f"{head} accepted connection "
        f"peer=10.244.1.{rng.randint(2, 250)}:{rng.randint(30000, 60000)} "
        f"streams={rng.randint(1, 64)}".encode()
    ]


def json_gateway(rng: random.Random, now: datetime) -> Lines:
    """A gateway writing one JSON object per line; sometimes a very long one."""
    record: dict[str, object] = {
        "level": rng.choices(("info", "warn", "error"), (85, 10, 5))[0],
        "ts": now.timestamp(),
        "caller": "gateway/push.go:77",
        "msg": "pushed metrics",
        "job": rng.choice(["api-server", "ledger-db", "rapid-io", "cart"]),
        "samples": rng.randint(100, 5000),
    }
    if rng.random() < 0.03:
        record["msg"] = "rejected oversized push"
        record["labels"] = {f"label_{i}": _id(rng, "v") for i in range(120)}
    if record["level"] == "error" and rng.random() < 0.5:
        record["msg"] = "remote write failed"
        record["stacktrace"] = (
            "main.(*pusher).flush\n\t/src/gateway/push.go:121\nmain.(*pusher).run\n\t"
            "/src/gateway/push.go:88"
        )
    return [json.dumps(record).encode()]


def kube_proxy(rng: random.Random, now: datetime) -> Lines:
    """kube-proxy's klog lines."""
    stamp = now.strftime("%m%d %H:%M:%S.%f")
    if rng.random() < 0.1:
        return [
            f'W{stamp}       1 iptables.go:207] "Sync failed, retrying" '
            f'err="exit status 4" retryIn="{rng.randint(1, 9)}s"'.encode()
        ]
    return [
        f'I{stamp}       1 proxier.go:812] "SyncProxyRules complete" '
        f'elapsed="{rng.uniform(5, 90):.1f}ms"'.encode()
    ]


def generic(rng: random.Random, now: datetime) -> Lines:
    """Plain levelled lines for anything else."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S")
    level = _level(rng)
    if level == "ERROR" and rng.random() < 0.5:
        return [
            f"{stamp} ERROR unhandled exception in worker".encode(),
            b"Traceback (most recent call last):",
            b'  File "/app/worker.py", line 42, in run',
            b"    result = handler(job)",
            b'  File "/app/handlers.py", line 17, in handle',
            b'    raise TimeoutError("upstream did not answer in 5s")',
            b"TimeoutError: upstream did not answer in 5s",
        ]
    return [f"{stamp} {level} processed job id={rng.randint(1, 10**6)}".encode()]


_PROFILES: dict[str, Profile] = {
    "api": api_server,
    "db": postgres,
    "metrics": exporter,
    "rapid-io": rust_service,
    "gateway": json_gateway,
    "kube-proxy": kube_proxy,
}


def profile_for(container_name: str) -> Profile:
    """The chatter profile a container of this name uses."""
    return _PROFILES.get(container_name, generic)


def startup_lines(container_name: str, image: str) -> Lines:
    """What a container prints when it starts."""
    return [
        f"starting {container_name} ({image})".encode(),
        b"loaded configuration from /etc/config",
        b"listening and ready",
    ]


def crash_lines(rng: random.Random) -> Lines:
    """The last words of the crash-looping API server."""
    return [
        b"ERROR failed to open ledger connection pool: dial tcp 10.96.7.3:5432: "
        b"connect: connection refused",
        b"panic: runtime error: invalid memory address or nil pointer dereference",
        b"[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x9f3c25]",
        b"",
        *_go_stack(rng),
        b"main.main()",
        b"\t/src/cmd/api-server/main.go:61 +0x4a8",
    ]


def config_error_lines() -> Lines:
    """What the audit forwarder prints before it exits: a missing setting."""
    return [
        b'level=info msg="loading configuration" source=env',
        b'level=fatal msg="configuration invalid" error="AUDIT_SINK_URL is not set; '
        b'refusing to start without a sink"',
    ]


def last_words(container_name: str, rng: random.Random) -> Lines:
    """The lines a container of this name writes as it fails."""
    if container_name == "forwarder":
        return config_error_lines()
    return crash_lines(rng)
