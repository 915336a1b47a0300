"""Shared fixtures: Qt offscreen by default, and a real sandbox API server on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Without a display pytest-qt aborts the whole run; offscreen is the honest default here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A running sandbox (real HTTPS Kubernetes API on 127.0.0.1) for the whole session."""
    from krates_desktop.sandbox.server import Sandbox

    state = tmp_path_factory.mktemp("sandbox")
    box = Sandbox(port=0, state_dir=state)
    box.start_in_thread()
    box.write_kubeconfig(state / "kubeconfig")
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="session")
def sandbox_kubeconfig(sandbox: object) -> Path:
    """Path of the kubeconfig (context `krates-sandbox`) that the sandbox wrote."""
    return Path(sandbox.state_dir) / "kubeconfig"  # type: ignore[attr-defined]
