"""Builders for believable Kubernetes objects: pods with full status, container
states, owner references and core/v1 Events. Used by the seed and the simulation."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from krates_desktop.sandbox import clock

Json = dict[str, Any]


def digest(text: str) -> str:
    """A stable sha256 hex digest, for image and container ids."""
    return hashlib.sha256(text.encode()).hexdigest()


def meta(
    name: str,
    namespace: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    created: str | None = None,
    owner: Json | None = None,
) -> Json:
    """ObjectMeta with a fresh uid."""
    metadata: Json = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["uid"] = str(uuid.uuid4())
    metadata["creationTimestamp"] = created or clock.rfc3339(clock.now())
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    if owner:
        metadata["ownerReferences"] = [owner]
    return metadata


def owner_ref(obj: Json) -> Json:
    """A controller ownerReference pointing at `obj`."""
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def container(
    name: str,
    image: str,
    ports: list[tuple[str, int]] | None = None,
    env: dict[str, str] | None = None,
    cpu: str = "100m",
    memory: str = "128Mi",
) -> Json:
    """A container spec with resources, ports, env and the usual defaults."""
    spec: Json = {"name": name, "image": image}
    if ports:
        spec["ports"] = [
            {"name": port_name, "containerPort": number, "protocol": "TCP"}
            for port_name, number in ports
        ]
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    spec["resources"] = {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"memory": memory},
    }
    spec["terminationMessagePath"] = "/dev/termination-log"
    spec["terminationMessagePolicy"] = "File"
    spec["imagePullPolicy"] = "IfNotPresent"
    spec["volumeMounts"] = [
        {
            "name": "kube-api-access",
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
    ]
    return spec


def image_id(image: str) -> str:
    """The resolved image digest a runtime reports."""
    repository = image.rsplit(":", 1)[0]
    return f"{repository}@sha256:{digest(image)}"


def running(started: str) -> Json:
    """A `state` for a running container."""
    return {"running": {"startedAt": started}}


def waiting(reason: str, message: str = "") -> Json:
    """A `state` for a waiting container."""
    state: Json = {"reason": reason}
    if message:
        state["message"] = message
    return {"waiting": state}


def terminated(reason: str, exit_code: int, started: str, finished: str) -> Json:
    """A `state` (or lastState) for a terminated container."""
    return {
        "terminated": {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": started,
            "finishedAt": finished,
            "containerID": f"containerd://{secrets.token_hex(32)}",
        }
    }


def container_status(
    spec: Json,
    state: Json,
    *,
    ready: bool,
    restarts: int = 0,
    last_state: Json | None = None,
) -> Json:
    """A containerStatuses entry consistent with the spec and state."""
    status: Json = {
        "name": spec["name"],
        "state": state,
        "lastState": last_state or {},
        "ready": ready,
        "restartCount": restarts,
        "image": spec["image"],
        "imageID": "",
        "started": "running" in state,
    }
    if "waiting" not in state or restarts:
        status["imageID"] = image_id(spec["image"])
        status["containerID"] = f"containerd://{secrets.token_hex(32)}"
    return status


def pod_conditions(
    scheduled: str, *, initialized: bool, ready: bool, unready: list[str]
) -> list[Json]:
    """The five standard pod conditions."""
    not_ready = {
        "reason": "ContainersNotReady",
        "message": f"containers with unready status: [{' '.join(unready)}]",
    }

    def condition(type_: str, ok: bool, extra: Json | None = None) -> Json:
        entry: Json = {
            "type": type_,
            "status": "True" if ok else "False",
            "lastProbeTime": None,
            "lastTransitionTime": scheduled,
        }
        if not ok and extra:
            entry.update(extra)
        return entry

    return [
        condition("PodReadyToStartContainers", initialized),
        condition("Initialized", True),
        condition("Ready", ready, not_ready),
        condition("ContainersReady", ready, not_ready),
        condition("PodScheduled", True),
    ]


def refresh_pod_status(pod: Json) -> None:
    """Recompute phase-independent parts of status (conditions) from containerStatuses."""
    status = pod.setdefault("status", {})
    statuses = status.get("containerStatuses") or []
    unready = [cs["name"] for cs in statuses if not cs.get("ready")]
    started = any(
        "running" in cs.get("state", {}) or cs.get("restartCount") for cs in statuses
    )
    scheduled = status.get("startTime") or pod["metadata"]["creationTimestamp"]
    old = {c["type"]: c for c in status.get("conditions") or []}
    new = pod_conditions(
        scheduled, initialized=started, ready=not unready, unready=unready
    )
    for condition in new:
        previous = old.get(condition["type"])
        if previous and previous.get("status") == condition["status"]:
            condition["lastTransitionTime"] = previous.get("lastTransitionTime")
        elif previous:
            condition["lastTransitionTime"] = clock.rfc3339(clock.now())
    status["conditions"] = new


def pod(
    namespace: str,
    name: str,
    *,
    labels: dict[str, str],
    owner: Json | None,
    node: str,
    host_ip: str,
    pod_ip: str | None,
    containers: list[Json],
    states: list[Json],
    created: str,
    phase: str = "Running",
    restarts: list[int] | None = None,
    last_states: list[Json | None] | None = None,
    annotations: dict[str, str] | None = None,
    volumes: list[Json] | None = None,
    init_containers: list[Json] | None = None,
    host_network: bool = False,
) -> Json:
    """A complete Pod as a kubelet would report it."""
    restarts = restarts or [0] * len(containers)
    last_states = last_states or [None] * len(containers)
    statuses = [
        container_status(
            spec, state, ready="running" in state, restarts=count, last_state=last
        )
        for spec, state, count, last in zip(
            containers, states, restarts, last_states, strict=True
        )
    ]
    spec: Json = {
        "containers": containers,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "nodeName": node,
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "volumes": (volumes or []) + [_projected_token_volume()],
    }
    if host_network:
        spec["hostNetwork"] = True
    status: Json = {
        "phase": phase,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": created,
        "containerStatuses": statuses,
        "qosClass": "Burstable",
    }
    if init_containers:
        spec["initContainers"] = init_containers
        status["initContainerStatuses"] = [
            container_status(
                c, terminated("Completed", 0, created, created), ready=True
            )
            for c in init_containers
        ]
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(
            name,
            namespace,
            labels=labels,
            annotations=annotations,
            created=created,
            owner=owner,
        ),
        "spec": spec,
        "status": status,
    }
    refresh_pod_status(obj)
    return obj


def _projected_token_volume() -> Json:
    return {
        "name": "kube-api-access",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
            ],
            "defaultMode": 420,
        },
    }


def event(
    involved: Json,
    reason: str,
    message: str,
    *,
    type_: str = "Normal",
    count: int = 1,
    first: str | None = None,
    last: str | None = None,
    component: str = "kubelet",
    host: str | None = None,
    field_path: str | None = None,
) -> Json:
    """A core/v1 Event about `involved`."""
    imeta = involved["metadata"]
    target: Json = {
        "kind": involved["kind"],
        "namespace": imeta.get("namespace", "default"),
        "name": imeta["name"],
        "uid": imeta["uid"],
        "apiVersion": involved["apiVersion"],
        "resourceVersion": imeta.get("resourceVersion", ""),
    }
    if field_path:
        target["fieldPath"] = field_path
    first = first or clock.rfc3339(clock.now())
    source: Json = {"component": component}
    if host:
        source["host"] = host
    namespace = imeta.get("namespace", "default")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(
            f"{imeta['name']}.{_event_suffix()}", namespace, created=first
        ),
        "involvedObject": target,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": first,
        "lastTimestamp": last or first,
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


_LAST_EVENT_NS = [0]


def _event_suffix() -> str:
    """The hex nanosecond timestamp Event names end with (unique, increasing)."""
    now = max(time.time_ns(), _LAST_EVENT_NS[0] + 1)
    _LAST_EVENT_NS[0] = now
    return f"{now:x}"


def backoff_message(delay: str, container_name: str, target: Json) -> str:
    """The waiting message of a container in CrashLoopBackOff."""
    meta_ = target["metadata"]
    return (
        f"back-off {delay} restarting failed container={container_name} "
        f"pod={meta_['name']}_{meta_['namespace']}({meta_['uid']})"
    )
