"""Fills the sandbox for benchmarks: `--pods N` adds N running pods (up to 50,000)
in namespaces `bench-01`, `bench-02`, ... of about 1,000 pods each, owned by
Deployments of ten replicas through their ReplicaSets, each pod about 5 KB of
JSON like a real one; `--events N` adds N Events about those pods (or about the
seeded pods when there are none).

Objects are built directly into the store, sharing the parts that never differ
between replicas (container specs, volumes, tolerations), since stored objects
are never changed in place.
"""

from __future__ import annotations

import gc
import itertools
import logging
import time
import uuid
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.controllers import condition
from krates_desktop.sandbox.objects import container, owner_ref, pod, running
from krates_desktop.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

Json = dict[str, Any]
PODS_PER_NAMESPACE = 1000
REPLICAS = 10
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_IMAGES = (
    ("orders", "ghcr.io/acme/orders:4.2.1"),
    ("billing", "ghcr.io/acme/billing:2.9.0"),
    ("search", "ghcr.io/acme/search:7.1.3"),
    ("catalog", "ghcr.io/acme/catalog:1.18.5"),
    ("notify", "ghcr.io/acme/notify:0.33.2"),
)


class _Names:
    """Deterministic generated-name suffixes."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def suffix(self, length: int) -> str:
        space = len(_SAFE) ** length
        # A multiplicative hash spreads consecutive counters over the whole space.
        value = (next(self._counter) * 2654435761 + 40503) % space
        chars = []
        for _ in range(length):
            value, index = divmod(value, len(_SAFE))
            chars.append(_SAFE[index])
        return "".join(chars)


class BulkFiller:
    """Creates the benchmark namespaces, workloads, pods and events."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = state.store
        self.names = _Names()
        self.nodes = [
            (n["metadata"]["name"], _node_ip(n))
            for n in self.store.list(state.kind("", "nodes"))
        ]
        self.pods: list[Json] = []

    def add(self, group: str, plural: str, obj: Json) -> Json:
        """Store a freshly built object as it is."""
        kind = self.state.kind(group, plural)
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        return self.store.create(kind, obj, copy_input=False)

    def fill_pods(self, count: int) -> None:
        """`count` pods in Deployments of ten, about 1,000 per namespace."""
        created = clock.ago(days=2)
        namespaces = max(1, -(-count // PODS_PER_NAMESPACE))
        left = count
        for index in range(namespaces):
            namespace = f"bench-{index + 1:02d}"
            self._namespace(namespace, created)
            share = min(left, PODS_PER_NAMESPACE)
            left -= share
            for number in range(-(-share // REPLICAS)):
                replicas = min(REPLICAS, share - number * REPLICAS)
                self._deployment(namespace, number, replicas, created)

    def _namespace(self, name: str, created: str) -> None:
        self.add(
            "",
            "namespaces",
            {
                "metadata": {
                    "name": name,
                    "uid": str(uuid.uuid4()),
                    "creationTimestamp": created,
                    "labels": {"kubernetes.io/metadata.name": name, "purpose": "bench"},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )

    def _containers(self, app: str, image: str) -> list[Json]:
        main = container(
            app,
            image,
            ports=[("http", 8080), ("metrics", 9090)],
            env={
                "LOG_LEVEL": "info",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
                "DATABASE_URL": f"postgres://{app}-db:5432/{app}",
                "GOMAXPROCS": "2",
                "FEATURE_FLAGS": "new-checkout,fast-search,async-billing",
            },
            cpu="200m",
            memory="256Mi",
        )
        sidecar = container(
            "envoy",
            "envoyproxy/envoy:v1.33.2",
            ports=[("admin", 9901), ("proxy", 15001)],
            cpu="50m",
            memory="64Mi",
        )
        return [main, sidecar]

    def _deployment(
        self, namespace: str, number: int, replicas: int, created: str
    ) -> None:
        app, image = _IMAGES[number % len(_IMAGES)]
        name = f"{app}-{number:03d}"
        hash_ = self.names.suffix(10)
        labels = {"app": name, "team": app}
        containers = self._containers(app, image)
        rs_labels = {**labels, "pod-template-hash": hash_}
        template: Json = {
            "metadata": {"labels": rs_labels},
            "spec": {"containers": containers, "restartPolicy": "Always"},
        }
        status = self._workload_status(replicas, created)
        deploy = self.add(
            "apps",
            "deployments",
            {
                "metadata": _meta(name, namespace, labels, created, revision=True),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": dict(labels)},
                        "spec": template["spec"],
                    },
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                    },
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                },
                "status": {**status, "updatedReplicas": replicas},
            },
        )
        self._replicaset(deploy, f"{name}-{hash_}", template, replicas, created)

    def _replicaset(
        self, deploy: Json, name: str, template: Json, replicas: int, created: str
    ) -> None:
        labels = template["metadata"]["labels"]
        namespace = deploy["metadata"]["namespace"]
        rs_meta = _meta(name, namespace, dict(labels), created)
        rs_meta["ownerReferences"] = [owner_ref(deploy)]
        rs_meta["annotations"] = {"deployment.kubernetes.io/revision": "1"}
        rs = self.add(
            "apps",
            "replicasets",
            {
                "metadata": rs_meta,
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": dict(labels)},
                    "template": template,
                },
                "status": {
                    "replicas": replicas,
                    "fullyLabeledReplicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                    "observedGeneration": 1,
                },
            },
        )
        for _ in range(replicas):
            self._pod(rs, template["spec"]["containers"], labels, created)

    def _workload_status(self, replicas: int, created: str) -> Json:
        old: Json = {}
        available = condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            old,
        )
        available["lastUpdateTime"] = available["lastTransitionTime"] = created
        return {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [available],
        }

    def _pod(
        self, rs: Json, containers: list[Json], labels: Json, created: str
    ) -> None:
        node, host_ip = self.nodes[len(self.pods) % len(self.nodes)]
        name = f"{rs['metadata']['name']}-{self.names.suffix(5)}"
        count = len(self.pods)
        ip = f"10.{100 + count // 65000}.{count // 250 % 256}.{count % 250 + 2}"
        made = pod(
            rs["metadata"]["namespace"],
            name,
            labels=labels,
            owner=owner_ref(rs),
            node=node,
            host_ip=host_ip,
            pod_ip=ip,
            containers=containers,
            states=[running(created)] * len(containers),
            created=created,
        )
        made["metadata"]["uid"] = str(uuid.uuid4())
        self.pods.append(self.add("", "pods", made))

    def fill_events(self, count: int) -> None:
        """`count` Events about the bulk pods (or the seeded ones)."""
        targets = self.pods or self.store.list(self.state.kind("", "pods"))
        reasons = (
            (
                "Scheduled",
                "Successfully assigned {ns}/{name} to {node}",
                "default-scheduler",
            ),
            (
                "Pulled",
                'Container image "{image}" already present on machine',
                "kubelet",
            ),
            ("Created", "Created container: {container}", "kubelet"),
            ("Started", "Started container {container}", "kubelet"),
        )
        when = clock.ago(days=2)
        for index in range(count):
            target = targets[index % len(targets)]
            reason, text, component = reasons[index // len(targets) % len(reasons)]
            meta, spec = target["metadata"], target["spec"]
            first = spec["containers"][0]
            message = text.format(
                ns=meta["namespace"],
                name=meta["name"],
                node=spec.get("nodeName", ""),
                image=first["image"],
                container=first["name"],
            )
            self.add(
                "", "events", _event(target, reason, message, component, when, index)
            )


def _meta(
    name: str, namespace: str, labels: Json, created: str, revision: bool = False
) -> Json:
    meta: Json = {
        "name": name,
        "namespace": namespace,
        "uid": str(uuid.uuid4()),
        "creationTimestamp": created,
        "labels": labels,
    }
    if revision:
        meta["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    meta["generation"] = 1
    return meta


def _event(
    target: Json, reason: str, message: str, component: str, when: str, index: int
) -> Json:
    meta = target["metadata"]
    host = target["spec"].get("nodeName") if component == "kubelet" else None
    source: Json = {"component": component}
    if host:
        source["host"] = host
    involved: Json = {
        "kind": "Pod",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if component == "kubelet":
        involved["fieldPath"] = (
            f"spec.containers{{{target['spec']['containers'][0]['name']}}}"
        )
    return {
        "metadata": {
            "name": f"{meta['name']}.{index:016x}",
            "namespace": meta["namespace"],
            "uid": str(uuid.uuid4()),
            "creationTimestamp": when,
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": when,
        "lastTimestamp": when,
        "count": 1,
        "type": "Normal",
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


def _node_ip(node: Json) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return "172.18.0.9"


def fill(state: SandboxState, pods: int = 0, events: int = 0) -> None:
    """Add `pods` benchmark pods and `events` Events to a seeded state."""
    started = time.perf_counter()
    filler = BulkFiller(state)
    # Tens of thousands of new containers would trigger full collections over and
    # over; nothing built here is garbage, so the collector waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if pods:
            filler.fill_pods(pods)
        if events:
            filler.fill_events(events)
    finally:
        if collecting:
            gc.enable()
    # And need never be looked at again: otherwise the first requests that allocate
    # much (a Table of every pod) set off full collections over millions of stored
    # objects, a second or two each.
    gc.freeze()
    logger.info(
        "added %d pods and %d events in %.1f s",
        pods,
        events,
        time.perf_counter() - started,
    )
