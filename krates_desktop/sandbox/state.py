"""The shared state of one running sandbox: kinds, objects, logs and processes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from krates_desktop.sandbox.exec import ProcessTracker
from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind, kind_from_crd
from krates_desktop.sandbox.logs import LogHub
from krates_desktop.sandbox.store import Store, StoredEvent

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")


@dataclass
class SandboxState:
    """Everything request handlers and the simulation share (loop thread only)."""

    registry: KindRegistry
    store: Store
    logs: LogHub
    tracker: ProcessTracker
    home: Path
    rng: random.Random
    server_address: str = "127.0.0.1:0"

    @classmethod
    def create(cls, home: Path, seed: int | None = None) -> SandboxState:
        """An empty state whose registry follows the CRDs in the store."""
        registry = KindRegistry()
        store = Store()
        rng = random.Random(seed)
        pods = registry.by_key(("", "pods"))
        assert pods is not None
        state = cls(
            registry, store, LogHub(store, pods, rng), ProcessTracker(), home, rng
        )
        store.add_listener(state._on_event)
        return state

    def kind(self, group: str, plural: str) -> ResourceKind:
        """A registered kind by group and plural."""
        found = self.registry.by_key((group, plural))
        if found is None:
            raise LookupError(f"the sandbox has no kind {plural}.{group}")
        return found

    def _on_event(self, event: StoredEvent) -> None:
        if event.key != CRD_KEY:
            return
        if event.type == "DELETED":
            spec = event.new.get("spec") or {}
            self.registry.remove(
                spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
            )
            return
        served = kind_from_crd(event.new)
        if served is not None:
            self.registry.add(served)
