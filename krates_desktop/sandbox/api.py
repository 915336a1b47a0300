"""The HTTP front of the sandbox: one dispatcher that serves version, health and
discovery, resolves resource paths, checks verbs and authorization, and hands off
to the CRUD, watch, log and exec handlers. Errors leave as `Status` objects."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from krates_desktop.sandbox import attach, discovery, logs
from krates_desktop.sandbox import exec as pod_exec
from krates_desktop.sandbox.auth import USER_KEY, User
from krates_desktop.sandbox.crud import Resources, read_body, respond
from krates_desktop.sandbox.fieldcheck import FIELD_WARNINGS_KEY
from krates_desktop.sandbox.negotiation import wants_aggregated_discovery, wants_table
from krates_desktop.sandbox.openapi import OpenApi
from krates_desktop.sandbox.rbac import Attributes
from krates_desktop.sandbox.routes import Target, resolve, verb
from krates_desktop.sandbox.selectors import selection
from krates_desktop.sandbox.state import SandboxState
from krates_desktop.sandbox.status import (
    ApiError,
    bad_request,
    forbidden,
    forbidden_path,
    method_not_allowed,
    unknown_path,
)
from krates_desktop.sandbox.watch import BOOKMARK_INTERVAL, WatchEncoder, serve_watch

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEALTH_PATHS = ("/healthz", "/readyz", "/livez")
WARNING_KEY = web.RequestKey("warning", str)


async def add_warning(request: web.Request, response: web.StreamResponse) -> None:
    """Send the deprecation warning of the requested kind, as `Warning: 299 - "..."`."""
    warning = request.get(WARNING_KEY)
    if warning:
        response.headers["Warning"] = f'299 - "{warning}"'
    for text in request.get(FIELD_WARNINGS_KEY, ()):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        response.headers.add("Warning", f'299 - "{escaped}"')


class FlowControl:
    """The API Priority and Fairness headers a real server puts on every answer to
    an authenticated request: the UIDs of the FlowSchema and PriorityLevel that
    classified it (`exempt` for system:masters, `global-default` for the others)."""

    def __init__(self) -> None:
        self._uids = {
            privileged: (str(uuid.uuid4()), str(uuid.uuid4()))
            for privileged in (True, False)
        }

    async def add_headers(
        self, request: web.Request, response: web.StreamResponse
    ) -> None:
        """The on_response_prepare hook."""
        user = request.get(USER_KEY)
        if user is None:  # a 401: classification comes after authentication
            return
        flow_schema, priority_level = self._uids[user.privileged]
        response.headers["X-Kubernetes-PF-FlowSchema-UID"] = flow_schema
        response.headers["X-Kubernetes-PF-PriorityLevel-UID"] = priority_level


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Render ApiError (and unexpected failures) as Status responses."""
    try:
        return await handler(request)
    except ApiError as error:
        if error.code >= 500:
            logger.error(
                "%s %s failed: %s", request.method, request.path, error.message
            )
        response = respond(error.to_status(), error.code)
        response.headers.update(error.headers)
        return response
    except web.HTTPException:
        raise
    except Exception:  # the request boundary: one bad request must not kill the server
        logger.exception("%s %s failed", request.method, request.path)
        status = ApiError(
            500,
            "InternalError",
            "an error on the server has prevented the request from succeeding",
        ).to_status()
        return respond(status, 500)


class Api:
    """Routes every request of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.openapi = OpenApi(state)
        self.resources = Resources(state, self.openapi)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The single entry point for every path and method."""
        path = request.path
        if path in ("/version", "/version/"):
            return respond(discovery.version_info())
        if path.rstrip("/") in HEALTH_PATHS or path.startswith(
            tuple(p + "/" for p in HEALTH_PATHS)
        ):
            return web.Response(text="ok", content_type="text/plain")
        parts = [p for p in path.split("/") if p]
        is_resource = (parts[:2] == ["api", "v1"] and len(parts) > 2) or (
            parts[:1] == ["apis"] and len(parts) > 3
        )
        if not is_resource:
            self._authorize_path(request)
        if parts[:2] == ["openapi", "v3"]:
            if request.method != "GET":
                raise method_not_allowed()
            return self.openapi.serve(request, parts)
        if (
            parts[:1] == ["api"]
            and len(parts) <= 2
            or parts[:1] == ["apis"]
            and len(parts) <= 3
        ):
            return self._discovery(request, parts)
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"]:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise unknown_path()
        target = resolve(self.state.registry, group, version, rest)
        if target is None:
            raise unknown_path()
        return await self._resource(request, target)

    def _authorize_path(self, request: web.Request) -> None:
        user = request[USER_KEY]
        verb_name = {"GET": "get", "HEAD": "head"}.get(
            request.method, request.method.lower()
        )
        attrs = Attributes(verb=verb_name, path=request.path)
        if not self.state.authorizer.decide(user, attrs).allowed:
            raise forbidden_path(user.name, verb_name, request.path)

    # Discovery

    def _discovery(self, request: web.Request, parts: list[str]) -> web.Response:
        if request.method != "GET":
            raise method_not_allowed()
        registry = self.state.registry
        aggregated = wants_aggregated_discovery(request.headers.get("Accept"))
        if parts in (["api"], ["apis"]) and aggregated:
            body = discovery.aggregated(registry, core=parts == ["api"])
            response = respond(body)
            response.headers["Content-Type"] = discovery.AGGREGATED_CONTENT_TYPE
            return response
        if parts == ["api"]:
            found: Json | None = discovery.api_versions(self.state.server_address)
        elif parts == ["api", "v1"]:
            found = discovery.resource_list(registry, "", "v1")
        elif parts == ["apis"]:
            found = discovery.api_group_list(registry)
        elif len(parts) == 2:
            found = discovery.api_group(registry, parts[1])
        else:
            found = discovery.resource_list(registry, parts[1], parts[2])
        if found is None:
            raise unknown_path()
        return respond(found)

    # Resources

    async def _resource(
        self, request: web.Request, target: Target
    ) -> web.StreamResponse:
        kind = target.kind
        action = verb(request.method, target, request.query)
        allowed = kind.verbs
        if target.subresource:
            sub = kind.subresource(target.subresource)
            if sub is None or not target.name:
                raise unknown_path()
            allowed = sub.verbs
        if action not in allowed:
            raise method_not_allowed()
        user = request[USER_KEY]
        self._authorize(user, request_attributes(target, action, request.query))
        if kind.warning:
            request[WARNING_KEY] = kind.warning
        if not kind.stored:
            return await self._review(request, target, user)
        if target.subresource:
            return await self._subresource(request, target)
        return await self._verb(request, target, action)

    def _authorize(self, user: User, attrs: Attributes) -> None:
        if not self.state.authorizer.decide(user, attrs).allowed:
            raise forbidden(
                user.name,
                attrs.verb,
                attrs.resource,
                attrs.group,
                attrs.namespace or None,
                subresource=attrs.subresource,
                name=attrs.name,
            )

    async def _verb(
        self, request: web.Request, target: Target, action: str
    ) -> web.StreamResponse:
        resources = self.resources
        if action == "watch":
            return await self._watch(request, target)
        if action == "get":
            return resources.get(request, target)
        if action == "list":
            return resources.list(request, target)
        if action == "create":
            if target.name:
                raise method_not_allowed()
            return await resources.create(request, target)
        if action == "update":
            return await resources.replace(request, target)
        if action == "patch":
            return await resources.patch(request, target)
        if action == "delete":
            return await resources.delete(request, target)
        if action == "deletecollection":
            return await resources.delete_collection(request, target)
        raise method_not_allowed()

    async def _watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        kind, query = target.kind, request.query
        matches = selection(kind, query)
        if target.name:
            name = target.name
            by_selector = matches
            matches = lambda obj: obj["metadata"]["name"] == name and by_selector(obj)  # noqa: E731
        table = wants_table(request.headers.get("Accept"))
        include = query.get("includeObject", "Metadata")
        encoder = WatchEncoder(kind, table, include)
        pace = self.state.pace or 1.0
        return await serve_watch(
            request,
            self.state.store,
            kind,
            target.namespace,
            matches,
            encoder,
            bookmark_every=BOOKMARK_INTERVAL / max(pace, 1.0),
        )

    async def _subresource(
        self, request: web.Request, target: Target
    ) -> web.StreamResponse:
        sub, method = target.subresource, request.method
        resources = self.resources
        if sub == "log":
            pod = self.state.store.require(
                target.kind, target.namespace or "", target.name or ""
            )
            return await logs.serve_log(request, self.state.logs, pod)
        if sub == "exec":
            return await self._exec(request, target)
        if sub == "attach":
            return await attach.serve_attach(request, self.state, target)
        if sub == "scale":
            if method == "GET":
                return resources.get_scale(target)
            return await resources.update_scale(request, target)
        if method == "GET":
            return resources.get(request, target)
        if method == "PUT":
            return await resources.replace(request, target)
        if method == "PATCH":
            return await resources.patch(request, target)
        raise method_not_allowed()

    # Exec

    async def _exec(self, request: web.Request, target: Target) -> web.StreamResponse:
        state = self.state
        pod = state.store.require(
            target.kind, target.namespace or "", target.name or ""
        )
        argv = request.query.getall("command", [])
        if not argv:
            raise bad_request("you must specify at least 1 command")
        container = logs.choose_container(pod, request.query.get("container", ""))
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise bad_request(
                f"cannot exec into a container in a completed pod; current phase is {phase}"
            )
        status = next(
            (
                cs
                for cs in (pod.get("status") or {}).get("containerStatuses") or []
                if cs.get("name") == container
            ),
            None,
        )
        if status is None or "running" not in (status.get("state") or {}):
            raise bad_request(f'container not found ("{container}")')
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise bad_request(
                "the sandbox serves exec over WebSocket only "
                "(v5.channel.k8s.io or v4.channel.k8s.io), not SPDY"
            )
        spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
        env = pod_exec.container_env(pod, spec, state.home)
        with pod_exec.container_gone(state.store, pod, container) as gone:
            return await pod_exec.serve_exec(
                request,
                argv,
                env,
                state.home,
                state.tracker,
                image=spec.get("image", ""),
                gone=gone,
            )

    # Access reviews

    async def _review(
        self, request: web.Request, target: Target, user: User
    ) -> web.Response:
        body = await read_body(request)
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        kind = target.kind
        body["kind"], body["apiVersion"] = kind.kind, kind.api_version
        body.setdefault("metadata", {})["creationTimestamp"] = None
        spec = body.get("spec") or {}
        if kind.plural == "selfsubjectaccessreviews":
            body["status"] = self._access_status(user, spec)
        elif kind.plural == "selfsubjectrulesreviews":
            body["status"] = self._rules_status(user, spec)
        else:
            body["status"] = {"userInfo": _user_info(user)}
        return respond(body, 201)

    def _access_status(self, user: User, spec: Json) -> Json:
        resource = spec.get("resourceAttributes")
        if resource:
            attrs = Attributes(
                verb=resource.get("verb", ""),
                group=resource.get("group", ""),
                resource=resource.get("resource", ""),
                subresource=resource.get("subresource", ""),
                namespace=resource.get("namespace", ""),
                name=resource.get("name", ""),
            )
        else:
            url = spec.get("nonResourceAttributes") or {}
            attrs = Attributes(
                verb=url.get("verb", ""), path=url.get("path", "") or "/"
            )
        decision = self.state.authorizer.decide(user, attrs)
        status: Json = {"allowed": decision.allowed}
        if decision.reason:
            status["reason"] = decision.reason
        return status

    def _rules_status(self, user: User, spec: Json) -> Json:
        namespace = spec.get("namespace", "")
        resource_rules, url_rules = self.state.authorizer.rules_for(user, namespace)
        return {
            "resourceRules": resource_rules,
            "nonResourceRules": url_rules,
            "incomplete": False,
        }


def _user_info(user: User) -> Json:
    info: Json = {"username": user.name}
    if user.uid:
        info["uid"] = user.uid
    info["groups"] = list(user.groups)
    return info


def request_attributes(
    target: Target, action: str, query: Mapping[str, str]
) -> Attributes:
    """The authorization attributes of a resource request, as the API server's
    request-info filter derives them."""
    kind = target.kind
    namespace, name = target.namespace or "", target.name or ""
    if kind.key == ("", "namespaces") and name:
        namespace = name  # reading one namespace is reading *in* that namespace
    if not name and action in ("list", "watch"):
        name = _exact_name(query.get("fieldSelector", ""))
    return Attributes(
        verb=action,
        group=kind.group,
        resource=kind.plural,
        subresource=target.subresource or "",
        namespace=namespace,
        name=name,
    )


def _exact_name(selector: str) -> str:
    """The name a `metadata.name=X` field selector pins a list or watch to."""
    for term in selector.split(","):
        key, sep, value = term.partition("=")
        if sep and key.strip() == "metadata.name" and not value.startswith("="):
            return value.strip()
        if key.strip() == "metadata.name" and value.startswith("="):
            return value[1:].strip()
    return ""
