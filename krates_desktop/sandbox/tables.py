"""Server-side `Table` output (`as=Table;g=meta.k8s.io;v=v1`), with the columns kubectl
prints for each kind, additionalPrinterColumns for custom resources, and Name/Age
for everything else.

Limitations: the JSONPath used by additionalPrinterColumns supports dotted fields,
list indexes and `[?(@.field=="value")]` filters only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.kinds import ResourceKind

Json = dict[str, Any]
Cell = str | int | float | bool | None
RowFunction = Callable[[Json], list[Cell]]

_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the generation "
    "of an appropriate name automatically. Cannot be updated.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this "
    "object was created.",
}


def column(name: str, type_: str = "string", priority: int = 0, fmt: str = "") -> Json:
    """A TableColumnDefinition."""
    return {
        "name": name,
        "type": type_,
        "format": "name" if name == "Name" and not fmt else fmt,
        "description": _DESCRIPTIONS.get(name, f"{name} of the object."),
        "priority": priority,
    }


def _meta(obj: Json) -> Json:
    return obj.get("metadata") or {}


def _age(obj: Json) -> str:
    return clock.age(_meta(obj).get("creationTimestamp"))


def _name(obj: Json) -> str:
    return str(_meta(obj).get("name", ""))


def format_selector(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector as kubectl prints it, `<none>` when empty."""
    if not selector:
        return "<none>"
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        op = expr.get("operator", "")
        if op in ("In", "NotIn"):
            terms.append(f"{expr['key']} {op.lower()} ({values})")
        else:
            terms.append(expr["key"] if op == "Exists" else f"!{expr['key']}")
    return ",".join(terms) or "<none>"


def _map_selector(selector: Mapping[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in (selector or {}).items()) or "<none>"


def _containers(obj: Json) -> tuple[str, str]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = spec.get("containers") or []
    names = ",".join(c.get("name", "") for c in containers)
    images = ",".join(c.get("image", "") for c in containers)
    return names, images


# Pods


def _restartable(pod: Json) -> set[str]:
    """Names of sidecar (restartable init) containers."""
    return {
        c["name"]
        for c in (pod.get("spec") or {}).get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    }


def _condition_true(pod: Json, type_: str) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)


def _init_reason(pod: Json, sidecars: set[str]) -> str | None:
    """The Init:... status while init containers run, or None once they are done."""
    status = pod.get("status") or {}
    inits = status.get("initContainerStatuses") or []
    total = len((pod.get("spec") or {}).get("initContainers") or [])
    for index, cs in enumerate(inits):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            continue
        if terminated:
            if terminated.get("reason"):
                return f"Init:{terminated['reason']}"
            if terminated.get("signal"):
                return f"Init:Signal:{terminated['signal']}"
            return f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        if waiting and waiting.get("reason") not in (None, "", "PodInitializing"):
            return f"Init:{waiting['reason']}"
        return f"Init:{index}/{total}"
    return None


def _container_reason(pod: Json, reason: str) -> tuple[str, bool]:
    has_running = False
    for cs in reversed((pod.get("status") or {}).get("containerStatuses") or []):
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            signal = terminated.get("signal")
            reason = (
                f"Signal:{signal}"
                if signal
                else f"ExitCode:{terminated.get('exitCode', 0)}"
            )
        elif cs.get("ready") and state.get("running"):
            has_running = True
    return reason, has_running


def pod_reason(pod: Json) -> str:
    """The STATUS column of `kubectl get pods`, computed as kubectl's printer does."""
    status = pod.get("status") or {}
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase or "Unknown"
    for entry in status.get("conditions") or []:
        if (
            entry.get("type") == "PodScheduled"
            and entry.get("reason") == "SchedulingGated"
        ):
            reason = "SchedulingGated"
    initializing = _init_reason(pod, _restartable(pod))
    if initializing is not None:
        reason = initializing
    if initializing is None or _condition_true(pod, "Initialized"):
        reason, has_running = _container_reason(pod, reason)
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"
    deleting = _meta(pod).get("deletionTimestamp")
    if deleting and status.get("reason") == "NodeLost":
        return "Unknown"
    if deleting and phase not in ("Succeeded", "Failed"):
        return "Terminating"
    return str(reason)


def _restarts(pod: Json) -> str:
    status = pod.get("status") or {}
    sidecars = _restartable(pod)
    statuses = list(status.get("containerStatuses") or []) + [
        cs
        for cs in status.get("initContainerStatuses") or []
        if cs.get("name") in sidecars
    ]
    count = sum(int(cs.get("restartCount", 0)) for cs in statuses)
    finished = [
        ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        for cs in statuses
    ]
    latest = max((f for f in finished if f), default=None)
    if count and latest:
        return f"{count} ({clock.age(latest)} ago)"
    return str(count)


def _pod_row(pod: Json) -> list[Cell]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    sidecars = _restartable(pod)
    statuses = status.get("containerStatuses") or []
    ready = sum(
        1 for cs in statuses if cs.get("ready") and "running" in (cs.get("state") or {})
    )
    ready += sum(
        1
        for cs in status.get("initContainerStatuses") or []
        if cs.get("name") in sidecars and cs.get("started") and cs.get("ready")
    )
    total = len(spec.get("containers") or []) + len(sidecars)
    gates = spec.get("readinessGates") or []
    conditions = {
        c.get("type"): c.get("status") for c in status.get("conditions") or []
    }
    passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    ips = status.get("podIPs") or []
    ip = (ips[0].get("ip") if ips else None) or status.get("podIP") or "<none>"
    return [
        _name(pod),
        f"{ready}/{total}",
        pod_reason(pod),
        _restarts(pod),
        _age(pod),
        ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"{passed}/{len(gates)}" if gates else "<none>",
    ]


def row_conditions(kind: ResourceKind, obj: Json) -> list[Json] | None:
    """The row conditions kubectl uses to grey out finished pods."""
    if kind.table != "pods":
        return None
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]  # fmt: skip
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]  # fmt: skip
    return None


# Workloads


def _deployment_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    return [
        _name(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        _age(obj),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _replicaset_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    return [
        _name(obj),
        int(spec.get("replicas", 1)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        _age(obj),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _statefulset_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    return [_name(obj), ready, _age(obj), names, images]


def _daemonset_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    return [
        _name(obj),
        int(status.get("desiredNumberScheduled", 0)),
        int(status.get("currentNumberScheduled", 0)),
        int(status.get("numberReady", 0)),
        int(status.get("updatedNumberScheduled", 0)),
        int(status.get("numberAvailable", 0)),
        _map_selector(node_selector),
        _age(obj),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _job_state(obj: Json) -> str:
    conditions = {
        c.get("type"): c.get("status")
        for c in (obj.get("status") or {}).get("conditions") or []
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if _meta(obj).get("deletionTimestamp"):
        return "Terminating"
    if conditions.get("Suspended") == "True":
        return "Suspended"
    if conditions.get("FailureTarget") == "True":
        return "FailureTarget"
    return "Running"


def _job_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    duration = ""
    if status.get("startTime"):
        end = (
            clock.parse(status["completionTime"])
            if status.get("completionTime")
            else clock.now()
        )
        duration = clock.human_duration(
            (end - clock.parse(status["startTime"])).total_seconds()
        )
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    return [
        _name(obj),
        _job_state(obj),
        completions,
        duration,
        _age(obj),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def _cronjob_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers({"spec": template})
    last = status.get("lastScheduleTime")
    return [
        _name(obj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        _bool_text(spec.get("suspend")),
        len(status.get("active") or []),
        clock.age(last) if last else "<none>",
        _age(obj),
        names,
        images,
        format_selector(template.get("selector")),
    ]


# Networking and config


def _service_ports(spec: Json) -> str:
    ports = []
    for port in spec.get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    return ",".join(ports) or "<none>"


def _bool_text(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _external_ip(spec: Json, status: Json) -> str:
    type_ = spec.get("type", "ClusterIP")
    external = list(spec.get("externalIPs") or [])
    if type_ in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if type_ == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        balancers = [i.get("ip") or i.get("hostname", "") for i in ingress]
        return ",".join([b for b in balancers if b] + external) or "<pending>"
    if type_ == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ips = spec.get("clusterIPs") or (
        [spec["clusterIP"]] if spec.get("clusterIP") else []
    )
    return [
        _name(obj),
        spec.get("type", "ClusterIP"),
        ips[0] if ips else "<none>",
        _external_ip(spec, status),
        _service_ports(spec),
        _age(obj),
        _map_selector(spec.get("selector")),
    ]


def _endpoints_row(obj: Json) -> list[Cell]:
    subsets = obj.get("subsets") or []
    if not subsets:
        return [_name(obj), "<none>", _age(obj)]
    found: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            count += len(addresses)
            found += addresses
            continue
        for port in ports:
            count += len(addresses)
            found += [_host_port(ip, port.get("port")) for ip in addresses]
    text = ",".join(found[:3])
    if count > 3:
        text += f" + {count - 3} more..."
    return [_name(obj), text, _age(obj)]


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _ingress_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules if r.get("host")][:3]
    host_text = ",".join(hosts) or "*"
    if len(rules) > 3 and hosts:
        host_text += f" + {len(rules) - 3} more..."
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress)
    return [
        _name(obj),
        spec.get("ingressClassName") or "<none>",
        host_text,
        address,
        "80, 443" if spec.get("tls") else "80",
        _age(obj),
    ]


def _configmap_row(obj: Json) -> list[Cell]:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_name(obj), count, _age(obj)]


def _secret_row(obj: Json) -> list[Cell]:
    count = len(obj.get("data") or {})
    return [_name(obj), obj.get("type", "Opaque"), count, _age(obj)]


_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _pvc_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    bound = bool(spec.get("volumeName"))
    modes = _access_modes(status.get("accessModes")) if bound else ""
    capacity = (status.get("capacity") or {}).get("storage", "") if bound else ""
    phase = status.get("phase", "Pending")
    return [
        _name(obj),
        "Terminating" if _meta(obj).get("deletionTimestamp") else phase,
        spec.get("volumeName", ""),
        capacity,
        modes,
        _storage_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj),
        spec.get("volumeMode") or "<unset>",
    ]


def _access_modes(modes: list[str] | None) -> str:
    """kubectl's access-mode abbreviations, in its fixed order."""
    present = set(modes or [])
    return ",".join(v for k, v in _ACCESS_MODES.items() if k in present)


def _storage_class(obj: Json) -> str:
    spec = obj.get("spec") or {}
    annotation = (_meta(obj).get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", ""
    )
    return str(spec.get("storageClassName") or annotation)


def _pv_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = status.get("phase", "")
    return [
        _name(obj),
        (spec.get("capacity") or {}).get("storage", ""),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        "Terminating" if _meta(obj).get("deletionTimestamp") else phase,
        claim,
        _storage_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        _age(obj),
        spec.get("volumeMode") or "<unset>",
    ]


def _serviceaccount_row(obj: Json) -> list[Cell]:
    return [_name(obj), len(obj.get("secrets") or []), _age(obj)]


def _storageclass_row(obj: Json) -> list[Cell]:
    name = _name(obj)
    annotations = _meta(obj).get("annotations") or {}
    if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion", False)),
        _age(obj),
    ]


def _ingressclass_row(obj: Json) -> list[Cell]:
    spec = obj.get("spec") or {}
    parameters = spec.get("parameters")
    text = "<none>"
    if parameters:
        text = parameters.get("kind", "")
        if parameters.get("apiGroup"):
            text += "." + parameters["apiGroup"]
        text += "/" + parameters.get("name", "")
    return [_name(obj), spec.get("controller", ""), text, _age(obj)]


# Cluster objects


def _namespace_row(obj: Json) -> list[Cell]:
    return [_name(obj), (obj.get("status") or {}).get("phase", "Active"), _age(obj)]


def _node_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ready = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None
    )
    states = ["Unknown"]
    if ready is not None:
        states = ["Ready" if ready.get("status") == "True" else "NotReady"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    prefix = "node-role.kubernetes.io/"
    roles = set()
    for key, value in (_meta(obj).get("labels") or {}).items():
        if key.startswith(prefix) and key[len(prefix) :]:
            roles.add(key[len(prefix) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    addresses = status.get("addresses") or []

    def address(type_: str) -> str:
        return next(
            (a.get("address", "") for a in addresses if a.get("type") == type_),
            "<none>",
        )

    info = status.get("nodeInfo") or {}
    return [
        _name(obj),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _age(obj),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _event_row(obj: Json) -> list[Cell]:
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingController") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    source_text = f"{component}, {instance}" if instance else component
    first_stamp = obj.get("firstTimestamp") or obj.get("eventTime")
    first = clock.age(first_stamp) if first_stamp else "<unknown>"
    last_stamp = obj.get("lastTimestamp")
    last = clock.age(last_stamp) if last_stamp else first
    count = int(obj.get("count") or 1)
    series = obj.get("series")
    if series:
        last = clock.age(series.get("lastObservedTime"))
        count = int(series.get("count", count))
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        source_text,
        str(obj.get("message", "")).strip(),
        first,
        count,
        _name(obj),
    ]


def _created_at_row(obj: Json) -> list[Cell]:
    return [_name(obj), _meta(obj).get("creationTimestamp", "")]


def _rolebinding_row(obj: Json) -> list[Cell]:
    ref = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or []

    def names(kind: str) -> str:
        return ", ".join(s.get("name", "") for s in subjects if s.get("kind") == kind)

    accounts = ", ".join(
        f"{s.get('namespace', '')}/{s.get('name', '')}"
        for s in subjects
        if s.get("kind") == "ServiceAccount"
    )
    role = f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return [_name(obj), role, _age(obj), names("User"), names("Group"), accounts]


def _default_row(obj: Json) -> list[Cell]:
    return [_name(obj), _age(obj)]


_PRINTERS: dict[str, tuple[list[Json], RowFunction]] = {
    "pods": (
        [
            column("Name"),
            column("Ready"),
            column("Status"),
            column("Restarts"),
            column("Age"),
            column("IP", priority=1),
            column("Node", priority=1),
            column("Nominated Node", priority=1),
            column("Readiness Gates", priority=1),
        ],
        _pod_row,
    ),
    "deployments": (
        [
            column("Name"),
            column("Ready"),
            column("Up-to-date", "integer"),
            column("Available", "integer"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
            column("Selector", priority=1),
        ],
        _deployment_row,
    ),
    "replicasets": (
        [
            column("Name"),
            column("Desired", "integer"),
            column("Current", "integer"),
            column("Ready", "integer"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
            column("Selector", priority=1),
        ],
        _replicaset_row,
    ),
    "statefulsets": (
        [
            column("Name"),
            column("Ready"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
        ],
        _statefulset_row,
    ),
    "daemonsets": (
        [
            column("Name"),
            column("Desired", "integer"),
            column("Current", "integer"),
            column("Ready", "integer"),
            column("Up-to-date", "integer"),
            column("Available", "integer"),
            column("Node Selector"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
            column("Selector", priority=1),
        ],
        _daemonset_row,
    ),
    "jobs": (
        [
            column("Name"),
            column("Status"),
            column("Completions"),
            column("Duration"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
            column("Selector", priority=1),
        ],
        _job_row,
    ),
    "cronjobs": (
        [
            column("Name"),
            column("Schedule"),
            column("Timezone"),
            column("Suspend", "boolean"),
            column("Active", "integer"),
            column("Last Schedule"),
            column("Age"),
            column("Containers", priority=1),
            column("Images", priority=1),
            column("Selector", priority=1),
        ],
        _cronjob_row,
    ),
    "services": (
        [
            column("Name"),
            column("Type"),
            column("Cluster-IP"),
            column("External-IP"),
            column("Port(s)"),
            column("Age"),
            column("Selector", priority=1),
        ],
        _service_row,
    ),
    "endpoints": (
        [column("Name"), column("Endpoints"), column("Age")],
        _endpoints_row,
    ),
    "ingresses": (
        [
            column("Name"),
            column("Class"),
            column("Hosts"),
            column("Address"),
            column("Ports"),
            column("Age"),
        ],
        _ingress_row,
    ),
    "configmaps": (
        [column("Name"), column("Data", "integer"), column("Age")],
        _configmap_row,
    ),
    "secrets": (
        [column("Name"), column("Type"), column("Data", "integer"), column("Age")],
        _secret_row,
    ),
    "persistentvolumeclaims": (
        [
            column("Name"),
            column("Status"),
            column("Volume"),
            column("Capacity"),
            column("Access Modes"),
            column("StorageClass"),
            column("VolumeAttributesClass"),
            column("Age"),
            column("VolumeMode", priority=1),
        ],
        _pvc_row,
    ),
    "namespaces": (
        [column("Name"), column("Status"), column("Age")],
        _namespace_row,
    ),
    "persistentvolumes": (
        [
            column("Name"),
            column("Capacity"),
            column("Access Modes"),
            column("Reclaim Policy"),
            column("Status"),
            column("Claim"),
            column("StorageClass"),
            column("VolumeAttributesClass"),
            column("Reason"),
            column("Age"),
            column("VolumeMode", priority=1),
        ],
        _pv_row,
    ),
    "serviceaccounts": (
        [column("Name"), column("Secrets"), column("Age")],
        _serviceaccount_row,
    ),
    "storageclasses": (
        [
            column("Name"),
            column("Provisioner"),
            column("ReclaimPolicy"),
            column("VolumeBindingMode"),
            column("AllowVolumeExpansion"),
            column("Age"),
        ],
        _storageclass_row,
    ),
    "ingressclasses": (
        [column("Name"), column("Controller"), column("Parameters"), column("Age")],
        _ingressclass_row,
    ),
    "nodes": (
        [
            column("Name"),
            column("Status"),
            column("Roles"),
            column("Age"),
            column("Version"),
            column("Internal-IP", priority=1),
            column("External-IP", priority=1),
            column("OS-Image", priority=1),
            column("Kernel-Version", priority=1),
            column("Container-Runtime", priority=1),
        ],
        _node_row,
    ),
    "events": (
        [
            column("Last Seen"),
            column("Type"),
            column("Reason"),
            column("Object"),
            column("Subobject", priority=1),
            column("Source", priority=1),
            column("Message"),
            column("First Seen", priority=1),
            column("Count", "integer", priority=1),
            column("Name", priority=1),
        ],
        _event_row,
    ),
    "customresourcedefinitions": (
        [column("Name"), column("Created At", "date")],
        _created_at_row,
    ),
    "roles": ([column("Name"), column("Created At", "date")], _created_at_row),
    "rolebindings": (
        [
            column("Name"),
            column("Role"),
            column("Age"),
            column("Users", priority=1),
            column("Groups", priority=1),
            column("ServiceAccounts", priority=1),
        ],
        _rolebinding_row,
    ),
    "default": ([column("Name"), column("Age")], _default_row),
}


# Custom resources

_SEGMENT = re.compile(
    r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([\w.]+)==[\"']([^\"']*)[\"']\)\]"
)


def jsonpath(obj: Any, path: str) -> list[Any]:
    """Evaluate the small JSONPath subset CRD printer columns use."""
    values = [obj]
    for match in _SEGMENT.finditer(path.strip().strip("{}")):
        field, index, filter_key, filter_value = match.groups()
        found: list[Any] = []
        for value in values:
            if field is not None and isinstance(value, dict) and field in value:
                found.append(value[field])
            elif (
                index is not None
                and isinstance(value, list)
                and int(index) < len(value)
            ):
                found.append(value[int(index)])
            elif filter_key is not None and isinstance(value, list):
                found += [v for v in value if _filter_hit(v, filter_key, filter_value)]
        values = found
    return values


def _filter_hit(value: Any, key: str, wanted: str) -> bool:
    found = jsonpath(value, "." + key)
    return bool(found) and str(found[0]) == wanted


def _custom_printer(kind: ResourceKind) -> tuple[list[Json], RowFunction]:
    specs = [c for c in kind.printer_columns if c.get("jsonPath")]
    if not specs:
        return _PRINTERS["default"]
    columns = [column("Name")]
    for spec in specs:
        type_ = spec.get("type", "string")
        columns.append(column(spec["name"], type_, int(spec.get("priority", 0))))
        columns[-1]["description"] = spec.get("description", columns[-1]["description"])

    def row(obj: Json) -> list[Cell]:
        cells: list[Cell] = [_name(obj)]
        for spec in specs:
            found = jsonpath(obj, spec["jsonPath"])
            value = found[0] if found else None
            if spec.get("type") == "date" and isinstance(value, str):
                value = clock.age(value)
            cells.append(value)
        return cells

    return columns, row


def printer(kind: ResourceKind) -> tuple[list[Json], RowFunction]:
    """Column definitions and a row function for a kind."""
    if kind.table == "custom":
        return _custom_printer(kind)
    return _PRINTERS.get(kind.table, _PRINTERS["default"])


def row_object(obj: Json, include_object: str) -> Json | None:
    """What a row's `object` holds for `includeObject=None|Metadata|Object`."""
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def to_table(
    kind: ResourceKind,
    objects: Sequence[Json],
    list_meta: Json,
    include_object: str = "Metadata",
    with_columns: bool = True,
) -> Json:
    """A meta.k8s.io/v1 Table of `objects`."""
    columns, row_function = printer(kind)
    rows = []
    for obj in objects:
        row: Json = {"cells": row_function(obj)}
        conditions = row_conditions(kind, obj)
        if conditions:
            row["conditions"] = conditions
        included = row_object(obj, include_object)
        if included is not None:
            row["object"] = included
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns if with_columns else None,
        "rows": rows,
    }
