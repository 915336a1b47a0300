"""Peers and the signaling server in separate processes: kills, restarts, offline edits."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from krates_desktop.sync.session import SIGNALING_DOWN
from krates_desktop.yard.model import ObjRef, krate_id
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

REPO = Path(__file__).resolve().parents[3]


@contextmanager
def process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """A child Python process, killed (by its pid) if the test leaves it running."""
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)


async def read_line(
    child: subprocess.Popen[str], prefix: str, timeout: float = 20
) -> str:
    """Wait for a line of the child's output that starts with ``prefix``."""
    assert child.stdout is not None
    loop = asyncio.get_running_loop()
    while True:
        line = await asyncio.wait_for(
            loop.run_in_executor(None, child.stdout.readline), timeout
        )
        if not line:
            raise AssertionError(f"the child exited before printing {prefix!r}")
        if line.startswith(prefix):
            return line.strip()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def state_of(path: Path) -> Any:
    """The krates a peer process last wrote."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def test_a_killed_peer_returns_with_its_offline_edits(tmp_path: Path) -> None:
    """A peer killed with SIGKILL, edited offline and restarted merges both sides' edits."""

    async def scenario() -> tuple[Any, Any, list[str]]:
        server = await start_server()
        first, invite = founder(server.url)
        await first.start()
        state = tmp_path / "state.json"
        peer_args = (
            "-m",
            "tests.integration.sync.peer_process",
            "--link",
            invite.to_link(),
            "--store",
            str(tmp_path / "b"),
            "--state",
            str(state),
        )
        try:
            with process(*peer_args, "--ops", "12", "--seed", "5") as child:
                await read_line(child, "READY")
                await wait_for(
                    lambda: first.state() == state_of(state), 10, "B's edits at A"
                )
                child.send_signal(signal.SIGKILL)
            random_ops(first, __import__("random").Random(9), 10)
            with process(
                *peer_args, "--offline", "--open", "offline-1", "--open", "offline-2"
            ) as child:
                await read_line(child, "READY")
                assert child.wait(10) == 0
            with process(*peer_args) as child:
                await read_line(child, "READY")
                await wait_for(
                    lambda: first.state() == state_of(state), 15, "the merge"
                )
                child.send_signal(signal.SIGTERM)
                child.wait(10)
            names = sorted(
                k.label
                for k in first.yard.krates.values()
                if k.obj_ref.namespace == "offline"
            )
            return first.state(), state_of(state), names
        finally:
            await stop_all([first], server)

    at_first, at_second, offline = asyncio.run(scenario())
    assert at_first == at_second
    assert offline == ["offline-1", "offline-2"]
    assert krate_id(ObjRef("Pod", "", "v1", "offline", "offline-1")) in at_first


def test_peers_keep_syncing_while_signaling_restarts(tmp_path: Path) -> None:
    """With the signaling process killed, linked peers still sync; a newcomer joins once it is back."""
    port = free_port()
    serve = (
        "-m",
        "krates_desktop.signaling",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    url = f"ws://127.0.0.1:{port}/"

    async def scenario() -> tuple[Any, Any, Any]:
        peers = []
        with process(*serve) as signal_server:
            await read_line(signal_server, "krates-signal listening")
            first, invite = founder(url)
            second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
            peers += [first, second]
            await first.start()
            await second.start()
            await wait_for(all_synced(peers), 10, "the pair to sync")
            signal_server.send_signal(signal.SIGKILL)
            signal_server.wait(5)
        try:
            await wait_for(
                lambda: first.session.signaling.status.state == "reconnecting",
                5,
                "signaling to drop",
            )
            krate, _, _ = first.yard.open_view(REFS[0], "logs", (6000, 4000))
            await wait_for(
                lambda: krate.id in second.yard.krates, 5, "sync without signaling"
            )
            during = second.session.status
            third = peer_from_invite(invite.to_link(), "Kai Lin", 3)
            peers.append(third)
            await third.start()
            await asyncio.sleep(0.5)
            before_restart = third.session.status
            with process(*serve) as signal_server:
                await read_line(signal_server, "krates-signal listening")
                await wait_for(all_synced(peers), 15, "the newcomer to join")
                await wait_for(converged(peers), 10, "convergence")
                after = third.session.status
                await stop_all(peers)
                return during, before_restart, after
        finally:
            await stop_all(peers)

    during, before_restart, after = asyncio.run(scenario())
    assert during.state == "synced" and during.reason == SIGNALING_DOWN
    assert before_restart.state in ("connecting", "offline")
    assert after.state == "synced" and after.peers == 2
