"""``krates-signal --host ADDR --port PORT [--redis URL]``: run the signaling server.

It prints one line, ``krates-signal listening on ws://HOST:PORT/``, once it
accepts connections (so ``--port 0`` can be used and the port read back), and
stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from krates_desktop import __version__
from krates_desktop.signaling.resp import RedisError
from krates_desktop.signaling.server import ServerConfig, SignalServer

log = logging.getLogger(__name__)


def _ice_server(text: str) -> dict[str, Any]:
    """``stun:host:port`` or ``turn:user:password@host:port``, as RTCIceServer JSON."""
    if not text.startswith(("stun:", "stuns:", "turn:", "turns:")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a stun: or turn: URL")
    scheme, _, rest = text.partition(":")
    if "@" in rest and scheme.startswith("turn"):
        creds, _, host = rest.rpartition("@")
        user, _, password = creds.partition(":")
        return {"urls": [f"{scheme}:{host}"], "username": user, "credential": password}
    return {"urls": [text]}


def parser() -> argparse.ArgumentParser:
    """The command line of krates-signal."""
    p = argparse.ArgumentParser(
        prog="krates-signal",
        description="Introduce the peers of Krates yards to each other (stores nothing).",
    )
    p.add_argument(
        "--version", action="version", version=f"krates-signal {__version__}"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    p.add_argument(
        "--port", type=int, default=8443, help="port to listen on; 0 picks one"
    )
    p.add_argument(
        "--redis",
        metavar="URL",
        help="share rooms with other instances: redis://host:port/db or unix:///path",
    )
    p.add_argument(
        "--ice",
        action="append",
        type=_ice_server,
        default=[],
        metavar="URL",
        help="STUN/TURN server to hand to clients (repeatable)",
    )
    p.add_argument("--tls-cert", help="PEM certificate chain, to serve wss:// directly")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument(
        "--max-peers", type=int, default=16, help="peers per room (default 16)"
    )
    p.add_argument(
        "--max-rooms", type=int, default=10_000, help="rooms on this instance"
    )
    p.add_argument(
        "--max-connections", type=int, default=20_000, help="open connections"
    )
    p.add_argument(
        "--max-message-bytes",
        type=int,
        default=64 * 1024,
        help="largest message accepted (default 65536)",
    )
    p.add_argument(
        "--rate", type=float, default=20.0, help="messages per second per connection"
    )
    p.add_argument(
        "--burst", type=int, default=60, help="burst of messages per connection"
    )
    p.add_argument(
        "--ping-interval", type=float, default=20.0, help="seconds between pings"
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        help="close a connection silent for this many seconds",
    )
    p.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    return p


def config_from(args: argparse.Namespace) -> ServerConfig:
    """Turn parsed arguments into a server configuration."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("krates-signal: --tls-cert and --tls-key go together")
    return ServerConfig(
        host=args.host,
        port=args.port,
        redis_url=args.redis,
        ice_servers=tuple(args.ice),
        max_peers_per_room=args.max_peers,
        max_rooms=args.max_rooms,
        max_connections=args.max_connections,
        max_message_bytes=args.max_message_bytes,
        rate_per_s=args.rate,
        burst=args.burst,
        ping_interval_s=args.ping_interval,
        idle_timeout_s=args.idle_timeout,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )


async def serve(config: ServerConfig) -> None:
    """Run until SIGINT or SIGTERM."""
    server = SignalServer(config)
    await server.start()
    print(f"krates-signal listening on {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``krates-signal`` and ``python -m krates_desktop.signaling``."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(serve(config_from(args)))
    except RedisError as exc:
        print(f"krates-signal: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"krates-signal: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    return 0
