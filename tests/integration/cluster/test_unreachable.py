"""A cluster whose API refuses connections is reported as unreachable, naming the server."""

from __future__ import annotations

import queue
import socket
import time
from pathlib import Path

from krates_desktop.cluster.cache import CacheStatus, ClusterCache, Unreachable
from krates_desktop.cluster.exec_session import ExecSession, Failed, SessionStatus
from krates_desktop.cluster.health import probe_health
from krates_desktop.cluster.kinds import NAMESPACE, POD
from krates_desktop.cluster.kubeconfig import Kubeconfig


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refused_kubeconfig(tmp_path: Path) -> tuple[Kubeconfig, str]:
    server = f"https://127.0.0.1:{closed_port()}"
    path = tmp_path / "config"
    path.write_text(
        "clusters:\n- name: gone\n  cluster:\n"
        f"    server: {server}\n    insecure-skip-tls-verify: true\n"
        "users:\n- name: u\n  user: {token: t0k3n}\n"
        "contexts:\n- name: gone\n  context: {cluster: gone, user: u}\n"
        "current-context: gone\n",
        encoding="utf-8",
    )
    return Kubeconfig.load([path]), server


def test_cache_reports_unreachable_naming_the_server(tmp_path: Path) -> None:
    """The cache's status becomes Unreachable with a message naming the refused server."""
    config, server = refused_kubeconfig(tmp_path)
    statuses: queue.Queue[CacheStatus] = queue.Queue()
    cache = ClusterCache(
        config.api_client(), kinds=[NAMESPACE, POD], on_status=statuses.put
    )

    cache.start()
    try:
        deadline = time.monotonic() + 5
        status: CacheStatus | None = None
        while time.monotonic() < deadline:
            status = statuses.get(timeout=5)
            if isinstance(status, Unreachable):
                break
    finally:
        started = time.monotonic()
        cache.stop()
        stop_took = time.monotonic() - started

    assert status == Unreachable(
        f"Cannot reach the cluster API at {server}: connection refused"
    )
    assert cache.objects("Pod") == []
    assert stop_took < 2


def test_health_probe_is_false_when_refused(tmp_path: Path) -> None:
    """The /readyz probe answers False for a server that refuses connections."""
    config, _ = refused_kubeconfig(tmp_path)

    assert probe_health(config.api_client(), timeout=2) is False


def test_exec_fails_with_a_sentence_when_refused(tmp_path: Path) -> None:
    """An exec session to a refused server fails with a message naming the server."""
    config, server = refused_kubeconfig(tmp_path)
    statuses: list[SessionStatus] = []
    session = ExecSession(
        config.api_client(), "default", "web-0", None, lambda b: None, statuses.append
    )

    session.start()
    assert session.wait(5)

    assert statuses[-1] == Failed(
        f"Cannot reach the cluster API at {server}: connection refused"
    )
