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


def pod_reason(pod: Json) -> str:
    """The STATUS column of `kubectl get pods`, computed as kubectl's printer does."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or []
    for index, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or "Error")
        elif waiting and waiting.get("reason") not in (None, "PodInitializing"):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_statuses)}"
        return _terminating(pod, reason)
    has_running = False
    for cs in reversed(status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            reason = f"ExitCode:{terminated.get('exitCode', 0)}"
        elif cs.get("ready") and state.get("running"):
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running"
    return _terminating(pod, reason)


def _terminating(pod: Json, reason: str) -> str:
    return "Terminating" if _meta(pod).get("deletionTimestamp") else reason


def _restarts(pod: Json) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
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
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    total = len(spec.get("containers") or [])
    gates = spec.get("readinessGates") or []
    return [
        _name(pod),
        f"{ready}/{total}",
        pod_reason(pod),
        _restarts(pod),
        _age(pod),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


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


def _job_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    conditions = {
        c.get("type"): c.get("status") for c in status.get("conditions") or []
    }
    state = "Running"
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
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
    completions = f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"
    selector = format_selector(spec.get("selector"))
    return [
        _name(obj),
        state,
        completions,
        duration,
        _age(obj),
        names,
        images,
        selector,
    ]


def _cronjob_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers(template)
    last = status.get("lastScheduleTime")
    return [
        _name(obj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        bool(spec.get("suspend", False)),
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


def _service_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    external = [i.get("ip") or i.get("hostname", "") for i in ingress]
    external += spec.get("externalIPs") or []
    if not external:
        external_text = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    else:
        external_text = ",".join(external)
    return [
        _name(obj),
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP") or "<none>",
        external_text,
        _service_ports(spec),
        _age(obj),
        _map_selector(spec.get("selector")),
    ]


def _endpoints_row(obj: Json) -> list[Cell]:
    endpoints = []
    for subset in obj.get("subsets") or []:
        ports = subset.get("ports") or [{}]
        for address in subset.get("addresses") or []:
            for port in ports:
                suffix = f":{port['port']}" if port.get("port") else ""
                endpoints.append(f"{address.get('ip')}{suffix}")
    text = ",".join(endpoints[:3]) or "<none>"
    if len(endpoints) > 3:
        text += f" + {len(endpoints) - 3} more..."
    return [_name(obj), text, _age(obj)]


def _ingress_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") or "*" for r in spec.get("rules") or []]
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress)
    return [
        _name(obj),
        spec.get("ingressClassName") or "<none>",
        ",".join(hosts) or "*",
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
    modes = ",".join(_ACCESS_MODES.get(m, m) for m in status.get("accessModes") or [])
    return [
        _name(obj),
        status.get("phase", "Pending"),
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", ""),
        modes,
        spec.get("storageClassName") or "<unset>",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj),
        spec.get("volumeMode", "Filesystem"),
    ]


# Cluster objects


def _namespace_row(obj: Json) -> list[Cell]:
    return [_name(obj), (obj.get("status") or {}).get("phase", "Active"), _age(obj)]


def _node_row(obj: Json) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = {
        c.get("type"): c.get("status") for c in status.get("conditions") or []
    }
    state = "Ready" if conditions.get("Ready") == "True" else "NotReady"
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    prefix = "node-role.kubernetes.io/"
    roles = [
        k[len(prefix) :] for k in _meta(obj).get("labels") or {} if k.startswith(prefix)
    ]
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [
        _name(obj),
        state,
        ",".join(roles) or "<none>",
        _age(obj),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", ""),
        info.get("kernelVersion", ""),
        info.get("containerRuntimeVersion", ""),
    ]


def _event_row(obj: Json) -> list[Cell]:
    involved = obj.get("involvedObject") or {}
    target = ""
    if involved.get("name"):
        target = f"{str(involved.get('kind', '')).lower()}/{involved['name']}"
    source = obj.get("source") or {}
    source_text = source.get("component", "")
    if source.get("host"):
        source_text += f", {source['host']}"
    last = obj.get("lastTimestamp") or obj.get("eventTime")
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    return [
        clock.age(last) if last else "<unknown>",
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        source_text,
        str(obj.get("message", "")).strip(),
        clock.age(first) if first else "<unknown>",
        int(obj.get("count", 1)),
        _name(obj),
    ]


def _created_at_row(obj: Json) -> list[Cell]:
    return [_name(obj), _meta(obj).get("creationTimestamp", "")]


def _rolebinding_row(obj: Json) -> list[Cell]:
    ref = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or []

    def names(kind: str) -> str:
        return ",".join(s.get("name", "") for s in subjects if s.get("kind") == kind)

    accounts = ",".join(
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
