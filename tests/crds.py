"""A CustomResourceDefinition manifest for tests that create custom kinds through the API."""

from __future__ import annotations

from typing import Any


def crd_manifest(
    group: str, kind: str, *, version: str = "v1", scope: str = "Namespaced"
) -> dict[str, Any]:
    """A served, stored CRD for ``kind`` in ``group`` whose objects take any fields."""
    plural = f"{kind.lower()}s"
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }
