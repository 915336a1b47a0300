"""What makes the sandbox feel alive. A fast loop (every 0.5 s) schedules and
starts pods, runs crash loops on their own clock, keeps ReplicaSets at their
replica count and recomputes workload status; a slow tick (every 2-5 s) flips
image-pull back-offs and repeats the Events of stuck volumes. Events are recorded
and counted, and objects whose owner was deleted are garbage-collected."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

from krates_desktop.sandbox import chatter, clock
from krates_desktop.sandbox.objects import (
    backoff_message,
    container_status,
    digest,
    event,
    owner_ref,
    refresh_pod_status,
    running,
    terminated,
    waiting,
)
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.store import StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ContainerKey = tuple[str, str, str]
NODE_IPS = {
    "node-1": ("172.18.0.2", "10.244.1."),
    "node-2": ("172.18.0.3", "10.244.2."),
}
BACKOFF_SECONDS = (10, 20, 30)
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of generated name suffixes
RUN_BEFORE_CRASH = (3.0, 7.0)


class Simulation:
    """The kubelets and controllers of the sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = state.store
        self.rng = state.rng
        self.pods = state.kind("", "pods")
        self.events = state.kind("", "events")
        self._due: dict[ContainerKey, float] = {}
        self._crashers: set[ContainerKey] = set()
        self._next_ip = 100
        # Pods already waiting for a volume at start stay stuck; new pods never do.
        self._stuck = {
            (p["metadata"]["namespace"], p["metadata"]["name"])
            for p in self.store.list(self.pods)
            if (p.get("status") or {}).get("phase") == "Pending"
            and p["spec"].get("nodeName")
        }
        state.store.add_listener(self._on_event)

    async def run(self) -> None:
        """Tick until cancelled."""
        next_slow = time.monotonic() + self.rng.uniform(2.0, 5.0)
        while True:
            await asyncio.sleep(0.5)
            slow = time.monotonic() >= next_slow
            if slow:
                next_slow = time.monotonic() + self.rng.uniform(2.0, 5.0)
            try:
                self.tick(slow)
            except Exception:  # a bad object must not stop the cluster from moving
                logger.exception("simulation tick failed")

    def tick(self, slow: bool = True) -> None:
        """One round of kubelet and controller work (`slow`: the ambient changes too)."""
        now = time.monotonic()
        for pod in self.store.list(self.pods):
            if not pod["metadata"].get("deletionTimestamp"):
                self._kubelet(pod, now, slow)
        self._replicasets()
        self._workload_status()

    # Kubelet

    def _kubelet(self, pod: Json, now: float, slow: bool) -> None:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        meta = pod["metadata"]
        if not spec.get("nodeName"):
            self._schedule(pod)
            return
        if not status.get("containerStatuses"):
            self._start(pod)
            return
        if status.get("phase") == "Pending" and _all_creating(status):
            self._creating(pod, now, slow)
            return
        for cs in status["containerStatuses"]:
            key = (meta["namespace"], meta["name"], cs["name"])
            state = cs.get("state") or {}
            reason = (state.get("waiting") or {}).get("reason")
            if reason == "CrashLoopBackOff":
                self._crashers.add(key)
                self._back_off(pod, cs, key, now)
            elif "running" in state and key in self._crashers:
                self._maybe_crash(pod, cs, key, now)
            elif reason in ("ImagePullBackOff", "ErrImagePull") and slow:
                self._pull_again(pod, cs, reason)

    def _set_container(self, pod: Json, name: str, change: Any) -> Json:
        def apply(obj: Json) -> None:
            for cs in obj["status"]["containerStatuses"]:
                if cs["name"] == name:
                    change(cs)
            refresh_pod_status(obj)

        meta = pod["metadata"]
        return self.store.mutate(self.pods, meta["namespace"], meta["name"], apply)

    def _back_off(self, pod: Json, cs: Json, key: ContainerKey, now: float) -> None:
        due = self._due.setdefault(key, now + self.rng.uniform(6, 14))
        if now < due:
            return
        started = clock.rfc3339(clock.now())

        def start(entry: Json) -> None:
            entry["state"] = running(started)
            entry["ready"] = False
            entry["started"] = True

        self.state.logs.log(*key)  # back-filled from the state before the restart
        updated = self._set_container(pod, cs["name"], start)
        self._due[key] = now + self.rng.uniform(*RUN_BEFORE_CRASH)
        path = f"spec.containers{{{cs['name']}}}"
        self.record(
            updated,
            "Pulled",
            f'Container image "{cs["image"]}" already present on machine',
            field_path=path,
        )
        self.record(
            updated, "Created", f"Created container: {cs['name']}", field_path=path
        )
        self.record(
            updated, "Started", f"Started container {cs['name']}", field_path=path
        )

    def _maybe_crash(self, pod: Json, cs: Json, key: ContainerKey, now: float) -> None:
        if now < self._due.get(key, 0):
            return
        log = self.state.logs.log(*key)
        log.write(chatter.crash_lines(self.rng))
        log.exited()
        delay = self.rng.choice(BACKOFF_SECONDS)
        started = (cs.get("state") or {}).get("running", {}).get(
            "startedAt"
        ) or clock.rfc3339(clock.now())
        finished = clock.rfc3339(clock.now())

        def crash(entry: Json) -> None:
            entry["lastState"] = terminated("Error", 2, started, finished)
            entry["restartCount"] = int(entry.get("restartCount", 0)) + 1
            entry["state"] = waiting(
                "CrashLoopBackOff", backoff_message(f"{delay}s", entry["name"], pod)
            )
            entry["ready"] = False
            entry["started"] = False

        updated = self._set_container(pod, cs["name"], crash)
        self._due[key] = now + delay
        message = (
            f"Back-off restarting failed container {cs['name']} in pod "
            f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})"
        )
        self.record(
            updated,
            "BackOff",
            message,
            type_="Warning",
            field_path=f"spec.containers{{{cs['name']}}}",
        )

    def _pull_again(self, pod: Json, cs: Json, reason: str) -> None:
        # ErrImagePull is brief; the back-off in between pulls lasts longer.
        if reason == "ImagePullBackOff" and self.rng.random() > 0.2:
            return
        image = cs.get("image", "")
        path = f"spec.containers{{{cs['name']}}}"
        failure = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
            f'failed to resolve reference "{image}": {image}: not found'
        )
        if reason == "ImagePullBackOff":
            new_state = waiting("ErrImagePull", failure)
            self.record(
                pod,
                "Failed",
                f'Failed to pull image "{image}": {failure}',
                type_="Warning",
                field_path=path,
            )
        else:
            new_state = waiting("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self.record(
                pod, "BackOff", f'Back-off pulling image "{image}"', field_path=path
            )

        def change(entry: Json) -> None:
            entry["state"] = new_state

        self._set_container(pod, cs["name"], change)

    def _creating(self, pod: Json, now: float, slow: bool) -> None:
        meta = pod["metadata"]
        if (meta["namespace"], meta["name"]) in self._stuck:
            volumes = [
                v
                for v in pod["spec"].get("volumes") or []
                if "persistentVolumeClaim" in v
            ]
            if volumes and slow and self.rng.random() < 0.15:
                self.record(
                    pod,
                    "FailedAttachVolume",
                    f'AttachVolume.Attach failed for volume "{volumes[0]["name"]}" : rpc error: '
                    "code = DeadlineExceeded desc = context deadline exceeded",
                    type_="Warning",
                    component="attachdetach-controller",
                )
            return
        key = (meta["namespace"], meta["name"], "")
        if now < self._due.setdefault(key, now + self.rng.uniform(1.0, 2.5)):
            return
        del self._due[key]
        self._run_pod(pod)

    # Scheduling and start-up of new pods

    def _schedule(self, pod: Json) -> None:
        node = self.rng.choice(sorted(NODE_IPS))
        host_ip, _ = NODE_IPS[node]
        now = clock.rfc3339(clock.now())

        def bind(obj: Json) -> None:
            obj["spec"]["nodeName"] = node
            status = obj.setdefault("status", {})
            status.update(
                phase="Pending",
                hostIP=host_ip,
                hostIPs=[{"ip": host_ip}],
                startTime=now,
            )
            status["containerStatuses"] = [
                container_status(c, waiting("ContainerCreating"), ready=False)
                for c in obj["spec"]["containers"]
            ]
            refresh_pod_status(obj)

        meta = pod["metadata"]
        updated = self.store.mutate(self.pods, meta["namespace"], meta["name"], bind)
        self.record(
            updated,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}",
            component="default-scheduler",
        )

    def _start(self, pod: Json) -> None:
        """A bound pod without container statuses (created with a nodeName)."""

        def creating(obj: Json) -> None:
            obj.setdefault("status", {})["containerStatuses"] = [
                container_status(c, waiting("ContainerCreating"), ready=False)
                for c in obj["spec"]["containers"]
            ]
            refresh_pod_status(obj)

        meta = pod["metadata"]
        self.store.mutate(self.pods, meta["namespace"], meta["name"], creating)

    def _run_pod(self, pod: Json) -> None:
        node = pod["spec"]["nodeName"]
        _, prefix = NODE_IPS.get(node, ("172.18.0.9", "10.244.9."))
        self._next_ip = self._next_ip % 250 + 1
        ip = f"{prefix}{self._next_ip}"
        started = clock.rfc3339(clock.now())

        def run(obj: Json) -> None:
            status = obj["status"]
            status.update(phase="Running", podIP=ip, podIPs=[{"ip": ip}])
            status["containerStatuses"] = [
                container_status(c, running(started), ready=True)
                for c in obj["spec"]["containers"]
            ]
            refresh_pod_status(obj)

        meta = pod["metadata"]
        updated = self.store.mutate(self.pods, meta["namespace"], meta["name"], run)
        for spec in pod["spec"]["containers"]:
            path = f"spec.containers{{{spec['name']}}}"
            self.record(
                updated, "Pulling", f'Pulling image "{spec["image"]}"', field_path=path
            )
            self.record(
                updated,
                "Pulled",
                f'Successfully pulled image "{spec["image"]}" in 1.204s '
                "(1.204s including waiting). Image size: 3623807 bytes.",
                field_path=path,
            )
            self.record(
                updated,
                "Created",
                f"Created container: {spec['name']}",
                field_path=path,
            )
            self.record(
                updated, "Started", f"Started container {spec['name']}", field_path=path
            )

    # Controllers

    def _owned(self, owner: Json, plural: str, group: str = "") -> list[Json]:
        kind = self.state.kind(group, plural)
        uid = owner["metadata"]["uid"]
        return [
            obj
            for obj in self.store.list(kind, owner["metadata"]["namespace"])
            if any(
                ref.get("uid") == uid
                for ref in obj["metadata"].get("ownerReferences") or []
            )
        ]

    def _replicasets(self) -> None:
        deployments, replicasets = (
            self.state.kind("apps", "deployments"),
            self.state.kind("apps", "replicasets"),
        )
        for deploy in self.store.list(deployments):
            owned = self._owned(deploy, "replicasets", "apps")
            replicas = int(deploy["spec"].get("replicas", 1))
            if not owned:
                self._create_replicaset(deploy)
                continue
            newest = max(owned, key=lambda rs: rs["metadata"]["creationTimestamp"])
            if int(newest["spec"].get("replicas", 1)) != replicas:

                def scale(obj: Json, count: int = replicas) -> None:
                    obj["spec"]["replicas"] = count

                ns, name = newest["metadata"]["namespace"], newest["metadata"]["name"]
                self.store.mutate(replicasets, ns, name, scale)
                self.record(
                    deploy,
                    "ScalingReplicaSet",
                    f"Scaled replica set {name} from "
                    f"{newest['spec'].get('replicas', 1)} to {replicas}",
                    component="deployment-controller",
                )
        for rs in self.store.list(replicasets):
            self._reconcile_pods(rs)

    def _create_replicaset(self, deploy: Json) -> None:
        template = copy.deepcopy(deploy["spec"].get("template") or {})
        hash_ = "".join(
            _SAFE[int(c, 16) % len(_SAFE)] for c in digest(repr(template))[:10]
        )
        labels = {
            **(template.get("metadata") or {}).get("labels", {}),
            "pod-template-hash": hash_,
        }
        template.setdefault("metadata", {})["labels"] = labels
        name = f"{deploy['metadata']['name']}-{hash_}"
        selector = copy.deepcopy(deploy["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = hash_
        self.store.create(
            self.state.kind("apps", "replicasets"),
            {
                "metadata": {
                    "name": name,
                    "namespace": deploy["metadata"]["namespace"],
                    "labels": labels,
                    "ownerReferences": [owner_ref(deploy)],
                },
                "spec": {
                    "replicas": int(deploy["spec"].get("replicas", 1)),
                    "selector": selector,
                    "template": template,
                },
                "status": {"replicas": 0},
            },
        )
        self.record(
            deploy,
            "ScalingReplicaSet",
            f"Scaled up replica set {name} from 0 to {deploy['spec'].get('replicas', 1)}",
            component="deployment-controller",
        )

    def _suffix(self) -> str:
        return "".join(self.rng.choice(_SAFE) for _ in range(5))

    def _reconcile_pods(self, rs: Json) -> None:
        pods = [
            p
            for p in self._owned(rs, "pods")
            if not p["metadata"].get("deletionTimestamp")
        ]
        wanted = int(rs["spec"].get("replicas", 1))
        ns, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        for _ in range(wanted - len(pods)):
            template = copy.deepcopy(rs["spec"].get("template") or {})
            pod_name = f"{name}-{self._suffix()}"
            template.setdefault("metadata", {}).update(
                name=pod_name, namespace=ns, ownerReferences=[owner_ref(rs)]
            )
            spec = template.get("spec") or {}
            spec.setdefault("restartPolicy", "Always")
            created = self.store.create(
                self.pods,
                {
                    "metadata": template["metadata"],
                    "spec": spec,
                    "status": {"phase": "Pending", "qosClass": "Burstable"},
                },
            )
            self.record(
                rs,
                "SuccessfulCreate",
                f"Created pod: {created['metadata']['name']}",
                component="replicaset-controller",
            )
        surplus = sorted(
            pods, key=lambda p: p["metadata"]["creationTimestamp"], reverse=True
        )
        for pod in surplus[: max(len(pods) - wanted, 0)]:
            self.store.delete(self.pods, ns, pod["metadata"]["name"])
            self.record(
                rs,
                "SuccessfulDelete",
                f"Deleted pod: {pod['metadata']['name']}",
                component="replicaset-controller",
            )

    def _workload_status(self) -> None:
        for group, plural in (
            ("apps", "replicasets"),
            ("apps", "deployments"),
            ("apps", "statefulsets"),
        ):
            kind = self.state.kind(group, plural)
            for obj in self.store.list(kind):
                status = workload_status(obj, plural, self._pods_of(obj, plural))

                def update(target: Json, status: Json = status) -> None:
                    target["status"] = status

                meta = obj["metadata"]
                self.store.mutate(kind, meta["namespace"], meta["name"], update)

    def _pods_of(self, obj: Json, plural: str) -> list[Json]:
        if plural == "deployments":
            owned = self._owned(obj, "replicasets", "apps")
            return [p for rs in owned for p in self._owned(rs, "pods")]
        return self._owned(obj, "pods")

    # Events and garbage collection

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
        """Record an Event, or bump the count of the same one."""
        meta = involved["metadata"]
        now = clock.rfc3339(clock.now())
        for existing in self.store.list(self.events, meta.get("namespace", "default")):
            target = existing.get("involvedObject") or {}
            if target.get("uid") == meta["uid"] and existing.get("reason") == reason:

                def bump(obj: Json) -> None:
                    obj["count"] = int(obj.get("count", 1)) + 1
                    obj["lastTimestamp"] = now
                    obj["message"] = message

                self.store.mutate(
                    self.events,
                    existing["metadata"]["namespace"],
                    existing["metadata"]["name"],
                    bump,
                )
                return
        host = (
            (involved.get("spec") or {}).get("nodeName")
            if component == "kubelet"
            else None
        )
        self.store.create(
            self.events,
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

    def _on_event(self, stored: StoredEvent) -> None:
        if stored.type != "DELETED":
            return
        uid = stored.new["metadata"].get("uid")
        asyncio.get_running_loop().call_soon(self._collect, uid)

    def _collect(self, uid: str) -> None:
        """Delete every object whose owner with `uid` is gone."""
        for key, obj in list(self.store.iter_all()):
            refs = obj["metadata"].get("ownerReferences") or []
            if any(ref.get("uid") == uid for ref in refs):
                kind = self.state.registry.by_key(key)
                meta = obj["metadata"]
                if kind is not None and self.store.get(
                    kind, meta.get("namespace", ""), meta["name"]
                ):
                    self.store.delete(kind, meta.get("namespace", ""), meta["name"])


def _pod_ready(pod: Json) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
    )


def workload_status(obj: Json, plural: str, pods: list[Json]) -> Json:
    """The status a controller reports for a workload with these pods."""
    status = copy.deepcopy(obj.get("status") or {})
    total, ready = len(pods), sum(1 for p in pods if _pod_ready(p))
    wanted = int((obj.get("spec") or {}).get("replicas", 1))
    status["replicas"] = total
    status["observedGeneration"] = obj["metadata"].get("generation", 1)
    for field in ("readyReplicas", "availableReplicas"):
        if ready:
            status[field] = ready
        else:
            status.pop(field, None)
    if plural != "replicasets":
        status["updatedReplicas"] = total
    if plural == "deployments" and wanted > ready:
        status["unavailableReplicas"] = wanted - ready
    else:
        status.pop("unavailableReplicas", None)
    return status


def _all_creating(status: Json) -> bool:
    """Whether every container of a pod is still being created."""
    return all(
        ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        == "ContainerCreating"
        for cs in status.get("containerStatuses") or []
    )
