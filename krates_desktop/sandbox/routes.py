"""Maps request paths to resources: `/api/v1/...`, `/apis/G/V/...`, the namespaced
and cluster-wide forms, subresources and the legacy `/watch/` prefix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind


@dataclass(frozen=True)
class Target:
    """What a resource URL addresses."""

    kind: ResourceKind
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_path: bool = False

    @property
    def resource(self) -> str:
        """The resource as RBAC names it: `pods`, `pods/exec`."""
        if self.subresource:
            return f"{self.kind.plural}/{self.subresource}"
        return self.kind.plural


def resolve(
    registry: KindRegistry, group: str, version: str, rest: list[str]
) -> Target | None:
    """The target of the path segments after the group-version, or None."""
    watch_path = bool(rest) and rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    if not rest:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        kind = registry.lookup(group, version, rest[2])
        if kind is not None and kind.namespaced and len(rest) <= 5:
            name = rest[3] if len(rest) > 3 else None
            sub = rest[4] if len(rest) > 4 else None
            return Target(kind, rest[1], name, sub, watch_path)
    kind = registry.lookup(group, version, rest[0])
    if kind is None or len(rest) > 3:
        return None
    if kind.namespaced:
        return Target(kind, None, None, None, watch_path) if len(rest) == 1 else None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return Target(kind, None, name, sub, watch_path)


STREAMING_SUBRESOURCES = frozenset({"exec", "attach", "portforward"})


def verb(method: str, target: Target, query: Mapping[str, str]) -> str:
    """The API verb of a request (`get`, `list`, `watch`, `create`, ...).

    Exec and attach are `create` whatever the method, so a WebSocket GET needs
    the same permission as kubectl's SPDY POST.
    """
    if target.subresource in STREAMING_SUBRESOURCES:
        return "create"
    if method in ("GET", "HEAD"):
        if target.watch_path or query.get("watch") in ("true", "1"):
            return "watch"
        return "get" if target.name else "list"
    if method == "DELETE":
        return "delete" if target.name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(
        method, method.lower()
    )
