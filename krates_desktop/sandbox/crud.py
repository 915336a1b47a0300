"""The verbs on stored objects: list (with selectors, pages and Tables), get,
create, replace, patch and delete, plus the `status` and `scale` subresources."""

from __future__ import annotations

import asyncio
import base64
import binascii
import builtins
import copy
import logging
import secrets
from collections.abc import Mapping
from typing import Any

import orjson
import yaml  # type: ignore[import-untyped]
from aiohttp import web

from krates_desktop.sandbox import clock, fieldcheck, managed, patch, protobuf
from krates_desktop.sandbox.defaults import apply_defaults, apply_update_defaults
from krates_desktop.sandbox.kinds import ResourceKind
from krates_desktop.sandbox.negotiation import wants_partial_metadata, wants_table
from krates_desktop.sandbox.openapi import OpenApi
from krates_desktop.sandbox.routes import Target
from krates_desktop.sandbox.selectors import (
    Matcher,
    has_selector,
    selection,
)
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.status import (
    ApiError,
    bad_request,
    conflict,
    expired,
    invalid,
    not_found,
    success,
    unsupported_media_type,
)
from krates_desktop.sandbox.tables import format_selector, to_table

logger = logging.getLogger(__name__)

Json = dict[str, Any]
GRACEFUL_DELETE_SECONDS = 1.0
# Kinds whose registry answers an immediate DELETE with the deleted object rather
# than a Status (ReturnDeletedObject in kube-apiserver; the official client's
# delete_* return types, V1Pod, V1Service and so on, say which).
RETURNS_DELETED_OBJECT = frozenset(
    {
        ("", "pods"),
        ("", "services"),
        ("", "serviceaccounts"),
        ("", "persistentvolumeclaims"),
        ("", "persistentvolumes"),
        ("", "podtemplates"),
        ("", "resourcequotas"),
        ("storage.k8s.io", "storageclasses"),
        ("storage.k8s.io", "csidrivers"),
        ("storage.k8s.io", "csinodes"),
        ("storage.k8s.io", "volumeattachments"),
    }
)
_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may "
    "show up in the list."
)


def respond(body: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json"
    )


async def read_body(request: web.Request) -> Any:
    """The decoded body: JSON, or the protobuf kubectl's typed clients send."""
    media = request.content_type
    raw = await request.read()
    if media == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(raw)
    if "protobuf" in media or "yaml" in media:
        raise unsupported_media_type(request.headers.get("Content-Type", media))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(
            f"couldn't get version/kind; json parse error: {exc}"
        ) from exc


def include_object(query: Mapping[str, str]) -> str:
    """The `includeObject` of a Table request (default Metadata)."""
    value = query.get("includeObject", "Metadata")
    if value not in ("None", "Metadata", "Object"):
        raise bad_request(f"includeObject: Unsupported value: {value!r}")
    return value


class Resources:
    """Handlers for the verbs on one sandbox's objects."""

    def __init__(self, state: SandboxState, openapi: OpenApi) -> None:
        self.state = state
        self.store = state.store
        self.openapi = openapi

    def _check_fields(self, request: web.Request, kind: ResourceKind, body: Any) -> Any:
        """Field validation of a write: returns the body without its unknown fields
        (a `Strict` request with some fails)."""
        return fieldcheck.check(request, kind, self.openapi.component(kind), body)

    def _record(
        self, request: web.Request, target: Target, old: Json | None, new: Json
    ) -> None:
        """Note in `new`'s managedFields what this write's field manager set
        (writes to the status are not tracked)."""
        if target.subresource is not None:
            return
        manager = managed.manager_of(
            request.query, request.headers.get("User-Agent", "")
        )
        schema = self.openapi.component(target.kind)
        managed.record_update(target.kind, schema, old, new, manager)

    # Reads

    def render_one(
        self, request: web.Request, kind: ResourceKind, obj: Json
    ) -> web.Response:
        """An object as JSON, Table or PartialObjectMetadata, per the Accept header."""
        accept = request.headers.get("Accept")
        if wants_table(accept):
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return respond(to_table(kind, [obj], meta, include_object(request.query)))
        if wants_partial_metadata(accept):
            return respond(_partial(obj))
        return respond(served_as(kind, obj))

    def get(self, request: web.Request, target: Target) -> web.Response:
        """GET one object."""
        assert target.name is not None
        obj = self.store.require(target.kind, target.namespace or "", target.name)
        return self.render_one(request, target.kind, obj)

    def list(self, request: web.Request, target: Target) -> web.Response:
        """GET a collection: selectors, `limit`/`continue`, Table or JSON."""
        kind, query = target.kind, request.query
        matches = selection(kind, query)
        self._check_list_rv(query)
        start, list_rv = self._continue_from(query.get("continue"))
        meta: Json = {"resourceVersion": str(list_rv or self.store.resource_version)}
        limit = _int_param(query, "limit") or 0
        keys = self.store.keys(kind, target.namespace, after=start)
        if has_selector(query):
            objects, more = self._matching(kind, keys, matches, limit)
        else:
            more = limit > 0 and len(keys) > limit
            chosen = keys[:limit] if more else keys
            objects = [self.store.require(kind, *key) for key in chosen]
            if more:
                meta["remainingItemCount"] = len(keys) - limit
        if more:
            meta["continue"] = _encode_continue(
                int(meta["resourceVersion"]), objects[-1]
            )
        return self._render_list(request, kind, objects, meta)

    def _matching(
        self,
        kind: ResourceKind,
        keys: builtins.list[tuple[str, str]],
        matches: Matcher,
        limit: int,
    ) -> tuple[builtins.list[Json], bool]:
        """The first `limit` objects that match, and whether more follow."""
        found: builtins.list[Json] = []
        for key in keys:
            obj = self.store.require(kind, *key)
            if not matches(obj):
                continue
            if limit and len(found) == limit:
                return found, True
            found.append(obj)
        return found, False

    def _render_list(
        self,
        request: web.Request,
        kind: ResourceKind,
        objects: builtins.list[Json],
        meta: Json,
    ) -> web.Response:
        accept = request.headers.get("Accept")
        if wants_table(accept):
            objects = [served_as(kind, o) for o in objects]
            return respond(to_table(kind, objects, meta, include_object(request.query)))
        if wants_partial_metadata(accept):
            return respond(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                    "items": [_partial(o) for o in objects],
                }
            )
        if kind.table == "custom":
            items = [served_as(kind, o) for o in objects]
        else:
            items = [_untyped(o) for o in objects]
        return respond(
            {
                "kind": kind.list_kind,
                "apiVersion": kind.api_version,
                "metadata": meta,
                "items": items,
            }
        )

    def _check_list_rv(self, query: Mapping[str, str]) -> None:
        wanted, match = (
            query.get("resourceVersion", ""),
            query.get("resourceVersionMatch"),
        )
        if match and match not in ("Exact", "NotOlderThan"):
            raise bad_request(f"resourceVersionMatch: Unsupported value: {match!r}")
        if wanted and not wanted.isdigit():
            raise bad_request(f"invalid resource version: {wanted!r}")
        if match == "Exact" and wanted and int(wanted) != self.store.resource_version:
            if (
                int(wanted) <= self.store.compacted
                or int(wanted) < self.store.resource_version
            ):
                raise expired(
                    f"too old resource version: {wanted} ({self.store.compacted + 1})"
                )

    def _continue_from(self, token: str | None) -> tuple[tuple[str, str] | None, int]:
        if not token:
            return None, 0
        try:
            data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
            rv, start = int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
            raise bad_request(
                "continue key is not valid: incorrect encoded start "
                "resourceVersion (version meta.k8s.io/v1)"
            ) from exc
        if rv < self.store.compacted:
            raise expired(_EXPIRED_CONTINUE)
        return start, rv

    # Writes

    async def create(self, request: web.Request, target: Target) -> web.Response:
        """POST to a collection."""
        kind = target.kind
        obj = await read_body(request)
        if not isinstance(obj, dict):
            raise bad_request("the body of the request must be a JSON object")
        _check_kind(kind, obj)
        obj = self._check_fields(request, kind, obj)
        meta = obj.setdefault("metadata", {})
        if target.namespace:
            if meta.get("namespace") not in (None, "", target.namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the "
                    "namespace sent on the request"
                )
            meta["namespace"] = target.namespace
            self._require_namespace(target.namespace)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise invalid(
                    kind.kind,
                    kind.group,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                )
            meta["name"] = meta["generateName"] + _suffix()
        for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
            meta.pop(key, None)
        apply_defaults(kind, obj)
        self._record(request, target, None, obj)
        if _dry_run(request):
            obj.setdefault("metadata", {})["uid"] = (
                "00000000-0000-0000-0000-000000000000"
            )
            return respond(obj, 201)
        return respond(self.store.create(kind, obj), 201)

    async def replace(self, request: web.Request, target: Target) -> web.Response:
        """PUT an object (or its status)."""
        kind, name = target.kind, target.name or ""
        obj = await read_body(request)
        if not isinstance(obj, dict):
            raise bad_request("the body of the request must be a JSON object")
        _check_kind(kind, obj)
        obj = self._check_fields(request, kind, obj)
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        meta["name"] = name
        if target.namespace:
            meta["namespace"] = target.namespace
        current = self.store.require(kind, target.namespace or "", name)
        if target.subresource != "status":
            apply_update_defaults(kind, current, obj)
        obj = _split_status(kind, current, obj, target.subresource == "status")
        self._record(request, target, current, obj)
        if _dry_run(request):
            return respond(obj)
        return respond(self.store.replace(kind, obj))

    async def patch(self, request: web.Request, target: Target) -> web.Response:
        """PATCH an object (or its status) with merge, strategic or JSON patch."""
        kind, name = target.kind, target.name or ""
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith(patch.APPLY):
            return await self._apply(request, target)
        current = self.store.require(kind, target.namespace or "", name)
        body = await read_body(request)
        if not content_type.startswith(patch.JSON_PATCH):
            body = self._check_fields(request, kind, body)
        schema = self.openapi.component(kind)
        patched = patch.apply(content_type, copy.deepcopy(current), body, schema)
        if content_type.startswith(patch.JSON_PATCH):
            patched = self._check_fields(request, kind, patched)
        wanted = (patched.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name)
        patched.setdefault("metadata", {}).update(
            name=name, resourceVersion=current["metadata"]["resourceVersion"]
        )
        if target.namespace:
            patched["metadata"]["namespace"] = target.namespace
        if target.subresource != "status":
            apply_update_defaults(kind, current, patched)
        patched = _split_status(kind, current, patched, target.subresource == "status")
        self._record(request, target, current, patched)
        if _dry_run(request):
            return respond(patched)
        return respond(self.store.replace(kind, patched))

    async def _apply(self, request: web.Request, target: Target) -> web.Response:
        """Server-side apply: creates the object or merges the configuration into
        it, owning its fields; 409 on a field another manager set differently."""
        kind, ns, name = target.kind, target.namespace or "", target.name or ""
        manager = managed.require_manager(request.query)
        applied = _apply_body(await request.read())
        _check_kind(kind, applied)
        applied = self._check_fields(request, kind, applied)
        meta = applied.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        meta["name"] = name
        if ns:
            meta["namespace"] = ns
        current = self.store.get(kind, ns, name)
        force = request.query.get("force") == "true"
        schema = self.openapi.component(kind)
        result = managed.apply(kind, schema, current, applied, manager, force)
        if current is None:
            if ns:
                self._require_namespace(ns)
            apply_defaults(kind, result)
            if _dry_run(request):
                return respond(result, 201)
            return respond(self.store.create(kind, result), 201)
        wanted = meta.get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name)
        result["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if target.subresource != "status":
            apply_update_defaults(kind, current, result)
        result = _split_status(kind, current, result, target.subresource == "status")
        if _dry_run(request):
            return respond(result)
        return respond(self.store.replace(kind, result))

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        """DELETE one object, answered as kube-apiserver does: the object itself while
        its deletion is pending (graceful pod termination, a namespace emptying, the
        garbage collector's orphan or foregroundDeletion finalizer), else the final
        object for kinds whose registry returns it, else a Success Status."""
        kind, ns, name = target.kind, target.namespace or "", target.name or ""
        obj = self.store.require(kind, ns, name)
        options = await _delete_options(request)
        grace = _int_param(request.query, "gracePeriodSeconds")
        if grace is None and isinstance(options.get("gracePeriodSeconds"), int):
            grace = options["gracePeriodSeconds"]
        policy = _propagation(request.query, options)
        # The API server answers 202 only for a pending deletion with the legacy
        # orphanDependents=false; graceful and finalized deletions get 200.
        code = 202 if options.get("orphanDependents") is False else 200
        is_pod = kind.key == ("", "pods")
        if obj["metadata"].get("deletionTimestamp") and not (is_pod and grace == 0):
            return respond(obj, code)
        if _dry_run(request) or "All" in (options.get("dryRun") or []):
            if kind.key in RETURNS_DELETED_OBJECT:
                return respond(obj)
            return respond(
                success(kind.plural, kind.group, name, obj["metadata"]["uid"])
            )
        if policy == "Orphan":
            self._orphan_dependents(obj)
        if is_pod and grace != 0:
            return respond(self._terminate_pod(obj, grace), code)
        if kind.key == ("", "namespaces"):
            return respond(self._terminate_namespace(obj), code)
        if policy in ("Orphan", "Foreground"):
            return respond(self._finalize(kind, obj, policy), code)
        final = self.store.delete(kind, ns, name)
        if kind.key in RETURNS_DELETED_OBJECT:
            return respond(final)
        return respond(success(kind.plural, kind.group, name, obj["metadata"]["uid"]))

    def _finalize(self, kind: ResourceKind, obj: Json, policy: str) -> Json:
        """Mark `obj` deleted behind the garbage collector's finalizer; the collector
        then orphans (already done) or deletes its dependents and removes it."""
        ns, name = obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
        finalizer = "orphan" if policy == "Orphan" else "foregroundDeletion"

        def mark(target: Json) -> None:
            meta = target["metadata"]
            meta["deletionTimestamp"] = clock.rfc3339(clock.now())
            meta["deletionGracePeriodSeconds"] = 0
            meta["finalizers"] = [*(meta.get("finalizers") or []), finalizer]

        marked = self.store.mutate(kind, ns, name, mark)
        uid = marked["metadata"]["uid"]
        asyncio.get_running_loop().call_soon(
            self._collect, kind, ns, name, uid, finalizer
        )
        return marked

    def _collect(
        self, kind: ResourceKind, ns: str, name: str, uid: str, finalizer: str
    ) -> None:
        """The garbage collector's part: delete the dependents of a foreground deletion,
        drop its finalizer, and remove the object once no finalizer is left."""
        for key, namespace, dependent_name in sorted(self.state.owners.dependents(uid)):
            dependent = self.state.registry.by_key(key)
            if finalizer == "foregroundDeletion" and dependent is not None:
                if self.store.get(dependent, namespace, dependent_name) is not None:
                    self.store.delete(dependent, namespace, dependent_name)
        obj = self.store.get(kind, ns, name)
        if obj is None or obj["metadata"]["uid"] != uid:
            return
        if [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]:

            def release(target: Json) -> None:
                kept = [f for f in target["metadata"]["finalizers"] if f != finalizer]
                target["metadata"]["finalizers"] = kept

            self.store.mutate(kind, ns, name, release)
        else:
            self.store.delete(kind, ns, name)

    def _orphan_dependents(self, owner: Json) -> None:
        """Drop the ownerReferences to `owner`, so its dependents outlive it."""
        uid = owner["metadata"]["uid"]
        for key, namespace, name in sorted(self.state.owners.dependents(uid)):
            kind = self.state.registry.by_key(key)
            if kind is None or self.store.get(kind, namespace, name) is None:
                continue

            def release(obj: Json) -> None:
                refs = obj["metadata"].get("ownerReferences") or []
                kept = [r for r in refs if r.get("uid") != uid]
                if kept:
                    obj["metadata"]["ownerReferences"] = kept
                else:
                    obj["metadata"].pop("ownerReferences", None)

            self.store.mutate(kind, namespace, name, release)

    async def delete_collection(
        self, request: web.Request, target: Target
    ) -> web.Response:
        """DELETE a collection, honouring selectors."""
        kind = target.kind
        matches = selection(kind, request.query)
        deleted = []
        for obj in [o for o in self.store.list(kind, target.namespace) if matches(o)]:
            meta = obj["metadata"]
            deleted.append(
                self.store.delete(kind, meta.get("namespace", ""), meta["name"])
            )
        return respond(
            {
                "kind": kind.list_kind,
                "apiVersion": kind.api_version,
                "metadata": {"resourceVersion": str(self.store.resource_version)},
                "items": deleted,
            }
        )

    def _terminate_pod(self, pod: Json, grace: int | None) -> Json:
        kind = self.state.kind("", "pods")
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if grace is None:
            grace = int(
                (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            )

        def mark(obj: Json) -> None:
            obj["metadata"]["deletionTimestamp"] = clock.rfc3339(clock.now())
            obj["metadata"]["deletionGracePeriodSeconds"] = grace

        marked = self.store.mutate(kind, ns, name, mark)
        uid = marked["metadata"]["uid"]
        asyncio.get_running_loop().call_later(
            GRACEFUL_DELETE_SECONDS, self._finish_delete, kind, ns, name, uid
        )
        return marked

    def _terminate_namespace(self, namespace: Json) -> Json:
        kind = self.state.kind("", "namespaces")
        name = namespace["metadata"]["name"]

        def mark(obj: Json) -> None:
            obj["metadata"]["deletionTimestamp"] = clock.rfc3339(clock.now())
            obj.setdefault("status", {})["phase"] = "Terminating"

        marked = self.store.mutate(kind, "", name, mark)
        asyncio.get_running_loop().call_later(
            GRACEFUL_DELETE_SECONDS, self._empty_namespace, name
        )
        return marked

    def _empty_namespace(self, name: str) -> None:
        for kind in self.state.registry.stored_kinds():
            if kind.namespaced:
                for obj in self.store.list(kind, name):
                    self.store.delete(kind, name, obj["metadata"]["name"])
        namespaces = self.state.kind("", "namespaces")
        if self.store.get(namespaces, "", name) is not None:
            self.store.delete(namespaces, "", name)

    def _finish_delete(self, kind: ResourceKind, ns: str, name: str, uid: str) -> None:
        obj = self.store.get(kind, ns, name)
        if obj is not None and obj["metadata"]["uid"] == uid:
            self.store.delete(kind, ns, name)

    def _require_namespace(self, name: str) -> None:
        namespaces = self.state.kind("", "namespaces")
        found = self.store.get(namespaces, "", name)
        if found is None:
            raise not_found("namespaces", "", name)
        if (found.get("status") or {}).get("phase") == "Terminating":
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace "
                f"{name} because it is being terminated",
                {"name": name, "kind": "namespaces"},
            )

    # Scale subresource

    def get_scale(self, target: Target) -> web.Response:
        """GET .../scale."""
        obj = self.store.require(target.kind, target.namespace or "", target.name or "")
        return respond(_scale_of(obj))

    async def update_scale(self, request: web.Request, target: Target) -> web.Response:
        """PUT or PATCH .../scale: sets spec.replicas of the parent."""
        kind, ns, name = target.kind, target.namespace or "", target.name or ""
        current = _scale_of(self.store.require(kind, ns, name))
        body = await read_body(request)
        if request.method == "PATCH":
            wanted = patch.apply(request.headers.get("Content-Type", ""), current, body)
        else:
            wanted = body
        replicas = (wanted.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise invalid(
                "Scale",
                "autoscaling",
                name,
                "spec.replicas",
                f"Invalid value: {replicas!r}: must be greater than or equal to 0",
            )

        manager = managed.manager_of(
            request.query, request.headers.get("User-Agent", "")
        )
        schema = self.openapi.component(kind)

        def scale(obj: Json) -> None:
            before = {**obj, "spec": dict(obj["spec"])}
            obj["spec"]["replicas"] = replicas
            managed.record_update(kind, schema, before, obj, manager, "scale")

        return respond(_scale_of(self.store.mutate(kind, ns, name, scale)))


def _propagation(query: Mapping[str, str], options: Json) -> str:
    """The propagation policy asked for (the legacy orphanDependents counts too);
    Background, the API server's default for every kind Krates shows, otherwise."""
    policy = query.get("propagationPolicy") or options.get("propagationPolicy")
    if not policy and options.get("orphanDependents") is True:
        policy = "Orphan"
    if policy not in (None, "", "Orphan", "Foreground", "Background"):
        raise invalid(
            "DeleteOptions.meta.k8s.io",
            "",
            "",
            "propagationPolicy",
            f'Unsupported value: "{policy}": supported values: '
            '"Foreground", "Background", "Orphan"',
        )
    return str(policy or "Background")


async def _delete_options(request: web.Request) -> Json:
    """The DeleteOptions body kubectl may send with a DELETE (empty when none)."""
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _apply_body(raw: bytes) -> Json:
    """An apply configuration: YAML (or JSON, which kubectl sends), one object."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            body = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise bad_request(f"error decoding YAML: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a YAML or JSON object")
    return body


def _dry_run(request: web.Request) -> bool:
    """Whether the request is a server-side dry run (`dryRun=All`)."""
    return "All" in request.query.getall("dryRun", [])


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f"invalid {name}: {raw!r}") from exc


def _sort_key(obj: Json) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def _encode_continue(rv: int, last: Json) -> str:
    data = orjson.dumps(
        {"v": "meta.k8s.io/v1", "rv": rv, "start": list(_sort_key(last))}
    )
    return base64.urlsafe_b64encode(data).decode()


def served_as(kind: ResourceKind, obj: Json) -> Json:
    """`obj` as served at `kind`'s version (custom resources with several versions
    share one stored copy)."""
    if obj.get("apiVersion", kind.api_version) == kind.api_version:
        return obj
    return {**obj, "apiVersion": kind.api_version}


def _partial(obj: Json) -> Json:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def _untyped(obj: Json) -> Json:
    """A list item as the server sends it: without kind and apiVersion."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _check_kind(kind: ResourceKind, obj: Json) -> None:
    if obj.get("kind") not in (None, "", kind.kind):
        raise bad_request(
            f"the kind in the data ({obj.get('kind')}) does not match the "
            f"expected kind ({kind.kind})"
        )
    if obj.get("apiVersion") not in (None, "", kind.api_version):
        raise bad_request(
            f"the API version in the data ({obj.get('apiVersion')}) does not "
            f"match the expected API version ({kind.api_version})"
        )


def _split_status(
    kind: ResourceKind, current: Json, new: Json, status_only: bool
) -> Json:
    """Writes to a resource keep its status; writes to /status keep everything else."""
    if kind.subresource("status") is None:
        return new
    if status_only:
        result = copy.deepcopy(current)
        result["status"] = new.get("status", {})
        result["metadata"]["resourceVersion"] = (new.get("metadata") or {}).get(
            "resourceVersion", current["metadata"]["resourceVersion"]
        )
        return result
    new = dict(new)
    if "status" in current:
        new["status"] = current["status"]
    else:
        new.pop("status", None)
    return new


def _scale_of(obj: Json) -> Json:
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in (
                "name",
                "namespace",
                "uid",
                "resourceVersion",
                "creationTimestamp",
            )
            if k in meta
        },
        "spec": {"replicas": int(spec.get("replicas", 1))},
        "status": {
            "replicas": int(status.get("replicas", 0)),
            "selector": format_selector(spec.get("selector")).replace("<none>", ""),
        },
    }
