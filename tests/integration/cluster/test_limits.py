"""Caps on shells and log streams per context, and the health figures that count them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.client import ApiClient

from krates_desktop.cluster import streams
from krates_desktop.cluster.cache import ClusterCache, Synced
from krates_desktop.cluster.exec_session import (
    Connected,
    Disconnected,
    ExecSession,
    Failed,
)
from krates_desktop.cluster.kinds import CONFIGMAP, POD
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import Failed as LogFailed
from krates_desktop.cluster.log_stream import LogStream, Streaming

from .streams_support import Collector

POD_NAME = "api-server-7c9d5-x2k4p"
CONTEXT = "krates-sandbox"


@pytest.fixture
def client(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client(CONTEXT)


@pytest.fixture
def small_limits() -> Iterator[streams.Limits]:
    saved = streams.BOOK.limits
    streams.BOOK.limits = streams.Limits(logs=2, shells=2)
    yield streams.BOOK.limits
    streams.BOOK.limits = saved


def shell(client: ApiClient) -> tuple[ExecSession, Collector[object]]:
    statuses: Collector[object] = Collector()
    session = ExecSession(
        client, "payments", POD_NAME, None, lambda b: None, statuses.add
    )
    session.start()
    return session, statuses


def test_one_shell_past_the_cap_says_which_limit_and_can_close_the_oldest(
    client: ApiClient, small_limits: streams.Limits
) -> None:
    """The third shell fails at once naming the limit; closing the oldest lets a new one open."""
    sessions = []
    try:
        for _ in range(2):
            session, statuses = shell(client)
            statuses.wait_for(lambda got: Connected() in got)
            sessions.append((session, statuses))
        assert streams.snapshot()[CONTEXT].shells == 2

        extra, extra_statuses = shell(client)
        refused = extra_statuses.items[-1]
        assert isinstance(refused, Failed) and refused.limit is not None
        assert refused.message.startswith(
            f"2 shells are already open on {CONTEXT}, the most allowed"
        )
        assert (
            "close the oldest (<ExecSession payments/api-server-7c9d5-x2k4p>)"
            in refused.message
        )

        refused.limit.close_oldest()
        first_statuses = sessions[0][1]
        first_statuses.wait_for(lambda got: Disconnected("closed") in got)
        assert sessions[0][0].wait(3)
        again, again_statuses = shell(client)
        sessions.append((again, again_statuses))
        again_statuses.wait_for(lambda got: Connected() in got)
        assert streams.snapshot()[CONTEXT].shells == 2
    finally:
        for session, _ in sessions:
            session.close()
            session.wait(3)


def test_health_figures_count_what_is_open(
    client: ApiClient, small_limits: streams.Limits
) -> None:
    """Watches, log streams and shells open now are counted, with latency and the refused one."""
    streams.BOOK.reset()
    statuses: Collector[object] = Collector()
    cache = ClusterCache(client, kinds=[POD, CONFIGMAP], on_status=statuses.add)
    log_statuses: list[Collector[object]] = [Collector() for _ in range(3)]
    logs = [
        LogStream(client, "payments", POD_NAME, None, lambda lines: None, s.add)
        for s in log_statuses
    ]
    session, shell_statuses = shell(client)
    cache.start()
    for stream in logs:
        stream.start()
    try:
        statuses.wait_for(lambda got: Synced() in got)
        shell_statuses.wait_for(lambda got: Connected() in got)
        for collector in log_statuses[:2]:
            collector.wait_for(lambda got: Streaming() in got)
        figures = streams.snapshot()[CONTEXT]
    finally:
        for stream in logs:
            stream.stop()
        session.close()
        session.wait(3)
        cache.stop()

    assert isinstance(log_statuses[2].items[-1], LogFailed)
    assert (figures.watches, figures.log_streams, figures.shells) == (2, 2, 1)
    assert {"list", "watch", "log", "exec", "get"} <= set(figures.latency)
    assert figures.latency["list"].count >= 2
    assert 0 < figures.latency["list"].p50 <= figures.latency["list"].p99
    after = streams.snapshot()[CONTEXT]
    assert (after.watches, after.log_streams, after.shells) == (0, 0, 0)
    assert set(figures.as_dict()) >= {"watches", "latency_ms", "errors", "reconnects"}
