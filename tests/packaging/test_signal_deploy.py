"""The signaling server's Kubernetes manifest and what its container image relies on."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.packaging.helpers import PACKAGING, REPO

MANIFEST = PACKAGING / "kubernetes" / "krates-signal.yaml"
KUBECTL = Path(sys.executable).parent / "kubectl"


def _documents() -> list[dict]:  # type: ignore[type-arg]
    return [d for d in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")) if d]


def test_manifest_matches_the_kubernetes_schema() -> None:
    """Each object validates against the official client's models, which forbid unknown fields."""
    import kubernetes.client as k8s

    models = {"Deployment": k8s.V1Deployment, "Service": k8s.V1Service}
    kinds = [doc["kind"] for doc in _documents()]
    assert sorted(kinds) == ["Deployment", "Deployment", "Service", "Service"]
    for doc in _documents():
        models[doc["kind"]].from_dict(doc)


def test_relay_uses_the_redis_of_the_manifest() -> None:
    """The relay's --redis URL names the Redis Service, and both Services select running pods."""
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _documents()}
    relay = docs[("Deployment", "krates-signal")]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert "--redis=redis://krates-signal-redis:6379/0" in relay["args"]
    for name in ("krates-signal", "krates-signal-redis"):
        selector = docs[("Service", name)]["spec"]["selector"]
        labels = docs[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()


@pytest.mark.kubectl
def test_kubectl_dry_run_and_apply_on_the_sandbox(sandbox_kubeconfig: Path) -> None:
    """The pinned kubectl accepts the manifest in a client dry run, and the sandbox serves it."""
    base = [str(KUBECTL), "--kubeconfig", str(sandbox_kubeconfig), "-n", "default"]
    # kubectl's default validation: the sandbox checks the fields against its OpenAPI.
    apply = [*base, "apply", "-f", str(MANIFEST)]
    dry = subprocess.run(
        [*apply, "--dry-run=client"], capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    assert "deployment.apps/krates-signal created (dry run)" in dry.stdout
    real = subprocess.run(apply, capture_output=True, text=True, timeout=60)
    assert real.returncode == 0, real.stderr
    assert "Warning" not in real.stderr
    listed = subprocess.run(
        [*base, "get", "deployments,services", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for name in (
        "deployment.apps/krates-signal",
        "deployment.apps/krates-signal-redis",
        "service/krates-signal",
        "service/krates-signal-redis",
    ):
        assert name in listed.stdout.split()
    subprocess.run(
        [*base, "delete", "-f", str(MANIFEST)], capture_output=True, timeout=60
    )


def test_signaling_server_needs_only_what_the_image_installs() -> None:
    """The image installs Krates without its dependencies plus a few packages (read from
    the Containerfile's install line): the server imports nothing else."""
    recipe = (PACKAGING / "signal.Containerfile").read_text(encoding="utf-8")
    line = re.search(r"--find-links /wheels ([\w .-]+?) \\\n", recipe)
    assert line, "the Containerfile installs its packages from /wheels"
    installed = set(line.group(1).split())
    assert "aiohttp" in installed
    allowed = set(sys.stdlib_module_names) | installed | {"krates_desktop"}
    files = [
        REPO / "krates_desktop" / "__init__.py",
        *(REPO / "krates_desktop" / "signaling").glob("*.py"),
    ]
    foreign = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.startswith("krates_desktop.") and not name.startswith(
                    "krates_desktop.signaling"
                ):
                    foreign.add(f"{path.name}: {name}")
                elif name.split(".")[0] not in allowed:
                    foreign.add(f"{path.name}: {name}")
    assert foreign == set()
