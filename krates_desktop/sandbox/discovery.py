"""API discovery documents: `/version`, legacy `/api`, `/apis`, `/apis/G`, per
group-version resource lists, and the aggregated `APIGroupDiscoveryList` (v2)."""

from __future__ import annotations

from typing import Any

from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind

Json = dict[str, Any]

AGGREGATED_CONTENT_TYPE = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
)
KUBERNETES_VERSION = "v1.37.1"


def version_info() -> Json:
    """The body of `/version`."""
    return {
        "major": "1",
        "minor": "37",
        "emulationMajor": "1",
        "emulationMinor": "37",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "36",
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "3f2a5d6c4b1e8f9a0c7d2e5b6a4f1c3d8e9b0a7c",
        "gitTreeState": "clean",
        "buildDate": "2026-11-12T10:22:41Z",
        "goVersion": "go1.26.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> Json:
    """The legacy `/api` document."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _groups(registry: KindRegistry) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group, version in registry.group_versions():
        if group:
            groups.setdefault(group, []).append(version)
    return groups


def _api_group(name: str, versions: list[str]) -> Json:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: KindRegistry) -> Json:
    """The legacy `/apis` document."""
    groups = [_api_group(n, v) for n, v in _groups(registry).items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: KindRegistry, name: str) -> Json | None:
    """The legacy `/apis/NAME` document, or None for an unknown group."""
    versions = _groups(registry).get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(name, versions)}


def _resource_entry(kind: ResourceKind) -> Json:
    entry: Json = {
        "name": kind.plural,
        "singularName": kind.singular,
        "namespaced": kind.namespaced,
        "kind": kind.kind,
        "verbs": list(kind.verbs),
    }
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    return entry


def _subresource_entries(kind: ResourceKind) -> list[Json]:
    entries = []
    for sub in kind.subresources:
        entry: Json = {
            "name": f"{kind.plural}/{sub.name}",
            "singularName": "",
            "namespaced": kind.namespaced,
            "kind": sub.kind or kind.kind,
            "verbs": list(sub.verbs),
        }
        if sub.group is not None:
            entry["group"], entry["version"] = sub.group, sub.version
        entries.append(entry)
    return entries


def resource_list(registry: KindRegistry, group: str, version: str) -> Json | None:
    """The legacy `/api/v1` or `/apis/G/V` APIResourceList, or None if unknown."""
    kinds = registry.in_group_version(group, version)
    if not kinds:
        return None
    resources: list[Json] = []
    for kind in kinds:
        resources.append(_resource_entry(kind))
        resources += _subresource_entries(kind)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _aggregated_resource(kind: ResourceKind) -> Json:
    entry: Json = {
        "resource": kind.plural,
        "responseKind": {
            "group": kind.group,
            "version": kind.version,
            "kind": kind.kind,
        },
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "singularResource": kind.singular,
        "verbs": list(kind.verbs),
    }
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    if kind.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": {
                    "group": kind.group if sub.group is None else sub.group,
                    "version": kind.version if sub.version is None else sub.version,
                    "kind": sub.kind or kind.kind,
                },
                "verbs": list(sub.verbs),
            }
            for sub in kind.subresources
        ]
    return entry


def _aggregated_group(registry: KindRegistry, group: str, versions: list[str]) -> Json:
    metadata: Json = {"creationTimestamp": None}
    if group:
        metadata = {"name": group, "creationTimestamp": None}
    return {
        "metadata": metadata,
        "versions": [
            {
                "version": version,
                "resources": [
                    _aggregated_resource(k)
                    for k in registry.in_group_version(group, version)
                ],
                "freshness": "Current",
            }
            for version in versions
        ],
    }


def aggregated(registry: KindRegistry, core: bool) -> Json:
    """The aggregated discovery document for `/api` (core) or `/apis` (the rest)."""
    if core:
        items = [_aggregated_group(registry, "", ["v1"])]
    else:
        items = [
            _aggregated_group(registry, g, v) for g, v in _groups(registry).items()
        ]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
