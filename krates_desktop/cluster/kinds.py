"""The kinds the app lists and watches, keyed by (group, version, kind).

A kind name alone is ambiguous once custom resources exist (a ``Role`` in another
group), so every lookup table in the cluster layer uses :attr:`Kind.key`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One API resource type: where it lives, whether it is namespaced, its badge."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The identity of the kind: (group, version, kind)."""
        return (self.group, self.version, self.kind)

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` string of objects of this kind (``v1``, ``apps/v1``)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection_path(self, namespace: str | None = None) -> str:
        """The REST path of the collection, cluster-wide or in ``namespace``."""
        base = (
            f"/apis/{self.group}/{self.version}"
            if self.group
            else f"/api/{self.version}"
        )
        if namespace and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    def object_path(self, namespace: str | None, name: str) -> str:
        """The REST path of one object."""
        return f"{self.collection_path(namespace)}/{name}"


NAMESPACE = Kind("", "v1", "Namespace", "namespaces", False, "ns")
POD = Kind("", "v1", "Pod", "pods", True, "pod")
DEPLOYMENT = Kind("apps", "v1", "Deployment", "deployments", True, "deploy")
STATEFULSET = Kind("apps", "v1", "StatefulSet", "statefulsets", True, "sts")
DAEMONSET = Kind("apps", "v1", "DaemonSet", "daemonsets", True, "ds")
SERVICE = Kind("", "v1", "Service", "services", True, "svc")
INGRESS = Kind("networking.k8s.io", "v1", "Ingress", "ingresses", True, "ing")
CONFIGMAP = Kind("", "v1", "ConfigMap", "configmaps", True, "cm")
SECRET = Kind("", "v1", "Secret", "secrets", True, "secret")
PVC = Kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc")
EVENT = Kind("", "v1", "Event", "events", True, "ev")

BUILTIN_KINDS: tuple[Kind, ...] = (
    NAMESPACE,
    POD,
    DEPLOYMENT,
    STATEFULSET,
    DAEMONSET,
    SERVICE,
    INGRESS,
    CONFIGMAP,
    SECRET,
    PVC,
    EVENT,
)

_BY_NAME: dict[str, Kind] = {
    name.lower(): kind
    for kind in BUILTIN_KINDS
    for name in (kind.kind, kind.plural, kind.short)
}


def kind_by_name(kind: str) -> Kind:
    """The built-in kind named ``kind`` (``Pod``, ``pods`` or ``pod``, any case).

    Raises ``KeyError`` for a name that is not one of :data:`BUILTIN_KINDS`.
    """
    try:
        return _BY_NAME[kind.lower()]
    except KeyError:
        raise KeyError(f"{kind!r} is not a built-in kind") from None
