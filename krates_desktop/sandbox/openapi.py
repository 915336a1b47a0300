"""The OpenAPI v3 documents kubectl reads: the `/openapi/v3` index and one
document per group-version with the operations of every resource (kubectl's
QueryParamVerifier looks for `fieldValidation` on PATCH to validate on the server)
and the component schemas `kubectl explain` and `kubectl apply` use.

Built-in schemas come from the official client's models (`schemas`); a custom
resource's come from its CRD's `openAPIV3Schema`, so the index follows CRDs as
they are created, changed and deleted. Documents are cached by what they are
made of and named by the SHA-512 of their bytes, as kube-openapi does.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

import orjson
from aiohttp import web

from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.schemas import META, REF_PREFIX, builtin
from krates_desktop.sandbox.state import CRD_KEY, SandboxState
from krates_desktop.sandbox.status import unknown_path

Json = dict[str, Any]
OBJECT_META = f"{META}.ObjectMeta"
LIST_META = f"{META}.ListMeta"
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_WRITE_PARAMS = (
    ("dryRun", "When present, indicates that modifications should not be persisted."),
    ("fieldManager", "fieldManager is a name associated with the actor or entity "
     "that is making these changes."),
    ("fieldValidation", "fieldValidation instructs the server on how to handle objects "
     "in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid "
     "values are: - Ignore - Warn - Strict"),
)  # fmt: skip
_LIST_PARAMS = (
    "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
    "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds",
    "watch",
)  # fmt: skip


class Document:
    """One served document: its bytes and the hash that names them."""

    def __init__(self, body: Json) -> None:
        self.raw = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        self.hash = hashlib.sha512(self.raw).hexdigest().upper()


def gv_path(group: str, version: str) -> str:
    """The index key of a group-version: `api/v1`, `apis/apps/v1`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


class OpenApi:
    """The documents of one sandbox, rebuilt only when their kinds change."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._cache: dict[Any, Document] = {}

    def index(self) -> Json:
        """The `/openapi/v3` discovery document."""
        paths = {}
        for group, version in self.state.registry.group_versions():
            doc = self.document(group, version)
            if doc is not None:
                url = f"/openapi/v3/{gv_path(group, version)}?hash={doc.hash}"
                paths[gv_path(group, version)] = {"serverRelativeURL": url}
        return {"paths": paths}

    def serve(self, request: web.Request, parts: list[str]) -> web.Response:
        """Answer `/openapi/v3` and `/openapi/v3/<group-version>`: a hash in the
        query that names the current document makes it cacheable for good, a stale
        one is redirected to the current hash, as kube-openapi does."""
        if parts == ["openapi", "v3"]:
            raw = orjson.dumps(self.index())
            return web.Response(body=raw, content_type="application/json")
        rest = parts[2:]
        found = None
        if rest[:1] == ["api"] and len(rest) == 2:
            found = self.document("", rest[1])
        elif rest[:1] == ["apis"] and len(rest) == 3:
            found = self.document(rest[1], rest[2])
        if found is None:
            raise unknown_path()
        wanted = request.query.get("hash")
        if wanted and wanted != found.hash:
            location = f"{request.path}?hash={found.hash}"
            raise web.HTTPMovedPermanently(location)
        headers = {"ETag": f'"{found.hash}"', "Vary": "Accept"}
        if wanted:
            expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365)
            headers["Cache-Control"] = "public, immutable"
            headers["Expires"] = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
        if request.headers.get("If-None-Match") == headers["ETag"]:
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=found.raw, content_type="application/json", headers=headers
        )

    def document(self, group: str, version: str) -> Document | None:
        """The document of one group-version, or None if nothing is served there."""
        kinds = self.state.registry.in_group_version(group, version)
        if not kinds:
            return None
        crds = self._crds(group)
        key = (
            group,
            version,
            tuple((k.plural, k.subresources, k.namespaced) for k in kinds),
            tuple(c["metadata"].get("resourceVersion", "") for c in crds),
        )
        if key not in self._cache:
            self._cache = {k: d for k, d in self._cache.items() if k[:2] != key[:2]}
            self._cache[key] = Document(self._build(group, version, kinds, crds))
        return self._cache[key]

    def component(self, kind: ResourceKind) -> tuple[str, dict[str, Json]] | None:
        """The root component name of a kind and the schemas it needs, or None."""
        if kind.table != "custom":
            schemas = builtin()
            root = schemas.root(kind.group, kind.version, kind.kind)
            if root is None:
                return None
            every = schemas.schemas()
            return root, {n: every[n] for n in schemas.closure(root)}
        for crd in self._crds(kind.group):
            if (crd["spec"].get("names") or {}).get("plural") == kind.plural:
                return _custom_schema(crd, kind)
        return None

    def _crds(self, group: str) -> list[Json]:
        crd_kind = self.state.registry.by_key(CRD_KEY)
        if crd_kind is None:
            return []
        return [
            c
            for c in self.state.store.list(crd_kind)
            if (c.get("spec") or {}).get("group") == group
        ]

    def _build(
        self, group: str, version: str, kinds: Iterable[ResourceKind], crds: list[Json]
    ) -> Json:
        schemas: dict[str, Json] = {}
        paths: dict[str, Json] = {}
        for kind in kinds:
            found = self.component(kind)
            if found is None:
                continue
            root, needed = found
            schemas.update(needed)
            list_name = f"{root}List"
            schemas[list_name] = _list_schema(kind, root)
            schemas.update(_meta_closure())
            if kind.subresource("scale") is not None:
                schemas.update(_closure_of("autoscaling", "v1", "Scale"))
            paths.update(_paths(kind, root, list_name))
        title = "Kubernetes" if not crds else "Kubernetes CRD Swagger"
        return {
            "openapi": "3.0.0",
            "info": {"title": title, "version": "v1.37.1"},
            "paths": paths,
            "components": {"schemas": schemas},
        }


def _closure_of(group: str, version: str, kind: str) -> dict[str, Json]:
    schemas = builtin()
    root = schemas.root(group, version, kind)
    every = schemas.schemas()
    return {n: every[n] for n in schemas.closure(root)} if root else {}


def _meta_closure() -> dict[str, Json]:
    """ObjectMeta, ListMeta and what they use (CRD documents need them too)."""
    schemas = builtin()
    schemas.root("", "v1", "Namespace")  # builds the meta types
    every = schemas.schemas()
    names = schemas.closure(OBJECT_META) | schemas.closure(LIST_META)
    return {n: every[n] for n in names}


def _ref(name: str, description: str = "") -> Json:
    schema: Json = {"allOf": [{"$ref": REF_PREFIX + name}], "default": {}}
    if description:
        schema["description"] = description
    return schema


def _gvk(kind: ResourceKind, name: str = "") -> Json:
    return {"group": kind.group, "kind": name or kind.kind, "version": kind.version}


def _list_schema(kind: ResourceKind, root: str) -> Json:
    return {
        "description": f"{kind.list_kind} is a list of {kind.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": _ref(root)},
            "kind": {"type": "string"},
            "metadata": _ref(LIST_META),
        },
        "x-kubernetes-group-version-kind": [_gvk(kind, kind.list_kind)],
    }


def reversed_group(group: str) -> str:
    """`example.com` -> `com.example`: how custom resource components are named."""
    return ".".join(reversed(group.split(".")))


def _custom_schema(crd: Json, kind: ResourceKind) -> tuple[str, dict[str, Json]]:
    spec = crd["spec"]
    version = next(
        (v for v in spec.get("versions") or [] if v.get("name") == kind.version), {}
    )
    declared = copy.deepcopy(
        ((version.get("schema") or {}).get("openAPIV3Schema")) or {}
    )
    if not declared or spec.get("preserveUnknownFields"):
        declared["x-kubernetes-preserve-unknown-fields"] = True
    declared.setdefault("type", "object")
    properties = declared.setdefault("properties", {})
    properties["apiVersion"] = {
        "description": "APIVersion defines the versioned schema of this "
        "representation of an object.",
        "type": "string",
    }
    properties["kind"] = {
        "description": "Kind is a string value representing the REST resource "
        "this object represents.",
        "type": "string",
    }
    properties["metadata"] = _ref(
        OBJECT_META,
        "Standard object's metadata. More info: https://git.k8s.io/community/"
        "contributors/devel/sig-architecture/api-conventions.md#metadata",
    )
    declared["x-kubernetes-group-version-kind"] = [_gvk(kind)]
    name = f"{reversed_group(kind.group)}.{kind.version}.{kind.kind}"
    return name, {name: declared, **_meta_closure()}


def _operation(
    kind: ResourceKind, action: str, schema: str, gvk: Json, writes: bool = False
) -> Json:
    params = [
        {"name": n, "in": "query", "description": d, "schema": {"type": "string"}}
        for n, d in _WRITE_PARAMS
    ]
    if action == "list":
        params = [
            {"name": n, "in": "query", "schema": {"type": "string"}}
            for n in _LIST_PARAMS
        ]
    elif not writes:
        params = []
    content = {"application/json": {"schema": {"$ref": REF_PREFIX + schema}}}
    op: Json = {
        "operationId": f"{action}{kind.kind}",
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": content},
            "401": {"description": "Unauthorized"},
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }
    if action == "patch":
        patch_schema = {"schema": {"type": "object"}}
        op["requestBody"] = {"content": dict.fromkeys(PATCH_TYPES, patch_schema)}
    elif writes:
        op["requestBody"] = {"content": content}
    return op


def _paths(kind: ResourceKind, root: str, list_name: str) -> dict[str, Json]:
    base = f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1"
    scoped = f"{base}/namespaces/{{namespace}}" if kind.namespaced else base
    collection, item = f"{scoped}/{kind.plural}", f"{scoped}/{kind.plural}/{{name}}"
    gvk, verbs = _gvk(kind), set(kind.verbs)
    paths: dict[str, Json] = {}
    ops = paths.setdefault(collection, {})
    if "list" in verbs:
        ops["get"] = _operation(kind, "list", list_name, gvk)
    if "create" in verbs:
        ops["post"] = _operation(kind, "post", root, gvk, writes=True)
    if "deletecollection" in verbs:
        ops["delete"] = _operation(kind, "deletecollection", root, gvk)
    if kind.namespaced and "list" in verbs:
        paths[f"{base}/{kind.plural}"] = {
            "get": _operation(kind, "list", list_name, gvk)
        }
    if "get" in verbs:
        paths[item] = {
            "get": _operation(kind, "get", root, gvk),
            "put": _operation(kind, "put", root, gvk, writes=True),
            "patch": _operation(kind, "patch", root, gvk, writes=True),
            "delete": _operation(kind, "delete", root, gvk),
        }
    for sub in kind.subresources:
        if sub.name not in ("status", "scale"):
            continue
        target, sub_gvk = root, gvk
        if sub.name == "scale":
            target = builtin().root("autoscaling", "v1", "Scale") or root
            sub_gvk = {"group": "autoscaling", "kind": "Scale", "version": "v1"}
        paths[f"{item}/{sub.name}"] = {
            verb: _operation(kind, action, target, sub_gvk, writes=verb != "get")
            for verb, action in (("get", "get"), ("put", "put"), ("patch", "patch"))
        }
    return paths
