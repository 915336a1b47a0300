"""Restricted users against the sandbox's RBAC: a viewer and a user bound to one namespace.

Access reviews decide what is offered; a user who may not list namespaces or a
kind cluster-wide falls back to the context's namespace (C08); a 403 is
reported for that kind and namespace only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from krates_desktop.cluster.access import Access, Question
from krates_desktop.cluster.cache import CacheStatus, ClusterCache, KindDenied, Synced
from krates_desktop.cluster.exec_session import ExecSession, Failed
from krates_desktop.cluster.kinds import BUILTIN_KINDS, NAMESPACE, POD, SECRET
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.log_stream import LogStream, Streaming

from .streams_support import Collector

ADMIN = "krates-sandbox"
VIEWER = "krates-sandbox-viewer"
TEAM = "krates-sandbox-payments"

Start = Callable[..., tuple[ClusterCache, Collector[Any], Collector[CacheStatus]]]


@pytest.fixture
def config(sandbox_kubeconfig: Path) -> Kubeconfig:
    return Kubeconfig.load([sandbox_kubeconfig])


@pytest.fixture
def start_cache(config: Kubeconfig) -> Iterator[Start]:
    caches: list[ClusterCache] = []

    def start(
        context: str, **kwargs: Any
    ) -> tuple[ClusterCache, Collector[Any], Collector[CacheStatus]]:
        changes: Collector[Any] = Collector()
        statuses: Collector[CacheStatus] = Collector()
        cache = ClusterCache(
            config.api_client(context),
            on_changes=changes.extend,
            on_status=statuses.add,
            **kwargs,
        )
        caches.append(cache)
        cache.start()
        return cache, changes, statuses

    yield start
    for cache in caches:
        cache.stop()


def test_access_reviews_say_what_each_user_may_do(config: Kubeconfig) -> None:
    """The admin may do all, the viewer may read but not exec or read secrets, the team user only in its namespace."""
    admin, viewer, team = (Access(config.api_client(c)) for c in (ADMIN, VIEWER, TEAM))

    assert admin.can_exec("payments") and admin.can_read_secrets("checkout")
    assert viewer.can_read_logs("payments") and viewer.can_list(POD)
    assert not viewer.can_exec("payments") and not viewer.can_read_secrets("payments")
    assert team.can_exec("payments") and team.can_read_secrets("payments")
    assert not team.can_exec("checkout") and not team.can_list_namespaces()
    assert not team.can_list(POD) and team.can_list(POD, "payments")
    assert team.known(Question("list", "namespaces")) is False


def test_team_user_falls_back_to_its_namespace(start_cache: Start) -> None:
    """Without cluster-wide rights the cache watches the context's namespace and settles."""
    cache, _, statuses = start_cache(TEAM)
    statuses.wait_for(lambda got: Synced() in got, timeout=10)

    pods = cache.objects(POD)
    assert pods and {p["metadata"]["namespace"] for p in pods} == {"payments"}
    assert cache.watched_namespaces(POD) == ["payments"]
    assert cache.get(SECRET, "payments", "api-tls") is not None
    assert cache.namespaces() == ["payments"]
    denied = [s for s in statuses.items if isinstance(s, KindDenied)]
    assert [(s.kind, s.namespace) for s in denied] == [(NAMESPACE, None)]
    assert set(cache.denied) == {NAMESPACE}
    assert (POD, None) in cache.no_access()


def _team_cache_with_checkout(
    start_cache: Start,
) -> tuple[ClusterCache, Collector[CacheStatus]]:
    """The team's pod cache, synced, once `checkout` (forbidden) was added and refused."""
    cache, _, statuses = start_cache(TEAM, kinds=[POD])
    statuses.wait_for(lambda got: Synced() in got, timeout=10)
    cache.add_namespaces(["checkout"])
    statuses.wait_for(
        lambda got: any(
            isinstance(s, KindDenied) and s.namespace == "checkout" for s in got
        )
    )
    return cache, statuses


def test_a_namespace_added_by_hand_that_is_forbidden_is_reported_alone(
    start_cache: Start,
) -> None:
    """Adding a namespace the user may not read gives a KindDenied for that namespace only."""
    cache, statuses = _team_cache_with_checkout(start_cache)

    denied = next(s for s in statuses.items if isinstance(s, KindDenied))
    assert denied.kind == POD
    assert (
        'cannot list resource "pods"' in denied.message and "checkout" in denied.message
    )
    assert cache.watched_namespaces(POD) == ["payments", "checkout"]
    assert {p["metadata"]["namespace"] for p in cache.objects(POD)} == {"payments"}
    assert cache.denied == {}
    statuses.wait_for(lambda got: isinstance(got[-1], Synced))


def test_a_namespace_removed_again_is_no_longer_watched(start_cache: Start) -> None:
    """Removing an added namespace stops its watch and its refusal; the context's
    namespace cannot be removed."""
    cache, _ = _team_cache_with_checkout(start_cache)

    cache.remove_namespaces(["checkout", "payments"])

    assert cache.watched_namespaces(POD) == ["payments"]
    assert (POD, "checkout") not in cache.no_access()
    assert cache.namespaces() == ["payments"]
    assert {p["metadata"]["namespace"] for p in cache.objects(POD)} == {"payments"}


def test_each_context_keeps_its_own_namespace_after_a_switch(
    config: Kubeconfig, start_cache: Start
) -> None:
    """Switching from the admin to the team context watches the team's namespace, not the last one (C08)."""
    admin_cache, _, admin_statuses = start_cache(
        ADMIN, kinds=[POD], namespaces=["checkout"]
    )
    admin_statuses.wait_for(lambda got: Synced() in got)
    assert admin_cache.watched_namespaces(POD) == ["checkout"]

    team_cache, _, team_statuses = start_cache(TEAM, kinds=[POD])
    team_statuses.wait_for(lambda got: Synced() in got)

    assert team_cache.watched_namespaces(POD) == ["payments"]
    assert not any(isinstance(s, KindDenied) for s in team_statuses.items)


def test_viewer_sees_everything_but_secrets_and_gets_a_clear_exec_refusal(
    config: Kubeconfig, start_cache: Start
) -> None:
    """The viewer's Secrets are refused (only they), logs stream, and exec says no access."""
    cache, _, statuses = start_cache(
        VIEWER, kinds=[k for k in BUILTIN_KINDS if k.kind != "Event"]
    )
    statuses.wait_for(lambda got: Synced() in got, timeout=10)
    client = config.api_client(VIEWER)
    exec_statuses: list[Any] = []
    session = ExecSession(
        client,
        "payments",
        "api-server-7c9d5-x2k4p",
        None,
        lambda b: None,
        exec_statuses.append,
    )
    log_statuses: Collector[Any] = Collector()
    stream = LogStream(
        client,
        "payments",
        "api-server-7c9d5-x2k4p",
        None,
        lambda lines: None,
        log_statuses.add,
    )

    session.start()
    stream.start()
    try:
        assert session.wait(10)
        log_statuses.wait_for(lambda got: Streaming() in got)
    finally:
        stream.stop()

    assert set(cache.denied) == {SECRET}
    assert cache.objects(POD)
    assert exec_statuses[-1] == Failed(
        "no access: cannot exec into pod api-server-7c9d5-x2k4p in ns/payments"
    )
