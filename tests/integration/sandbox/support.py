"""Helpers shared by the sandbox tests: namespaces of their own, manifests, polling."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


def new_namespace(kubectl: Kubectl, prefix: str) -> str:
    """Create a namespace no other test uses, and return its name."""
    ns = f"{prefix}-{uuid.uuid4().hex[:6]}"
    assert kubectl("create", "namespace", ns).returncode == 0
    return ns


def write_manifests(path: Path, *documents: dict[str, Any]) -> str:
    """Write `documents` as one multi-document YAML file; return its path for -f."""
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def until(check: Callable[[], Any], timeout: float = 30) -> Any:
    """Poll `check` until it returns something truthy (generous, for a loaded box)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout}s: {check}")
