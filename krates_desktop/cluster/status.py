"""The status text and health bucket of an object, from its Kubernetes state.

Every kind the app knows maps its object to a short status string (``Running``,
``2/3``, ``ClusterIP``) and one of four buckets that drive badge and dot colours.
Kinds that are not built in are treated as custom resources: their ``Ready``
condition decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Health = Literal["ok", "warn", "error", "unknown"]

_POD_ERROR_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
    }
)
_POD_STARTING_REASONS = frozenset({"ContainerCreating", "PodInitializing"})

Obj = Mapping[str, Any]


def object_status(kind: str, obj: Obj) -> tuple[str, Health]:
    """The status text and health bucket of ``obj``, an object of kind ``kind``;
    ``Unknown`` when its fields do not have the types the API gives them."""
    handler = _HANDLERS.get(kind, _custom_resource_status)
    try:
        return handler(obj)
    except (TypeError, ValueError, AttributeError, KeyError):
        return "Unknown", "unknown"


def _get(obj: Obj, *keys: str) -> Any:
    """The value at a path of keys, or None where any step is missing."""
    value: Any = obj
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _pod_status(obj: Obj) -> tuple[str, Health]:
    if _get(obj, "metadata", "deletionTimestamp"):
        return "Terminating", "warn"
    status = obj.get("status") or {}
    phase = status.get("phase")
    containers = list(status.get("containerStatuses") or [])
    every = list(status.get("initContainerStatuses") or []) + containers
    waiting = [_get(c, "state", "waiting", "reason") for c in every]

    for reason in waiting:
        if reason in _POD_ERROR_REASONS:
            return str(reason), "error"
    if phase == "Failed":
        return _failed_text(every), "error"
    for reason in waiting:
        if reason in _POD_STARTING_REASONS:
            return str(reason), "warn"
    if phase == "Pending":
        return "Pending", "warn"
    if phase == "Running":
        return _running_status(obj, containers)
    if phase == "Succeeded":
        return "Completed", "ok"
    return "Unknown", "unknown"


def _failed_text(statuses: list[Any]) -> str:
    reasons = {_get(c, "state", "terminated", "reason") for c in statuses}
    return "Error" if "Error" in reasons else "Failed"


def _running_status(obj: Obj, containers: list[Any]) -> tuple[str, Health]:
    total = len(_get(obj, "spec", "containers") or []) or len(containers)
    ready = sum(1 for c in containers if isinstance(c, Mapping) and c.get("ready"))
    if total and ready >= total:
        return "Running", "ok"
    return f"Running {ready}/{total}", "warn"


def _ratio(ready: int, desired: int) -> tuple[str, Health]:
    text = f"{ready}/{desired}"
    if ready >= desired:
        return text, "ok"
    if ready > 0:
        return text, "warn"
    return text, "error"


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _replicated_status(obj: Obj) -> tuple[str, Health]:
    desired = _int(_get(obj, "spec", "replicas"), 1)
    return _ratio(_int(_get(obj, "status", "readyReplicas")), desired)


def _daemonset_status(obj: Obj) -> tuple[str, Health]:
    ready = _int(_get(obj, "status", "numberReady"))
    return _ratio(ready, _int(_get(obj, "status", "desiredNumberScheduled")))


def _service_status(obj: Obj) -> tuple[str, Health]:
    return str(_get(obj, "spec", "type") or "ClusterIP"), "ok"


def _ingress_status(obj: Obj) -> tuple[str, Health]:
    for rule in _get(obj, "spec", "rules") or []:
        if isinstance(rule, Mapping) and rule.get("host"):
            return str(rule["host"]), "ok"
    return "*", "ok"


def _configmap_status(obj: Obj) -> tuple[str, Health]:
    keys = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return _keys_text(keys), "ok"


def _secret_status(obj: Obj) -> tuple[str, Health]:
    if "data" not in obj and "stringData" not in obj:
        return "—", "ok"
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return _keys_text(len(keys)), "ok"


def _keys_text(count: int) -> str:
    return f"{count} keys"


def _pvc_status(obj: Obj) -> tuple[str, Health]:
    phase = _get(obj, "status", "phase") or "Pending"
    bucket: dict[str, Health] = {"Bound": "ok", "Pending": "warn", "Lost": "error"}
    return str(phase), bucket.get(str(phase), "unknown")


def _namespace_status(obj: Obj) -> tuple[str, Health]:
    if _get(obj, "status", "phase") == "Terminating" or _get(
        obj, "metadata", "deletionTimestamp"
    ):
        return "Terminating", "warn"
    return "Active", "ok"


def _event_status(obj: Obj) -> tuple[str, Health]:
    if obj.get("type") == "Warning":
        return "Warning", "warn"
    return "Normal", "ok"


def _condition(obj: Obj, name: str) -> str | None:
    for condition in _get(obj, "status", "conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == name:
            return str(condition.get("status"))
    return None


def _crd_status(obj: Obj) -> tuple[str, Health]:
    if _condition(obj, "Established") == "True":
        return "Established", "ok"
    return "pending", "warn"


def _custom_resource_status(obj: Obj) -> tuple[str, Health]:
    ready = _condition(obj, "Ready")
    if ready is None:
        return "—", "ok"
    bucket: dict[str, Health] = {"True": "ok", "Unknown": "warn", "False": "error"}
    return ready, bucket.get(ready, "warn")


_HANDLERS = {
    "Pod": _pod_status,
    "Deployment": _replicated_status,
    "StatefulSet": _replicated_status,
    "DaemonSet": _daemonset_status,
    "Service": _service_status,
    "Ingress": _ingress_status,
    "ConfigMap": _configmap_status,
    "Secret": _secret_status,
    "PersistentVolumeClaim": _pvc_status,
    "Namespace": _namespace_status,
    "Event": _event_status,
    "CustomResourceDefinition": _crd_status,
}
