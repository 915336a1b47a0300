"""Why exec cannot work, worked out from the pod before dialing."""

from __future__ import annotations

from typing import Any

import pytest

from krates_desktop.cluster.exec_session import _pod_problem


def pod(phase: str, state: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-0"},
        "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]},
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": "app", "state": state or {"running": {}}}],
        },
    }


@pytest.mark.parametrize(
    ("obj", "container", "problem"),
    [
        (pod("Running"), None, ""),
        (pod("Running"), "sidecar", ""),
        (
            pod("Succeeded"),
            None,
            "pod web-0 is not running (it has completed): there is nothing to exec into",
        ),
        (
            pod("Failed"),
            None,
            "pod web-0 is not running (it has failed): there is nothing to exec into",
        ),
        (
            pod("Pending", {"waiting": {"reason": "ContainerCreating"}}),
            "app",
            "container app is not running yet (ContainerCreating)",
        ),
        (
            pod("Running", {"terminated": {"reason": "OOMKilled"}}),
            None,
            "container app is not running (OOMKilled)",
        ),
        (
            pod("Running"),
            "nope",
            "container nope is not in pod web-0 (it has app, sidecar)",
        ),
    ],
)
def test_each_reason_has_its_own_message(
    obj: dict[str, Any], container: str | None, problem: str
) -> None:
    """Finished pods, waiting or terminated containers and unknown containers are told apart."""
    assert _pod_problem(obj, container) == problem
