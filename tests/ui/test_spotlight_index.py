"""Spotlight's index follows the cluster: objects created and deleted through the API
show up in, and leave, an open spotlight's results without reopening it."""

from __future__ import annotations

import uuid

from kubernetes import client as k8s

from krates_desktop.cluster.kubeconfig import Kubeconfig
from tests.ui.conftest import POD


def _names(spot) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.candidate.name for r in spot.results.results]


def test_created_and_deleted_objects_reach_an_open_spotlight(
    session, qtbot, sandbox_kubeconfig
) -> None:  # type: ignore[no-untyped-def]
    """Typing a name no object has shows nothing; creating a ConfigMap by that name
    lists it as the first row; deleting it empties the list again."""
    name = f"zq-index-{uuid.uuid4().hex[:6]}"
    view = session.window.view
    view.setFocus()
    qtbot.keyClick(view, name[0])
    spot = session.window.spotlight
    qtbot.keyClicks(spot.input, name[1:])
    qtbot.waitUntil(lambda: spot.results.query == name, timeout=5000)
    assert name not in _names(spot)

    api = Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")
    core = k8s.CoreV1Api(api)
    try:
        body = {"metadata": {"name": name, "namespace": "payments"}, "data": {}}
        core.create_namespaced_config_map("payments", body)
        qtbot.waitUntil(lambda: _names(spot)[:1] == [name], timeout=20000)
        assert spot.results.results[0].candidate.kind == "ConfigMap"
        assert spot.results.results[0].candidate.namespace == "payments"

        core.delete_namespaced_config_map(name, "payments")
        qtbot.waitUntil(lambda: name not in _names(spot), timeout=20000)
    finally:
        api.close()


def test_typing_narrows_to_the_pod_with_every_keystroke(session, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each further letter of a sandbox pod's name keeps it listed, and the full name
    puts it first."""
    view = session.window.view
    view.setFocus()
    qtbot.keyClick(view, POD[0])
    spot = session.window.spotlight
    for end in range(2, len(POD) + 1):
        qtbot.keyClicks(spot.input, POD[end - 1])
        qtbot.waitUntil(lambda end=end: spot.results.query == POD[:end], timeout=5000)
        assert len(spot.results.results) >= 1
    assert _names(spot)[0] == POD
