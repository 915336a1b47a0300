"""The object store: every object, one global resourceVersion counter, the event
log that watches replay from, and the fan-out of new events to live watches.

All methods run on the sandbox's event loop thread; none of them awaits, so a
snapshot plus a subscription taken together are consistent.
"""

from __future__ import annotations

import asyncio
import bisect
import builtins
import copy
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.status import (
    already_exists,
    conflict,
    expired,
    not_found,
)

logger = logging.getLogger(__name__)

Json = dict[str, Any]
KindKey = tuple[str, str]
ObjectKey = tuple[str, str]


@dataclass(frozen=True)
class StoredEvent:
    """One change in the log. `old` is the previous state (None for ADDED)."""

    rv: int
    type: str
    key: KindKey
    old: Json | None
    new: Json


class Subscription:
    """A live watch's queue of StoredEvents for one kind."""

    def __init__(self, store: Store, key: KindKey) -> None:
        self.key = key
        # None ends the watch (the server closing its streams).
        self.queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue()
        self._store = store

    def close(self) -> None:
        """Stop receiving events."""
        self._store._unsubscribe(self)


def object_key(obj: Json) -> ObjectKey:
    """(namespace, name) of an object; namespace is "" for cluster-scoped ones."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


class Store:
    """In-memory objects with Kubernetes resourceVersion and watch semantics."""

    def __init__(self, log_size: int = 4000) -> None:
        self._objects: dict[KindKey, dict[ObjectKey, Json]] = {}
        # Per kind, the object keys in (namespace, name) order, kept as objects
        # come and go so that lists and pages never sort the whole kind.
        self._order: dict[KindKey, builtins.list[ObjectKey]] = {}
        self._rv = 0
        self._log: deque[StoredEvent] = deque(maxlen=log_size)
        self._compacted = 0
        self._subscriptions: dict[KindKey, set[Subscription]] = {}
        self._listeners: list[Callable[[StoredEvent], None]] = []

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    @property
    def history_size(self) -> int:
        """How many events the log keeps before the oldest are forgotten."""
        return self._log.maxlen or 0

    @property
    def compacted(self) -> int:
        """The newest resourceVersion that can no longer be watched from."""
        if len(self._log) == self._log.maxlen:
            return max(self._compacted, self._log[0].rv - 1)
        return self._compacted

    def compact(self) -> None:
        """Forget the event log so far (done after seeding, like an old cluster)."""
        self._log.clear()
        self._compacted = self._rv

    def add_listener(self, listener: Callable[[StoredEvent], None]) -> None:
        """Call `listener` synchronously with every committed event."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[StoredEvent], None]) -> None:
        """Stop calling a listener added before (a session that has ended)."""
        self._listeners.remove(listener)

    # Reads

    def get(self, kind: ResourceKind, namespace: str, name: str) -> Json | None:
        """The stored object, or None. Callers must not mutate it."""
        return self._objects.get(kind.key, {}).get((namespace or "", name))

    def require(self, kind: ResourceKind, namespace: str, name: str) -> Json:
        """The stored object, or a 404 ApiError."""
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise not_found(kind.plural, kind.group, name)
        return obj

    def list(self, kind: ResourceKind, namespace: str | None = None) -> list[Json]:
        """Objects of a kind sorted by (namespace, name), optionally in one namespace."""
        objects = self._objects.get(kind.key, {})
        return [objects[k] for k in self.keys(kind, namespace)]

    def keys(
        self,
        kind: ResourceKind,
        namespace: str | None = None,
        after: ObjectKey | None = None,
    ) -> builtins.list[ObjectKey]:
        """The (namespace, name) keys of a kind in order, optionally in one
        namespace and only those sorting after `after`."""
        order = self._order.get(kind.key, [])
        start, end = 0, len(order)
        if namespace is not None:
            start = bisect.bisect_left(order, (namespace, ""))
            end = bisect.bisect_left(order, (namespace + "\0", ""))
        if after is not None:
            start = max(start, bisect.bisect_right(order, after))
        return order[start:end]

    def count(self, kind: ResourceKind) -> int:
        """How many objects of a kind are stored."""
        return len(self._objects.get(kind.key, {}))

    def iter_all(self) -> Iterator[tuple[KindKey, Json]]:
        """Every stored object with its kind key."""
        for key, objects in list(self._objects.items()):
            for obj in list(objects.values()):
                yield key, obj

    # Writes

    def create(self, kind: ResourceKind, obj: Json, *, copy_input: bool = True) -> Json:
        """Store a new object, filling uid, timestamps and resourceVersion.

        `copy_input=False` stores `obj` itself (bulk fills that build fresh
        objects and may share unchanging parts between them: stored objects
        are never changed in place).
        """
        if copy_input:
            obj = copy_json(obj)
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {})
        okey = object_key(obj)
        objects = self._objects.setdefault(kind.key, {})
        if okey in objects:
            raise already_exists(kind.plural, kind.group, okey[1])
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", clock.rfc3339(clock.now()))
        if "spec" in obj:
            meta.setdefault("generation", 1)
        meta.pop("deletionTimestamp", None)
        return self._commit(kind, "ADDED", None, obj)

    def replace(
        self, kind: ResourceKind, obj: Json, *, copy_input: bool = True
    ) -> Json:
        """Replace an object; a stale metadata.resourceVersion is a 409.

        `copy_input=False` stores `obj` itself (a copy the caller made and
        hands over)."""
        if copy_input:
            obj = copy_json(obj)
        namespace, name = object_key(obj)
        old = self.require(kind, namespace, name)
        wanted = (obj.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != old["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name)
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {})
        for field in ("uid", "creationTimestamp", "generation"):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
        if "spec" in obj and obj.get("spec") != old.get("spec"):
            meta["generation"] = int(old["metadata"].get("generation", 0)) + 1
        if _same(old, obj):
            return old
        return self._commit(kind, "MODIFIED", old, obj)

    def mutate(
        self,
        kind: ResourceKind,
        namespace: str,
        name: str,
        change: Callable[[Json], None],
    ) -> Json:
        """Apply `change` to a copy of the object and store it (if it changed)."""
        old = self.require(kind, namespace, name)
        obj = copy_json(old)
        change(obj)
        obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        return self.replace(kind, obj, copy_input=False)

    def delete(self, kind: ResourceKind, namespace: str, name: str) -> Json:
        """Remove an object; watchers get DELETED with the final state."""
        old = self.require(kind, namespace, name)
        okey = (namespace or "", name)
        del self._objects[kind.key][okey]
        order = self._order[kind.key]
        del order[bisect.bisect_left(order, okey)]
        final = copy_json(old)
        return self._commit(kind, "DELETED", old, final, store=False)

    def _commit(
        self,
        kind: ResourceKind,
        type_: str,
        old: Json | None,
        obj: Json,
        store: bool = True,
    ) -> Json:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        if store:
            objects = self._objects.setdefault(kind.key, {})
            okey = object_key(obj)
            if okey not in objects:
                bisect.insort(self._order.setdefault(kind.key, []), okey)
            objects[okey] = obj
        event = StoredEvent(self._rv, type_, kind.key, old, obj)
        self._log.append(event)
        logger.debug("%s %s %s rv=%d", type_, kind.plural, object_key(obj), self._rv)
        for subscription in self._subscriptions.get(kind.key, ()):
            subscription.queue.put_nowait(event)
        for listener in self._listeners:
            listener(event)
        return obj

    # Watch support

    def subscribe(self, kind: ResourceKind) -> Subscription:
        """Start queueing every later event of `kind`."""
        subscription = Subscription(self, kind.key)
        self._subscriptions.setdefault(kind.key, set()).add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.get(subscription.key, set()).discard(subscription)

    def events_since(self, kind: ResourceKind, rv: int) -> builtins.list[StoredEvent]:
        """Logged events of `kind` newer than `rv`; 410 if `rv` is compacted away."""
        if rv < self.compacted:
            raise expired(f"too old resource version: {rv} ({self.compacted + 1})")
        return [e for e in self._log if e.rv > rv and e.key == kind.key]

    def end_watches(self) -> int:
        """End every live watch cleanly, as an API server going away does;
        returns how many were ended."""
        ended = 0
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.queue.put_nowait(None)
                ended += 1
        return ended

    def watch_count(self) -> int:
        """How many watches are live (for tests and logs)."""
        return sum(len(s) for s in self._subscriptions.values())


def copy_json(obj: Json) -> Json:
    """A deep copy of a JSON object, through orjson (a tenth of `copy.deepcopy`'s
    time for a pod); anything orjson cannot encode falls back to `deepcopy`."""
    try:
        copied: Json = orjson.loads(orjson.dumps(obj))
    except TypeError:
        return copy.deepcopy(obj)
    return copied


def _same(old: Json, new: Json) -> bool:
    """Equal apart from resourceVersion: such a write is a no-op."""
    a, b = dict(old), dict(new)
    a["metadata"] = {k: v for k, v in old["metadata"].items() if k != "resourceVersion"}
    b["metadata"] = {k: v for k, v in new["metadata"].items() if k != "resourceVersion"}
    return a == b
