"""Refused credentials show up as values the UI can print: per kind, per stream, per shell."""

from __future__ import annotations

import re
from pathlib import Path

from kubernetes.client import ApiClient

from krates_desktop.cluster.cache import CacheStatus, ClusterCache, KindDenied, Synced
from krates_desktop.cluster.exec_session import ExecSession, SessionStatus
from krates_desktop.cluster.exec_session import Failed as ExecFailed
from krates_desktop.cluster.kinds import CONFIGMAP, POD
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import Failed as LogFailed
from krates_desktop.cluster.log_stream import LogStream, StreamStatus

from .streams_support import Collector


def wrong_token_client(sandbox_kubeconfig: Path, tmp_path: Path) -> ApiClient:
    text = re.sub(
        r"token: .*", "token: not-the-sandbox-token", sandbox_kubeconfig.read_text()
    )
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    return Kubeconfig.load([path]).api_client("krates-sandbox")


def test_cache_reports_each_refused_kind(
    sandbox_kubeconfig: Path, tmp_path: Path
) -> None:
    """Every refused kind gets a KindDenied, and the cache still settles (nothing to load)."""
    statuses: Collector[CacheStatus] = Collector()
    cache = ClusterCache(
        wrong_token_client(sandbox_kubeconfig, tmp_path),
        kinds=[POD, CONFIGMAP],
        on_status=statuses.add,
    )
    cache.start()
    try:
        statuses.wait_for(lambda got: Synced() in got, timeout=5)
    finally:
        cache.stop()

    denied = [s for s in statuses.items if isinstance(s, KindDenied)]
    assert {s.kind for s in denied} == {POD, CONFIGMAP}
    assert all(
        s.message.startswith("The cluster API rejected the credentials") for s in denied
    )
    assert set(cache.denied) == {POD, CONFIGMAP}


def test_log_stream_says_no_access(sandbox_kubeconfig: Path, tmp_path: Path) -> None:
    """A refused log request ends with a `no access` status naming the pod and namespace."""
    statuses: Collector[StreamStatus] = Collector()
    stream = LogStream(
        wrong_token_client(sandbox_kubeconfig, tmp_path),
        "payments",
        "api-server-7c9d5-x2k4p",
        None,
        lambda lines: None,
        statuses.add,
    )
    stream.start()
    try:
        statuses.wait_for(
            lambda got: any(isinstance(s, LogFailed) for s in got), timeout=5
        )
    finally:
        stream.stop()

    assert statuses.items[-1] == LogFailed(
        "no access: cannot read the logs of pod api-server-7c9d5-x2k4p in ns/payments"
    )


def test_exec_says_no_access(sandbox_kubeconfig: Path, tmp_path: Path) -> None:
    """A refused exec fails with `no access: cannot exec into pod <name> in ns/<ns>`."""
    statuses: list[SessionStatus] = []
    session = ExecSession(
        wrong_token_client(sandbox_kubeconfig, tmp_path),
        "payments",
        "api-server-7c9d5-x2k4p",
        None,
        lambda data: None,
        statuses.append,
    )

    session.start()
    assert session.wait(5)

    assert statuses[-1] == ExecFailed(
        "no access: cannot exec into pod api-server-7c9d5-x2k4p in ns/payments"
    )
