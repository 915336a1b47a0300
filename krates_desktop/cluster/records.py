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
fields the shapes below name, and of their volumes and environment only the names
of the ConfigMaps, Secrets and claims they use. Lists read each pod's JSON straight
into those shapes (msgspec skips every other field while parsing, :func:`decode`),
and so do watch events; :func:`compact` makes the same record of a parsed object.
A pod whose fields do not have the types of those shapes keeps its names only.
Cached dicts are shared and must never be modified.

Limitations: the shared-structure table only grows while the process runs; it is
bounded by the number of distinct label sets, owners and container lists, which
is far smaller than the number of objects, and is cleared by :func:`clear_shared`.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import msgspec
import orjson

log = logging.getLogger(__name__)

Obj = dict[str, Any]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"

_shared: dict[int, Any] = {}
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
    # The table is keyed by the hash of the value's encoding; a hit is compared
    # with the value itself, so two values whose encodings collide stay apart.
    try:
        key = hash(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # not encodable (an integer past 64 bits, deep nesting)
        return value
    with _shared_lock:
        found = _shared.setdefault(key, value)
    return found if found is value or found == value else value


class Unreadable(ValueError):
    """An object the cache cannot keep: not JSON, not an object, or without a name."""


class NotAnObject(Unreadable):
    """What was to be an object (a list's item, a watch event's object) is not one."""

    def __init__(self, value: Any) -> None:
        names = {list: "an array", str: "a string", bool: "a boolean"}
        found = "null" if value is None else names.get(type(value), "a number")
        super().__init__(f"expected an object, found {found}")


def compact(kind: str, obj: Mapping[str, Any], *, previous: Obj | None = None) -> Obj:
    """The compact form of ``obj``, an object of kind ``kind`` already parsed: the
    record :func:`decode` makes of its JSON.

    ``previous`` is the record of the object's last version, when there is one:
    parts that cannot have changed are taken from it instead of being built again.
    """
    if kind != "Pod":
        return _slim(obj)
    try:
        data = orjson.dumps(obj)
    except TypeError as exc:
        raise Unreadable(f"it cannot be encoded as JSON ({exc})") from exc
    return decode(kind, data, previous=lambda _: previous)


def decode(
    kind: str,
    data: bytes | memoryview | msgspec.Raw,
    *,
    previous: Callable[[Obj], Obj | None] | None = None,
) -> Obj:
    """The compact record of one object from its JSON, as :func:`compact` makes it.

    A pod is read straight into its compact shape: what the cache does not keep
    is skipped while parsing, never built, so a list of thousands of pods costs a
    fifth of parsing them whole, and the little it builds and drops (parts equal
    to shared ones) does not leave the records scattered between freed remains.
    ``previous``, given the object's metadata, finds the record of its last version
    (as :func:`compact`'s ``previous``). Raises :class:`Unreadable` for JSON that
    is not an object with a name.
    """
    if kind != "Pod":
        return _slim(_parse(data))
    try:
        pod = _POD_DECODER.decode(data)
    except msgspec.ValidationError as exc:
        return _odd(_parse(data), exc)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise Unreadable(f"it is not valid JSON ({exc})") from exc
    metadata = pod.get("metadata") or {}
    if not metadata.get("name"):
        raise Unreadable("it has no name")
    spec = pod.get("spec") or {}
    known = previous(metadata) if previous is not None else None
    if known is not None and _spec_holds(spec, metadata, known):
        return _finish_pod(pod, known["spec"])
    return _finish_pod(pod, _finish_spec(spec))


def _parse(data: bytes | memoryview | msgspec.Raw) -> Any:
    try:
        return orjson.loads(memoryview(data))
    except orjson.JSONDecodeError as exc:
        raise Unreadable(f"it is not valid JSON ({exc})") from exc


def _odd(obj: Any, exc: Exception) -> Obj:
    """The record of a pod whose fields have unexpected types (no API server sends
    one): its names alone, so it stays visible and the rest of the app reads it as
    a pod without spec or status; a window that shows it fetches it whole."""
    if not isinstance(obj, Mapping):
        raise NotAnObject(obj)
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        metadata = {}
    kept = {k: v for k in _ODD_METADATA if type(v := metadata.get(k)) is str}
    if not kept.get("name"):
        raise Unreadable(f"it has no name, and fields of unexpected types ({exc})")
    log.warning(
        "the pod %s/%s has fields of unexpected types (%s); only its names are kept",
        kept.get("namespace", ""),
        kept.get("name", ""),
        exc,
    )
    return {"kind": "Pod", "apiVersion": "v1", "metadata": kept}


_ODD_METADATA = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def _slim(obj: Mapping[str, Any]) -> Obj:
    """Any kind: the object without managedFields and the last-applied annotation.

    Its names must be strings; labels, annotations and owner references of other
    types than the API's, and a creation time that is not a string, are dropped.
    """
    if not isinstance(obj, Mapping):
        raise NotAnObject(obj)
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        raise Unreadable("it has no metadata")
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if type(name) is not str or not name or type(namespace) not in (str, type(None)):
        raise Unreadable("its name or namespace is missing or not a string")
    slim_metadata = {
        k: v for k, v in metadata.items() if k != "managedFields" and _fits(k, v)
    }
    annotations = slim_metadata.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        slim_metadata["annotations"] = {
            k: v for k, v in annotations.items() if k != LAST_APPLIED
        }
    if namespace is not None:
        slim_metadata["namespace"] = share(namespace)
    for key in ("labels", "ownerReferences"):
        if key in slim_metadata:
            slim_metadata[key] = share(slim_metadata[key])
    result = dict(obj)
    result["metadata"] = slim_metadata
    return result


def _fits(key: str, value: Any) -> bool:
    """Whether a metadata field has the type the API gives it (for the fields the
    app reads), so that lists, relations and spotlight can rely on it."""
    if key in ("labels", "annotations"):
        return isinstance(value, dict) and all(type(v) is str for v in value.values())
    if key == "ownerReferences":
        return isinstance(value, list) and all(
            isinstance(ref, dict)
            and all(type(ref.get(k, "")) is str for k in ("kind", "name", "uid"))
            for ref in value
        )
    if key in ("creationTimestamp", "uid", "resourceVersion"):
        return type(value) is str
    return True


# The parts of a pod the cache keeps, as msgspec reads them: any field not named
# here is skipped while parsing, and a field of another type than the API's makes
# the pod an odd one (`_odd`). (`total=False`: every field may be missing; a null
# is taken as a missing field.)
class _Name(TypedDict, total=False):
    name: str | None


class _Port(TypedDict, total=False):
    name: str | None
    containerPort: int | None
    protocol: str | None


class _EnvFrom(TypedDict, total=False):
    configMapRef: _Name | None
    secretRef: _Name | None


class _ValueFrom(TypedDict, total=False):
    configMapKeyRef: _Name | None
    secretKeyRef: _Name | None


class _Env(TypedDict, total=False):
    name: str | None
    valueFrom: _ValueFrom | None


class _Container(TypedDict, total=False):
    name: str | None
    image: str | None
    ports: list[_Port] | None
    envFrom: list[_EnvFrom] | None
    env: list[_Env] | None


class _SecretVolume(TypedDict, total=False):
    secretName: str | None


class _ClaimVolume(TypedDict, total=False):
    claimName: str | None


class _Source(TypedDict, total=False):
    configMap: _Name | None
    secret: _Name | None


class _Projected(TypedDict, total=False):
    sources: list[_Source] | None


# The references collection trees follow from a pod to what it uses (volumes,
# envFrom, env.valueFrom); everything else in those lists is dropped. Without the
# volume's own name (the service-account volume's differs per pod), pods of one
# template keep equal specs that are pooled as one.
class _Volume(TypedDict, total=False):
    configMap: _Name | None
    secret: _SecretVolume | None
    persistentVolumeClaim: _ClaimVolume | None
    projected: _Projected | None


class _Spec(TypedDict, total=False):
    containers: list[_Container] | None
    initContainers: list[_Container] | None
    ephemeralContainers: list[_Container] | None
    nodeName: str | None
    serviceAccountName: str | None
    restartPolicy: str | None
    volumes: list[_Volume] | None


_Annotations = TypedDict(  # noqa: UP013 (the key is not an identifier)
    "_Annotations", {DEFAULT_CONTAINER: str | None}, total=False
)


class _OwnerReference(TypedDict, total=False):
    apiVersion: str | None
    kind: str | None
    name: str | None
    uid: str | None
    controller: bool | None
    blockOwnerDeletion: bool | None


class _Metadata(TypedDict, total=False):
    name: str | None
    namespace: str | None
    uid: str | None
    resourceVersion: str | None
    creationTimestamp: str | None
    deletionTimestamp: str | None
    labels: dict[str, str] | None
    ownerReferences: list[_OwnerReference] | None
    annotations: _Annotations | None


class _Condition(TypedDict, total=False):
    type: str | None
    status: str | None
    reason: str | None


class _StateDetail(TypedDict, total=False):
    reason: str | None
    exitCode: int | None
    message: str | None


class _State(TypedDict, total=False):
    running: _StateDetail | None
    waiting: _StateDetail | None
    terminated: _StateDetail | None


class _ContainerStatus(TypedDict, total=False):
    name: str | None
    ready: bool | None
    restartCount: int | None
    started: bool | None
    image: str | None
    state: _State | None
    lastState: _State | None


class _Status(TypedDict, total=False):
    phase: str | None
    reason: str | None
    podIP: str | None
    conditions: list[_Condition] | None
    initContainerStatuses: list[_ContainerStatus] | None
    containerStatuses: list[_ContainerStatus] | None
    ephemeralContainerStatuses: list[_ContainerStatus] | None


class _Pod(TypedDict, total=False):
    apiVersion: str | None
    metadata: _Metadata | None
    spec: _Spec | None
    status: _Status | None


_POD_DECODER = msgspec.json.Decoder(_Pod)
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _spec_holds(spec: Mapping[str, Any], metadata: Obj, previous: Obj) -> bool:
    """Whether ``previous`` (a record of an earlier version of the pod) has the
    compact form of ``spec`` already.

    The API server refuses any change to a pod's spec but its node (set once, by
    scheduling), its containers' images and added ephemeral containers; of the
    same pod (same uid) only those are compared, so a status update, the usual
    watch event, costs no spec work.
    """
    uid = metadata.get("uid")
    kept = previous.get("spec")
    if not uid or uid != previous["metadata"].get("uid") or kept is None:
        return False
    if spec.get("nodeName") != kept.get("nodeName"):
        return False
    for key in _CONTAINER_LISTS:
        items = spec.get(key) or ()
        known = kept.get(key) or ()
        if len(items) != len(known):
            return False
        for item, container in zip(items, known, strict=True):
            if item.get("image") != container.get("image"):
                return False
    return True


_POOLED_METADATA = ("labels", "ownerReferences", "annotations")
_STATUS_LISTS = (
    "conditions",
    "initContainerStatuses",
    "containerStatuses",
    "ephemeralContainerStatuses",
)


def _finish_pod(pod: Obj, spec: Obj) -> Obj:
    """The record of a pod read into its compact shape: empty parts dropped,
    repeated ones shared."""
    metadata: Obj = pod.get("metadata") or {}
    dropped = [
        k for k, v in metadata.items() if v is None or not v and k in _POOLED_METADATA
    ]
    for key in dropped:
        del metadata[key]
    # Pods of one rollout share namespace and creation second: one string each.
    for key in ("namespace", "creationTimestamp"):
        value = metadata.get(key)
        if type(value) is str:
            metadata[key] = sys.intern(value)
    for key in _POOLED_METADATA:
        if key in metadata:
            metadata[key] = share(metadata[key])
    version = pod.get("apiVersion")
    record: Obj = {
        "kind": "Pod",
        "apiVersion": sys.intern(version) if type(version) is str else "v1",
        "metadata": metadata,
        "spec": spec,
    }
    status = pod.get("status")
    if status:
        record["status"] = _finish_status(status)
    return record


def _finish_spec(spec: Obj) -> Obj:
    for key in _CONTAINER_LISTS:
        items = spec.get(key)
        if items:
            for container in items:
                _finish_container(container)
        elif key in spec:
            del spec[key]
    for key in ("nodeName", "serviceAccountName", "restartPolicy"):
        if key in spec and not spec[key]:
            del spec[key]
    volumes = [volume for volume in spec.get("volumes") or () if _finish_volume(volume)]
    if volumes:
        spec["volumes"] = volumes
    else:
        spec.pop("volumes", None)
    return share(spec)


def _finish_container(container: Obj) -> None:
    if container.get("name") is None:
        container["name"] = ""
    for key in ("image", "ports"):
        if key in container and not container[key]:
            del container[key]
    env_from = [entry for entry in container.get("envFrom") or () if _named(entry)]
    if env_from:
        container["envFrom"] = env_from
    else:
        container.pop("envFrom", None)
    # Most variables are plain values: only those taken from elsewhere are kept.
    refs = [ref for entry in container.get("env") or () if (ref := _env_ref(entry))]
    if refs:
        container["env"] = refs
    else:
        container.pop("env", None)


def _env_ref(entry: Obj) -> Obj | None:
    source = entry.get("valueFrom") or {}
    for key in ("configMapKeyRef", "secretKeyRef"):
        if source.get(key) is not None:
            return {"name": entry.get("name", ""), "valueFrom": {key: source[key]}}
    return None


def _named(part: Obj) -> bool:
    """Whether ``part`` names anything once its null fields are dropped."""
    for key in [key for key, value in part.items() if value is None]:
        del part[key]
    return bool(part)


def _finish_volume(volume: Obj) -> bool:
    """Whether the volume, with what it does not name dropped, names anything."""
    projected = volume.get("projected")
    if projected is not None:
        sources = [
            source for source in projected.get("sources") or () if _named(source)
        ]
        if sources:
            projected["sources"] = sources
        else:
            del volume["projected"]
    return _named(volume)


def _finish_status(status: Obj) -> Obj:
    for key in ("phase", "reason", "podIP"):
        value = status.get(key)
        if not value:
            status.pop(key, None)
        elif key != "podIP" and type(value) is str:
            status[key] = sys.intern(value)
    for key in _STATUS_LISTS:
        items = status.get(key)
        if not items:
            status.pop(key, None)
            continue
        if key != "conditions":
            for item in items:
                for field in ("state", "lastState"):
                    state = item.get(field)
                    if not state:
                        item.pop(field, None)
                    elif None in state.values():
                        item[field] = {k: v or {} for k, v in state.items()}
        status[key] = share(items)
    return status
