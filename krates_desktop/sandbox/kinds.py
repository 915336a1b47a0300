"""The registry of resource kinds the sandbox serves, as plain data.

Adding a built-in kind is one `ResourceKind(...)` entry; custom resources are
registered from their CustomResourceDefinition objects while the sandbox runs.
Discovery, routing, field selectors and tables all read this registry.
"""

from __future__ import annotations

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
        table="persistentvolumeclaims",
    ),
    ResourceKind(
        "", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",),
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


def kind_from_crd(crd: Mapping[str, Any]) -> ResourceKind | None:
    """The served kind a CustomResourceDefinition declares, or None if malformed."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not (spec.get("group") and names.get("plural") and names.get("kind")):
        return None
    if not versions:
        return None
    version = next((v for v in versions if v.get("storage")), versions[0])
    subresources: list[Subresource] = []
    if "status" in (version.get("subresources") or {}):
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
    )


class KindRegistry:
    """The kinds currently served, looked up by group/version/plural."""

    def __init__(self, kinds: Iterable[ResourceKind] = BUILTIN_KINDS) -> None:
        self._kinds: dict[tuple[str, str, str], ResourceKind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: ResourceKind) -> None:
        """Serve `kind` (replacing an earlier definition of the same resource)."""
        self._kinds[(kind.group, kind.version, kind.plural)] = kind

    def remove(self, group: str, plural: str) -> None:
        """Stop serving every version of `plural` in `group`."""
        for key in [k for k in self._kinds if k[0] == group and k[2] == plural]:
            del self._kinds[key]

    def lookup(self, group: str, version: str, plural: str) -> ResourceKind | None:
        """The kind served at /apis/group/version/plural, or None."""
        return self._kinds.get((group, version, plural))

    def by_key(self, key: tuple[str, str]) -> ResourceKind | None:
        """The kind filed under the store key (group, plural), or None."""
        return next((k for k in self._kinds.values() if k.key == key), None)

    def __iter__(self) -> Iterator[ResourceKind]:
        return iter(list(self._kinds.values()))

    def group_versions(self) -> list[tuple[str, str]]:
        """(group, version) pairs in serving order, core first."""
        seen: dict[tuple[str, str], None] = {}
        for kind in self._kinds.values():
            seen[(kind.group, kind.version)] = None
        return list(seen)

    def in_group_version(self, group: str, version: str) -> list[ResourceKind]:
        """The kinds served under one group/version."""
        return [
            k for k in self._kinds.values() if (k.group, k.version) == (group, version)
        ]
