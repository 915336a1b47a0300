"""The shared state of one running sandbox: kinds, objects, RBAC, logs and
processes, plus the bookkeeping that makes served kinds follow the
CustomResourceDefinitions in the store."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from krates_desktop.sandbox.exec import ProcessTracker
from krates_desktop.sandbox.index import OwnerIndex
from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind, kinds_from_crd
from krates_desktop.sandbox.logs import LogHub
from krates_desktop.sandbox.rbac import Authorizer
from krates_desktop.sandbox.store import Store, StoredEvent

logger = logging.getLogger(__name__)

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
DEFAULT_HISTORY = 4000


@dataclass
class SandboxState:
    """Everything request handlers and the simulation share (loop thread only)."""

    registry: KindRegistry
    store: Store
    logs: LogHub
    tracker: ProcessTracker
    home: Path
    rng: random.Random
    authorizer: Authorizer
    owners: OwnerIndex
    server_address: str = "127.0.0.1:0"
    pace: float = 1.0
    # The main processes of interactive containers (attach.AttachHub), made on
    # the first attach.
    attachments: Any = None

    @classmethod
    def create(
        cls, home: Path, seed: int | None = None, history: int = DEFAULT_HISTORY
    ) -> SandboxState:
        """An empty state whose registry follows the CRDs in the store."""
        registry = KindRegistry()
        store = Store(log_size=history)
        rng = random.Random(seed)
        pods = registry.by_key(("", "pods"))
        assert pods is not None
        state = cls(
            registry,
            store,
            LogHub(store, pods, rng),
            ProcessTracker(),
            home,
            rng,
            Authorizer(store, registry),
            OwnerIndex(store),
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
        spec = event.new.get("spec") or {}
        group = spec.get("group", "")
        plural = (spec.get("names") or {}).get("plural", "")
        if event.type == "DELETED":
            self._forget_custom_resources(group, plural)
            return
        if event.old is not None:
            old_spec = event.old.get("spec") or {}
            old_names = old_spec.get("names") or {}
            self.registry.remove(old_spec.get("group", ""), old_names.get("plural", ""))
        for served in kinds_from_crd(event.new):
            self.registry.add(served)

    def _forget_custom_resources(self, group: str, plural: str) -> None:
        """A deleted CRD takes its custom resources with it."""
        kind = self.registry.by_key((group, plural))
        if kind is not None:
            for obj in self.store.list(kind):
                meta = obj["metadata"]
                self.store.delete(kind, meta.get("namespace", ""), meta["name"])
            logger.info("stopped serving %s.%s", plural, group)
        self.registry.remove(group, plural)
