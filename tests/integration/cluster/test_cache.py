"""The cache against the real sandbox: lists, watches, 410 re-lists and metadata-only Secrets."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes.client import ApiClient, CoreV1Api

from krates_desktop.cluster.cache import (
    CacheStatus,
    Change,
    ClusterCache,
    Degraded,
    Synced,
    Unreachable,
)
from krates_desktop.cluster.errors import NotFound
from krates_desktop.cluster.kinds import BUILTIN_KINDS, CONFIGMAP, POD, SECRET
from krates_desktop.cluster.kubeconfig import Kubeconfig

from .tcp_proxy import TcpProxy


class Recorder:
    """Collects the cache's callbacks and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.statuses: list[CacheStatus] = []
        self._cond = threading.Condition()

    def on_changes(self, changes: list[Change]) -> None:
        with self._cond:
            self.changes.extend(changes)
            self._cond.notify_all()

    def on_status(self, status: CacheStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        with self._cond:
            assert self._cond.wait_for(predicate, timeout), "timed out waiting"

    def synced(self) -> bool:
        return bool(self.statuses) and isinstance(self.statuses[-1], Synced)

    def change(self, type_: str, name: str) -> Change | None:
        for change in reversed(self.changes):
            if change.type == type_ and change.obj["metadata"]["name"] == name:
                return change
        return None


def compact_history(sandbox: Any) -> None:
    """Forget the sandbox's event log, as a real API server's compaction would."""

    sandbox.compact()


@pytest.fixture
def client(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")


@pytest.fixture
def run_cache(
    client: ApiClient,
) -> Iterator[Callable[..., tuple[ClusterCache, Recorder]]]:
    caches: list[ClusterCache] = []

    def start(
        api_client: ApiClient = client, **kwargs: Any
    ) -> tuple[ClusterCache, Recorder]:
        recorder = Recorder()
        cache = ClusterCache(
            api_client,
            on_changes=recorder.on_changes,
            on_status=recorder.on_status,
            **kwargs,
        )
        caches.append(cache)
        cache.start()
        return cache, recorder

    yield start
    for cache in caches:
        cache.stop()


def test_cache_lists_every_kind_and_sees_a_label_patch(
    client: ApiClient, run_cache: Callable[..., tuple[ClusterCache, Recorder]]
) -> None:
    """All built-in kinds sync, and a label patched with the client arrives as MODIFIED."""
    cache, recorder = run_cache()
    recorder.wait_for(recorder.synced)
    pods = {p["metadata"]["name"] for p in cache.objects(POD)}
    assert {"api-server-7c9d5-x2k4p", "api-server-7c9d5-r5t7w"} <= pods
    assert cache.get("Deployment", "payments", "api-server") is not None
    assert cache.get("Namespace", None, "payments") is not None
    assert all(kind.kind for kind in BUILTIN_KINDS)

    value = uuid.uuid4().hex[:8]
    CoreV1Api(client).patch_namespaced_pod(
        "api-server-7c9d5-x2k4p",
        "payments",
        {"metadata": {"labels": {"krates-test": value}}},
    )

    def patched() -> bool:
        change = recorder.change("MODIFIED", "api-server-7c9d5-x2k4p")
        labels = change.obj["metadata"].get("labels", {}) if change else {}
        return labels.get("krates-test") == value

    recorder.wait_for(patched, timeout=5)
    cached = cache.get(POD, "payments", "api-server-7c9d5-x2k4p")
    assert cached is not None and cached["metadata"]["labels"]["krates-test"] == value


def test_events_for_finds_an_objects_events_oldest_first(
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
) -> None:
    """The crash-looping pod's events are found through the cache, oldest first."""
    cache, recorder = run_cache()
    recorder.wait_for(recorder.synced)
    crashing = cache.get(POD, "payments", "api-server-7c9d5-r5t7w")
    assert crashing is not None

    events = cache.events_for(crashing)

    assert events, "the seed gives the crash-looping pod events"
    assert any(e.get("reason") == "BackOff" for e in events)
    stamps = [e.get("lastTimestamp") or e.get("eventTime") or "" for e in events]
    assert stamps == sorted(stamps)


def test_secrets_are_cached_without_data(
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
) -> None:
    """Secrets in the cache carry metadata only; fetch_object reads the data on demand."""
    cache, recorder = run_cache(kinds=[SECRET])
    recorder.wait_for(recorder.synced)

    cached = cache.get(SECRET, "payments", "api-tls")
    full = cache.fetch_object(SECRET, "payments", "api-tls")

    assert cached is not None and cached["kind"] == "Secret"
    assert "data" not in cached and "stringData" not in cached
    assert all("data" not in c.obj for c in recorder.changes)
    assert set(full["data"]) >= {"tls.crt", "tls.key"}
    with pytest.raises(NotFound):
        cache.fetch_object(SECRET, "payments", "no-such-secret")


def test_relist_after_410_emits_the_difference(
    sandbox: Any,
    sandbox_kubeconfig: Path,
    client: ApiClient,
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """After an outage during which history was compacted, a re-list emits adds, updates, deletes."""
    core = CoreV1Api(client)
    tag = uuid.uuid4().hex[:6]
    for name in (f"doomed-{tag}", f"changed-{tag}"):
        core.create_namespaced_config_map(
            "default", {"metadata": {"name": name}, "data": {"v": "1"}}
        )
    proxy = TcpProxy(urlsplit(sandbox.url).port).start()
    try:
        proxied_path = tmp_path / "proxied-kubeconfig"
        proxied_path.write_text(
            sandbox_kubeconfig.read_text().replace(
                sandbox.url, f"https://127.0.0.1:{proxy.port}"
            )
        )
        proxied = Kubeconfig.load([proxied_path]).api_client("krates-sandbox")
        cache, recorder = run_cache(proxied, kinds=[CONFIGMAP])
        recorder.wait_for(recorder.synced)
        assert cache.get(CONFIGMAP, "default", f"doomed-{tag}") is not None
        caplog.set_level(logging.WARNING, logger="krates_desktop.cluster.cache")

        proxy.cut()
        core.create_namespaced_config_map(
            "default", {"metadata": {"name": f"fresh-{tag}"}}
        )
        core.delete_namespaced_config_map(f"doomed-{tag}", "default")
        core.patch_namespaced_config_map(
            f"changed-{tag}", "default", {"data": {"v": "2"}}
        )
        compact_history(sandbox)
        recorder.wait_for(
            lambda: any(
                isinstance(s, Unreachable | Degraded) for s in recorder.statuses
            )
        )
        proxy.restore()

        recorder.wait_for(
            lambda: bool(
                recorder.change("ADDED", f"fresh-{tag}")
                and recorder.change("DELETED", f"doomed-{tag}")
                and recorder.change("MODIFIED", f"changed-{tag}")
            ),
            timeout=15,
        )
        recorder.wait_for(recorder.synced)
    finally:
        proxy.close()

    assert "listing again" in caplog.text
    assert cache.get(CONFIGMAP, "default", f"doomed-{tag}") is None
    changed = cache.get(CONFIGMAP, "default", f"changed-{tag}")
    assert changed is not None and changed["data"] == {"v": "2"}
    untouched = [
        c for c in recorder.changes if c.obj["metadata"]["name"] == "api-config"
    ]
    assert [c.type for c in untouched] == ["ADDED"], (
        "unchanged objects must not flicker"
    )


def test_stop_returns_quickly_while_watches_are_open(
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
) -> None:
    """Stopping a synced cache ends every informer thread within a second or two."""
    cache, recorder = run_cache()
    recorder.wait_for(recorder.synced)

    started = time.monotonic()
    cache.stop()

    assert time.monotonic() - started < 2
    assert not [t for t in threading.enumerate() if t.name.startswith("informer-")]


def test_watch_restarts_resume_without_flicker(
    client: ApiClient,
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Watches that time out resume from the last version: no re-list, no repeated changes."""
    caplog.set_level(logging.DEBUG, logger="krates_desktop.cluster")
    cache, recorder = run_cache(kinds=[CONFIGMAP], watch_timeout=1)
    recorder.wait_for(recorder.synced)
    initial = len(recorder.changes)

    time.sleep(2.5)
    name = f"late-{uuid.uuid4().hex[:6]}"
    CoreV1Api(client).create_namespaced_config_map(
        "default", {"metadata": {"name": name}}
    )
    recorder.wait_for(lambda: recorder.change("ADDED", name) is not None, timeout=5)

    assert len(recorder.changes) == initial + 1
    assert caplog.text.count("listed ") == 1
    watches = [r for r in caplog.records if r.getMessage().startswith("GET ")]
    assert len(watches) >= 3, "the list and at least two watches"
    assert recorder.statuses[-1] == Synced()


def test_two_windows_share_one_informer_per_kind(
    client: ApiClient, run_cache: Callable[..., tuple[ClusterCache, Recorder]]
) -> None:
    """A second cache on the same context reuses the informers, gets the objects at once,
    and keeps watching after the first one stops."""
    from krates_desktop.cluster.informer import shared_count

    before = shared_count()
    first, first_recorder = run_cache(kinds=[CONFIGMAP])
    first_recorder.wait_for(first_recorder.synced)
    second, second_recorder = run_cache(kinds=[CONFIGMAP])
    second_recorder.wait_for(second_recorder.synced)

    assert shared_count() == before + 1
    assert {c.obj["metadata"]["name"] for c in second_recorder.changes} == {
        o["metadata"]["name"] for o in first.objects(CONFIGMAP)
    }
    first.stop()
    name = f"shared-{uuid.uuid4().hex[:6]}"
    CoreV1Api(client).create_namespaced_config_map(
        "default", {"metadata": {"name": name}}
    )
    second_recorder.wait_for(lambda: second_recorder.change("ADDED", name) is not None)
    second.stop()
    assert shared_count() == before


def test_a_followed_pod_is_whole_until_let_go(
    run_cache: Callable[..., tuple[ClusterCache, Recorder]],
) -> None:
    """Following a pod (a YAML window) gives its full spec; closing returns it to compact."""
    cache, recorder = run_cache(kinds=[POD])
    recorder.wait_for(recorder.synced)
    compact_pod = cache.get(POD, "payments", "api-server-7c9d5-x2k4p")
    assert compact_pod is not None and "env" not in compact_pod["spec"]["containers"][0]

    hold = cache.follow(POD, "payments", "api-server-7c9d5-x2k4p")
    recorder.wait_for(
        lambda: (
            "env"
            in (cache.get(POD, "payments", "api-server-7c9d5-x2k4p") or {})
            .get("spec", {})
            .get("containers", [{}])[0]
        )
    )
    full = cache.get(POD, "payments", "api-server-7c9d5-x2k4p")
    hold.close()

    assert full is not None and full["spec"]["tolerations"]
    assert any(c.type == "MODIFIED" and c.obj is full for c in recorder.changes), (
        "the window hears of the whole object"
    )
    after = cache.get(POD, "payments", "api-server-7c9d5-x2k4p")
    assert after is not None and "env" not in after["spec"]["containers"][0]
