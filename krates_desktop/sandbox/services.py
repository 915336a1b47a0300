"""The Endpoints controller (each selector Service lists its ready and not-ready
pods' addresses and target ports) and the volume controller (claims bind to the
volume they name, or get one provisioned from their StorageClass; released
volumes are deleted or kept by their reclaim policy).

Limitations: EndpointSlices are not served; named target ports resolve against
the first container port of that name; provisioning is instant and never fails.
"""

from __future__ import annotations

import copy
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.controllers import Context, pod_ready
from krates_desktop.sandbox.defaults import apply_defaults

Json = dict[str, Any]
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
COMPONENT_VOLUMES = "persistentvolume-controller"


class Endpoints:
    """Keeps each Service's Endpoints object in line with its pods."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile_namespace(self, namespace: str) -> None:
        """Recompute the Endpoints of every selector Service in `namespace`."""
        ctx = self.ctx
        services = ctx.store.list(ctx.kind(("", "services")), namespace)
        if not any((s.get("spec") or {}).get("selector") for s in services):
            return
        pods = ctx.store.list(ctx.kind(("", "pods")), namespace)
        for service in services:
            selector = (service.get("spec") or {}).get("selector")
            if selector:
                members = [p for p in pods if _selected(p, selector)]
                self._write(service, members)

    def _write(self, service: Json, pods: list[Json]) -> None:
        ctx = self.ctx
        kind = ctx.kind(("", "endpoints"))
        meta = service["metadata"]
        subsets = _subsets(service, pods)
        current = ctx.store.get(kind, meta["namespace"], meta["name"])
        if current is None:
            labels = dict(meta.get("labels") or {})
            ctx.store.create(
                kind,
                {
                    "metadata": {
                        "name": meta["name"],
                        "namespace": meta["namespace"],
                        "labels": labels,
                    },
                    "subsets": subsets,
                },
            )
        elif _comparable(current.get("subsets") or []) != _comparable(subsets):

            def update(obj: Json) -> None:
                obj["subsets"] = subsets

            ctx.store.mutate(kind, meta["namespace"], meta["name"], update)


def _selected(pod: Json, selector: dict[str, str]) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _target_port(port: Json, pod: Json) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target:
                return int(declared["containerPort"])
    return None


def _subsets(service: Json, pods: list[Json]) -> list[Json]:
    ports = (service.get("spec") or {}).get("ports") or []
    ready: list[Json] = []
    not_ready: list[Json] = []
    subset_ports: list[Json] = []
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or pod["metadata"].get("deletionTimestamp"):
            continue
        address: Json = {"ip": ip}
        if pod["spec"].get("nodeName"):
            address["nodeName"] = pod["spec"]["nodeName"]
        address["targetRef"] = {
            "kind": "Pod",
            "namespace": pod["metadata"]["namespace"],
            "name": pod["metadata"]["name"],
            "uid": pod["metadata"]["uid"],
        }
        (ready if pod_ready(pod) else not_ready).append(address)
        if not subset_ports:
            for port in ports:
                number = _target_port(port, pod)
                if number is not None:
                    entry: Json = {
                        "port": number,
                        "protocol": port.get("protocol", "TCP"),
                    }
                    if port.get("name"):
                        entry = {"name": port["name"], **entry}
                    subset_ports.append(entry)
    if not ready and not not_ready:
        return []
    subset: Json = {}
    if ready:
        subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
    if not_ready:
        subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
    if subset_ports:
        subset["ports"] = subset_ports
    return [subset]


def _comparable(subsets: list[Json]) -> list[Any]:
    """Subsets reduced to what matters (seeded ones carry fewer fields)."""
    reduced = []
    for subset in subsets:
        reduced.append(
            (
                sorted(a.get("ip", "") for a in subset.get("addresses") or []),
                sorted(a.get("ip", "") for a in subset.get("notReadyAddresses") or []),
                sorted(p.get("port", 0) for p in subset.get("ports") or []),
            )
        )
    return reduced


class Volumes:
    """Binds PersistentVolumeClaims and provisions or releases volumes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile_all(self) -> None:
        """Bind every pending claim that can be bound; release orphaned volumes."""
        ctx = self.ctx
        claims = ctx.kind(("", "persistentvolumeclaims"))
        for claim in ctx.store.list(claims):
            if (claim.get("status") or {}).get("phase", "Pending") == "Pending":
                self._bind(claim)
        self._release()

    def _default_class(self) -> str | None:
        classes = self.ctx.store.list(
            self.ctx.kind(("storage.k8s.io", "storageclasses"))
        )
        for entry in classes:
            if (entry["metadata"].get("annotations") or {}).get(
                DEFAULT_CLASS
            ) == "true":
                return str(entry["metadata"]["name"])
        return None

    def _bind(self, claim: Json) -> None:
        ctx = self.ctx
        volumes = ctx.kind(("", "persistentvolumes"))
        spec = claim.get("spec") or {}
        name = spec.get("volumeName")
        if name:
            volume = ctx.store.get(volumes, "", name)
            if volume is None:
                return
        else:
            class_name = spec.get("storageClassName", self._default_class())
            if not class_name:
                return
            volume = self._provision(claim, class_name)
        self._claim_volume(volume, claim)
        self._mark_bound(claim, volume)

    def _provision(self, claim: Json, class_name: str) -> Json:
        ctx = self.ctx
        volumes = ctx.kind(("", "persistentvolumes"))
        classes = ctx.kind(("storage.k8s.io", "storageclasses"))
        storage_class = ctx.store.get(classes, "", class_name) or {}
        meta, spec = claim["metadata"], claim.get("spec") or {}
        size = ((spec.get("resources") or {}).get("requests") or {}).get(
            "storage", "1Gi"
        )
        volume: Json = {
            "metadata": {
                "name": f"pvc-{meta['uid']}",
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": storage_class.get(
                        "provisioner", "rancher.io/local-path"
                    )
                },
            },
            "spec": {
                "capacity": {"storage": size},
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "persistentVolumeReclaimPolicy": storage_class.get(
                    "reclaimPolicy", "Delete"
                ),
                "storageClassName": class_name,
                "volumeMode": spec.get("volumeMode", "Filesystem"),
                "hostPath": {"path": f"/var/local-path-provisioner/pvc-{meta['uid']}"},
            },
        }
        apply_defaults(volumes, volume)
        created = ctx.store.create(volumes, volume)
        ctx.recorder.record(
            claim,
            "ProvisioningSucceeded",
            f"Successfully provisioned volume pvc-{meta['uid']}",
            component=str(storage_class.get("provisioner", "rancher.io/local-path")),
        )
        return created

    def _claim_volume(self, volume: Json, claim: Json) -> None:
        meta = claim["metadata"]
        reference = {
            "kind": "PersistentVolumeClaim",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
        }

        def bind(obj: Json) -> None:
            obj["spec"]["claimRef"] = reference
            obj["status"] = {
                "phase": "Bound",
                "lastPhaseTransitionTime": clock.rfc3339(clock.now()),
            }

        ctx = self.ctx
        ctx.store.mutate(
            ctx.kind(("", "persistentvolumes")), "", volume["metadata"]["name"], bind
        )

    def _mark_bound(self, claim: Json, volume: Json) -> None:
        ctx = self.ctx
        vspec = volume.get("spec") or {}

        def bound(obj: Json) -> None:
            obj["spec"]["volumeName"] = volume["metadata"]["name"]
            obj["spec"].setdefault(
                "storageClassName", vspec.get("storageClassName", "")
            )
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations["pv.kubernetes.io/bind-completed"] = "yes"
            obj["status"] = {
                "phase": "Bound",
                "accessModes": list(vspec.get("accessModes") or []),
                "capacity": copy.deepcopy(vspec.get("capacity") or {}),
            }

        meta = claim["metadata"]
        ctx.store.mutate(
            ctx.kind(("", "persistentvolumeclaims")),
            meta["namespace"],
            meta["name"],
            bound,
        )

    def _release(self) -> None:
        ctx = self.ctx
        claims = ctx.kind(("", "persistentvolumeclaims"))
        volumes = ctx.kind(("", "persistentvolumes"))
        for volume in ctx.store.list(volumes):
            ref = (volume.get("spec") or {}).get("claimRef")
            if not ref or (volume.get("status") or {}).get("phase") != "Bound":
                continue
            claim = ctx.store.get(claims, ref.get("namespace", ""), ref.get("name", ""))
            if claim is not None and claim["metadata"]["uid"] == ref.get(
                "uid", claim["metadata"]["uid"]
            ):
                continue
            policy = volume["spec"].get("persistentVolumeReclaimPolicy", "Retain")
            if policy == "Delete":
                ctx.store.delete(volumes, "", volume["metadata"]["name"])
                continue

            def release(obj: Json) -> None:
                obj["status"] = {
                    "phase": "Released",
                    "lastPhaseTransitionTime": clock.rfc3339(clock.now()),
                }

            ctx.store.mutate(volumes, "", volume["metadata"]["name"], release)
