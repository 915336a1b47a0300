"""Kubeconfigs for the live tests: the sandbox's cluster with any user and options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

PLUGIN = Path(__file__).with_name("fake_plugin.py")


def sandbox_cluster(sandbox: Any, **extra: Any) -> dict[str, Any]:
    """The sandbox's cluster entry (server and CA file) plus ``extra`` keys."""
    return {
        "server": sandbox.url,
        "certificate-authority": str(sandbox.ca_file),
        **extra,
    }


def write_kubeconfig(
    path: Path,
    cluster: dict[str, Any],
    user: dict[str, Any] | None,
    namespace: str | None = None,
    name: str = "live",
) -> Path:
    """A one-context kubeconfig (context, cluster and user all called ``name``)."""
    context: dict[str, Any] = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def install_plugin(
    bin_dir: Path, name: str, state: Path, token: str, **files: str
) -> Path:
    """An executable ``name`` in ``bin_dir`` running the test plugin on ``state``."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "token").write_text(token)
    for file, content in files.items():
        (state / file).write_text(content)
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / name
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PLUGIN}" "{state}"\n')
    program.chmod(0o755)
    return program


def plugin_runs(state: Path) -> int:
    """How many times the test plugin ran."""
    runs = state / "runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def exec_user(command: str, **extra: Any) -> dict[str, Any]:
    """A user entry whose credentials come from exec plugin ``command``."""
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": command,
            "interactiveMode": "Never",
            **extra,
        }
    }
