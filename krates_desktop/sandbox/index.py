"""An index of owner references, kept current from the store's events, so that
controllers and garbage collection find an object's dependents without scanning
every object (which matters with tens of thousands of pods)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from krates_desktop.sandbox.store import Store, StoredEvent

Json = dict[str, Any]
Dependent = tuple[tuple[str, str], str, str]  # (kind key, namespace, name)


def _owner_uids(obj: Json | None) -> set[str]:
    if obj is None:
        return set()
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return {ref["uid"] for ref in refs if ref.get("uid")}


class OwnerIndex:
    """Owner uid -> the objects whose ownerReferences name it."""

    def __init__(self, store: Store) -> None:
        self._dependents: dict[str, set[Dependent]] = {}
        store.add_listener(self._on_event)

    def dependents(self, uid: str) -> set[Dependent]:
        """The objects that name `uid` as an owner."""
        return set(self._dependents.get(uid, ()))

    def dependents_of_kind(self, uid: str, key: tuple[str, str]) -> list[Dependent]:
        """The dependents of one kind, in (namespace, name) order."""
        return sorted(d for d in self._dependents.get(uid, ()) if d[0] == key)

    def _on_event(self, event: StoredEvent) -> None:
        meta = event.new.get("metadata") or {}
        dependent = (event.key, meta.get("namespace") or "", meta.get("name") or "")
        before = _owner_uids(event.old)
        after = set() if event.type == "DELETED" else _owner_uids(event.new)
        self._remove(dependent, before - after)
        self._add(dependent, after - before)

    def _add(self, dependent: Dependent, uids: Iterable[str]) -> None:
        for uid in uids:
            self._dependents.setdefault(uid, set()).add(dependent)

    def _remove(self, dependent: Dependent, uids: Iterable[str]) -> None:
        for uid in uids:
            found = self._dependents.get(uid)
            if found is not None:
                found.discard(dependent)
                if not found:
                    del self._dependents[uid]
