"""Object cases: a pod without a shell (C23), binary and broken Secret values (C25), and
cluster-scoped custom resources beside a kind whose name collides with a built-in (C27)."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient, CoreV1Api

from krates_desktop.cluster import api
from krates_desktop.cluster.cache import ClusterCache, Synced
from krates_desktop.cluster.discovery import Discovery
from krates_desktop.cluster.exec_session import Connected, ExecSession, Exited, Failed
from krates_desktop.cluster.kinds import SECRET
from krates_desktop.cluster.kubeconfig import Kubeconfig
from krates_desktop.cluster.secrets import SecretView, secret_values

from .streams_support import Collector


@pytest.fixture
def admin(sandbox_kubeconfig: Path) -> ApiClient:
    return Kubeconfig.load([sandbox_kubeconfig]).api_client("krates-sandbox")


def wait_running(admin: ApiClient, namespace: str, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pod = api.get_json(admin, f"/api/v1/namespaces/{namespace}/pods/{name}")
        if (pod.get("status") or {}).get("phase") == "Running":
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never ran")


def test_shell_tries_bash_first(admin: ApiClient) -> None:
    """Without a command the session runs bash when the container has it."""
    statuses: Collector[Any] = Collector()
    session = ExecSession(
        admin, "payments", "api-server-7c9d5-x2k4p", None, lambda b: None, statuses.add
    )
    session.start()
    statuses.wait_for(lambda got: Connected() in got)
    session.write(b"exit 4\r")

    assert session.wait(10)
    assert session.command == ("bash",)
    assert statuses.items[-1] == Exited(4)


def test_a_pod_without_any_shell_says_so_and_how_to_get_one(admin: ApiClient) -> None:
    """A distroless container has no bash, sh, ash or /busybox/sh: one clear message (C23)."""
    name = f"distroless-{uuid.uuid4().hex[:6]}"
    CoreV1Api(admin).create_namespaced_pod(
        "payments",
        {
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {"name": "app", "image": "gcr.io/distroless/static:nonroot"}
                ]
            },
        },
    )
    try:
        wait_running(admin, "payments", name)
        statuses: Collector[Any] = Collector()
        session = ExecSession(
            admin, "payments", name, None, lambda b: None, statuses.add
        )
        session.start()
        assert session.wait(15)
    finally:
        CoreV1Api(admin).delete_namespaced_pod(name, "payments")

    final = statuses.items[-1]
    assert isinstance(final, Failed)
    assert final.message.startswith(
        "no shell found in container app (tried bash, sh, ash, /busybox/sh)"
    )
    assert "kubectl debug" in final.message
    assert Connected() not in statuses.items


def test_binary_and_broken_secret_values_are_bytes_not_text(admin: ApiClient) -> None:
    """The binary keystore stays bytes (hex, never text); a non-base64 value is flagged (C25)."""
    name = f"broken-{uuid.uuid4().hex[:6]}"
    CoreV1Api(admin).create_namespaced_secret(
        "payments",
        {
            "metadata": {"name": name},
            "data": {"ok": base64.b64encode(b"hunter2").decode()},
        },
    )
    try:
        statuses: Collector[Any] = Collector()
        cache = ClusterCache(admin, kinds=[SECRET], on_status=statuses.add)
        cache.start()
        try:
            statuses.wait_for(lambda got: Synced() in got)
            keystore = cache.fetch_object(SECRET, "payments", "ledger-keystore")
            broken = cache.fetch_object(SECRET, "payments", name)
        finally:
            cache.stop()
    finally:
        CoreV1Api(admin).delete_namespaced_secret(name, "payments")
    broken["data"]["typo"] = "not base64!"

    values = {v.key: v for v in secret_values(keystore)}
    binary = next(v for v in values.values() if not v.is_text())
    assert binary.text() is None
    assert binary.base64() == keystore["data"][binary.key], "bytes round-trip exactly"
    view = SecretView(broken)
    assert all("••••" in row.shown for row in view.rows())
    view.reveal()
    shown = {row.key: row.shown for row in view.rows()}
    assert shown["ok"] == "hunter2"
    assert shown["typo"].startswith("(not valid base64")
    view.hide()
    assert "hunter2" not in repr(view) and all(
        "hunter2" not in r.shown for r in view.rows()
    )
    assert f"binary, {binary.size} bytes: " in SecretView(keystore).rows()[
        0
    ].shown or any(not row.text for row in SecretView(keystore).rows())


def test_kinds_are_keyed_by_group_and_cluster_scope_has_no_namespace(
    admin: ApiClient,
) -> None:
    """A cluster-scoped Role of iam.example.com stays apart from RBAC's namespaced Role,
    and cluster-scoped kinds ignore the namespace filter (C27)."""
    discovery = Discovery(admin)
    roles = {k.group: k for k in discovery.by_name("Role")}
    issuer = discovery.by_name("ClusterIssuer")[0]
    iam, rbac = roles["iam.example.com"], roles["rbac.authorization.k8s.io"]
    assert set(roles) == {"rbac.authorization.k8s.io", "iam.example.com"}
    assert iam.key != rbac.key and not iam.namespaced and rbac.namespaced
    assert issuer.namespaced is False
    assert issuer.collection_path("payments") == "/apis/example.com/v1/clusterissuers"
    assert (
        iam.collection_path("payments") == f"/apis/iam.example.com/{iam.version}/roles"
    )
    assert issuer in discovery.custom() and iam in discovery.custom()

    statuses: Collector[Any] = Collector()
    kinds = [issuer, iam, rbac]
    cache = ClusterCache(
        admin, kinds=kinds, namespaces=["payments"], on_status=statuses.add
    )
    cache.start()
    try:
        statuses.wait_for(lambda got: Synced() in got)
        issuers = cache.objects(issuer)
        cloud_roles = cache.objects(iam)
        rbac_roles = cache.objects(rbac)
        name = cloud_roles[0]["metadata"]["name"]
        assert cache.get(iam, "payments", name) is cache.get(iam, None, name)
    finally:
        cache.stop()
        discovery.close()

    served = api.get_json(admin, iam.collection_path())["items"]
    assert (
        cache.watched_namespaces(issuer) is None
        and cache.watched_namespaces(iam) is None
    )
    assert cache.watched_namespaces(rbac) == ["payments"]
    assert issuers and len(cloud_roles) == len(served) >= 2
    assert all(
        o["apiVersion"] == iam.api_version and o["kind"] == "Role" for o in cloud_roles
    )
    assert {o["metadata"]["name"] for o in cloud_roles}.isdisjoint(
        {o["metadata"]["name"] for o in rbac_roles}
    )
    assert all("namespace" not in o["metadata"] for o in cloud_roles + issuers)
    assert all(o["metadata"]["namespace"] == "payments" for o in rbac_roles)
