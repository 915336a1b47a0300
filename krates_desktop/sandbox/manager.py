"""The sandbox's controller manager: watches the store, queues the objects whose
state may have to move (a Deployment whose template changed, a ReplicaSet one of
whose pods became ready, a Service whose pods moved), and reconciles them on the
next tick, like the work queues of kube-controller-manager."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from krates_desktop.sandbox.batch import CronJobs, Jobs
from krates_desktop.sandbox.controllers import (
    CRONJOBS,
    DAEMONSETS,
    DEPLOYMENTS,
    JOBS,
    REPLICASETS,
    STATEFULSETS,
    WORKLOADS,
    Context,
    Deployments,
    KindKey,
    ReplicaSets,
)
from krates_desktop.sandbox.podsets import DaemonSets, StatefulSets
from krates_desktop.sandbox.recorder import EventRecorder
from krates_desktop.sandbox.services import Endpoints, Volumes
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.store import StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Item = tuple[KindKey, str, str]
TICK_BUDGET = 0.15  # seconds of reconciling per tick at most
_OWNER_KINDS = {
    ("apps", "Deployment"): DEPLOYMENTS,
    ("apps", "ReplicaSet"): REPLICASETS,
    ("apps", "StatefulSet"): STATEFULSETS,
    ("apps", "DaemonSet"): DAEMONSETS,
    ("batch", "Job"): JOBS,
    ("batch", "CronJob"): CRONJOBS,
}


class Reconciler(Protocol):
    """A controller for one kind."""

    def reconcile(self, obj: Json) -> None:
        """Move `obj` one step towards its desired state."""


class Controllers:
    """Queues changed objects and runs each kind's controller over them."""

    def __init__(self, state: SandboxState, recorder: EventRecorder) -> None:
        self.ctx = ctx = Context(state, recorder)
        self._reconcilers: dict[KindKey, Reconciler] = {
            DEPLOYMENTS: Deployments(ctx),
            REPLICASETS: ReplicaSets(ctx),
            STATEFULSETS: StatefulSets(ctx),
            DAEMONSETS: DaemonSets(ctx),
            JOBS: Jobs(ctx),
            CRONJOBS: CronJobs(ctx),
        }
        self.endpoints = Endpoints(ctx)
        self.volumes = Volumes(ctx)
        self._dirty: set[Item] = set()
        self._dirty_namespaces: set[str] = set()
        self._claims_dirty = True
        self._nodes_changed = False
        for key in WORKLOADS:
            kind = state.registry.by_key(key)
            if kind is not None:
                for obj in state.store.list(kind):
                    self._dirty.add(
                        (key, obj["metadata"]["namespace"], obj["metadata"]["name"])
                    )
        namespaces = state.registry.by_key(("", "namespaces"))
        if namespaces is not None:
            self._dirty_namespaces = {n for _, n in state.store.keys(namespaces)}
        state.store.add_listener(self._on_event)

    def tick(self, slow: bool) -> None:
        """Reconcile everything queued since the last tick (cron schedules on slow
        ticks)."""
        started = time.monotonic()
        if slow:
            self._queue_all(CRONJOBS)
        if self._nodes_changed:
            self._nodes_changed = False
            self._queue_all(DAEMONSETS)
        work = sorted(self._dirty)
        self._dirty = set()
        for position, (key, namespace, name) in enumerate(work):
            if time.monotonic() - started > TICK_BUDGET:
                # Leave the rest for the next ticks, so requests are not starved.
                self._dirty.update(work[position:])
                break
            kind = self.ctx.state.registry.by_key(key)
            obj = self.ctx.store.get(kind, namespace, name) if kind else None
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue
            try:
                self._reconcilers[key].reconcile(obj)
            except Exception:  # one broken object must not stop the others
                logger.exception("reconciling %s %s/%s failed", key[1], namespace, name)
        if self._claims_dirty:
            self._claims_dirty = False
            self.volumes.reconcile_all()
        namespaces, self._dirty_namespaces = sorted(self._dirty_namespaces), set()
        for namespace in namespaces:
            self.endpoints.reconcile_namespace(namespace)
        elapsed = time.monotonic() - started
        if elapsed > 0.2:
            logger.debug(
                "controllers took %.0f ms for %d objects", elapsed * 1e3, len(work)
            )

    def _queue_all(self, key: KindKey) -> None:
        kind = self.ctx.state.registry.by_key(key)
        if kind is not None:
            for ns, name in self.ctx.store.keys(kind):
                self._dirty.add((key, ns, name))

    def _on_event(self, event: StoredEvent) -> None:
        meta = event.new.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        if event.key in self._reconcilers and event.type != "DELETED":
            self._dirty.add((event.key, namespace, meta.get("name", "")))
        for ref in meta.get("ownerReferences") or []:
            group = ref.get("apiVersion", "").rpartition("/")[0]
            owner = _OWNER_KINDS.get((group, ref.get("kind", "")))
            if owner is not None:
                self._dirty.add((owner, namespace, ref.get("name", "")))
        if event.key in (("", "pods"), ("", "services")):
            self._dirty_namespaces.add(namespace)
        elif event.key in (("", "persistentvolumeclaims"), ("", "persistentvolumes")):
            self._claims_dirty = True
        elif event.key == ("", "nodes"):
            self._nodes_changed = True
