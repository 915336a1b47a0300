"""The API health probe answers True for the live sandbox."""

from __future__ import annotations

from pathlib import Path

from krates_desktop.cluster.health import probe_health
from krates_desktop.cluster.kubeconfig import Kubeconfig


def test_probe_health_is_true_for_a_live_server(sandbox_kubeconfig: Path) -> None:
    """GET /readyz on the running sandbox succeeds, so the cluster pill shows healthy."""
    client = Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")

    assert probe_health(client, timeout=3) is True
