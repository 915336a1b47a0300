"""The StatefulSet and DaemonSet controllers: ordinal pods with their own claims,
created in order and updated from the highest ordinal down; and one pod per
matching node.

Limitations: StatefulSet partitions and `maxUnavailable`, and DaemonSet
tolerations and node affinity, are not honoured; DaemonSet pods are placed by
nodeSelector only.
"""

from __future__ import annotations

import copy
from typing import Any

from krates_desktop.sandbox.controllers import (
    DAEMONSETS,
    STATEFULSETS,
    Context,
    live,
    pod_ready,
    template_hash,
)
from krates_desktop.sandbox.defaults import apply_defaults

Json = dict[str, Any]
REVISION_LABEL = "controller-revision-hash"
COMPONENT_STS = "statefulset-controller"
COMPONENT_DS = "daemonset-controller"


def _ordinal(pod: Json, set_name: str) -> int:
    tail = pod["metadata"]["name"][len(set_name) + 1 :]
    return int(tail) if tail.isdigit() else -1


class StatefulSets:
    """Ordinal pods `NAME-0..N-1`, each with PVCs from volumeClaimTemplates."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # uid -> (template hash, revision name): a new revision only when the
        # template changes (scaling bumps the generation too).
        self._revisions: dict[str, tuple[str, str]] = {}

    def _revision(self, sts: Json) -> str:
        template_key = template_hash(sts["spec"].get("template") or {})
        uid = sts["metadata"]["uid"]
        known = self._revisions.get(uid)
        if known is not None and known[0] == template_key:
            return known[1]
        status = sts.get("status") or {}
        if known is None and status.get("updateRevision"):
            revision = str(status["updateRevision"])
        else:
            revision = f"{sts['metadata']['name']}-{template_key[:9]}"
        self._revisions[uid] = (template_key, revision)
        return revision

    def reconcile(self, sts: Json) -> None:
        """Create, retire or update one pod (or all at once when Parallel)."""
        name = sts["metadata"]["name"]
        spec = sts["spec"]
        wanted = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        revision = self._revision(sts)
        pods = {_ordinal(p, name): p for p in self.ctx.owned(sts, ("", "pods"))}
        if not self._create(sts, pods, wanted, ordered, revision):
            if not self._retire(sts, pods, wanted, ordered):
                self._update(sts, pods, wanted, revision)
        self._status(sts, revision)

    def _create(
        self,
        sts: Json,
        pods: dict[int, Json],
        wanted: int,
        ordered: bool,
        revision: str,
    ) -> bool:
        made = False
        for ordinal in range(wanted):
            pod = pods.get(ordinal)
            if pod is not None:
                if ordered and not pod_ready(pod):
                    return made
                continue
            self._create_pod(sts, ordinal, revision)
            made = True
            if ordered:
                return True
        return made

    def _create_pod(self, sts: Json, ordinal: int, revision: str) -> None:
        ctx = self.ctx
        name = sts["metadata"]["name"]
        pod_name = f"{name}-{ordinal}"
        template = copy.deepcopy(sts["spec"].get("template") or {})
        spec = template.setdefault("spec", {})
        spec["hostname"] = pod_name
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        volumes = spec.setdefault("volumes", [])
        for claim_template in sts["spec"].get("volumeClaimTemplates") or []:
            claim = self._claim(sts, claim_template, ordinal)
            volumes.append(
                {
                    "name": claim_template["metadata"]["name"],
                    "persistentVolumeClaim": {"claimName": claim},
                }
            )
        labels = {
            "statefulset.kubernetes.io/pod-name": pod_name,
            "apps.kubernetes.io/pod-index": str(ordinal),
            REVISION_LABEL: revision,
        }
        ctx.create_pod(
            sts,
            template,
            pod_name,
            labels=labels,
            component=COMPONENT_STS,
            message=f"create Pod {pod_name} in StatefulSet {name} successful",
        )

    def _claim(self, sts: Json, template: Json, ordinal: int) -> str:
        ctx = self.ctx
        claims = ctx.kind(("", "persistentvolumeclaims"))
        sts_name, namespace = sts["metadata"]["name"], sts["metadata"]["namespace"]
        name = f"{template['metadata']['name']}-{sts_name}-{ordinal}"
        if ctx.store.get(claims, namespace, name) is None:
            claim = {
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": dict(
                        ((sts["spec"].get("selector") or {}).get("matchLabels")) or {}
                    ),
                    **(
                        {"annotations": dict(template["metadata"]["annotations"])}
                        if template["metadata"].get("annotations")
                        else {}
                    ),
                },
                "spec": copy.deepcopy(template.get("spec") or {}),
            }
            apply_defaults(claims, claim)
            ctx.store.create(claims, claim)
            ctx.recorder.record(
                sts,
                "SuccessfulCreate",
                f"create Claim {name} Pod {sts_name}-{ordinal} in StatefulSet "
                f"{sts_name} success",
                component=COMPONENT_STS,
            )
        return name

    def _retire(
        self, sts: Json, pods: dict[int, Json], wanted: int, ordered: bool
    ) -> bool:
        extra = sorted((o for o in pods if o >= wanted or o < 0), reverse=True)
        retired = False
        for ordinal in extra:
            pod = pods[ordinal]
            if not pod["metadata"].get("deletionTimestamp"):
                self.ctx.retire_pod(pod, sts, COMPONENT_STS)
                retired = True
            if ordered:
                return True
        return retired

    def _update(
        self, sts: Json, pods: dict[int, Json], wanted: int, revision: str
    ) -> None:
        """Replace one outdated pod, highest ordinal first, once all are ready."""
        strategy = (sts["spec"].get("updateStrategy") or {}).get(
            "type", "RollingUpdate"
        )
        if strategy != "RollingUpdate":
            return
        current = [pods[o] for o in sorted(pods) if 0 <= o < wanted]
        if len(current) < wanted or not all(pod_ready(p) for p in current):
            return
        for pod in reversed(current):
            labels = pod["metadata"].get("labels") or {}
            if labels.get(REVISION_LABEL) != revision:
                self.ctx.retire_pod(pod, sts, COMPONENT_STS)
                return

    def _status(self, sts: Json, revision: str) -> None:
        pods = live(self.ctx.owned(sts, ("", "pods")))
        ready = sum(1 for p in pods if pod_ready(p))
        updated = sum(
            1
            for p in pods
            if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision
        )
        old = sts.get("status") or {}
        status: Json = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "currentReplicas": updated,
            "updatedReplicas": updated,
            "currentRevision": old.get("currentRevision", revision)
            if updated < len(pods)
            else revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        self.ctx.set_status(STATEFULSETS, sts, status)


class DaemonSets:
    """One pod on every node the template's nodeSelector matches."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _nodes(self, ds: Json) -> list[Json]:
        wanted = ((ds["spec"].get("template") or {}).get("spec") or {}).get(
            "nodeSelector"
        ) or {}
        nodes = self.ctx.store.list(self.ctx.kind(("", "nodes")))
        return [
            n
            for n in nodes
            if all(
                (n["metadata"].get("labels") or {}).get(k) == v
                for k, v in wanted.items()
            )
        ]

    def reconcile(self, ds: Json) -> None:
        """Create the missing node pods and retire those on nodes that left."""
        ctx = self.ctx
        nodes = {n["metadata"]["name"] for n in self._nodes(ds)}
        pods = live(ctx.owned(ds, ("", "pods")))
        placed = {p["spec"].get("nodeName"): p for p in pods}
        name = ds["metadata"]["name"]
        generation = str(ds["metadata"].get("generation", 1))
        for node in sorted(nodes - set(placed)):
            ctx.create_pod(
                ds,
                ds["spec"].get("template") or {},
                f"{name}-{ctx.suffix()}",
                labels={"pod-template-generation": generation},
                node=node,
                component=COMPONENT_DS,
            )
        for node, pod in placed.items():
            if node not in nodes:
                ctx.retire_pod(pod, ds, COMPONENT_DS)
        self._status(ds, len(nodes))

    def _status(self, ds: Json, desired: int) -> None:
        pods = live(self.ctx.owned(ds, ("", "pods")))
        ready = sum(1 for p in pods if pod_ready(p))
        status: Json = {
            "currentNumberScheduled": len(pods),
            "desiredNumberScheduled": desired,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": len(pods),
            "numberAvailable": ready,
        }
        if desired > ready:
            status["numberUnavailable"] = desired - ready
        self.ctx.set_status(DAEMONSETS, ds, status)
