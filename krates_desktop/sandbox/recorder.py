"""Records core/v1 Events the way kubelets and controllers do: a new Event the
first time, then the same Event with its count bumped and lastTimestamp moved."""

from __future__ import annotations

from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.objects import event
from krates_desktop.sandbox.store import Store, StoredEvent

Json = dict[str, Any]
EventKey = tuple[str, str, str, str]  # (namespace, involved uid, reason, type)


class EventRecorder:
    """Creates and bumps Events, finding earlier ones through an index."""

    def __init__(self, store: Store, events: ResourceKind) -> None:
        self._store = store
        self._events = events
        self._index: dict[EventKey, str] = {}
        for existing in store.list(events):
            self._remember(existing)
        store.add_listener(self._on_event)

    def record(
        self,
        involved: Json,
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        field_path: str | None = None,
        component: str = "kubelet",
    ) -> None:
        """Record an Event about `involved`, or bump the count of the same one."""
        meta = involved["metadata"]
        namespace = meta.get("namespace") or "default"
        now = clock.rfc3339(clock.now())
        name = self._index.get((namespace, meta["uid"], reason, type_))
        if name and self._store.get(self._events, namespace, name):

            def bump(obj: Json) -> None:
                obj["count"] = int(obj.get("count", 1)) + 1
                obj["lastTimestamp"] = now
                obj["message"] = message

            self._store.mutate(self._events, namespace, name, bump)
            return
        host = None
        if component == "kubelet":
            host = (involved.get("spec") or {}).get("nodeName")
        self._store.create(
            self._events,
            event(
                involved,
                reason,
                message,
                type_=type_,
                host=host,
                field_path=field_path,
                component=component,
            ),
        )

    def _remember(self, obj: Json) -> None:
        involved = obj.get("involvedObject") or {}
        meta = obj["metadata"]
        key = (
            meta.get("namespace", ""),
            involved.get("uid", ""),
            obj.get("reason", ""),
            obj.get("type", ""),
        )
        self._index[key] = meta["name"]

    def _on_event(self, stored: StoredEvent) -> None:
        if stored.key != self._events.key:
            return
        if stored.type == "DELETED":
            involved = stored.new.get("involvedObject") or {}
            meta = stored.new["metadata"]
            key = (
                meta.get("namespace", ""),
                involved.get("uid", ""),
                stored.new.get("reason", ""),
                stored.new.get("type", ""),
            )
            if self._index.get(key) == meta["name"]:
                del self._index[key]
        else:
            self._remember(stored.new)
