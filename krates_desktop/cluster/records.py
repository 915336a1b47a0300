"""Compact cached objects: what lists, badges, spotlight and the canvas read, no more.

A pod as the API sends it is about 4-8 KB of JSON and ten times that as Python
objects; tens of thousands of them would not fit a laptop's memory. The cache
keeps each object as a small dict of the same shape (so ``obj["metadata"]["name"]``
and :func:`~krates_desktop.cluster.status.object_status` work unchanged) holding
only the fields the app shows, and shares equal sub-structures between objects:
pods of one ReplicaSet point to the same labels, owner references and container
list. A window that needs the whole object follows it through the cache, which
then keeps that one full copy.

Every kind loses ``metadata.managedFields`` and the
``kubectl.kubernetes.io/last-applied-configuration`` annotation; pods keep the
fields below, and of their volumes and environment only the names of the ConfigMaps,
Secrets and claims they use. Cached dicts are shared and must never be modified.

Limitations: the shared-structure table only grows while the process runs; it is
bounded by the number of distinct label sets, owners and container lists, which
is far smaller than the number of objects, and is cleared by :func:`clear_shared`.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

import orjson

Obj = dict[str, Any]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"

_POD_METADATA = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
)
_KEPT_ANNOTATIONS = (DEFAULT_CONTAINER,)
_CONTAINER_STATUS = ("name", "ready", "restartCount", "started", "image")
_STATE_FIELDS = ("reason", "exitCode", "message")

_shared: dict[bytes, Any] = {}
_shared_lock = threading.Lock()


def clear_shared() -> None:
    """Forget the shared sub-structures (objects keep theirs)."""
    with _shared_lock:
        _shared.clear()


def share(value: Any) -> Any:
    """One instance for every equal value: strings are interned, containers pooled."""
    if type(value) is str:
        return sys.intern(value) if len(value) <= 64 else value
    if not value or type(value) not in (dict, list):
        return value
    encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    key = hashlib.blake2b(encoded, digest_size=16).digest()
    with _shared_lock:
        found = _shared.get(key)
        if found is None:
            _shared[key] = found = value
    return found


def compact(
    kind: str,
    obj: Mapping[str, Any],
    *,
    shared: bool = True,
    previous: Obj | None = None,
) -> Obj:
    """The compact form of ``obj`` (an object of kind ``kind``) for the cache.

    ``shared=False`` skips pooling equal parts, for a record that is only encoded
    and then read back with :func:`revive`. ``previous`` is the record of the
    object's last version, when there is one: parts that cannot have changed are
    taken from it instead of being built again.
    """
    pool = share if shared else _same
    if kind == "Pod":
        return _compact_pod(obj, pool, previous)
    return _slim(obj, pool)


def _same(value: Any) -> Any:
    return value


def revive(kind: str, data: bytes | memoryview) -> Obj:
    """A compact record read back from :func:`orjson.dumps` of one, sharing restored.

    Lists compact a whole page while the page's parsed objects are alive, so the
    records would sit in memory between the page's freed remains. Encoding each
    record, dropping the page, then decoding the records places them together
    in memory the page no longer holds (about half the resident memory at scale).
    """
    record: Obj = orjson.loads(data)
    for key in ("kind", "apiVersion"):
        if type(record.get(key)) is str:
            record[key] = sys.intern(record[key])
    metadata = record.get("metadata")
    if isinstance(metadata, dict):
        for key in ("namespace", "creationTimestamp"):
            if type(metadata.get(key)) is str:
                metadata[key] = sys.intern(metadata[key])
        for key in ("labels", "ownerReferences", "annotations"):
            if key in metadata:
                metadata[key] = share(metadata[key])
    if kind != "Pod":
        return record
    record["spec"] = share(record.get("spec") or {})
    status = record.get("status")
    if isinstance(status, dict):
        for key in _INTERNED:
            if type(status.get(key)) is str:
                status[key] = sys.intern(status[key])
        for key in ("conditions", *_STATUS_LISTS):
            if key in status:
                status[key] = share(status[key])
    return record


def _slim(obj: Mapping[str, Any], pool: Callable[[Any], Any]) -> Obj:
    """Any kind: the object without managedFields and the last-applied annotation."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return dict(obj)
    slim_metadata = {k: v for k, v in metadata.items() if k != "managedFields"}
    annotations = metadata.get("annotations")
    if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        slim_metadata["annotations"] = {
            k: v for k, v in annotations.items() if k != LAST_APPLIED
        }
    if "namespace" in slim_metadata:
        slim_metadata["namespace"] = pool(slim_metadata["namespace"])
    for key in ("labels", "ownerReferences"):
        if key in slim_metadata:
            slim_metadata[key] = pool(slim_metadata[key])
    result = dict(obj)
    result["metadata"] = slim_metadata
    return result


def _compact_pod(
    pod: Mapping[str, Any], pool: Callable[[Any], Any], previous: Obj | None
) -> Obj:
    # The hot path of watches on big clusters: plain dict work, no helpers per field.
    metadata = pod.get("metadata") or {}
    status = pod.get("status")
    spec = pod.get("spec") or {}
    kept_metadata = _pod_metadata(metadata, pool)
    if previous is not None and _spec_holds(spec, kept_metadata, previous):
        kept_spec = previous["spec"]
    else:
        kept_spec = pool(_pod_spec(spec))
    result: Obj = {
        "kind": "Pod",
        "apiVersion": sys.intern(pod.get("apiVersion", "v1")),
        "metadata": kept_metadata,
        "spec": kept_spec,
    }
    if status:
        result["status"] = _pod_status(status, pool)
    return result


def _spec_holds(spec: Mapping[str, Any], metadata: Obj, previous: Obj) -> bool:
    """Whether ``previous`` (a record of an earlier version of the pod) has the
    compact form of ``spec`` already.

    The API server refuses any change to a pod's spec but its node (set once, by
    scheduling), its containers' images and added ephemeral containers; of the
    same pod (same uid) only those are compared, so a status update, the usual
    watch event, costs no spec work.
    """
    if metadata.get("uid") != previous["metadata"].get("uid"):
        return False
    kept = previous["spec"]
    if spec.get("nodeName") != kept.get("nodeName"):
        return False
    for key in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(key) or ()
        known = kept.get(key) or ()
        if len(items) != len(known):
            return False
        for item, container in zip(items, known, strict=True):
            if item.get("image") != container.get("image"):
                return False
    return True


def _pod_metadata(metadata: Mapping[str, Any], pool: Callable[[Any], Any]) -> Obj:
    kept: Obj = {}
    for key in _POD_METADATA:
        value = metadata.get(key)
        if value is not None:
            kept[key] = value
    # Pods of one rollout share namespace and creation second: one string each.
    for key in ("namespace", "creationTimestamp"):
        if key in kept:
            kept[key] = sys.intern(kept[key])
    for key in ("labels", "ownerReferences"):
        value = metadata.get(key)
        if value:
            kept[key] = pool(value)
    annotations = metadata.get("annotations")
    if annotations and DEFAULT_CONTAINER in annotations:
        kept["annotations"] = pool({DEFAULT_CONTAINER: annotations[DEFAULT_CONTAINER]})
    return kept


def _containers(items: list[Any]) -> list[Obj]:
    kept = []
    for item in items:
        container: Obj = {"name": item.get("name", "")}
        image = item.get("image")
        if image:
            container["image"] = image
        ports = item.get("ports")
        if ports:
            container["ports"] = [
                {k: p[k] for k in ("name", "containerPort", "protocol") if k in p}
                for p in ports
            ]
        env_from = [e for e in item.get("envFrom") or [] if _ENV_FROM_REFS & e.keys()]
        if env_from:
            container["envFrom"] = [
                {k: {"name": e[k].get("name")} for k in _ENV_FROM_REFS if k in e}
                for e in env_from
            ]
        # Most variables are plain values: only those taken from elsewhere are looked at.
        env = [_env_ref(e) for e in item.get("env") or () if "valueFrom" in e]
        if any(env):
            container["env"] = [e for e in env if e]
        kept.append(container)
    return kept


# The references collection trees follow from a pod to what it uses (volumes,
# envFrom, env.valueFrom); everything else in those lists is dropped.
_ENV_FROM_REFS = frozenset({"configMapRef", "secretRef"})
_KEY_REFS = ("configMapKeyRef", "secretKeyRef")
_VOLUME_REFS = {
    "configMap": "name",
    "secret": "secretName",
    "persistentVolumeClaim": "claimName",
}


def _env_ref(entry: Mapping[str, Any]) -> Obj | None:
    source = entry.get("valueFrom") or {}
    for key in _KEY_REFS:
        if isinstance(source.get(key), Mapping):
            named = {"name": source[key].get("name")}
            return {"name": entry.get("name", ""), "valueFrom": {key: named}}
    return None


def _volume_refs(volumes: list[Any]) -> list[Obj]:
    kept = []
    for volume in volumes:
        ref = {
            key: {field: volume[key].get(field)}
            for key, field in _VOLUME_REFS.items()
            if isinstance(volume.get(key), Mapping)
        }
        sources = (volume.get("projected") or {}).get("sources") or []
        projected = [
            {k: {"name": s[k].get("name")}}
            for s in sources
            for k in ("configMap", "secret")
            if isinstance(s.get(k), Mapping)
        ]
        if projected:
            ref["projected"] = {"sources": projected}
        if ref:
            # Without the volume's own name (the service-account volume's differs per
            # pod), pods of one template keep equal specs that are pooled as one.
            kept.append(ref)
    return kept


def _pod_spec(spec: Mapping[str, Any]) -> Obj:
    kept: Obj = {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(key)
        if items:
            kept[key] = _containers(items)
    for key in ("nodeName", "serviceAccountName", "restartPolicy"):
        value = spec.get(key)
        if value:
            kept[key] = value
    volumes = _volume_refs(spec.get("volumes") or [])
    if volumes:
        kept["volumes"] = volumes
    return kept


_STATUS_KEYS = ("phase", "reason", "podIP")
_INTERNED = frozenset({"phase", "reason"})
_STATUS_LISTS = (
    "initContainerStatuses",
    "containerStatuses",
    "ephemeralContainerStatuses",
)


def _pod_status(status: Mapping[str, Any], pool: Callable[[Any], Any]) -> Obj:
    kept: Obj = {}
    for key in _STATUS_KEYS:
        value = status.get(key)
        if value:
            kept[key] = sys.intern(value) if key in _INTERNED else value
    conditions = status.get("conditions")
    if conditions:
        kept["conditions"] = pool(
            [
                {k: c[k] for k in ("type", "status", "reason") if k in c}
                for c in conditions
            ]
        )
    for key in (
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
    ):
        items = status.get(key)
        if items:
            kept[key] = pool([_container_status(c) for c in items])
    return kept


def _container_status(status: Mapping[str, Any]) -> Obj:
    kept: Obj = {k: status[k] for k in _CONTAINER_STATUS if k in status}
    for key in ("state", "lastState"):
        state = status.get(key)
        if state:
            kept[key] = {
                name: {f: v[f] for f in _STATE_FIELDS if f in v}
                if isinstance(v, dict)
                else {}
                for name, v in state.items()
            }
    return kept
