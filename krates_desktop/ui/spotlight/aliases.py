"""Spotlight's type filters: chips, typed aliases and their ghost hints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TypeFilter:
    """A filter on the result type; `kinds` empty with `crd` set means custom resources."""

    chip: str
    label: str
    kinds: frozenset[str]
    aliases: tuple[str, ...]
    crd: bool = False


FILTERS = (
    TypeFilter(
        "deploy",
        "Deployments",
        frozenset({"Deployment"}),
        ("deploy", "deployment", "deployments"),
    ),
    TypeFilter(
        "svc", "Services", frozenset({"Service"}), ("svc", "service", "services")
    ),
    TypeFilter("pods", "Pods", frozenset({"Pod"}), ("pod", "pods", "po")),
    TypeFilter("secrets", "Secrets", frozenset({"Secret"}), ("secret", "secrets")),
    TypeFilter(
        "config",
        "ConfigMaps",
        frozenset({"ConfigMap"}),
        ("cm", "config", "configmap", "configmaps"),
    ),
    TypeFilter(
        "sts",
        "StatefulSets",
        frozenset({"StatefulSet"}),
        ("sts", "statefulset", "statefulsets"),
    ),
    TypeFilter(
        "crd",
        "CRDs",
        frozenset({"CustomResourceDefinition"}),
        ("crd", "crds"),
        crd=True,
    ),
    TypeFilter(
        "namespace", "Namespaces", frozenset({"Namespace"}), ("namespace", "namespaces")
    ),
)
HIDDEN_FILTERS = (
    TypeFilter(
        "ds", "DaemonSets", frozenset({"DaemonSet"}), ("ds", "daemonset", "daemonsets")
    ),
    TypeFilter(
        "ing", "Ingresses", frozenset({"Ingress"}), ("ing", "ingress", "ingresses")
    ),
    TypeFilter("pvc", "PVCs", frozenset({"PersistentVolumeClaim"}), ("pvc", "pvcs")),
)
CHIPS = ("All",) + tuple(f.chip for f in FILTERS) + ("ns",)


def filter_for_alias(text: str) -> TypeFilter | None:
    """Return the filter whose alias is exactly `text` (case-insensitive)."""
    lowered = text.strip().lower()
    for candidate in FILTERS + HIDDEN_FILTERS:
        if lowered in candidate.aliases:
            return candidate
    return None


def filter_for_chip(chip: str) -> TypeFilter | None:
    """Return the filter behind a chip label."""
    return next((f for f in FILTERS if f.chip == chip), None)


SHORT_KIND = {
    "Pod": "pod",
    "Deployment": "deploy",
    "StatefulSet": "sts",
    "DaemonSet": "ds",
    "Service": "svc",
    "Ingress": "ing",
    "ConfigMap": "cm",
    "Secret": "secret",
    "PersistentVolumeClaim": "pvc",
    "Namespace": "ns",
    "CustomResourceDefinition": "crd",
}
