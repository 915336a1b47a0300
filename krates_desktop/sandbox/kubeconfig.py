"""Writes the kubeconfig that points real clients at a running sandbox: one cluster,
and one context per sandbox user (the admin's is current)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from krates_desktop.sandbox.auth import (
    ADMIN,
    NAMESPACE_USER,
    NAMESPACE_USER_NAMESPACE,
    VIEWER,
)

CLUSTER = "demo-cluster"
CONTEXT = "krates-sandbox"
USER = ADMIN.name


@dataclass(frozen=True)
class SandboxContext:
    """A kubeconfig context the sandbox writes: its name, user and namespace."""

    name: str
    user: str
    namespace: str | None = None


ADMIN_CONTEXT = SandboxContext(CONTEXT, ADMIN.name)
VIEWER_CONTEXT = SandboxContext(f"{CONTEXT}-viewer", VIEWER.name)
NAMESPACE_CONTEXT = SandboxContext(
    f"{CONTEXT}-{NAMESPACE_USER_NAMESPACE}",
    NAMESPACE_USER.name,
    NAMESPACE_USER_NAMESPACE,
)
CONTEXTS = (ADMIN_CONTEXT, VIEWER_CONTEXT, NAMESPACE_CONTEXT)


def kubeconfig_document(
    server: str, ca_file: Path, tokens: Mapping[str, str]
) -> dict[str, Any]:
    """The kubeconfig as a mapping: one cluster, a context and user per sandbox
    user whose token is given, the admin's context current."""
    contexts = [c for c in CONTEXTS if c.user in tokens]
    entries = []
    for context in contexts:
        body: dict[str, Any] = {"cluster": CLUSTER, "user": context.user}
        if context.namespace:
            body["namespace"] = context.namespace
        entries.append({"name": context.name, "context": body})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER,
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "contexts": entries,
        "current-context": CONTEXT,
        "users": [
            {"name": c.user, "user": {"token": tokens[c.user]}} for c in contexts
        ],
        "preferences": {},
    }


def write_kubeconfig(
    path: Path, server: str, ca_file: Path, tokens: Mapping[str, str]
) -> Path:
    """Write the kubeconfig readable only by the user (mode 0600)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = kubeconfig_document(server, ca_file, tokens)
    text = yaml.safe_dump(document, sort_keys=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return path
