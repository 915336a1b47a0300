"""What makes the sandbox feel alive: the kubelets. A loop (every 0.5 s at pace
1) schedules pods onto nodes, starts their containers, runs crash loops on their
own clock, completes the pods of Jobs, and, every 2-5 s, flips image-pull
back-offs and repeats the Events of stuck volumes; then the controllers
(`controllers.py`) reconcile what changed. Objects whose owner was deleted are
garbage-collected.

Only pods that are not simply running are looked at, so tens of thousands of
steady pods cost nothing per tick. `pace` scales every delay (2.0 is twice as
fast).

The seeded `api-server-7c9d5-r5t7w` waits 10-30 s in CrashLoopBackOff, runs 3-7 s
and crashes again; containers of the image `ghcr.io/acme/audit-forwarder` exit
the moment they start, so their pod never leaves CrashLoopBackOff (its restart
count grows every five minutes, the kubelet's longest back-off).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from krates_desktop.sandbox import chatter, clock
from krates_desktop.sandbox.manager import Controllers
from krates_desktop.sandbox.objects import (
    backoff_message,
    container_status,
    refresh_pod_status,
    running,
    terminated,
    waiting,
)
from krates_desktop.sandbox.recorder import EventRecorder
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.store import StoredEvent

logger = logging.getLogger(__name__)

Json = dict[str, Any]
PodKey = tuple[str, str]
ContainerKey = tuple[str, str, str]
BACKOFF_SECONDS = (10, 20, 30)
RUN_BEFORE_CRASH = (3.0, 7.0)
JOB_RUN_SECONDS = (3.0, 8.0)
MAX_BACKOFF_SECONDS = 300.0
INSTANT_CRASH_IMAGES = ("ghcr.io/acme/audit-forwarder",)
TICK_SECONDS = 0.5


def crashes_at_start(image: str) -> bool:
    """Whether containers of `image` exit as soon as they start."""
    return image.rsplit(":", 1)[0] in INSTANT_CRASH_IMAGES


def _owner_kind(pod: Json) -> str:
    refs = pod["metadata"].get("ownerReferences") or []
    return str(refs[0].get("kind", "")) if refs else ""


def needs_kubelet(pod: Json) -> bool:
    """Whether a pod has anything left to happen to it (steady pods do not)."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    status = pod.get("status") or {}
    if meta.get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not spec.get("nodeName") or not status.get("containerStatuses"):
        return True
    if status.get("phase") == "Pending" or _owner_kind(pod) == "Job":
        return True
    return any(
        "waiting" in (cs.get("state") or {}) for cs in status["containerStatuses"]
    )


class Simulation:
    """The kubelets of the sandbox, and the loop that drives the controllers."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = state.store
        self.rng = state.rng
        self.pace = state.pace or 1.0
        self.pods = state.kind("", "pods")
        self.nodes = state.kind("", "nodes")
        self.claims = state.kind("", "persistentvolumeclaims")
        self.recorder = EventRecorder(state.store, state.kind("", "events"))
        self.controllers = Controllers(state, self.recorder)
        self._due: dict[ContainerKey, float] = {}
        self._crashers: set[ContainerKey] = set()
        self._active: set[PodKey] = set()
        self._next_ip = 100
        # Pods already waiting for a volume at start stay stuck; new pods never do.
        self._stuck: set[PodKey] = set()
        for pod in self.store.list(self.pods):
            key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
            if needs_kubelet(pod):
                self._active.add(key)
            status = pod.get("status") or {}
            if status.get("phase") == "Pending" and pod["spec"].get("nodeName"):
                self._stuck.add(key)
        state.store.add_listener(self._on_event)

    def later(self, low: float, high: float | None = None) -> float:
        """A monotonic deadline `low`..`high` seconds from now, at the sandbox's pace."""
        seconds = low if high is None else self.rng.uniform(low, high)
        return time.monotonic() + seconds / self.pace

    async def run(self) -> None:
        """Tick until cancelled."""
        next_slow = self.later(2.0, 5.0)
        while True:
            await asyncio.sleep(TICK_SECONDS / self.pace)
            slow = time.monotonic() >= next_slow
            if slow:
                next_slow = self.later(2.0, 5.0)
            try:
                self.tick(slow)
            except Exception:  # a bad object must not stop the cluster from moving
                logger.exception("simulation tick failed")

    def tick(self, slow: bool = True) -> None:
        """One round of kubelet and controller work (`slow`: the ambient changes too)."""
        now = time.monotonic()
        for key in sorted(self._active):
            pod = self.store.get(self.pods, *key)
            if pod is None or not self._needs(pod):
                self._active.discard(key)
                continue
            self._kubelet(pod, now, slow)
        self.controllers.tick(slow)

    def _needs(self, pod: Json) -> bool:
        """Whether the kubelet has work for a pod (a crash-looping one always does)."""
        if needs_kubelet(pod):
            return True
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            return False
        return any(
            (meta["namespace"], meta["name"], cs.get("name")) in self._crashers
            for cs in (pod.get("status") or {}).get("containerStatuses") or []
        )

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
        self.recorder.record(
            involved,
            reason,
            message,
            type_=type_,
            field_path=field_path,
            component=component,
        )

    # Kubelet

    def _kubelet(self, pod: Json, now: float, slow: bool) -> None:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        meta = pod["metadata"]
        if not spec.get("nodeName"):
            if slow or not status.get("conditions"):
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
            elif "running" in state and _owner_kind(pod) == "Job":
                self._maybe_finish(pod, key, now)
            elif reason in ("ImagePullBackOff", "ErrImagePull") and slow:
                self._pull_again(pod, cs, reason)

    def _set_container(
        self, pod: Json, name: str, change: Callable[[Json], None]
    ) -> Json:
        def apply(obj: Json) -> None:
            for cs in obj["status"]["containerStatuses"]:
                if cs["name"] == name:
                    change(cs)
            refresh_pod_status(obj)

        meta = pod["metadata"]
        return self.store.mutate(self.pods, meta["namespace"], meta["name"], apply)

    def _back_off(self, pod: Json, cs: Json, key: ContainerKey, now: float) -> None:
        if key not in self._due:
            first = MAX_BACKOFF_SECONDS if crashes_at_start(cs.get("image", "")) else 0
            self._due[key] = self.later(first) if first else self.later(6, 14)
        if now < self._due[key]:
            return
        if crashes_at_start(cs.get("image", "")):
            self._crash_at_start(pod, cs, key)
            return
        started = clock.rfc3339(clock.now())

        def start(entry: Json) -> None:
            entry["state"] = running(started)
            entry["ready"] = False
            entry["started"] = True

        self.state.logs.log(*key)  # back-filled from the state before the restart
        updated = self._set_container(pod, cs["name"], start)
        self._due[key] = self.later(*RUN_BEFORE_CRASH)
        self._container_started(updated, cs["name"], cs.get("image", ""))

    def _container_started(self, pod: Json, name: str, image: str) -> None:
        path = f"spec.containers{{{name}}}"
        self.record(
            pod,
            "Pulled",
            f'Container image "{image}" already present on machine',
            field_path=path,
        )
        self.record(pod, "Created", f"Created container: {name}", field_path=path)
        self.record(pod, "Started", f"Started container {name}", field_path=path)

    def _crash_at_start(self, pod: Json, cs: Json, key: ContainerKey) -> None:
        """A container that exits at once: one more restart, still backing off."""
        log = self.state.logs.log(*key)
        log.started()
        log.write(chatter.startup_lines(cs["name"], cs.get("image", "")))
        log.write(chatter.config_error_lines())
        log.exited()
        now = clock.rfc3339(clock.now())

        def crash(entry: Json) -> None:
            entry["lastState"] = terminated("Error", 1, now, now)
            entry["restartCount"] = int(entry.get("restartCount", 0)) + 1
            entry["state"] = waiting(
                "CrashLoopBackOff", backoff_message("5m0s", entry["name"], pod)
            )

        updated = self._set_container(pod, cs["name"], crash)
        self._due[key] = self.later(MAX_BACKOFF_SECONDS)
        self._container_started(updated, cs["name"], cs.get("image", ""))
        self._record_back_off(updated, cs["name"])

    def _record_back_off(self, pod: Json, container: str) -> None:
        meta = pod["metadata"]
        self.record(
            pod,
            "BackOff",
            f"Back-off restarting failed container {container} in pod "
            f"{meta['name']}_{meta['namespace']}({meta['uid']})",
            type_="Warning",
            field_path=f"spec.containers{{{container}}}",
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
        self._due[key] = self.later(delay)
        self._record_back_off(updated, cs["name"])

    def _maybe_finish(self, pod: Json, key: ContainerKey, now: float) -> None:
        """A Job's container finishes its work and exits 0."""
        due = self._due.setdefault(key, self.later(*JOB_RUN_SECONDS))
        if now < due:
            return
        del self._due[key]
        log = self.state.logs.log(*key)
        log.write([b"all checks passed", b"done"])
        log.exited()
        finished = clock.rfc3339(clock.now())

        def finish(obj: Json) -> None:
            for cs in obj["status"]["containerStatuses"]:
                if cs["name"] != key[2]:
                    continue
                started = (cs.get("state") or {}).get("running", {}).get("startedAt")
                cs["state"] = terminated("Completed", 0, started or finished, finished)
                cs["ready"], cs["started"] = False, False
            refresh_pod_status(obj)
            if all(
                "terminated" in (cs.get("state") or {})
                for cs in obj["status"]["containerStatuses"]
            ):
                obj["status"]["phase"] = "Succeeded"

        meta = pod["metadata"]
        self.store.mutate(self.pods, meta["namespace"], meta["name"], finish)

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
        if now < self._due.setdefault(key, self.later(0.6, 1.6)):
            return
        del self._due[key]
        self._run_pod(pod)

    # Scheduling and start-up of new pods

    def _unbound_claims(self, pod: Json) -> list[str]:
        namespace = pod["metadata"]["namespace"]
        missing = []
        for volume in pod["spec"].get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            found = self.store.get(self.claims, namespace, claim)
            if found is None or (found.get("status") or {}).get("phase") != "Bound":
                missing.append(claim)
        return missing

    def _candidate_nodes(self, pod: Json) -> list[Json]:
        wanted = pod["spec"].get("nodeSelector") or {}
        nodes = []
        for node in self.store.list(self.nodes):
            labels = node["metadata"].get("labels") or {}
            if node.get("spec", {}).get("unschedulable"):
                continue
            if all(labels.get(k) == v for k, v in wanted.items()):
                nodes.append(node)
        return nodes

    def _unschedulable(self, pod: Json, why: str) -> None:
        total = self.store.count(self.nodes)
        message = (
            f"0/{total} nodes are available: {why}. preemption: 0/{total} nodes are "
            f"available: {total} Preemption is not helpful for scheduling."
        )

        def mark(obj: Json) -> None:
            status = obj.setdefault("status", {})
            status["phase"] = "Pending"
            status["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": obj["metadata"]["creationTimestamp"],
                    "reason": "Unschedulable",
                    "message": message,
                }
            ]

        meta = pod["metadata"]
        updated = self.store.mutate(self.pods, meta["namespace"], meta["name"], mark)
        self.record(
            updated,
            "FailedScheduling",
            message,
            type_="Warning",
            component="default-scheduler",
        )

    def _schedule(self, pod: Json) -> None:
        unbound = self._unbound_claims(pod)
        if unbound:
            self._unschedulable(pod, "pod has unbound immediate PersistentVolumeClaims")
            return
        nodes = self._candidate_nodes(pod)
        if not nodes:
            self._unschedulable(
                pod, "node(s) didn't match Pod's node affinity/selector"
            )
            return
        node = self.rng.choice(nodes)
        self._bind(pod, node)

    def _bind(self, pod: Json, node: Json) -> None:
        name = node["metadata"]["name"]
        host_ip = _internal_ip(node)
        now = clock.rfc3339(clock.now())

        def bind(obj: Json) -> None:
            obj["spec"]["nodeName"] = name
            status = obj.setdefault("status", {})
            status.pop("conditions", None)
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
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {name}",
            component="default-scheduler",
        )

    def _start(self, pod: Json) -> None:
        """A bound pod without container statuses (created with a nodeName)."""
        node = self.store.get(self.nodes, "", pod["spec"]["nodeName"])
        host_ip = _internal_ip(node) if node else "172.18.0.9"

        def creating(obj: Json) -> None:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            status.setdefault("hostIP", host_ip)
            status.setdefault("hostIPs", [{"ip": host_ip}])
            status.setdefault("startTime", clock.rfc3339(clock.now()))
            status["containerStatuses"] = [
                container_status(c, waiting("ContainerCreating"), ready=False)
                for c in obj["spec"]["containers"]
            ]
            refresh_pod_status(obj)

        meta = pod["metadata"]
        self.store.mutate(self.pods, meta["namespace"], meta["name"], creating)

    def _pod_ip(self, pod: Json) -> str:
        if pod["spec"].get("hostNetwork"):
            return str((pod.get("status") or {}).get("hostIP", "172.18.0.9"))
        node = self.store.get(self.nodes, "", pod["spec"]["nodeName"])
        cidr = ((node or {}).get("spec") or {}).get("podCIDR") or "10.244.9.0/24"
        self._next_ip = self._next_ip % 250 + 1
        return cidr.rsplit(".", 1)[0] + f".{self._next_ip}"

    def _run_pod(self, pod: Json) -> None:
        ip = self._pod_ip(pod)
        started = clock.rfc3339(clock.now())
        crashing = [
            c["name"] for c in pod["spec"]["containers"] if crashes_at_start(c["image"])
        ]

        def run(obj: Json) -> None:
            status = obj["status"]
            status.update(phase="Running", podIP=ip, podIPs=[{"ip": ip}])
            status["containerStatuses"] = [
                self._first_status(obj, c, started) for c in obj["spec"]["containers"]
            ]
            if obj["spec"].get("initContainers"):
                status["initContainerStatuses"] = [
                    container_status(
                        c, terminated("Completed", 0, started, started), ready=True
                    )
                    for c in obj["spec"]["initContainers"]
                ]
            refresh_pod_status(obj)

        meta = pod["metadata"]
        updated = self.store.mutate(self.pods, meta["namespace"], meta["name"], run)
        for spec in pod["spec"]["containers"]:
            self._pulled(updated, spec)
        for name in crashing:
            self._record_back_off(updated, name)

    def _first_status(self, pod: Json, spec: Json, started: str) -> Json:
        if not crashes_at_start(spec["image"]):
            return container_status(spec, running(started), ready=True)
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"], spec["name"])
        self._due[key] = self.later(10)
        log = self.state.logs.log(*key)
        log.write(chatter.startup_lines(spec["name"], spec["image"]))
        log.write(chatter.config_error_lines())
        return container_status(
            spec,
            waiting("CrashLoopBackOff", backoff_message("10s", spec["name"], pod)),
            ready=False,
            restarts=1,
            last_state=terminated("Error", 1, started, started),
        )

    def _pulled(self, pod: Json, spec: Json) -> None:
        path = f"spec.containers{{{spec['name']}}}"
        self.record(pod, "Pulling", f'Pulling image "{spec["image"]}"', field_path=path)
        self.record(
            pod,
            "Pulled",
            f'Successfully pulled image "{spec["image"]}" in 1.204s '
            "(1.204s including waiting). Image size: 3623807 bytes.",
            field_path=path,
        )
        self.record(
            pod, "Created", f"Created container: {spec['name']}", field_path=path
        )
        self.record(
            pod, "Started", f"Started container {spec['name']}", field_path=path
        )

    # Watching the store

    def _on_event(self, stored: StoredEvent) -> None:
        if stored.key == self.pods.key:
            meta = stored.new["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            if stored.type != "DELETED" and self._needs(stored.new):
                self._active.add(key)
            elif stored.type == "DELETED":
                self._forget_pod(key)
        if stored.type == "DELETED":
            uid = stored.new["metadata"].get("uid")
            if uid:
                with_loop = _running_loop()
                if with_loop is not None:
                    with_loop.call_soon(self.collect, uid)

    def _forget_pod(self, key: PodKey) -> None:
        self._active.discard(key)
        self._stuck.discard(key)
        for container in [k for k in self._due if k[:2] == key]:
            del self._due[container]
        self._crashers -= {k for k in self._crashers if k[:2] == key}

    def collect(self, uid: str) -> None:
        """Delete every object whose owner with `uid` is gone."""
        for key, namespace, name in sorted(self.state.owners.dependents(uid)):
            kind = self.state.registry.by_key(key)
            if kind is not None and self.store.get(kind, namespace, name) is not None:
                self.store.delete(kind, namespace, name)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _internal_ip(node: Json) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return "172.18.0.9"


def _all_creating(status: Json) -> bool:
    """Whether every container of a pod is still being created."""
    return all(
        ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        == "ContainerCreating"
        for cs in status.get("containerStatuses") or []
    )
