"""The cache against the sandbox's fault switch: 429 with Retry-After, 500, dropped
connections, and history compacted while a watch is down. Each time the cache must
converge to the server's state with no duplicate additions and no lost deletions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient, CoreV1Api

from krates_desktop.cluster import streams
from krates_desktop.cluster.cache import (
    CacheStatus,
    Change,
    ClusterCache,
    Degraded,
    Synced,
)
from krates_desktop.cluster.kinds import CONFIGMAP
from krates_desktop.cluster.kubeconfig import Kubeconfig

from .streams_support import Collector

PATH = "/api/v1/configmaps"


@pytest.fixture
def admin(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")


@pytest.fixture
def faults(sandbox: Any) -> Iterator[Any]:
    yield sandbox.faults
    sandbox.faults.clear()


def server_names(admin: ApiClient) -> set[tuple[str, str]]:
    """The server's ConfigMaps in default (read on a path the faults do not touch)."""
    items = CoreV1Api(admin).list_namespaced_config_map("default").items
    return {(i.metadata.namespace, i.metadata.name) for i in items}


def cached_names(cache: ClusterCache) -> set[tuple[str, str]]:
    objects = cache.objects(CONFIGMAP)
    return {
        ("default", o["metadata"]["name"])
        for o in objects
        if o["metadata"]["namespace"] == "default"
    }


def assert_clean_history(changes: list[Change]) -> None:
    """Per object: no addition while present, no deletion while absent."""
    present: dict[tuple[str, str], bool] = {}
    for change in changes:
        meta = change.obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if change.type == "ADDED":
            assert not present.get(key), f"{key} added twice"
            present[key] = True
        elif change.type == "DELETED":
            assert present.get(key), f"{key} deleted while absent"
            present[key] = False
        else:
            assert present.get(key), f"{key} modified while absent"


def converge(cache: ClusterCache, admin: ApiClient, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cached_names(cache) == server_names(admin):
            return
        time.sleep(0.2)
    assert cached_names(cache) == server_names(admin)


def start(
    client: ApiClient, **kwargs: Any
) -> tuple[ClusterCache, Collector[Change], Collector[CacheStatus]]:
    changes: Collector[Change] = Collector()
    statuses: Collector[CacheStatus] = Collector()
    cache = ClusterCache(
        client,
        kinds=[CONFIGMAP],
        on_changes=changes.extend,
        on_status=statuses.add,
        **kwargs,
    )
    cache.start()
    return cache, changes, statuses


def test_429_is_waited_out_as_the_server_asks(admin: ApiClient, faults: Any) -> None:
    """Two 429s with Retry-After: 1 delay the list by about two seconds, then it syncs."""
    streams.BOOK.reset()
    faults.throttle(count=2, retry_after=1, path=PATH)
    started = time.monotonic()
    cache, changes, statuses = start(admin)
    try:
        statuses.wait_for(lambda got: Synced() in got, timeout=10)
        took = time.monotonic() - started
        converge(cache, admin)
    finally:
        cache.stop()

    assert 1.9 <= took < 6
    assert not any(isinstance(s, Degraded) for s in statuses.items)
    stats = streams.snapshot()["krates-sandbox"]
    assert stats.errors.get("list 429") == 2
    assert_clean_history(changes.items)


def test_500s_degrade_then_recover(admin: ApiClient, faults: Any) -> None:
    """Failing lists show Degraded, back off, and end Synced with the server's objects."""
    faults.fail(count=2, path=PATH)
    cache, changes, statuses = start(admin)
    try:
        statuses.wait_for(lambda got: Synced() in got, timeout=15)
        converge(cache, admin)
    finally:
        cache.stop()

    degraded = [s for s in statuses.items if isinstance(s, Degraded)]
    assert degraded and "answered 500" in degraded[0].message
    assert_clean_history(changes.items)


def test_dropped_watches_reconnect_without_losing_changes(
    admin: ApiClient, faults: Any
) -> None:
    """Watch reconnects that are dropped still end with every add and delete applied once."""
    cache, changes, statuses = start(admin, watch_timeout=1)
    tag = uuid.uuid4().hex[:6]
    core = CoreV1Api(admin)
    try:
        statuses.wait_for(lambda got: Synced() in got)
        faults.drop(count=3, path=PATH)
        for index in range(4):
            core.create_namespaced_config_map(
                "default", {"metadata": {"name": f"drop-{tag}-{index}"}}
            )
        core.delete_namespaced_config_map(f"drop-{tag}-0", "default")
        time.sleep(2.5)
        core.delete_namespaced_config_map(f"drop-{tag}-1", "default")
        converge(cache, admin)
    finally:
        cache.stop()

    assert faults.pending() == []
    assert ("default", f"drop-{tag}-0") not in cached_names(cache)
    assert ("default", f"drop-{tag}-3") in cached_names(cache)
    assert_clean_history(changes.items)


def test_compaction_while_the_watch_is_down_relists_with_a_diff(
    admin: ApiClient, sandbox: Any, faults: Any
) -> None:
    """History compacted during an outage gives a 410; the re-list emits only the difference."""
    tag = uuid.uuid4().hex[:6]
    core = CoreV1Api(admin)
    core.create_namespaced_config_map("default", {"metadata": {"name": f"gone-{tag}"}})
    cache, changes, statuses = start(admin, watch_timeout=1)
    try:
        statuses.wait_for(lambda got: Synced() in got)
        before = len(changes.items)
        faults.drop(count=2, path=PATH)
        core.delete_namespaced_config_map(f"gone-{tag}", "default")
        core.create_namespaced_config_map(
            "default", {"metadata": {"name": f"new-{tag}"}}
        )
        sandbox.compact()
        converge(cache, admin)
    finally:
        cache.stop()

    later = changes.items[before:]
    assert {(c.type, c.obj["metadata"]["name"]) for c in later} >= {
        ("DELETED", f"gone-{tag}"),
        ("ADDED", f"new-{tag}"),
    }
    assert all(
        c.obj["metadata"]["name"] in (f"gone-{tag}", f"new-{tag}") for c in later
    )
    assert_clean_history(changes.items)
