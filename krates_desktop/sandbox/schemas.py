"""OpenAPI schemas of the built-in kinds, generated from the official Python
client's models (pydantic classes that carry every field's JSON name, type and
description), so that `kubectl explain` and field validation see the real API
instead of a hand-kept copy.

The models do not record the strategic-merge keys of the Go types, so the few
lists kubectl merges by key are listed here (`MERGE_KEYS`), from the `patchStrategy`
and `patchMergeKey` tags of `k8s.io/api`.
"""

from __future__ import annotations

import datetime
import functools
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

Json = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_META_TYPES = frozenset(
    {
        "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement",
        "ManagedFieldsEntry", "OwnerReference", "Condition", "Status", "StatusDetails",
        "StatusCause", "DeleteOptions", "Preconditions",
    }
)  # fmt: skip
GROUP_PACKAGES = {
    "": "io.k8s.api.core.v1",
    "apps": "io.k8s.api.apps.v1",
    "batch": "io.k8s.api.batch.v1",
    "networking.k8s.io": "io.k8s.api.networking.v1",
    "storage.k8s.io": "io.k8s.api.storage.v1",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac.v1",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1",
    "authentication.k8s.io": "io.k8s.api.authentication.v1",
    "authorization.k8s.io": "io.k8s.api.authorization.v1",
    "autoscaling": "io.k8s.api.autoscaling.v1",
}
# Types that no served core kind reaches but other documents use.
_CORE_SEEDS = ("V1PodTemplate", "V1ListMeta")

# (type, field) -> (x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key)
MERGE_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("PodSpec", "containers"): ("merge", "name"),
    ("PodSpec", "initContainers"): ("merge", "name"),
    ("PodSpec", "ephemeralContainers"): ("merge", "name"),
    ("PodSpec", "volumes"): ("merge,retainKeys", "name"),
    ("PodSpec", "imagePullSecrets"): ("merge", "name"),
    ("PodSpec", "hostAliases"): ("merge", "ip"),
    ("PodSpec", "topologySpreadConstraints"): ("merge", "topologyKey"),
    ("PodSpec", "schedulingGates"): ("merge", "name"),
    ("PodSpec", "resourceClaims"): ("merge,retainKeys", "name"),
    ("Container", "ports"): ("merge", "containerPort"),
    ("Container", "env"): ("merge", "name"),
    ("Container", "volumeMounts"): ("merge", "mountPath"),
    ("Container", "volumeDevices"): ("merge", "devicePath"),
    ("EphemeralContainer", "env"): ("merge", "name"),
    ("EphemeralContainer", "volumeMounts"): ("merge", "mountPath"),
    ("EphemeralContainer", "volumeDevices"): ("merge", "devicePath"),
    ("ServiceSpec", "ports"): ("merge", "port"),
    ("ServiceAccount", "secrets"): ("merge", "name"),
    ("PodStatus", "conditions"): ("merge", "type"),
    ("PodStatus", "podIPs"): ("merge", "ip"),
    ("PodStatus", "hostIPs"): ("merge", "ip"),
    ("NodeStatus", "conditions"): ("merge", "type"),
    ("NodeStatus", "addresses"): ("merge", "type"),
    ("NamespaceStatus", "conditions"): ("merge", "type"),
    ("PersistentVolumeClaimStatus", "conditions"): ("merge", "type"),
    ("DeploymentStatus", "conditions"): ("merge", "type"),
    ("ReplicaSetStatus", "conditions"): ("merge", "type"),
    ("DaemonSetStatus", "conditions"): ("merge", "type"),
    ("ObjectMeta", "ownerReferences"): ("merge", "uid"),
}
_RETAIN_KEYS = {("DeploymentSpec", "strategy"), ("DaemonSetSpec", "updateStrategy")}
_VERSIONED = re.compile(r"^(?:[A-Z][a-z]+)*V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])")


def _models() -> Any:
    import kubernetes.client as models  # noqa: PLC0415 - 0.2 s, only when asked

    return models


def short_name(model: type) -> str:
    """The Go type name of a client model: `V1PodSpec` -> `PodSpec`."""
    return _VERSIONED.sub("", model.__name__, count=1)


def model_for(group: str, kind: str) -> type | None:
    """The client's model class of a built-in kind, or None."""
    models = _models()
    prefix = (group.split(".")[0] or "core").capitalize()
    for name in (f"{prefix}V1{kind}", f"V1{kind}"):
        model = getattr(models, name, None)
        if isinstance(model, type) and hasattr(model, "model_fields"):
            return model
    return None


class BuiltinSchemas:
    """The component schemas of the built-in kinds, named as the API server names
    them (`io.k8s.api.core.v1.PodSpec`), built once on first use."""

    def __init__(self) -> None:
        self._names: dict[type, str] = {}
        self._schemas: dict[str, Json] = {}
        self._closure: dict[str, frozenset[str]] = {}

    def schemas(self) -> dict[str, Json]:
        """Every component built so far, by name."""
        return self._schemas

    def root(self, group: str, version: str, kind: str) -> str | None:
        """The component name of a kind (building it and what it uses), or None."""
        model = model_for(group, kind)
        if model is None:
            return None
        if not self._names:
            for seed in _CORE_SEEDS:
                self._build(getattr(_models(), seed), GROUP_PACKAGES[""])
        name = self._build(model, GROUP_PACKAGES.get(group, GROUP_PACKAGES[""]))
        gvk = {"group": group, "kind": kind, "version": version}
        self._schemas[name]["x-kubernetes-group-version-kind"] = [gvk]
        return name

    def closure(self, name: str) -> frozenset[str]:
        """`name` and every component it refers to, directly or not."""
        if name not in self._closure:
            seen: set[str] = set()
            todo = [name]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo += list(_refs(self._schemas[current]))
            self._closure[name] = frozenset(seen)
        return self._closure[name]

    def _build(self, model: type, package: str) -> str:
        if model in self._names:
            return self._names[model]
        short = short_name(model)
        name = f"{META if short in _META_TYPES else package}.{short}"
        self._names[model] = name
        schema: Json = {"type": "object"}
        self._schemas[name] = schema
        doc = (model.__doc__ or "").split("Attributes:")[0].strip()
        if doc and not doc.startswith(model.__name__):
            schema["description"] = doc
        properties: Json = {}
        required: list[str] = []
        for attr, info in model.model_fields.items():  # type: ignore[attr-defined]
            field = info.serialization_alias or info.alias or attr
            prop = self._type(info.annotation, package)
            if info.description:
                prop = {"description": info.description, **prop}
            merge = MERGE_KEYS.get((short, field))
            if merge:
                prop["x-kubernetes-patch-strategy"] = merge[0]
                prop["x-kubernetes-patch-merge-key"] = merge[1]
            elif (short, field) in _RETAIN_KEYS:
                prop["x-kubernetes-patch-strategy"] = "retainKeys"
            properties[field] = prop
            if info.is_required():
                required.append(field)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        return name

    def _type(self, annotation: Any, package: str) -> Json:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            return self._type(args[0], package)
        if origin in (typing.Union, types.UnionType):
            kinds = [a for a in args if a is not type(None)]
            if len(kinds) == 1:
                return self._type(kinds[0], package)
            bases = {_base(a) for a in kinds}
            if bases == {int, str}:
                self._schemas.setdefault(INT_OR_STRING, dict(_INT_OR_STRING))
                return {"allOf": [{"$ref": REF_PREFIX + INT_OR_STRING}]}
            if bases <= {int, float}:
                return {"type": "number", "format": "double"}
            return {}
        if origin is list:
            return {"type": "array", "items": self._type(args[0], package)}
        if origin is dict:
            return {
                "type": "object",
                "additionalProperties": self._type(args[1], package),
            }
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            ref = REF_PREFIX + self._build(annotation, package)
            return {"allOf": [{"$ref": ref}], "default": {}}
        return dict(_PRIMITIVES.get(annotation, {"type": "object"}))


INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_INT_OR_STRING: Json = {
    "description": "IntOrString is a type that can hold an int32 or a string.  When "
    "used in JSON or YAML marshalling and unmarshalling, it produces or consumes the "
    "inner type.  This allows you to have, for example, a JSON field that can accept "
    "a name or number.",
    "type": "string",
    "format": "int-or-string",
}
_PRIMITIVES: dict[Any, Json] = {
    str: {"type": "string"},
    int: {"type": "integer", "format": "int64"},
    float: {"type": "number", "format": "double"},
    bool: {"type": "boolean"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    bytes: {"type": "string", "format": "byte"},
    bytearray: {"type": "string", "format": "byte"},
}


def _base(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def resolve(schemas: Mapping[str, Json], node: Json) -> Json:
    """The schema a node stands for, following `$ref` and a one-entry `allOf`."""
    while True:
        ref = node.get("$ref")
        if ref is None and len(node.get("allOf") or ()) == 1:
            ref = node["allOf"][0].get("$ref")
        if not isinstance(ref, str) or not ref.startswith(REF_PREFIX):
            return node
        node = schemas.get(ref[len(REF_PREFIX) :], {})


def _refs(node: Any) -> Iterator[str]:
    """The component names a schema refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@functools.cache
def builtin() -> BuiltinSchemas:
    """The one registry of built-in schemas (the models never change)."""
    return BuiltinSchemas()
