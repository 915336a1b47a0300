"""The UI's view of one cluster: cached objects by reference, search candidates, pods.

It wraps the cluster layer's cache and turns its worker-thread callbacks into
GUI-thread notifications through the dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Hashable, Iterable, Iterator
from typing import Any

from krates_desktop.cluster.cache import ClusterCache
from krates_desktop.cluster.discovery import CRD
from krates_desktop.cluster.kinds import BUILTIN_KINDS, Kind
from krates_desktop.cluster.status import object_status
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.yard.model import ObjRef

log = logging.getLogger(__name__)

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
SEARCHABLE = tuple(k for k in BUILTIN_KINDS if k.kind not in ("Event", "Namespace"))
BUILTIN_KEYS = frozenset(k.key for k in BUILTIN_KINDS) | {CRD.key}
SEARCHABLE_KEYS = frozenset(k.key for k in SEARCHABLE)
NAMESPACE_KEY = next(k.key for k in BUILTIN_KINDS if k.kind == "Namespace")
SPOTLIGHT_KEYS = SEARCHABLE_KEYS | {NAMESPACE_KEY}
# one (group, version, kind) tuple per kind, shared by every search key of that kind
_KIND_KEYS: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def ref_for(kind: Kind, obj: dict[str, Any]) -> ObjRef:
    """Build the reference of a cached object."""
    meta = obj.get("metadata", {})
    return ObjRef(
        kind=kind.kind,
        group=kind.group,
        version=kind.version,
        namespace=meta.get("namespace") if kind.namespaced else None,
        name=meta.get("name", ""),
    )


def _candidate(kind: Kind, obj: dict[str, Any], crd: bool = False) -> Candidate:
    ref = ref_for(kind, obj)
    return Candidate(kind.kind, ref.name, ref.namespace, crd=crd, payload=ref)


def _namespace_candidate(obj: dict[str, Any]) -> Candidate:
    name = obj.get("metadata", {}).get("name", "")
    ref = ObjRef("Namespace", "", "v1", None, name)
    return Candidate("namespace", name, None, payload=ref)


def _selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
    )


def default_container(pod: dict[str, Any]) -> str | None:
    """The annotated default container, else the first one."""
    annotations = pod.get("metadata", {}).get("annotations") or {}
    named = annotations.get("kubectl.kubernetes.io/default-container")
    containers = [c.get("name") for c in pod.get("spec", {}).get("containers") or []]
    if named in containers:
        return str(named)
    return containers[0] if containers else None


class ClusterSource:
    """Objects of one cluster, kept by the cache; listeners hear of changes on the GUI thread."""

    def __init__(self, cache: ClusterCache | None, dispatcher: Dispatcher) -> None:
        self.cache = cache
        self.dispatcher = dispatcher
        self._listeners: list[Callable[[list[Any]], None]] = []
        self._status_listeners: list[Callable[[object], None]] = []
        # The last cache status the GUI was told of (`Synced` once every kind is listed
        # and the loading pill is gone); None until the first arrives.
        self.status: object = None

    @property
    def kinds(self) -> dict[str, Kind]:
        """The watched kinds by kind name (a built-in kind wins over a custom namesake)."""
        custom = self.custom_kinds()
        return {k.kind: k for k in (*custom, *BUILTIN_KINDS)}

    def custom_kinds(self) -> list[Kind]:
        """The custom resource kinds the cache watches now (CRDs come and go)."""
        if self.cache is None:
            return []
        return [k for k in self.cache.kinds if k.key not in BUILTIN_KEYS]

    def subscribe(self, on_changes: Callable[[list[Any]], None]) -> None:
        """Call `on_changes(changes)` on the GUI thread after each batch."""
        self._listeners.append(on_changes)

    def subscribe_status(self, on_status: Callable[[object], None]) -> None:
        """Call `on_status(status)` on the GUI thread when the cache's state changes."""
        self._status_listeners.append(on_status)

    def deliver_changes(self, changes: list[Any]) -> None:
        """Called on the GUI thread with one batch of changes."""
        for listener in list(self._listeners):
            listener(changes)

    def deliver_status(self, status: object) -> None:
        """Called on the GUI thread with a new cache status."""
        self.status = status
        for listener in list(self._status_listeners):
            listener(status)

    def _custom_objects(self, kind: Kind) -> list[dict[str, Any]]:
        """The cached objects of a custom kind; none once its CRD has just gone."""
        try:
            return self.cache.objects(kind) if self.cache is not None else []
        except KeyError:
            return []

    def objects(self, kind_name: str) -> list[dict[str, Any]]:
        """Every cached object of a kind."""
        if self.cache is None:
            return []
        return self.cache.objects(self.kinds[kind_name])

    def get_object(self, ref: ObjRef) -> dict[str, Any] | None:
        """The cached object behind a reference."""
        if self.cache is None or ref.kind not in self.kinds:
            return None
        return self.cache.get(self.kinds[ref.kind], ref.namespace, ref.name)

    def follow(self, ref: ObjRef) -> Any:
        """Keep the whole object (not the compact record) cached while a view shows it.

        Returns a hold with `close()`, or None when there is no cache.
        """
        if self.cache is None or ref.kind not in self.kinds:
            return None
        return self.cache.follow(self.kinds[ref.kind], ref.namespace, ref.name)

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        """The cached events about an object, oldest first."""
        return self.cache.events_for(obj) if self.cache is not None else []

    def status_of(self, ref: ObjRef) -> tuple[str, str]:
        """The (text, health) of an object, `loading` while it is not cached."""
        obj = self.get_object(ref)
        if obj is None:
            return ("loading", "unknown")
        return object_status(ref.kind, obj)

    def pod_for(self, ref: ObjRef) -> tuple[str, str | None] | None:
        """The pod and container that Logs and Shell attach to for `ref`."""
        if ref.kind == "Pod":
            pod = self.get_object(ref)
            return (ref.name, default_container(pod) if pod else None) if pod else None
        workload = self.get_object(ref)
        if workload is None or ref.kind not in WORKLOADS:
            return None
        selector = workload.get("spec", {}).get("selector", {}).get("matchLabels") or {}
        pods = [
            p
            for p in self.objects("Pod")
            if p["metadata"].get("namespace") == ref.namespace
            and _selector_matches(selector, p["metadata"].get("labels") or {})
        ]
        pods.sort(key=lambda p: p["metadata"]["name"])
        ready = [p for p in pods if _pod_ready(p)]
        chosen = (ready or pods or [None])[0]
        if chosen is None:
            return None
        return (chosen["metadata"]["name"], default_container(chosen))

    def pods_in(self, namespace: str | None) -> list[dict[str, Any]]:
        """The cached pods of one namespace."""
        return [
            p
            for p in self.objects("Pod")
            if p["metadata"].get("namespace") == namespace
        ]

    def counts_in(self, namespace: str) -> dict[str, int]:
        """How many cached objects of each namespaced kind live in `namespace`."""
        counts: dict[str, int] = {}
        for kind in self.kinds.values():
            if kind.namespaced and kind.kind != "Event":
                found = [
                    o
                    for o in self.objects(kind.kind)
                    if o["metadata"].get("namespace") == namespace
                ]
                if found:
                    counts[kind.kind] = len(found)
        return counts

    def candidates(self) -> Iterable[Candidate]:
        """Every object spotlight can find, plus the namespaces."""
        for kind in SEARCHABLE:
            for obj in self.objects(kind.kind):
                yield _candidate(kind, obj)
        for kind in self.custom_kinds():
            for obj in self._custom_objects(kind):
                yield _candidate(kind, obj, crd=True)
        for obj in self.objects("Namespace"):
            yield _namespace_candidate(obj)

    def candidate_changes(
        self, changes: Iterable[Any], known: Container[Hashable] = ()
    ) -> Iterator[tuple[Hashable, Candidate | None]]:
        """(key, candidate) for each change spotlight searches; None once deleted.

        A candidate follows from its key alone (kind, namespace, name), so a change
        to an object whose key is in `known` (most watch events: a status moved) is
        left out before anything is built for it.
        """
        for change in changes:
            kind_key = _KIND_KEYS.setdefault(change.kind.key, change.kind.key)
            meta = change.obj.get("metadata", {})
            key = (kind_key, meta.get("namespace"), meta.get("name"))
            if change.type == "DELETED":
                if kind_key in SPOTLIGHT_KEYS or kind_key not in BUILTIN_KEYS:
                    yield key, None
            elif key in known:
                continue
            elif kind_key in SEARCHABLE_KEYS:
                yield key, _candidate(change.kind, change.obj)
            elif kind_key == NAMESPACE_KEY:
                yield key, _namespace_candidate(change.obj)
            elif kind_key not in BUILTIN_KEYS:
                yield key, _candidate(change.kind, change.obj, crd=True)
