"""Writes the kubeconfig that points real clients at a running sandbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

CLUSTER = "demo-cluster"
CONTEXT = "krates-sandbox"
USER = "sandbox-admin"


def kubeconfig_document(server: str, ca_file: Path, token: str) -> dict[str, Any]:
    """The kubeconfig as a mapping: one cluster, one context (current), one user."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER,
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CLUSTER, "user": USER}}],
        "current-context": CONTEXT,
        "users": [{"name": USER, "user": {"token": token}}],
        "preferences": {},
    }


def write_kubeconfig(path: Path, server: str, ca_file: Path, token: str) -> Path:
    """Write the kubeconfig readable only by the user (mode 0600)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_document(server, ca_file, token), sort_keys=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return path
