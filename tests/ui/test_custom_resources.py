"""Custom resources come and go: a CRD created through the API makes its objects
searchable in spotlight, and deleting it takes them away, with no restart."""

from __future__ import annotations

import uuid

from kubernetes import client as k8s

from krates_desktop.cluster.kubeconfig import Kubeconfig
from tests.crds import crd_manifest


def _shown(session) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    """The spotlight rows the person sees: kind, name and the CRD badge."""
    results = session.window.spotlight.results.results
    return [(r.candidate.kind, r.candidate.name, r.candidate.crd) for r in results]


def test_a_new_crd_becomes_searchable_and_goes_away_when_deleted(
    session, qtbot, sandbox_kubeconfig
) -> None:  # type: ignore[no-untyped-def]
    """Create a CRD and one object of it through the API: spotlight finds the object
    with its CRD badge. Delete the CRD: the object leaves spotlight."""
    suffix = uuid.uuid4().hex[:6]
    group = f"demo{suffix}.example.org"
    name = f"gizmo-{suffix}"
    api = Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")
    try:
        extensions = k8s.ApiextensionsV1Api(api)
        extensions.create_custom_resource_definition(crd_manifest(group, "Gadget"))
        custom = k8s.CustomObjectsApi(api)
        body = {
            "apiVersion": f"{group}/v1",
            "kind": "Gadget",
            "metadata": {"name": name, "namespace": "payments"},
        }
        custom.create_namespaced_custom_object(group, "v1", "payments", "gadgets", body)
        session.window.view.setFocus()
        qtbot.keyClick(session.window.view, name[0])
        qtbot.keyClicks(session.window.spotlight.input, name[1:])
        qtbot.waitUntil(
            lambda: _shown(session)[:1] == [("Gadget", name, True)], timeout=20000
        )
        extensions.delete_custom_resource_definition(f"gadgets.{group}")
        qtbot.waitUntil(
            lambda: all(n != name for _k, n, _c in _shown(session)), timeout=20000
        )
        assert all(c.name != name for c in session.source.candidates())
    finally:
        api.close()
