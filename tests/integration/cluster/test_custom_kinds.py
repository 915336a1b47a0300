"""Custom kinds follow the cluster's CRDs: the cache starts and stops watching them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes.client import ApiClient

from krates_desktop.cluster.cache import Change, ClusterCache
from krates_desktop.cluster.custom_kinds import CustomKinds
from krates_desktop.cluster.discovery import CRD
from krates_desktop.cluster.kinds import POD
from krates_desktop.cluster.kubeconfig import Kubeconfig
from tests.crds import crd_manifest

from .test_cache import Recorder


@pytest.fixture
def client(sandbox_kubeconfig: Path) -> Iterator[ApiClient]:
    api = Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")
    yield api
    api.close()


def test_a_crd_created_and_deleted_through_the_api(client: ApiClient) -> None:
    """The seeded CRD's kind is watched from the start; a cluster-scoped CRD created
    later is watched by its group, version and kind, its object has no namespace, and
    deleting the CRD stops the watch and reports the object deleted."""
    group = f"w{uuid.uuid4().hex[:6]}.example.org"
    recorder = Recorder()
    custom: list[CustomKinds] = []

    def on_changes(changes: list[Change]) -> None:
        # The owner hands every batch to CustomKinds, as the window does.
        custom[0].changes(changes)
        recorder.on_changes(changes)

    cache = ClusterCache(
        client, kinds=[POD, CRD], on_changes=on_changes, on_status=recorder.on_status
    )
    custom.append(CustomKinds(cache, client))
    extensions = k8s.ApiextensionsV1Api(client)
    try:
        cache.start()
        custom[0].start()
        recorder.wait_for(lambda: any(k.kind == "Certificate" for k in cache.kinds))
        recorder.wait_for(lambda: recorder.change("ADDED", "api-cert") is not None)
        extensions.create_custom_resource_definition(
            crd_manifest(group, "Widget", version="v2", scope="Cluster")
        )
        body = {
            "apiVersion": f"{group}/v2",
            "kind": "Widget",
            "metadata": {"name": "w1"},
        }
        k8s.CustomObjectsApi(client).create_cluster_custom_object(
            group, "v2", "widgets", body
        )
        recorder.wait_for(lambda: recorder.change("ADDED", "w1") is not None)
        widget = next(k for k in cache.kinds if k.group == group)
        assert widget.key == (group, "v2", "Widget") and not widget.namespaced
        assert cache.get(widget, "ignored", "w1")["metadata"].get("namespace") is None
        extensions.delete_custom_resource_definition(f"widgets.{group}")
        recorder.wait_for(lambda: recorder.change("DELETED", "w1") is not None)
        recorder.wait_for(lambda: all(k.group != group for k in cache.kinds))
        assert recorder.change("DELETED", "api-cert") is None
    finally:
        custom[0].close()
        cache.stop()
