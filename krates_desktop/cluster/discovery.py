"""The kinds a cluster serves, from its discovery documents, cached per context.

Kinds are keyed by (group, version, kind), never by kind alone: a ``Role`` of
another group is its own kind, not ``rbac.authorization.k8s.io`` Role. Scope comes
from discovery's ``namespaced`` flag, so a cluster-scoped custom resource never
gets a namespace in its paths (see :meth:`Kind.collection_path`). Only the
preferred version of each group is used, and only resources that can be listed
and watched. :meth:`Discovery.invalidate` forgets the answer, for instance when a
CustomResourceDefinition is added or removed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kubernetes.client import ApiClient

from krates_desktop.cluster import api
from krates_desktop.cluster.errors import ClusterError
from krates_desktop.cluster.kinds import Kind
from krates_desktop.cluster.transport import new_api_client

log = logging.getLogger(__name__)

CRD = Kind(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    False,
    "crd",
)


class Discovery:
    """Discovery of one context, read on first use and kept until invalidated."""

    def __init__(self, api_client: ApiClient) -> None:
        self._client = new_api_client(api_client.configuration, pool_size=2)
        self._lock = threading.Lock()
        self._kinds: list[Kind] | None = None

    def close(self) -> None:
        """Release the connections."""
        self._client.close()

    def invalidate(self) -> None:
        """Forget the kinds; the next call reads discovery again."""
        with self._lock:
            self._kinds = None

    def kinds(self) -> list[Kind]:
        """Every listable kind, core first (blocking on first use)."""
        with self._lock:
            if self._kinds is None:
                self._kinds = self._read()
            return list(self._kinds)

    def kind(self, group: str, version: str, kind: str) -> Kind | None:
        """The kind with this exact identity, or None."""
        return next((k for k in self.kinds() if k.key == (group, version, kind)), None)

    def by_name(self, name: str) -> list[Kind]:
        """Kinds whose kind, plural or short name is ``name``: several when ambiguous."""
        wanted = name.lower()
        return [
            k for k in self.kinds() if wanted in (k.kind.lower(), k.plural, k.short)
        ]

    def custom(self) -> list[Kind]:
        """Kinds served by CustomResourceDefinitions (groups containing a dot, not k8s.io)."""
        return [k for k in self.kinds() if k.group and not _builtin_group(k.group)]

    def _read(self) -> list[Kind]:
        kinds = self._resources("/api/v1", "", "v1")
        groups = api.get_json(self._client, "/apis", kind="discovery")
        for group in groups.get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("groupVersion")
            if not preferred:
                continue
            name, _, version = str(preferred).partition("/")
            try:
                kinds += self._resources(f"/apis/{preferred}", name, version)
            except ClusterError as exc:
                log.warning("discovery of %s failed: %s", preferred, exc)
        log.info("discovered %d kinds", len(kinds))
        return kinds

    def _resources(self, path: str, group: str, version: str) -> list[Kind]:
        body = api.get_json(self._client, path, kind="discovery")
        return [
            _kind(resource, group, version)
            for resource in body.get("resources") or []
            if _listable(resource)
        ]


def _listable(resource: dict[str, Any]) -> bool:
    verbs = set(resource.get("verbs") or [])
    return "/" not in str(resource.get("name")) and {"list", "watch"} <= verbs


def _kind(resource: dict[str, Any], group: str, version: str) -> Kind:
    plural = str(resource["name"])
    shorts = resource.get("shortNames") or []
    return Kind(
        group,
        version,
        str(resource.get("kind") or plural),
        plural,
        bool(resource.get("namespaced")),
        str(shorts[0]) if shorts else plural,
    )


def _builtin_group(group: str) -> bool:
    return "." not in group or group.endswith(".k8s.io")
