"""The registry of resource kinds the sandbox serves, as plain data.

Adding a built-in kind is one `ResourceKind(...)` entry; custom resources are
registered from their CustomResourceDefinition objects while the sandbox runs.
Discovery, routing, field selectors and tables all read this registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

STANDARD_VERBS = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """A subresource such as `pods/log`; `kind` etc. default to the parent's."""

    name: str
    verbs: tuple[str, ...]
    kind: str = ""
    group: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class ResourceKind:
    """One served resource: its names, scope, verbs, selectors and table printer."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS
    subresources: tuple[Subresource, ...] = ()
    # Extra field-selector labels (beyond metadata.name/namespace) -> object path.
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    table: str = "default"
    printer_columns: tuple[Mapping[str, Any], ...] = ()
    # False for write-only review kinds that are never stored.
    stored: bool = True
    # False for the extra served versions of a custom resource; objects are filed
    # under the storage version's kind.
    storage: bool = True
    # A deprecation the API server announces in a Warning header.
    warning: str = ""

    @property
    def api_version(self) -> str:
        """`v1` for core, `group/version` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """The kind of this resource's list objects."""
        return f"{self.kind}List"

    @property
    def key(self) -> tuple[str, str]:
        """(group, plural): how the store files objects of this kind."""
        return (self.group, self.plural)

    def subresource(self, name: str) -> Subresource | None:
        """The named subresource, or None."""
        return next((s for s in self.subresources if s.name == name), None)


def _status() -> Subresource:
    return Subresource("status", STATUS_VERBS)


def _scale() -> Subresource:
    return Subresource("scale", STATUS_VERBS, "Scale", "autoscaling", "v1")


_POD_FIELDS = {
    "spec.nodeName": ("spec", "nodeName"),
    "spec.restartPolicy": ("spec", "restartPolicy"),
    "spec.schedulerName": ("spec", "schedulerName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"),
    "spec.hostNetwork": ("spec", "hostNetwork"),
    "status.phase": ("status", "phase"),
    "status.podIP": ("status", "podIP"),
    "status.nominatedNodeName": ("status", "nominatedNodeName"),
}

_EVENT_FIELDS = {
    **{
        f"involvedObject.{name}": ("involvedObject", name)
        for name in (
            "kind",
            "namespace",
            "name",
            "uid",
            "apiVersion",
            "resourceVersion",
            "fieldPath",
        )
    },
    "reason": ("reason",),
    "reportingComponent": ("reportingComponent",),
    "source": ("source", "component"),
    "type": ("type",),
}

# fmt: off
BUILTIN_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind(
        "", "v1", "Namespace", "namespaces", "namespace", False, ("ns",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        subresources=(_status(),), fields={"status.phase": ("status", "phase")},
        table="namespaces",
    ),
    ResourceKind(
        "", "v1", "Node", "nodes", "node", False, ("no",),
        subresources=(_status(),),
        fields={"spec.unschedulable": ("spec", "unschedulable")}, table="nodes",
    ),
    ResourceKind(
        "", "v1", "Pod", "pods", "pod", True, ("po",), ("all",),
        subresources=(
            Subresource("attach", ("create", "get")),
            Subresource("exec", ("create", "get")),
            Subresource("log", ("get",)),
            _status(),
        ),
        fields=_POD_FIELDS, table="pods",
    ),
    ResourceKind(
        "", "v1", "Service", "services", "service", True, ("svc",), ("all",),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update",
               "watch"),
        subresources=(_status(),), table="services",
    ),
    ResourceKind(
        "", "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",),
        table="endpoints",
        warning="v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 "
        "EndpointSlice",
    ),
    ResourceKind(
        "", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",),
        table="configmaps",
    ),
    ResourceKind(
        "", "v1", "Secret", "secrets", "secret", True,
        fields={"type": ("type",)}, table="secrets",
    ),
    ResourceKind(
        "", "v1", "Event", "events", "event", True, ("ev",),
        fields=_EVENT_FIELDS, table="events",
    ),
    ResourceKind(
        "", "v1", "PersistentVolumeClaim", "persistentvolumeclaims",
        "persistentvolumeclaim", True, ("pvc",), subresources=(_status(),),
        fields={"status.phase": ("status", "phase")}, table="persistentvolumeclaims",
    ),
    ResourceKind(
        "", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", False,
        ("pv",), subresources=(_status(),), fields={"status.phase": ("status", "phase")},
        table="persistentvolumes",
    ),
    ResourceKind(
        "", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",),
        table="serviceaccounts",
    ),
    ResourceKind(
        "apps", "v1", "Deployment", "deployments", "deployment", True, ("deploy",),
        ("all",), subresources=(_scale(), _status()), table="deployments",
    ),
    ResourceKind(
        "apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, ("rs",),
        ("all",), subresources=(_scale(), _status()), table="replicasets",
    ),
    ResourceKind(
        "apps", "v1", "StatefulSet", "statefulsets", "statefulset", True, ("sts",),
        ("all",), subresources=(_scale(), _status()), table="statefulsets",
    ),
    ResourceKind(
        "apps", "v1", "DaemonSet", "daemonsets", "daemonset", True, ("ds",), ("all",),
        subresources=(_status(),), table="daemonsets",
    ),
    ResourceKind(
        "batch", "v1", "Job", "jobs", "job", True, (), ("all",),
        subresources=(_status(),), table="jobs",
    ),
    ResourceKind(
        "batch", "v1", "CronJob", "cronjobs", "cronjob", True, ("cj",), ("all",),
        subresources=(_status(),), table="cronjobs",
    ),
    ResourceKind(
        "networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", True, ("ing",),
        subresources=(_status(),), table="ingresses",
    ),
    ResourceKind(
        "networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass",
        False, table="ingressclasses",
    ),
    ResourceKind(
        "storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", False,
        ("sc",), table="storageclasses",
    ),
    ResourceKind(
        "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles",
        "clusterrole", False, table="roles",
    ),
    ResourceKind(
        "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
        "clusterrolebinding", False, table="rolebindings",
    ),
    ResourceKind(
        "rbac.authorization.k8s.io", "v1", "Role", "roles", "role", True,
        table="roles",
    ),
    ResourceKind(
        "rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings",
        "rolebinding", True, table="rolebindings",
    ),
    ResourceKind(
        "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
        "customresourcedefinitions", "customresourcedefinition", False,
        ("crd", "crds"), ("api-extensions",), subresources=(_status(),),
        table="customresourcedefinitions",
    ),
    ResourceKind(
        "authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews",
        "selfsubjectreview", False, verbs=("create",), stored=False,
    ),
    ResourceKind(
        "authorization.k8s.io", "v1", "SelfSubjectAccessReview",
        "selfsubjectaccessreviews", "selfsubjectaccessreview", False,
        verbs=("create",), stored=False,
    ),
    ResourceKind(
        "authorization.k8s.io", "v1", "SelfSubjectRulesReview",
        "selfsubjectrulesreviews", "selfsubjectrulesreview", False,
        verbs=("create",), stored=False,
    ),
)
# fmt: on


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """A sort key putting versions in Kubernetes' order: v2, v1, v1beta2, v1beta1,
    v1alpha1, then anything else alphabetically."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def kinds_from_crd(crd: Mapping[str, Any]) -> list[ResourceKind]:
    """The kinds a CustomResourceDefinition serves, one per served version in
    priority order; none if it is malformed."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not (spec.get("group") and names.get("plural") and names.get("kind")):
        return []
    if not versions or not all(v.get("name") for v in versions):
        return []
    storage = next((v for v in versions if v.get("storage")), versions[0])["name"]
    versions.sort(key=lambda v: version_priority(v["name"]))
    return [_crd_kind(spec, names, v, v["name"] == storage) for v in versions]


def _crd_kind(
    spec: Mapping[str, Any],
    names: Mapping[str, Any],
    version: Mapping[str, Any],
    storage: bool,
) -> ResourceKind:
    subresources: list[Subresource] = []
    declared = version.get("subresources") or {}
    if "scale" in declared:
        subresources.append(_scale())
    if "status" in declared:
        subresources.append(_status())
    return ResourceKind(
        group=spec["group"],
        version=version["name"],
        kind=names["kind"],
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        subresources=tuple(subresources),
        table="custom",
        printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
        storage=storage,
    )


def kind_from_crd(crd: Mapping[str, Any]) -> ResourceKind | None:
    """The storage version's kind of a CustomResourceDefinition, or None."""
    return next((k for k in kinds_from_crd(crd) if k.storage), None)


class KindRegistry:
    """The kinds currently served, looked up by group/version/plural."""

    def __init__(self, kinds: Iterable[ResourceKind] = BUILTIN_KINDS) -> None:
        self._kinds: dict[tuple[str, str, str], ResourceKind] = {}
        self._by_key: dict[tuple[str, str], ResourceKind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: ResourceKind) -> None:
        """Serve `kind` (replacing an earlier definition of the same resource)."""
        self._kinds[(kind.group, kind.version, kind.plural)] = kind
        if kind.storage or kind.key not in self._by_key:
            self._by_key[kind.key] = kind

    def remove(self, group: str, plural: str) -> None:
        """Stop serving every version of `plural` in `group`."""
        for key in [k for k in self._kinds if k[0] == group and k[2] == plural]:
            del self._kinds[key]
        self._by_key.pop((group, plural), None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceKind | None:
        """The kind served at /apis/group/version/plural, or None."""
        return self._kinds.get((group, version, plural))

    def by_key(self, key: tuple[str, str]) -> ResourceKind | None:
        """The (storage version's) kind filed under the store key (group, plural)."""
        return self._by_key.get(key)

    def by_kind(self, api_version: str, kind: str) -> ResourceKind | None:
        """The kind served for an object's `apiVersion` and `kind`, or None."""
        group, _, version = api_version.rpartition("/")
        return next(
            (
                k
                for k in self._kinds.values()
                if (k.group, k.version, k.kind) == (group, version, kind) and k.stored
            ),
            None,
        )

    def __iter__(self) -> Iterator[ResourceKind]:
        return iter(list(self._kinds.values()))

    def stored_kinds(self) -> list[ResourceKind]:
        """One kind (the storage version) per stored resource."""
        return [k for k in self._by_key.values() if k.stored]

    def group_versions(self) -> list[tuple[str, str]]:
        """(group, version) pairs in serving order, core first, each group's
        versions by priority."""
        seen: dict[str, list[str]] = {}
        for kind in self._kinds.values():
            versions = seen.setdefault(kind.group, [])
            if kind.version not in versions:
                versions.append(kind.version)
        return [
            (group, version)
            for group, versions in seen.items()
            for version in sorted(versions, key=version_priority)
        ]

    def in_group_version(self, group: str, version: str) -> list[ResourceKind]:
        """The kinds served under one group/version."""
        return [
            k for k in self._kinds.values() if (k.group, k.version) == (group, version)
        ]
