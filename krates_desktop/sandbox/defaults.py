"""Server-side defaulting and validation of new objects, as the API server's
strategies do it: pod and container defaults, namespace finalizers, Secret
`stringData`, CRD status, workload replicas and selectors, Job selectors and
labels, Service cluster IPs and node ports, volume phases.

Used by creates and updates through the API, by the controllers for the pods they make, and
by the manifest loader.

Limitations: only the defaults and checks clients notice are applied; most
field validation (names, quantities, ports) is not done.
"""

from __future__ import annotations

import base64
import random
import uuid
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.selectors import label_matcher
from krates_desktop.sandbox.status import invalid
from krates_desktop.sandbox.tables import format_selector

Json = dict[str, Any]
_RNG = random.Random()
JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


def apply_defaults(kind: ResourceKind, obj: Json) -> None:
    """Fill in what the API server defaults for a new object of `kind`, raising
    the server's 422 for what it would refuse."""
    name = obj["metadata"]["name"]
    handler = _DEFAULTERS.get(kind.key)
    if handler is not None:
        handler(kind, obj, name)


def apply_update_defaults(kind: ResourceKind, current: Json, obj: Json) -> None:
    """The defaults of a replaced or patched object, as a create gets them (a
    `kubectl replace` without imagePullPolicy gets it back); what the server
    allocated once (uid, cluster IPs, node ports) is kept from `current`, and the
    status a defaulter resets is restored by the caller."""
    obj.setdefault("metadata", {})["uid"] = current["metadata"].get("uid")
    if kind.key == ("", "services"):
        _keep_allocations(current.get("spec") or {}, obj.setdefault("spec", {}))
    apply_defaults(kind, obj)


def _keep_allocations(old: Json, new: Json) -> None:
    """A Service update that leaves out its cluster IPs and node ports keeps them,
    as the real Service REST storage does."""
    if not new.get("clusterIP") and old.get("clusterIP"):
        new["clusterIP"] = old["clusterIP"]
        new.setdefault("clusterIPs", old.get("clusterIPs") or [old["clusterIP"]])
    allocated = {p.get("port"): p.get("nodePort") for p in old.get("ports") or []}
    for port in new.get("ports") or []:
        if not port.get("nodePort") and allocated.get(port.get("port")):
            port["nodePort"] = allocated[port.get("port")]


def _namespace(kind: ResourceKind, obj: Json, name: str) -> None:
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj["spec"] = {"finalizers": ["kubernetes"]}
    obj["status"] = {"phase": "Active"}


def _secret(kind: ResourceKind, obj: Json, name: str) -> None:
    obj.setdefault("type", "Opaque")
    for key, value in (obj.pop("stringData", None) or {}).items():
        obj.setdefault("data", {})[key] = base64.b64encode(str(value).encode()).decode()


def _crd(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    when = clock.rfc3339(clock.now())
    accepted = dict(names)
    accepted.setdefault("singular", str(names.get("kind", "")).lower())
    accepted.setdefault("listKind", f"{names.get('kind', '')}List")
    obj["status"] = {
        "acceptedNames": accepted,
        "storedVersions": [
            v["name"] for v in spec.get("versions", []) if v.get("storage")
        ],
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": when,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": when,
            },
        ],
    }


def _workload(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.setdefault("spec", {})
    if kind.plural != "daemonsets":
        spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    template = spec.setdefault("template", {})
    require_selector_match(kind, obj, name)
    default_pod_spec(kind.kind, name, template.setdefault("spec", {}), "spec.template")
    if kind.plural == "deployments":
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault(
                "rollingUpdate", {"maxSurge": "25%", "maxUnavailable": "25%"}
            )
    elif kind.plural == "statefulsets":
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault(
            "updateStrategy",
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        )
    elif kind.plural == "daemonsets":
        spec.setdefault(
            "updateStrategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
        )
    obj["status"] = {"observedGeneration": 0, "replicas": 0}
    if kind.plural == "daemonsets":
        obj["status"] = {
            "currentNumberScheduled": 0,
            "desiredNumberScheduled": 0,
            "numberMisscheduled": 0,
            "numberReady": 0,
        }


def require_selector_match(kind: ResourceKind, obj: Json, name: str) -> None:
    """422 unless the object's selector matches its pod template's labels."""
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        raise invalid(kind.kind, kind.group, name, "spec.selector", "Required value")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not label_matcher(format_selector(selector).replace("<none>", ""))(
        {"metadata": {"labels": labels}}
    ):
        raise invalid(
            kind.kind,
            kind.group,
            name,
            "spec.template.metadata.labels",
            "Invalid value: `selector` does not match template `labels`",
        )


def _job(kind: ResourceKind, obj: Json, name: str) -> None:
    meta = obj["metadata"]
    uid = meta.setdefault("uid", str(uuid.uuid4()))
    spec = obj.setdefault("spec", {})
    template = spec.setdefault("template", {})
    pod_spec = template.setdefault("spec", {})
    if pod_spec.get("restartPolicy") not in ("Never", "OnFailure"):
        raise invalid(
            "Job",
            "batch",
            name,
            "spec.template.spec.restartPolicy",
            'Required value: valid values: "OnFailure", "Never"',
        )
    default_pod_spec("Job", name, pod_spec, "spec.template")
    labels = {
        JOB_UID_LABEL: uid,
        JOB_NAME_LABEL: name,
        "controller-uid": uid,
        "job-name": name,
    }
    if not spec.get("manualSelector"):
        spec["selector"] = {"matchLabels": {JOB_UID_LABEL: uid}}
        template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    meta.setdefault("labels", {}).update(labels)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    obj["status"] = {}


def _cronjob(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.setdefault("spec", {})
    if not spec.get("schedule"):
        raise invalid("CronJob", "batch", name, "spec.schedule", "Required value")
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    obj["status"] = {}


def _service(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.setdefault("spec", {})
    type_ = spec.setdefault("type", "ClusterIP")
    if type_ != "ExternalName" and not spec.get("clusterIP"):
        spec["clusterIP"] = f"10.96.{_RNG.randint(1, 254)}.{_RNG.randint(2, 254)}"
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if type_ in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = _RNG.randint(30000, 32767)
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if type_ in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    obj["status"] = {"loadBalancer": {}}


def _claim(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    obj["status"] = {"phase": "Pending"}


def _volume(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    obj["status"] = {
        "phase": "Bound" if spec.get("claimRef") else "Available",
        "lastPhaseTransitionTime": clock.rfc3339(clock.now()),
    }


def _storage_class(kind: ResourceKind, obj: Json, name: str) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def _pod(kind: ResourceKind, obj: Json, name: str) -> None:
    spec = obj.get("spec") or {}
    default_pod_spec("Pod", name, spec, "spec")
    obj["spec"] = spec
    obj["status"] = {"phase": "Pending", "qosClass": qos_class(spec)}


def default_pod_spec(kind: str, name: str, spec: Json, path: str) -> None:
    """The defaults of a PodSpec (of a Pod or a template), with its 422s."""
    group = "" if kind == "Pod" else "apps"
    if kind in ("Job", "CronJob"):
        group = "batch"
    prefix = f"{path}.spec" if path != "spec" else "spec"
    containers = spec.get("containers") or []
    if not containers:
        raise invalid(kind, group, name, f"{prefix}.containers", "Required value")
    for field in ("containers", "initContainers"):
        for index, entry in enumerate(spec.get(field) or []):
            _default_container(kind, group, name, f"{prefix}.{field}[{index}]", entry)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    if kind == "Pod":
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _default_container(
    kind: str, group: str, name: str, path: str, entry: Json
) -> None:
    if not entry.get("name"):
        raise invalid(kind, group, name, f"{path}.name", "Required value")
    if not entry.get("image"):
        raise invalid(kind, group, name, f"{path}.image", "Required value")
    image = entry["image"]
    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    entry.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    entry.setdefault("terminationMessagePath", "/dev/termination-log")
    entry.setdefault("terminationMessagePolicy", "File")
    entry.setdefault("resources", {})
    for port in entry.get("ports") or []:
        port.setdefault("protocol", "TCP")


def qos_class(spec: Json) -> str:
    """The pod's QoS class from its containers' requests and limits."""
    containers = spec.get("containers") or []
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get("cpu")
        and (r.get("limits") or {}).get("memory")
        and (r.get("requests") or {}).get("cpu", r["limits"]["cpu"])
        == r["limits"]["cpu"]
        and (r.get("requests") or {}).get("memory", r["limits"]["memory"])
        == r["limits"]["memory"]
        for r in resources
    )
    return "Guaranteed" if guaranteed else "Burstable"


_DEFAULTERS = {
    ("", "pods"): _pod,
    ("", "namespaces"): _namespace,
    ("", "secrets"): _secret,
    ("", "services"): _service,
    ("", "persistentvolumeclaims"): _claim,
    ("", "persistentvolumes"): _volume,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _crd,
    ("apps", "deployments"): _workload,
    ("apps", "replicasets"): _workload,
    ("apps", "statefulsets"): _workload,
    ("apps", "daemonsets"): _workload,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("storage.k8s.io", "storageclasses"): _storage_class,
}
