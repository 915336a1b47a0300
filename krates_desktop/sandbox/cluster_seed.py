"""The cluster-scoped part of the demo cluster: RBAC (bootstrap roles and the
sandbox users' bindings), the default StorageClass, the `nginx` IngressClass,
and the `iam.example.com` CRD whose cluster-scoped kind `Role` shares its name
with the built-in, namespaced `rbac.authorization.k8s.io` Role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from krates_desktop.sandbox import clock, policy
from krates_desktop.sandbox.objects import meta

if TYPE_CHECKING:
    from krates_desktop.sandbox.seed import Seeder

Json = dict[str, Any]
RBAC = "rbac.authorization.k8s.io"
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")


def _with_meta(obj: Json, created: str) -> Json:
    name = obj["metadata"]["name"]
    fresh = meta(
        name,
        obj["metadata"].get("namespace"),
        labels=obj["metadata"].get("labels"),
        annotations=obj["metadata"].get("annotations"),
        created=created,
    )
    return {**obj, "metadata": fresh}


def seed_rbac(seeder: Seeder) -> None:
    """Bootstrap ClusterRoles and bindings, and those of the sandbox's users."""
    created = clock.ago(days=12)
    for role in policy.bootstrap_cluster_roles() + policy.sandbox_cluster_roles():
        seeder.add(RBAC, "clusterroles", _with_meta(role, created))
    for binding in policy.cluster_role_bindings():
        seeder.add(RBAC, "clusterrolebindings", _with_meta(binding, created))
    for binding in policy.role_bindings():
        seeder.add(RBAC, "rolebindings", _with_meta(binding, clock.ago(days=9)))


def seed_classes(seeder: Seeder) -> None:
    """StorageClass `standard` (the default) and IngressClass `nginx`."""
    seeder.add(
        "storage.k8s.io",
        "storageclasses",
        {
            "metadata": meta(
                "standard",
                created=clock.ago(days=12),
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        },
    )
    seeder.add(
        "networking.k8s.io",
        "ingressclasses",
        {
            "metadata": meta(
                "nginx",
                created=clock.ago(days=12),
                labels={"app.kubernetes.io/name": "ingress-nginx"},
            ),
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
    )


def persistent_volume(claim: Json, name: str, size: str) -> Json:
    """The provisioned volume a Bound claim points at."""
    claim_meta = claim["metadata"]
    return {
        "metadata": meta(
            name,
            created=claim_meta["creationTimestamp"],
            annotations={"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"},
        ),
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": "standard",
            "volumeMode": "Filesystem",
            "hostPath": {"path": f"/var/local-path-provisioner/{name}", "type": ""},
            "claimRef": {
                "kind": "PersistentVolumeClaim",
                "namespace": claim_meta["namespace"],
                "name": claim_meta["name"],
                "uid": claim_meta["uid"],
                "apiVersion": "v1",
                "resourceVersion": claim_meta.get("resourceVersion", ""),
            },
        },
        "status": {
            "phase": "Bound",
            "lastPhaseTransitionTime": claim_meta["creationTimestamp"],
        },
    }


def _iam_crd() -> Json:
    # Long because it is one object literal.
    return {
        "metadata": meta("roles.iam.example.com", created=clock.ago(days=10)),
        "spec": {
            "group": "iam.example.com",
            "names": {
                "plural": "roles",
                "singular": "role",
                "kind": "Role",
                "listKind": "RoleList",
            },
            "scope": "Cluster",
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                    "additionalPrinterColumns": [
                        {
                            "name": "Provider",
                            "type": "string",
                            "jsonPath": ".spec.provider",
                        },
                        {
                            "name": "Age",
                            "type": "date",
                            "jsonPath": ".metadata.creationTimestamp",
                        },
                    ],
                }
            ],
            "conversion": {"strategy": "None"},
        },
        "status": {
            "acceptedNames": {"plural": "roles", "kind": "Role"},
            "storedVersions": ["v1alpha1"],
            "conditions": [
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": clock.ago(days=10),
                }
            ],
        },
    }


def seed_iam_roles(seeder: Seeder) -> None:
    """CRD roles.iam.example.com and two cloud IAM roles."""
    seeder.add(*CRDS, _iam_crd())
    for name, provider, policies in (
        ("platform-admin", "aws", ["AdministratorAccess"]),
        ("ledger-backup", "gcp", ["roles/storage.objectAdmin"]),
    ):
        seeder.add(
            "iam.example.com",
            "roles",
            {
                "metadata": meta(name, created=clock.ago(days=10)),
                "spec": {"provider": provider, "policies": policies},
            },
        )
