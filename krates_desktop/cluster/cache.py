"""The in-memory view of one cluster: the watched kinds, kept current by informers.

A :class:`ClusterCache` asks the shared informers (:mod:`.informer`) for each kind
it watches, cluster-wide by default or in the namespaces of a namespace filter.
When a cluster-wide list is forbidden (RBAC), that kind is watched namespace by
namespace instead: in the context's namespace, the namespaces added with
:meth:`ClusterCache.add_namespaces` (the yard's, the user's; taken back with
:meth:`ClusterCache.remove_namespaces`) and those of the filter. A namespace
that is still forbidden is reported as :class:`KindDenied` for that kind and
namespace only; the rest of the cache goes on.

Changes reach ``on_changes`` in batches, at most once per ``batch_interval`` (10
per second by default), with several changes of one object folded into one; the
overall state reaches ``on_status`` as frozen values, in order with the changes.
Both callbacks run on worker threads. Events, which only Describe reads, are
listed after the other kinds so that spotlight has everything else first.

Objects handed out are compact (:mod:`.records`) and shared: callers must not
modify them. :meth:`ClusterCache.follow` keeps one object whole while a window
shows it; Secrets never carry ``data`` unless followed or fetched.

Limitations: cluster-scoped kinds have no per-namespace fallback, so a user who
may not list namespaces sees none in the Namespace kind;
:meth:`ClusterCache.namespaces` then returns the fallback list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.batching import Batcher
from krates_desktop.cluster.describe import event_time
from krates_desktop.cluster.informer import (
    PAGE_SIZE,
    WATCH_TIMEOUT,
    Change,
    ChangeType,
    Informer,
    State,
    acquire,
    identity,
    release,
)
from krates_desktop.cluster.kinds import BUILTIN_KINDS, EVENT, NAMESPACE, Kind
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

__all__ = [
    "PAGE_SIZE",
    "WATCH_TIMEOUT",
    "CacheStatus",
    "Change",
    "ChangeType",
    "ClusterCache",
    "Degraded",
    "Follow",
    "KindDenied",
    "Loading",
    "Synced",
    "Unreachable",
    "coalesce",
]


@dataclass(frozen=True)
class Loading:
    """The first lists are under way: ``kinds_done`` of ``kinds_total`` are in."""

    kinds_done: int
    kinds_total: int


@dataclass(frozen=True)
class Synced:
    """Every kind is listed and its watch is running (denied kinds aside)."""


@dataclass(frozen=True)
class Degraded:
    """A watch broke and is reconnecting; the cache keeps its last content."""

    message: str


@dataclass(frozen=True)
class Unreachable:
    """The cluster API cannot be reached; ``message`` names the server."""

    message: str


@dataclass(frozen=True)
class KindDenied:
    """The cluster refuses ``kind`` (in ``namespace``, or cluster-wide when None)."""

    kind: Kind
    message: str
    namespace: str | None = None


CacheStatus = Loading | Synced | Degraded | Unreachable | KindDenied

_SETTLED: frozenset[State] = frozenset({"synced", "denied", "forbidden"})
Mode = Literal["cluster", "namespaces"]


@dataclass
class _View:
    """How one kind is watched by this cache, and through which informers."""

    kind: Kind
    mode: Mode
    informers: dict[str | None, Informer] = field(default_factory=dict)
    cluster_message: str = ""
    switching: bool = False


class Follow:
    """A window's hold on one whole object; :meth:`close` lets it go."""

    def __init__(
        self, informer: Informer | None, namespace: str | None, name: str
    ) -> None:
        self._informer = informer
        self._namespace = namespace
        self._name = name
        self._closed = False
        if informer is not None:
            informer.follow(namespace, name)

    def close(self) -> None:
        """Stop keeping the whole object (Secret data is dropped)."""
        if self._closed or self._informer is None:
            return
        self._closed = True
        self._informer.unfollow(self._namespace, self._name)

    def __repr__(self) -> str:
        return f"<Follow {self._namespace or ''}/{self._name}>"


class ClusterCache:
    """Objects of the watched kinds, kept current by shared list-then-watch informers."""

    def __init__(
        self,
        api_client: ApiClient,
        kinds: Sequence[Kind] = BUILTIN_KINDS,
        on_changes: Callable[[list[Change]], None] | None = None,
        on_status: Callable[[CacheStatus], None] | None = None,
        batch_interval: float = 0.1,
        *,
        watch_timeout: int = WATCH_TIMEOUT,
        namespaces: Sequence[str] | None = None,
        extra_namespaces: Iterable[str] = (),
        deferred: Sequence[Kind] = (EVENT,),
    ) -> None:
        self._configuration = api_client.configuration
        self._kinds = tuple(kinds)
        self._base_keys = frozenset(k.key for k in self._kinds)
        self._client = new_api_client(self._configuration)
        self._on_changes = on_changes or (lambda changes: None)
        self._on_status = on_status or (lambda status: None)
        self._watch_timeout = watch_timeout
        self._filter = (
            list(dict.fromkeys(namespaces)) if namespaces is not None else None
        )
        home = str(getattr(self._configuration, "krates_namespace", "") or "default")
        self._kept = {home, *(self._filter or [])}
        self._fallback = list(
            dict.fromkeys([home, *extra_namespaces, *(self._filter or [])])
        )
        self._deferred = {k.key for k in deferred} & {k.key for k in self._kinds}
        self._lock = threading.RLock()
        self._views: dict[tuple[str, str, str], _View] = {}
        self._states: dict[
            tuple[tuple[str, str, str], str | None], tuple[State, str]
        ] = {}
        self._status: CacheStatus = Loading(0, len(self._kinds))
        self._started_deferred = False
        self._stopping = threading.Event()
        # Statuses travel with the changes, so Synced never overtakes the objects.
        self._batcher: Batcher[Change | CacheStatus] = Batcher(
            self._deliver, batch_interval, name="cache-changes", merge=_coalesce_runs
        )

    def __repr__(self) -> str:
        return f"<ClusterCache {self.server} {len(self._kinds)} kinds>"

    @property
    def server(self) -> str:
        """The URL of the cluster API."""
        return api.server_of(self._client)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """Every kind watched now: those given, then the extra ones (custom resources)."""
        with self._lock:
            return self._kinds

    def set_extra_kinds(self, kinds: Iterable[Kind]) -> None:
        """Watch exactly these kinds besides the ones given at construction.

        For custom resources as discovery finds them: new kinds are listed and
        watched; kinds no longer given stop, and their objects are reported deleted.
        """
        wanted = {k.key: k for k in kinds if k.key not in self._base_keys}
        with self._lock:
            if self._stopping.is_set():
                return
            gone = {k.key for k in self._kinds if k.key not in self._base_keys} - set(
                wanted
            )
            added = [k for key, k in wanted.items() if key not in self._views]
            self._kinds = tuple(k for k in self._kinds if k.key not in gone) + tuple(
                added
            )
            views = [self._views.pop(key) for key in gone if key in self._views]
            for state in [key for key in self._states if key[0] in gone]:
                del self._states[state]
        for view in views:
            informers = _live(view)
            deleted = [
                Change("DELETED", view.kind, o) for i in informers for o in i.objects()
            ]
            if deleted:
                self._batcher.add(deleted)
            for informer in informers:
                release(informer, self)
        if added or views:
            log.info("custom kinds: %d added, %d removed", len(added), len(views))
        for kind in added:
            self._watch(kind)
        self._update_status()

    @property
    def status(self) -> CacheStatus:
        """The current overall status."""
        with self._lock:
            return self._status

    @property
    def denied(self) -> dict[Kind, str]:
        """The kinds of which nothing at all may be read, with the cluster's message."""
        with self._lock:
            found: dict[Kind, str] = {}
            for view in self._views.values():
                states = [
                    self._states.get((view.kind.key, ns)) for ns in view.informers
                ]
                if states and all(
                    s and s[0] in ("denied", "forbidden") for s in states
                ):
                    found[view.kind] = states[0][1] if states[0] else ""
            return found

    def no_access(self) -> dict[tuple[Kind, str | None], str]:
        """Every (kind, namespace) the cluster refuses, None meaning cluster-wide."""
        with self._lock:
            found: dict[tuple[Kind, str | None], str] = {}
            for view in self._views.values():
                if view.cluster_message:
                    found[(view.kind, None)] = view.cluster_message
                for ns in view.informers:
                    state = self._states.get((view.kind.key, ns))
                    if state and state[0] in ("denied", "forbidden"):
                        found[(view.kind, ns)] = state[1]
            return found

    def watched_namespaces(self, kind: Kind | str) -> list[str] | None:
        """The namespaces ``kind`` is watched in, or None when watched cluster-wide."""
        with self._lock:
            view = self._views.get(self._kind(kind).key)
            if view is None or view.mode == "cluster":
                return None
            return [ns for ns in view.informers if ns is not None]

    def start(self) -> None:
        """Start watching; the first status is ``Loading(0, n)``."""
        log.info("cache starting for %s (%d kinds)", self.server, len(self._kinds))
        self._batcher.start()
        self._batcher.add([self._status])
        for kind in self._kinds:
            if kind.key not in self._deferred:
                self._watch(kind)
        if not self._deferred:
            self._started_deferred = True

    def stop(self, timeout: float = 3.0) -> None:
        """Stop every informer this cache uses and the batcher, within about ``timeout``."""
        self._stopping.set()
        with self._lock:
            informers = [i for v in self._views.values() for i in _live(v)]
        stopped = [i for i in informers if release(i, self)]
        deadline = time.monotonic() + timeout
        for informer in stopped:
            informer.join(max(0.0, deadline - time.monotonic()))
        self._batcher.stop()
        self._client.close()
        log.info("cache stopped for %s", self.server)

    def add_namespaces(self, namespaces: Iterable[str]) -> None:
        """Also watch these namespaces for kinds watched namespace by namespace."""
        with self._lock:
            new = [ns for ns in namespaces if ns and ns not in self._fallback]
            self._fallback.extend(new)
            views = [v for v in self._views.values() if v.mode == "namespaces"]
        for view in views:
            for ns in new:
                self._add_informer(view, ns)

    def remove_namespaces(self, namespaces: Iterable[str]) -> None:
        """Stop watching namespaces added before; their objects are reported deleted.

        The context's namespace and those of the filter are always watched.
        """
        with self._lock:
            gone = {ns for ns in namespaces if ns in self._fallback} - self._kept
            self._fallback = [ns for ns in self._fallback if ns not in gone]
            dropped: list[tuple[Kind, Informer | None]] = []
            for view in self._views.values():
                for ns in gone if view.mode == "namespaces" else ():
                    self._states.pop((view.kind.key, ns), None)
                    if ns in view.informers:
                        dropped.append((view.kind, view.informers.pop(ns)))
        for kind, informer in dropped:
            if informer is None:
                continue
            deleted = [Change("DELETED", kind, o) for o in informer.objects()]
            if deleted:
                self._batcher.add(deleted)
            release(informer, self)
        self._update_status()

    def namespaces(self) -> list[str]:
        """The namespaces known: listed ones, else the context's and those added."""
        names = [
            str((ns.get("metadata") or {}).get("name") or "")
            for ns in self._objects_of(NAMESPACE.key)
        ]
        listed = sorted(n for n in names if n)
        return listed or list(self._fallback)

    def objects(self, kind: Kind | str) -> list[dict[str, Any]]:
        """Every cached object of ``kind``."""
        key = self._key_of(kind)
        return self._objects_of(key)

    def count(self, kind: Kind | str) -> int:
        """How many objects of ``kind`` are cached."""
        key = self._key_of(kind)
        with self._lock:
            informers = _live(self._views[key]) if key in self._views else []
        return sum(i.count() for i in informers)

    def get(
        self, kind: Kind | str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        """The cached object, or None (``namespace`` is ignored for cluster-scoped kinds)."""
        resolved = self._kind(kind)
        key = self._key_of(resolved)
        with self._lock:
            view = self._views.get(key)
            if view is None:
                return None
            if view.mode == "cluster" or not resolved.namespaced:
                informers = _live(view)
            else:
                informer = view.informers.get(namespace)
                informers = [informer] if informer is not None else []
        for informer in informers:
            obj = informer.get(namespace, name)
            if obj is not None:
                return obj
        return None

    def follow(self, kind: Kind | str, namespace: str | None, name: str) -> Follow:
        """Keep the whole object while the returned hold is open.

        The cache reads it in the background and reports it as a MODIFIED change;
        from then on :meth:`get` returns the whole object, Secret data included,
        until :meth:`Follow.close`.
        """
        resolved = self._kind(kind)
        with self._lock:
            view = self._views.get(resolved.key)
            informer = None
            if view is not None:
                scope = (
                    None
                    if view.mode == "cluster" or not resolved.namespaced
                    else namespace
                )
                informer = view.informers.get(scope)
        return Follow(informer, namespace if resolved.namespaced else None, name)

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        """The cached Events about ``obj`` (by uid, or by kind/name/namespace), oldest first."""
        metadata = obj.get("metadata") or {}
        target = (
            str(metadata.get("uid") or ""),
            str(obj.get("kind") or ""),
            str(metadata.get("name") or ""),
            str(metadata.get("namespace") or ""),
        )
        events = self._objects_of(EVENT.key)
        return sorted((e for e in events if _involves(e, *target)), key=event_time)

    def fetch_object(
        self, kind: Kind | str, namespace: str | None, name: str
    ) -> dict[str, Any]:
        """Read one full object from the API (blocking), Secret data included."""
        resolved = self._kind(kind)
        path = resolved.object_path(namespace, name)
        obj = api.get_json(self._client, path)
        obj.setdefault("kind", resolved.kind)
        obj.setdefault("apiVersion", resolved.api_version)
        return obj

    # -- informers -------------------------------------------------------------

    def _kind(self, kind: Kind | str) -> Kind:
        if isinstance(kind, Kind):
            return kind
        wanted = kind.lower()
        for candidate in self._kinds:
            if wanted in (candidate.kind.lower(), candidate.plural, candidate.short):
                return candidate
        raise KeyError(f"{kind!r} is not a watched kind")

    def _key_of(self, kind: Kind | str) -> tuple[str, str, str]:
        key = self._kind(kind).key
        if key not in {k.key for k in self._kinds}:
            raise KeyError(f"{kind!r} is not a watched kind")
        return key

    def _objects_of(self, key: tuple[str, str, str]) -> list[dict[str, Any]]:
        with self._lock:
            view = self._views.get(key)
            informers = _live(view) if view is not None else []
        if len(informers) == 1:
            return informers[0].objects()
        return [obj for informer in informers for obj in informer.objects()]

    def _watch(self, kind: Kind) -> None:
        namespaced = self._filter is not None and kind.namespaced
        view = _View(kind, "namespaces" if namespaced else "cluster")
        with self._lock:
            self._views[kind.key] = view
        scopes: list[str | None] = list(self._filter or []) if namespaced else [None]
        for scope in scopes:
            self._add_informer(view, scope)

    def _add_informer(self, view: _View, namespace: str | None) -> None:
        if self._stopping.is_set():
            return
        with self._lock:
            if namespace in view.informers:
                return
            self._states[(view.kind.key, namespace)] = ("loading", "")
            # Reserve the slot first: acquire() reports to us at once.
            view.informers[namespace] = None  # type: ignore[assignment]
        informer = acquire(
            self._configuration, view.kind, namespace, self, self._watch_timeout
        )
        with self._lock:
            if (
                self._views.get(view.kind.key) is view
                and namespace in view.informers
                and not self._stopping.is_set()
            ):
                view.informers[namespace] = informer
                return
        release(informer, self)

    def _fall_back(self, view: _View, message: str) -> None:
        """The cluster-wide list is forbidden: watch namespace by namespace."""
        with self._lock:
            if view.mode != "cluster" or view.switching:
                return
            view.switching = True
            view.cluster_message = message
            cluster_informer = view.informers.pop(None, None)
            namespaces = list(self._fallback)
        log.info(
            "%s may not be listed cluster-wide; watching %s instead",
            view.kind.plural,
            ", ".join(namespaces),
        )
        if cluster_informer is not None:
            gone = [Change("DELETED", view.kind, o) for o in cluster_informer.objects()]
            if gone:
                self._batcher.add(gone)
            release(cluster_informer, self)
        with self._lock:
            self._states.pop((view.kind.key, None), None)
            view.mode = "namespaces"
            view.switching = False
        for ns in namespaces:
            self._add_informer(view, ns)
        self._update_status()

    # -- listener side (called by informers, on their threads) ------------------------

    def informer_changes(self, informer: Informer, changes: list[Change]) -> None:
        if not self._stopping.is_set():
            self._batcher.add(changes)

    def informer_state(self, informer: Informer, state: State, message: str) -> None:
        kind = informer.kind
        with self._lock:
            view = self._views.get(kind.key)
            if view is None:
                return
            key = (kind.key, informer.namespace)
            if key not in self._states:
                return
            previous = self._states[key]
            self._states[key] = (state, message)
            fall_back = (
                state == "forbidden"
                and informer.namespace is None
                and kind.namespaced
                and view.mode == "cluster"
            )
        if fall_back:
            # Not here: acquire() may be reporting to us with its locks held.
            threading.Thread(
                target=self._fall_back,
                args=(view, message),
                name="cache-fallback",
                daemon=True,
            ).start()
            return
        if state in ("denied", "forbidden") and previous != (state, message):
            log.error("%s: %s", kind.plural, message)
            self._batcher.add([KindDenied(kind, message, informer.namespace)])
        self._update_status()

    def _update_status(self) -> None:
        start_deferred = False
        with self._lock:
            status = self._aggregate()
            if status != self._status:
                log.debug("cache status %s -> %s", self._status, status)
                self._status = status
                self._batcher.add([status])
            if not self._started_deferred and self._ready_for_deferred():
                self._started_deferred = start_deferred = True
        if start_deferred and not self._stopping.is_set():
            threading.Thread(
                target=self._start_deferred, name="cache-deferred", daemon=True
            ).start()

    def _start_deferred(self) -> None:
        for kind in self._kinds:
            if kind.key in self._deferred:
                self._watch(kind)
        self._update_status()

    def _ready_for_deferred(self) -> bool:
        for kind in self._kinds:
            if kind.key in self._deferred:
                continue
            if not self._kind_settled(kind):
                return False
        return True

    def _kind_states(self, kind: Kind) -> list[tuple[State, str]] | None:
        view = self._views.get(kind.key)
        if view is None or view.switching:
            return None
        states = [
            self._states.get((kind.key, ns), ("loading", "")) for ns in view.informers
        ]
        return states or None

    def _kind_settled(self, kind: Kind) -> bool:
        states = self._kind_states(kind)
        if states is None:
            return False
        view = self._views[kind.key]
        return all(
            s in _SETTLED
            and not (s == "forbidden" and view.mode == "cluster" and kind.namespaced)
            for s, _ in states
        )

    def _aggregate(self) -> CacheStatus:
        every = [s for k in self._kinds for s in (self._kind_states(k) or [])]
        unreachable = [message for state, message in every if state == "unreachable"]
        if unreachable:
            return Unreachable(unreachable[0])
        degraded = [message for state, message in every if state == "degraded"]
        if degraded:
            return Degraded(degraded[0])
        done = sum(1 for k in self._kinds if self._kind_settled(k))
        if done < len(self._kinds):
            return Loading(done, len(self._kinds))
        return Synced()

    def _deliver(self, items: list[Change | CacheStatus]) -> None:
        """Hand changes and statuses to the callbacks in the order they happened."""
        changes: list[Change] = []
        for item in items:
            if isinstance(item, Change):
                changes.append(item)
                continue
            self._call(self._on_changes, changes)
            changes = []
            self._call(self._on_status, item)
        self._call(self._on_changes, changes)

    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        if value == []:
            return
        try:
            callback(value)
        except Exception:
            log.exception("a cache callback failed")


def _live(view: _View) -> list[Informer]:
    return [i for i in view.informers.values() if i is not None]


def coalesce(changes: list[Change]) -> list[Change]:
    """Fold several changes of one object in a batch into one, in first-seen order."""
    merged: dict[tuple[Any, ...], Change] = {}
    for change in changes:
        ident = (change.kind.key, *identity(change.obj))
        previous = merged.get(ident)
        if previous is None:
            merged[ident] = change
        elif change.type == "DELETED":
            if previous.type == "ADDED":
                del merged[ident]
            else:
                merged[ident] = change
        elif previous.type == "ADDED":
            merged[ident] = Change("ADDED", change.kind, change.obj)
        else:
            merged[ident] = Change("MODIFIED", change.kind, change.obj)
    return list(merged.values())


def _coalesce_runs(items: list[Change | CacheStatus]) -> list[Change | CacheStatus]:
    """Coalesce each run of changes between two statuses, keeping statuses in place."""
    merged: list[Change | CacheStatus] = []
    run: list[Change] = []
    for item in items:
        if isinstance(item, Change):
            run.append(item)
            continue
        merged += coalesce(run)
        run = []
        merged.append(item)
    return merged + coalesce(run)


def _involves(
    event: dict[str, Any], uid: str, kind: str, name: str, namespace: str
) -> bool:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    if uid and involved.get("uid") == uid:
        return True
    event_namespace = involved.get("namespace") or (event.get("metadata") or {}).get(
        "namespace"
    )
    return (
        bool(name)
        and involved.get("name") == name
        and involved.get("kind") == kind
        and (event_namespace or "") == namespace
    )
