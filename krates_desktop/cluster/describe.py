"""Describe text in the style of ``kubectl describe``, and the YAML view of an object.

:func:`describe` renders the common header, one section per kind and the object's
events; labels are padded to 20 columns. :func:`to_yaml` dumps the object as the
API returned it, without ``metadata.managedFields``, in block style with keys in
API order, and masks Secret values unless asked to reveal them.

Limitations: Service endpoints are worked out from the pods passed in (ready pods
whose labels match the selector), not read from Endpoints objects.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from krates_desktop.cluster.status import object_status

LABEL_WIDTH = 20
MASK = "••••••••"
NONE = "<none>"

_SKIPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class _Context:
    """What a section may need besides the object itself."""

    kind: str
    now: datetime
    pods: Sequence[Obj] | None
    counts: Mapping[str, int] | None


def describe(
    kind: str,
    obj: Obj,
    events: Sequence[Obj],
    *,
    pods: Sequence[Obj] | None = None,
    counts: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> str:
    """The describe text of ``obj`` (of kind ``kind``) with its ``events``, oldest first.

    ``pods`` (pods of the object's namespace) lets a Service list its endpoints;
    ``counts`` (objects per kind) lets a Namespace list what it holds.
    """
    context = _Context(kind, now or datetime.now(UTC), pods, counts)
    section = _SECTIONS.get(kind, _custom_section)
    lines = (
        _header(obj, context.now) + section(obj, context) + _events(events, context.now)
    )
    return "\n".join(lines) + "\n"


def to_yaml(obj: Obj, *, reveal: bool = False) -> str:
    """``obj`` as block-style YAML in API key order, managedFields removed.

    Secret ``data``/``stringData`` values are masked; with ``reveal`` they are
    decoded from base64 when they are UTF-8 text (binary values stay base64).
    """
    clean = dict(obj)
    metadata = obj.get("metadata")
    if isinstance(metadata, Mapping):
        clean["metadata"] = {k: v for k, v in metadata.items() if k != "managedFields"}
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            values = obj.get(key)
            if isinstance(values, Mapping):
                clean[key] = {
                    k: _secret_value(key, v, reveal) for k, v in values.items()
                }
    text: str = yaml.dump(
        clean,
        Dumper=_BlockDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
    )
    # libyaml ends a document holding a `|+` block anywhere with `...`; PyYAML's own
    # emitter only when that block comes last (the text then ends in a blank line).
    if text.endswith("\n...\n") and not text.endswith("\n\n...\n"):
        text = text[:-4]
    return text


class _BlockDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """A safe dumper that writes multi-line strings as ``|`` literal blocks, with
    libyaml's emitter where PyYAML has it (some eight times faster than its own)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _secret_value(key: str, value: Any, reveal: bool) -> Any:
    if not reveal:
        return MASK
    if key == "stringData":
        return value
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return value


# -- layout helpers -------------------------------------------------------------


def _field(label: str, value: Any, indent: int = 0) -> str:
    head = " " * indent + label + ":"
    text = NONE if value is None or value == "" else str(value)
    if len(head) < LABEL_WIDTH:
        return head.ljust(LABEL_WIDTH) + text
    return f"{head} {text}"


def _multi(label: str, values: Sequence[str], indent: int = 0) -> list[str]:
    if not values:
        return [_field(label, NONE, indent)]
    first, *rest = values
    return [_field(label, first, indent)] + [" " * LABEL_WIDTH + v for v in rest]


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2
) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False)]
        return (" " * indent + "  ".join([*padded, cells[-1]])).rstrip()

    underline = ["-" * len(h) for h in headers]
    return [line(headers), line(underline)] + [line(row) for row in rows]


def _get(obj: Any, *keys: str) -> Any:
    value = obj
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _pairs(mapping: Any) -> list[str]:
    if not isinstance(mapping, Mapping):
        return []
    return [f"{k}={v}" for k, v in mapping.items()]


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(value: Any, now: datetime) -> str:
    """A short age like kubectl's (``45s``, ``12m``, ``5h``, ``3d``), or ``<unknown>``."""
    when = _parse_time(value)
    if when is None:
        return "<unknown>"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 120 * 60:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


# -- common parts ---------------------------------------------------------------


def _header(obj: Obj, now: datetime) -> list[str]:
    metadata = obj.get("metadata") or {}
    annotations = {
        k: v
        for k, v in (metadata.get("annotations") or {}).items()
        if k not in _SKIPPED_ANNOTATIONS
    }
    created = metadata.get("creationTimestamp")
    lines = [_field("Name", metadata.get("name"))]
    if metadata.get("namespace"):
        lines.append(_field("Namespace", metadata["namespace"]))
    lines += _multi("Labels", _pairs(metadata.get("labels")))
    lines += _multi("Annotations", [f"{k}: {v}" for k, v in annotations.items()])
    created_text = f"{created} ({age(created, now)} ago)" if created else NONE
    lines.append(_field("Created", created_text))
    return lines


def _event_stamp(event: Obj) -> str:
    for value in (
        event.get("lastTimestamp"),
        event.get("eventTime"),
        _get(event, "series", "lastObservedTime"),
        event.get("firstTimestamp"),
        _get(event, "metadata", "creationTimestamp"),
    ):
        if value:
            return str(value)
    return ""


def event_time(event: Obj) -> datetime:
    """When an Event last happened, for sorting (the epoch's start when unknown)."""
    return _parse_time(_event_stamp(event)) or datetime.min.replace(tzinfo=UTC)


def _event_age(event: Obj, now: datetime) -> str:
    last = age(_event_stamp(event), now)
    count = event.get("count") or _get(event, "series", "count") or 1
    first = event.get("firstTimestamp")
    if isinstance(count, int) and count > 1 and first:
        return f"{last} (x{count} over {age(first, now)})"
    return last


def _events(events: Sequence[Obj], now: datetime) -> list[str]:
    if not events:
        return [_field("Events", NONE)]
    rows = []
    for event in sorted(events, key=event_time):
        source = _get(event, "source", "component") or event.get("reportingComponent")
        rows.append(
            [
                str(event.get("type") or ""),
                str(event.get("reason") or ""),
                _event_age(event, now),
                str(source or ""),
                " ".join(str(event.get("message") or "").split()),
            ]
        )
    return ["Events:"] + _table(["Type", "Reason", "Age", "From", "Message"], rows)


def _conditions(obj: Obj) -> list[str]:
    conditions = _get(obj, "status", "conditions") or []
    if not conditions:
        return [_field("Conditions", NONE)]
    rows = [
        [str(c.get("type", "")), str(c.get("status", "")), str(c.get("reason") or "")]
        for c in conditions
        if isinstance(c, Mapping)
    ]
    return ["Conditions:"] + _table(["Type", "Status", "Reason"], rows)


# -- kind sections ---------------------------------------------------------------


def _pod_section(obj: Obj, context: _Context) -> list[str]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    lines = [
        _field("Status", object_status("Pod", obj)[0]),
        _field("IP", status.get("podIP")),
        _field("Node", spec.get("nodeName")),
    ]
    lines += _containers(
        "Init Containers",
        spec.get("initContainers"),
        status.get("initContainerStatuses"),
        optional=True,
    )
    lines += _containers(
        "Containers", spec.get("containers"), status.get("containerStatuses")
    )
    return lines + _conditions(obj) + _volumes(spec.get("volumes"))


def _containers(
    title: str, specs: Any, statuses: Any, optional: bool = False
) -> list[str]:
    if not specs:
        return [] if optional else [_field(title, NONE)]
    by_name = {s.get("name"): s for s in statuses or [] if isinstance(s, Mapping)}
    lines = [f"{title}:"]
    for container in specs:
        name = container.get("name", "")
        state = by_name.get(name) or {}
        lines += [
            f"  {name}:",
            _field("Image", container.get("image"), 4),
            _field("State", _container_state(state.get("state")), 4),
            _field("Ready", "True" if state.get("ready") else "False", 4),
            _field("Restarts", state.get("restartCount", 0), 4),
        ]
    return lines


def _container_state(state: Any) -> str:
    if not isinstance(state, Mapping) or not state:
        return "Waiting"
    if "running" in state:
        started = _get(state, "running", "startedAt")
        return f"Running (since {started})" if started else "Running"
    if "waiting" in state:
        reason = _get(state, "waiting", "reason")
        return f"Waiting ({reason})" if reason else "Waiting"
    terminated = state.get("terminated") or {}
    reason = terminated.get("reason") or "Terminated"
    return f"Terminated ({reason}, exit code {terminated.get('exitCode', '?')})"


_VOLUME_SOURCES = {
    "persistentVolumeClaim": ("PersistentVolumeClaim", "claimName"),
    "configMap": ("ConfigMap", "name"),
    "secret": ("Secret", "secretName"),
    "hostPath": ("HostPath", "path"),
    "emptyDir": ("EmptyDir", ""),
    "projected": ("Projected", ""),
    "downwardAPI": ("DownwardAPI", ""),
}


def _volumes(volumes: Any) -> list[str]:
    if not volumes:
        return [_field("Volumes", NONE)]
    lines = ["Volumes:"]
    for volume in volumes:
        lines += [
            f"  {volume.get('name', '')}:",
            _field("Type", _volume_type(volume), 4),
        ]
    return lines


def _volume_type(volume: Obj) -> str:
    for key, (label, name_key) in _VOLUME_SOURCES.items():
        if key in volume:
            name = _get(volume, key, name_key) if name_key else None
            return f"{label} ({name})" if name else label
    others = [k for k in volume if k != "name"]
    return others[0] if others else "<unknown>"


def _selector_text(selector: Any) -> str:
    if not isinstance(selector, Mapping):
        return NONE
    parts = _pairs(selector.get("matchLabels"))
    for expression in selector.get("matchExpressions") or []:
        values = ",".join(str(v) for v in expression.get("values") or [])
        operator = str(expression.get("operator", "")).lower()
        parts.append(
            f"{expression.get('key')} {operator} ({values})".replace(" ()", "")
        )
    return ",".join(parts) or NONE


def _workload_section(obj: Obj, context: _Context) -> list[str]:
    spec = obj.get("spec") or {}
    if context.kind == "DaemonSet":
        status = obj.get("status") or {}
        replicas = (
            f"{status.get('numberReady', 0)}/{status.get('desiredNumberScheduled', 0)}"
        )
    else:
        replicas = (
            f"{_get(obj, 'status', 'readyReplicas') or 0}/{spec.get('replicas', 1)}"
        )
    strategy = _get(spec, "strategy", "type") or _get(spec, "updateStrategy", "type")
    containers = _get(spec, "template", "spec", "containers") or []
    images = [f"{c.get('name', '')}: {c.get('image', '')}" for c in containers]
    return [
        _field("Replicas", f"{replicas} ready"),
        _field("Strategy", strategy),
        _field("Selector", _selector_text(spec.get("selector"))),
        *_multi("Images", images),
        *_conditions(obj),
    ]


def _service_section(obj: Obj, context: _Context) -> list[str]:
    spec = obj.get("spec") or {}
    ports = [_port_text(p) for p in spec.get("ports") or []]
    selector = spec.get("selector") or {}
    return [
        _field("Type", spec.get("type") or "ClusterIP"),
        _field("ClusterIP", spec.get("clusterIP")),
        *_multi("Ports", ports),
        _field("Selector", ",".join(_pairs(selector)) or NONE),
        _field("Endpoints", _endpoints(obj, selector, context.pods)),
    ]


def _port_text(port: Obj) -> str:
    name = f"{port['name']} " if port.get("name") else ""
    target = port.get("targetPort", port.get("port"))
    text = f"{name}{port.get('port')}/{port.get('protocol', 'TCP')} → {target}"
    return f"{text} (node {port['nodePort']})" if port.get("nodePort") else text


def _endpoints(
    service: Obj, selector: Mapping[str, Any], pods: Sequence[Obj] | None
) -> str:
    if pods is None:
        return "<unknown>"
    if not selector:
        return NONE
    namespace = _get(service, "metadata", "namespace")
    addresses = []
    for pod in pods:
        labels = _get(pod, "metadata", "labels") or {}
        if _get(pod, "metadata", "namespace") != namespace:
            continue
        if any(labels.get(k) != v for k, v in selector.items()) or not _pod_ready(pod):
            continue
        ip = _get(pod, "status", "podIP")
        for port in _get(service, "spec", "ports") or [{}]:
            addresses.append(f"{ip}:{_target_port(pod, port)}")
    return ",".join(addresses) or NONE


def _pod_ready(pod: Obj) -> bool:
    for condition in _get(pod, "status", "conditions") or []:
        if condition.get("type") == "Ready":
            return bool(
                condition.get("status") == "True" and _get(pod, "status", "podIP")
            )
    return False


def _target_port(pod: Obj, port: Obj) -> Any:
    target = port.get("targetPort", port.get("port"))
    if not isinstance(target, str):
        return target
    for container in _get(pod, "spec", "containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target:
                return declared.get("containerPort")
    return target


def _ingress_section(obj: Obj, context: _Context) -> list[str]:
    spec = obj.get("spec") or {}
    rules = []
    for rule in spec.get("rules") or []:
        host = rule.get("host") or "*"
        for path in _get(rule, "http", "paths") or []:
            rules.append(
                f"{host}{path.get('path') or '/'} → {_backend(path.get('backend'))}"
            )
    lines = [_field("Ingress Class", spec.get("ingressClassName"))]
    if spec.get("defaultBackend"):
        lines.append(_field("Default backend", _backend(spec["defaultBackend"])))
    if not rules:
        return lines + [_field("Rules", NONE)]
    return lines + ["Rules:"] + [f"  {rule}" for rule in rules]


def _backend(backend: Any) -> str:
    service = _get(backend, "service") or {}
    port = service.get("port") or {}
    number = port.get("number", port.get("name", ""))
    if service:
        return f"{service.get('name', '')}:{number}"
    resource = _get(backend, "resource") or {}
    return (
        f"{resource.get('kind', '')}/{resource.get('name', '')}"
        if resource
        else "<unknown>"
    )


def _configmap_section(obj: Obj, context: _Context) -> list[str]:
    data = obj.get("data") or {}
    binary = obj.get("binaryData") or {}
    lines = _sized_keys("Data", {k: len(str(v).encode()) for k, v in data.items()})
    if binary:
        lines += _sized_keys("BinaryData", {k: _b64_size(v) for k, v in binary.items()})
    return lines


def _sized_keys(title: str, sizes: Mapping[str, int]) -> list[str]:
    if not sizes:
        return [_field(title, NONE)]
    return [f"{title}:"] + [_field(k, f"{n} bytes", 2) for k, n in sizes.items()]


def _b64_size(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value))


def _secret_section(obj: Obj, context: _Context) -> list[str]:
    lines = [_field("Type", obj.get("type"))]
    if "data" not in obj and "stringData" not in obj:
        return lines + [_field("Data", "<not loaded>")]
    sizes = {k: _b64_size(v) for k, v in (obj.get("data") or {}).items()}
    sizes.update(
        {k: len(str(v).encode()) for k, v in (obj.get("stringData") or {}).items()}
    )
    return lines + _sized_keys("Data", sizes)


def _pvc_section(obj: Obj, context: _Context) -> list[str]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    modes = status.get("accessModes") or spec.get("accessModes") or []
    capacity = _get(status, "capacity", "storage") or _get(
        spec, "resources", "requests", "storage"
    )
    return [
        _field("Status", status.get("phase") or "Pending"),
        _field("Volume", spec.get("volumeName")),
        _field("Capacity", capacity),
        _field("Access Modes", ",".join(modes)),
        _field("StorageClass", spec.get("storageClassName")),
    ]


def _namespace_section(obj: Obj, context: _Context) -> list[str]:
    lines = [_field("Status", object_status("Namespace", obj)[0])]
    if context.counts is None:
        return lines
    if not context.counts:
        return lines + [_field("Objects", NONE)]
    return lines + ["Objects:"] + [_field(k, n, 2) for k, n in context.counts.items()]


def _event_section(obj: Obj, context: _Context) -> list[str]:
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    source = _get(obj, "source", "component") or obj.get("reportingComponent")
    return [
        _field("Type", obj.get("type")),
        _field("Reason", obj.get("reason")),
        _field("Object", f"{involved.get('kind', '')}/{involved.get('name', '')}"),
        _field("Message", obj.get("message") or obj.get("note")),
        _field("Source", source),
        _field("Count", obj.get("count") or 1),
        _field("First Seen", obj.get("firstTimestamp")),
        _field("Last Seen", _event_stamp(obj)),
    ]


def _custom_section(obj: Obj, context: _Context) -> list[str]:
    lines: list[str] = []
    for key in ("spec", "status"):
        value = obj.get(key)
        if value in (None, {}, []):
            lines.append(_field(key.capitalize(), NONE))
        else:
            lines += [f"{key.capitalize()}:"] + _tree(value, 1)
    return lines


def _tree(value: Any, depth: int) -> list[str]:
    """Nested data as indented ``key: value`` lines."""
    pad = "  " * depth
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                lines += [f"{pad}{key}:"] + _tree(item, depth + 1)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping | list) and item:
                lines += [f"{pad}-"] + _tree(item, depth + 1)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return "{}" if isinstance(value, Mapping) else "[]"
    return str(value)


_SECTIONS: dict[str, Callable[[Obj, _Context], list[str]]] = {
    "Pod": _pod_section,
    "Deployment": _workload_section,
    "StatefulSet": _workload_section,
    "DaemonSet": _workload_section,
    "Service": _service_section,
    "Ingress": _ingress_section,
    "ConfigMap": _configmap_section,
    "Secret": _secret_section,
    "PersistentVolumeClaim": _pvc_section,
    "Namespace": _namespace_section,
    "Event": _event_section,
}
