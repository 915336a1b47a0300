"""What every controller shares (creating and retiring pods, writing status only
when it changed, owner lookups) and the Deployment and ReplicaSet controllers.
`manager.py` queues changed objects and runs them; `podsets.py`, `batch.py` and
`services.py` hold the other controllers.

Limitations: rollouts honour maxSurge/maxUnavailable but not minReadySeconds or
progressDeadlineSeconds; `paused` Deployments are left alone.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
from collections.abc import Callable
from typing import Any

import orjson

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.defaults import default_pod_spec, qos_class
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.objects import digest, owner_ref
from krates_desktop.sandbox.recorder import EventRecorder
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.status import ApiError

logger = logging.getLogger(__name__)

Json = dict[str, Any]
KindKey = tuple[str, str]
SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of generated name suffixes
GRACEFUL_SECONDS = 1.0
REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
DEPLOYMENTS, REPLICASETS = ("apps", "deployments"), ("apps", "replicasets")
STATEFULSETS, DAEMONSETS = ("apps", "statefulsets"), ("apps", "daemonsets")
JOBS, CRONJOBS = ("batch", "jobs"), ("batch", "cronjobs")
WORKLOADS = (DEPLOYMENTS, REPLICASETS, STATEFULSETS, DAEMONSETS, JOBS, CRONJOBS)


def pod_ready(pod: Json) -> bool:
    """Whether a pod's Ready condition is True (and it is not terminating)."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
    )


def live(objects: list[Json]) -> list[Json]:
    """The objects that are not being deleted."""
    return [o for o in objects if not o["metadata"].get("deletionTimestamp")]


_HASHES: dict[int, tuple[Json, str]] = {}


def template_hash(template: Json) -> str:
    """A stable pod-template-hash for a pod template (without its own hash label).

    Stored objects never change in place, so the hash is remembered per template
    object (the entry keeps the object alive, so its id cannot be reused).
    """
    known = _HASHES.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    bare = dict(template)
    meta = dict(bare.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop(TEMPLATE_HASH, None)
    meta["labels"] = labels
    bare["metadata"] = meta
    canonical = orjson.dumps(bare, option=orjson.OPT_SORT_KEYS).decode()
    text = "".join(SAFE[int(c, 16) % len(SAFE)] for c in digest(canonical)[:10])
    if len(_HASHES) > 20_000:
        _HASHES.clear()
    _HASHES[id(template)] = (template, text)
    return text


_DEFAULTED: dict[int, tuple[Json, str]] = {}


def same_template(a: Json, b: Json) -> bool:
    """Whether two pod templates are equal apart from the pod-template-hash label
    and what the API server defaults: seeded objects are stored as written, while
    a write through the API (a `rollout undo` copying an old template back) gets
    the defaults."""
    if template_hash(a) == template_hash(b):
        return True
    return _defaulted_hash(a) == _defaulted_hash(b)


def _defaulted_hash(template: Json) -> str:
    """The hash of a template with the pod spec defaults filled in (remembered per
    template object, as `template_hash` is)."""
    known = _DEFAULTED.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    filled = copy.deepcopy(template)
    try:
        default_pod_spec(
            "ReplicaSet", "", filled.setdefault("spec", {}), "spec.template"
        )
    except ApiError:
        pass  # a template the API would refuse compares as it is
    text = template_hash(filled)
    if len(_DEFAULTED) > 20_000:
        _DEFAULTED.clear()
    _DEFAULTED[id(template)] = (template, text)
    return text


class Context:
    """What every controller needs: the store, the recorder and pod helpers."""

    def __init__(self, state: SandboxState, recorder: EventRecorder) -> None:
        self.state = state
        self.store = state.store
        self.rng = state.rng
        self.recorder = recorder
        self.pace = state.pace or 1.0

    def kind(self, key: KindKey) -> ResourceKind:
        """The registered kind filed under `key`."""
        return self.state.kind(*key)

    def owned(self, owner: Json, key: KindKey) -> list[Json]:
        """The objects of kind `key` whose ownerReferences name `owner`."""
        kind = self.kind(key)
        found = []
        for _, namespace, name in self.state.owners.dependents_of_kind(
            owner["metadata"]["uid"], key
        ):
            obj = self.store.get(kind, namespace, name)
            if obj is not None:
                found.append(obj)
        return found

    def suffix(self, length: int = 5) -> str:
        """A random name suffix from the API server's alphabet."""
        return "".join(self.rng.choice(SAFE) for _ in range(length))

    def create_pod(
        self,
        owner: Json,
        template: Json,
        name: str,
        *,
        labels: dict[str, str] | None = None,
        node: str | None = None,
        component: str,
        message: str | None = None,
    ) -> Json:
        """Create a pod from `template` owned by `owner`, and record it."""
        template = copy.deepcopy(template)
        meta = template.get("metadata") or {}
        pod_meta: Json = {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(meta.get("labels") or {}), **(labels or {})},
            "ownerReferences": [owner_ref(owner)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = dict(meta["annotations"])
        spec = template.get("spec") or {}
        default_pod_spec("Pod", name, spec, "spec")
        if node:
            spec["nodeName"] = node
        pod = self.store.create(
            self.kind(("", "pods")),
            {
                "metadata": pod_meta,
                "spec": spec,
                "status": {"phase": "Pending", "qosClass": qos_class(spec)},
            },
        )
        self.recorder.record(
            owner,
            "SuccessfulCreate",
            message or f"Created pod: {name}",
            component=component,
        )
        return pod

    def retire_pod(self, pod: Json, owner: Json, component: str) -> None:
        """Delete a pod gracefully: Terminating first, gone a moment later."""
        pods = self.kind(("", "pods"))
        meta = pod["metadata"]
        ns, name, uid = meta["namespace"], meta["name"], meta["uid"]

        def mark(obj: Json) -> None:
            obj["metadata"]["deletionTimestamp"] = clock.rfc3339(clock.now())
            obj["metadata"]["deletionGracePeriodSeconds"] = 30

        self.store.mutate(pods, ns, name, mark)
        self.recorder.record(
            owner, "SuccessfulDelete", f"Deleted pod: {name}", component=component
        )

        def finish() -> None:
            found = self.store.get(pods, ns, name)
            if found is not None and found["metadata"]["uid"] == uid:
                self.store.delete(pods, ns, name)

        loop = asyncio.get_running_loop()
        loop.call_later(GRACEFUL_SECONDS / self.pace, finish)

    def set_status(self, key: KindKey, obj: Json, status: Json) -> Json:
        """Write `status` if it differs from the object's."""
        if status == obj.get("status"):
            return obj

        def update(target: Json) -> None:
            target["status"] = status

        meta = obj["metadata"]
        return self.store.mutate(
            self.kind(key), meta.get("namespace", ""), meta["name"], update
        )

    def set_spec_field(
        self, key: KindKey, obj: Json, change: Callable[[Json], None]
    ) -> Json:
        """Apply `change` to an object (a controller's own write)."""
        meta = obj["metadata"]
        return self.store.mutate(
            self.kind(key), meta.get("namespace", ""), meta["name"], change
        )


def scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString such as `25%` or `1` resolved against `total`."""
    if isinstance(value, str) and value.endswith("%"):
        fraction = total * int(value[:-1] or 0) / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(value or 0)


def condition(type_: str, status: str, reason: str, message: str, old: Json) -> Json:
    """A workload condition that keeps its timestamps while nothing changes."""
    previous: Json = next(
        (c for c in old.get("conditions") or [] if c.get("type") == type_), {}
    )
    now = clock.rfc3339(clock.now())
    same = (previous.get("status"), previous.get("reason")) == (status, reason)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": previous.get("lastUpdateTime", now) if same else now,
        "lastTransitionTime": previous.get("lastTransitionTime", now)
        if previous.get("status") == status
        else now,
        "reason": reason,
        "message": message,
    }


class ReplicaSets:
    """Keeps each ReplicaSet's pod count at its replicas."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, rs: Json) -> None:
        """Create or retire pods, then report status."""
        ctx = self.ctx
        pods = live(ctx.owned(rs, ("", "pods")))
        wanted = int(rs["spec"].get("replicas", 1))
        name = rs["metadata"]["name"]
        for _ in range(wanted - len(pods)):
            template = rs["spec"].get("template") or {}
            ctx.create_pod(
                rs,
                template,
                f"{name}-{ctx.suffix()}",
                component="replicaset-controller",
            )
        if len(pods) > wanted:
            # Not-ready pods go first, then the newest.
            surplus = [p for p in pods if not pod_ready(p)]
            surplus += sorted(
                (p for p in pods if pod_ready(p)),
                key=lambda p: p["metadata"]["creationTimestamp"],
                reverse=True,
            )
            for pod in surplus[: len(pods) - wanted]:
                ctx.retire_pod(pod, rs, "replicaset-controller")
        self._status(rs)

    def _status(self, rs: Json) -> None:
        ctx = self.ctx
        pods = live(ctx.owned(rs, ("", "pods")))
        ready = sum(1 for p in pods if pod_ready(p))
        status: Json = {"replicas": len(pods), "fullyLabeledReplicas": len(pods)}
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        ctx.set_status(REPLICASETS, rs, status)


class Deployments:
    """Rolls Deployments out: one ReplicaSet per template, scaled within the
    surge and unavailability limits, older ones retired."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, deploy: Json) -> None:
        """Move one step towards the desired state."""
        if deploy["spec"].get("paused"):
            return
        ctx = self.ctx
        sets = ctx.owned(deploy, REPLICASETS)
        template = deploy["spec"].get("template") or {}
        current = next(
            (
                rs
                for rs in sets
                if same_template(rs["spec"].get("template") or {}, template)
            ),
            None,
        )
        old = [rs for rs in sets if rs is not current]
        newest_old = max([self._revision(rs) for rs in old] + [0])
        if current is None:
            current = self._new_replicaset(deploy, old)
        elif self._revision(current) <= newest_old:
            # An older template came back (rollout undo): its ReplicaSet becomes
            # the newest revision again.
            current = self._bump_revision(deploy, current, newest_old + 1)
        elif current["metadata"].get("annotations", {}).get(REVISION) != (
            deploy["metadata"].get("annotations") or {}
        ).get(REVISION):
            self._mark_revision(deploy, current)
        strategy = (deploy["spec"].get("strategy") or {}).get("type", "RollingUpdate")
        if strategy == "Recreate":
            self._recreate(deploy, current, old)
        else:
            self._roll(deploy, current, old)
        self._clean_up(deploy, old)
        self._status(deploy)

    def _revision(self, rs: Json) -> int:
        raw = (rs["metadata"].get("annotations") or {}).get(REVISION, "0")
        return int(raw) if str(raw).isdigit() else 0

    def _new_replicaset(self, deploy: Json, old: list[Json]) -> Json:
        ctx = self.ctx
        template = copy.deepcopy(deploy["spec"].get("template") or {})
        hash_ = template_hash(template)
        labels = {**((template.get("metadata") or {}).get("labels") or {})}
        labels[TEMPLATE_HASH] = hash_
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(deploy["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[TEMPLATE_HASH] = hash_
        revision = max([self._revision(rs) for rs in old] + [0]) + 1
        replicas = int(deploy["spec"].get("replicas", 1))
        rs = ctx.store.create(
            ctx.kind(REPLICASETS),
            {
                "metadata": {
                    "name": f"{deploy['metadata']['name']}-{hash_}",
                    "namespace": deploy["metadata"]["namespace"],
                    "labels": labels,
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        REVISION: str(revision),
                    },
                    "ownerReferences": [owner_ref(deploy)],
                },
                "spec": {"replicas": 0, "selector": selector, "template": template},
                "status": {"replicas": 0},
            },
        )
        self._mark_revision(deploy, rs)
        return rs

    def _bump_revision(self, deploy: Json, rs: Json, revision: int) -> Json:
        def annotate(obj: Json) -> None:
            obj["metadata"].setdefault("annotations", {})[REVISION] = str(revision)

        updated = self.ctx.set_spec_field(REPLICASETS, rs, annotate)
        self._mark_revision(deploy, updated)
        return updated

    def _mark_revision(self, deploy: Json, rs: Json) -> None:
        revision = (rs["metadata"].get("annotations") or {}).get(REVISION, "1")

        def annotate(obj: Json) -> None:
            obj["metadata"].setdefault("annotations", {})[REVISION] = revision

        self.ctx.set_spec_field(DEPLOYMENTS, deploy, annotate)

    def _scale(self, deploy: Json, rs: Json, replicas: int) -> None:
        before = int(rs["spec"].get("replicas", 0))
        if before == replicas:
            return
        desired = int(deploy["spec"].get("replicas", 1))

        def scale(obj: Json) -> None:
            obj["spec"]["replicas"] = replicas
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations["deployment.kubernetes.io/desired-replicas"] = str(desired)

        self.ctx.set_spec_field(REPLICASETS, rs, scale)
        direction = "up" if replicas > before else "down"
        self.ctx.recorder.record(
            deploy,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {before} "
            f"to {replicas}",
            component="deployment-controller",
        )

    def _ready(self, rs: Json) -> int:
        return sum(1 for p in live(self.ctx.owned(rs, ("", "pods"))) if pod_ready(p))

    def _recreate(self, deploy: Json, current: Json, old: list[Json]) -> None:
        for rs in old:
            self._scale(deploy, rs, 0)
        if any(live(self.ctx.owned(rs, ("", "pods"))) for rs in old):
            return
        self._scale(deploy, current, int(deploy["spec"].get("replicas", 1)))

    def _roll(self, deploy: Json, current: Json, old: list[Json]) -> None:
        desired = int(deploy["spec"].get("replicas", 1))
        rolling = (deploy["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        surge = scaled(rolling.get("maxSurge", "25%"), desired, round_up=True)
        unavailable = scaled(rolling.get("maxUnavailable", "25%"), desired, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        total = sum(int(rs["spec"].get("replicas", 0)) for rs in [current, *old])
        have = int(current["spec"].get("replicas", 0))
        if have > desired:
            self._scale(deploy, current, desired)
        elif have < desired:
            room = (desired + surge - total) if old else desired - have
            step = min(max(room, 0), desired - have)
            if step:
                self._scale(deploy, current, have + step)
        ready = self._ready(current) + sum(self._ready(rs) for rs in old)
        spare = max(ready - (desired - unavailable), 0)
        for rs in sorted(old, key=lambda r: r["metadata"]["creationTimestamp"]):
            replicas = int(rs["spec"].get("replicas", 0))
            if not replicas:
                continue
            unhealthy = replicas - self._ready(rs)
            cut = min(replicas, unhealthy + spare)
            spare -= max(cut - unhealthy, 0)
            if cut:
                self._scale(deploy, rs, replicas - cut)

    def _clean_up(self, deploy: Json, old: list[Json]) -> None:
        limit = int(deploy["spec"].get("revisionHistoryLimit", 10))
        idle = [
            rs
            for rs in old
            if not int(rs["spec"].get("replicas", 0))
            and not self.ctx.owned(rs, ("", "pods"))
        ]
        idle.sort(key=self._revision)
        for rs in idle[: max(len(idle) - limit, 0)]:
            meta = rs["metadata"]
            self.ctx.store.delete(
                self.ctx.kind(REPLICASETS), meta["namespace"], meta["name"]
            )

    def _status(self, deploy: Json) -> None:
        ctx = self.ctx
        sets = ctx.owned(deploy, REPLICASETS)
        template = deploy["spec"].get("template") or {}
        desired = int(deploy["spec"].get("replicas", 1))
        pods = [p for rs in sets for p in live(ctx.owned(rs, ("", "pods")))]
        current = [
            rs
            for rs in sets
            if same_template(rs["spec"].get("template") or {}, template)
        ]
        updated = [p for rs in current for p in live(ctx.owned(rs, ("", "pods")))]
        ready = sum(1 for p in pods if pod_ready(p))
        old = deploy.get("status") or {}
        status: Json = {"observedGeneration": deploy["metadata"].get("generation", 1)}
        status["replicas"] = len(pods)
        status["updatedReplicas"] = len(updated)
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        if desired > ready:
            status["unavailableReplicas"] = desired - ready
        rolling = (deploy["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        floor = desired - scaled(rolling.get("maxUnavailable", "25%"), desired, False)
        available = ready >= floor
        status["conditions"] = [
            condition(
                "Available",
                "True" if available else "False",
                "MinimumReplicasAvailable"
                if available
                else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
                old,
            ),
            self._progressing(deploy, current, updated, ready, desired, old),
        ]
        ctx.set_status(DEPLOYMENTS, deploy, status)

    def _progressing(
        self,
        deploy: Json,
        current: list[Json],
        updated: list[Json],
        ready: int,
        desired: int,
        old: Json,
    ) -> Json:
        name = current[0]["metadata"]["name"] if current else deploy["metadata"]["name"]
        done = len(updated) == desired and ready >= desired
        if done:
            return condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{name}" has successfully progressed.',
                old,
            )
        return condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            f'ReplicaSet "{name}" is progressing.',
            old,
        )
