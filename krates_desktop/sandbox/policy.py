"""The RBAC objects the sandbox starts with: the bootstrap ClusterRoles and
bindings every Kubernetes API server creates (cluster-admin, admin/edit/view with
their aggregation, discovery and basic-user), and the bindings that give the
sandbox's viewer and namespace user their powers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from krates_desktop.sandbox.auth import (
    AUTHENTICATED,
    NAMESPACE_USER,
    NAMESPACE_USER_NAMESPACE,
    PRIVILEGED_GROUP,
    VIEWER,
)

Json = dict[str, Any]

READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
READ_WRITE = READ + WRITE
_BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-{}"
VIEWER_CLUSTER_ROLE = "sandbox:cluster-reader"


def rule(verbs: Iterable[str], groups: Iterable[str], resources: Iterable[str]) -> Json:
    """A resource PolicyRule, its lists sorted as the bootstrap policy sorts them."""
    return {
        "verbs": sorted(verbs),
        "apiGroups": sorted(groups),
        "resources": sorted(resources),
    }


def url_rule(verbs: Iterable[str], urls: Iterable[str]) -> Json:
    """A non-resource PolicyRule."""
    return {"verbs": sorted(verbs), "nonResourceURLs": sorted(urls)}


def _view_rules() -> list[Json]:
    core = ("configmaps", "endpoints", "persistentvolumeclaims",
            "persistentvolumeclaims/status", "pods", "replicationcontrollers",
            "replicationcontrollers/scale", "serviceaccounts", "services",
            "services/status")  # fmt: skip
    core_status = ("bindings", "events", "limitranges", "namespaces/status",
                   "pods/log", "pods/status", "replicationcontrollers/status",
                   "resourcequotas", "resourcequotas/status")  # fmt: skip
    apps = ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
            "deployments/scale", "deployments/status", "replicasets",
            "replicasets/scale", "replicasets/status", "statefulsets",
            "statefulsets/scale", "statefulsets/status")  # fmt: skip
    return [
        rule(READ, [""], core),
        rule(READ, [""], core_status),
        rule(READ, [""], ["namespaces"]),
        rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
        rule(READ, ["apps"], apps),
        rule(READ, ["autoscaling"], ["horizontalpodautoscalers",
                                     "horizontalpodautoscalers/status"]),
        rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        rule(READ, ["extensions"], ["daemonsets", "daemonsets/status", "deployments",
                                    "deployments/scale", "deployments/status",
                                    "ingresses", "ingresses/status", "networkpolicies",
                                    "replicasets", "replicasets/scale",
                                    "replicasets/status",
                                    "replicationcontrollers/scale"]),
        rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status",
                                           "networkpolicies"]),
    ]  # fmt: skip


def _edit_rules() -> list[Json]:
    return [
        rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward",
                           "pods/proxy"]),
        rule(["create"], [""], ["pods/eviction"]),
        rule(WRITE, [""], ["configmaps", "events", "persistentvolumeclaims",
                           "replicationcontrollers", "replicationcontrollers/scale",
                           "secrets", "serviceaccounts", "services",
                           "services/proxy"]),
        rule(["create"], [""], ["serviceaccounts/token"]),
        rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/rollback",
                               "deployments/scale", "replicasets",
                               "replicasets/scale", "statefulsets",
                               "statefulsets/scale"]),
        rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
        rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
        rule(WRITE, ["extensions"], ["daemonsets", "deployments",
                                     "deployments/rollback", "deployments/scale",
                                     "ingresses", "networkpolicies", "replicasets",
                                     "replicasets/scale",
                                     "replicationcontrollers/scale"]),
        rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
        rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
        rule(READ_WRITE, ["coordination.k8s.io"], ["leases"]),
        rule(["impersonate"], [""], ["serviceaccounts"]),
        rule(READ, [""], ["secrets"]),
    ]  # fmt: skip


def _admin_rules() -> list[Json]:
    return [
        rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
        rule(READ_WRITE, ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
    ]


_DISCOVERY_URLS = ("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                   "/openapi", "/openapi/*", "/readyz", "/version", "/version/")  # fmt: skip
_PUBLIC_URLS = ("/healthz", "/livez", "/readyz", "/version", "/version/")


def _cluster_role(
    name: str,
    rules: list[Json],
    labels: dict[str, str] | None = None,
    aggregate_from: str | None = None,
    bootstrap: bool = True,
) -> Json:
    meta: Json = {"name": name}
    if bootstrap:
        meta["labels"] = {**(labels or {}), **_BOOTSTRAP_LABELS}
        meta["annotations"] = dict(_AUTOUPDATE)
    elif labels:
        meta["labels"] = dict(labels)
    role: Json = {"metadata": meta, "rules": rules}
    if aggregate_from:
        label = AGGREGATE_TO.format(aggregate_from)
        role["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {label: "true"}}]
        }
    return role


def bootstrap_cluster_roles() -> list[Json]:
    """The ClusterRoles an API server creates at start, in the sandbox's subset."""
    aggregate = AGGREGATE_TO.format
    return [
        _cluster_role("cluster-admin", [rule("*", "*", "*"), url_rule("*", "*")]),
        _cluster_role("system:discovery", [url_rule(["get"], _DISCOVERY_URLS)]),
        _cluster_role("system:public-info-viewer", [url_rule(["get"], _PUBLIC_URLS)]),
        _cluster_role(
            "system:basic-user",
            [
                rule(
                    ["create"],
                    ["authorization.k8s.io"],
                    ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
            ],
        ),  # fmt: skip
        _cluster_role("admin", [], aggregate_from="admin"),
        _cluster_role("edit", [], {aggregate("admin"): "true"}, aggregate_from="edit"),
        _cluster_role("view", [], {aggregate("edit"): "true"}, aggregate_from="view"),
        _cluster_role(
            "system:aggregate-to-admin", _admin_rules(), {aggregate("admin"): "true"}
        ),
        _cluster_role(
            "system:aggregate-to-edit", _edit_rules(), {aggregate("edit"): "true"}
        ),
        _cluster_role(
            "system:aggregate-to-view", _view_rules(), {aggregate("view"): "true"}
        ),
    ]


def sandbox_cluster_roles() -> list[Json]:
    """The sandbox's own ClusterRoles: cluster-scoped reading for the viewer, and
    what view/edit grant on the example custom resources (aggregated)."""
    aggregate = AGGREGATE_TO.format
    custom = ["certificates", "clusterissuers"]
    return [
        _cluster_role(
            VIEWER_CLUSTER_ROLE,
            [
                rule(READ, [""], ["nodes", "persistentvolumes"]),
                rule(READ, ["storage.k8s.io"], ["storageclasses"]),
                rule(READ, ["networking.k8s.io"], ["ingressclasses"]),
                rule(READ, ["apiextensions.k8s.io"], ["customresourcedefinitions"]),
                rule(READ, ["iam.example.com"], ["roles"]),
            ],
            bootstrap=False,
        ),
        _cluster_role(
            "example.com:view",
            [rule(READ, ["example.com"], custom)],
            {aggregate("view"): "true"},
            bootstrap=False,
        ),
        _cluster_role(
            "example.com:edit",
            [rule(WRITE, ["example.com"], custom)],
            {aggregate("edit"): "true"},
            bootstrap=False,
        ),
    ]


def _binding(
    kind: str, name: str, role: str, subjects: list[Json], namespace: str = ""
) -> Json:
    meta: Json = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if kind == "ClusterRoleBinding" and (":" in name or name == "cluster-admin"):
        meta["labels"] = dict(_BOOTSTRAP_LABELS)
        meta["annotations"] = dict(_AUTOUPDATE)
    return {
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": role},
        "subjects": subjects,
    }  # fmt: skip


def _group(name: str) -> Json:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def _user(name: str) -> Json:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def cluster_role_bindings() -> list[Json]:
    """The ClusterRoleBindings: bootstrap ones and the viewer's."""
    crb = "ClusterRoleBinding"
    return [
        _binding(crb, "cluster-admin", "cluster-admin", [_group(PRIVILEGED_GROUP)]),
        _binding(crb, "system:discovery", "system:discovery", [_group(AUTHENTICATED)]),
        _binding(
            crb, "system:basic-user", "system:basic-user", [_group(AUTHENTICATED)]
        ),
        _binding(
            crb,
            "system:public-info-viewer",
            "system:public-info-viewer",
            [_group(AUTHENTICATED), _group("system:unauthenticated")],
        ),
        _binding(crb, "sandbox-viewer", "view", [_user(VIEWER.name)]),
        _binding(
            crb,
            "sandbox-viewer-cluster",
            VIEWER_CLUSTER_ROLE,
            [_group(VIEWER.groups[0])],
        ),
    ]


def role_bindings() -> list[Json]:
    """The namespace user's RoleBinding to `edit` in its namespace."""
    return [
        _binding(
            "RoleBinding",
            NAMESPACE_USER.name,
            "edit",
            [_user(NAMESPACE_USER.name)],
            namespace=NAMESPACE_USER_NAMESPACE,
        )
    ]
