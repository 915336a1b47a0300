"""Filling the sandbox: generated pods and events for benchmarks, real manifests
loaded at start (CRDs first), and the command line flags that ask for them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from krates_desktop.sandbox.server import Sandbox, SandboxError
from tests.conftest import SHARED
from tests.integration.sandbox.conftest import session_for

MakeSandbox = Callable[..., Any]
MANIFESTS = SHARED / "data" / "manifests"


def test_generated_pods_page_like_a_big_cluster(make_sandbox: MakeSandbox) -> None:
    """--pods 2500 adds running pods in bench namespaces; pages of 500 walk them all."""
    box = make_sandbox(pods=2500, events=300, pace=0)
    http = session_for(box, box.token)
    url = f"{box.url}/api/v1/pods"
    total, token, pages = 0, None, 0
    while True:
        params = {"limit": "500", **({"continue": token} if token else {})}
        page = http.get(url, params=params).json()
        total += len(page["items"])
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
    assert total >= 2500 and pages == -(-total // 500)
    bench = http.get(
        f"{box.url}/api/v1/namespaces/bench-02/pods", params={"limit": "1"}
    ).json()
    pod = bench["items"][0]
    assert pod["status"]["phase"] == "Running"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert [c["name"] for c in pod["spec"]["containers"]] == [
        pod["metadata"]["labels"]["team"],
        "envoy",
    ]
    events = http.get(f"{box.url}/api/v1/events", params={"limit": "1"}).json()
    assert events["metadata"]["remainingItemCount"] >= 299


def test_pod_count_is_bounded() -> None:
    """More than 50,000 pods is refused with a sentence naming the limit."""
    with pytest.raises(SandboxError, match="between 0 and 50,000"):
        Sandbox(pods=50_001)


def test_real_manifests_load_with_crds_first(make_sandbox: MakeSandbox) -> None:
    """The shared manifests load: gateway-api CRDs served, guestbook running, the
    ServiceMonitor refused in kubectl's words."""
    box = make_sandbox(load=[MANIFESTS], pace=5)
    http = session_for(box, box.token)
    assert any("ServiceMonitor" in p and "ensure CRDs are installed first" in p
               for p in box.load_problems), box.load_problems  # fmt: skip
    assert len(box.load_problems) == 1
    routes = http.get(f"{box.url}/apis/gateway.networking.k8s.io/v1/httproutes")
    assert routes.status_code == 200 and routes.json()["kind"] == "HTTPRouteList"
    group = http.get(f"{box.url}/apis/gateway.networking.k8s.io").json()
    assert group["preferredVersion"]["version"] == "v1"
    assert [v["version"] for v in group["versions"]][:2] == ["v1", "v1beta1"]
    deploys = http.get(f"{box.url}/apis/apps/v1/namespaces/default/deployments").json()
    names = {d["metadata"]["name"] for d in deploys["items"]}
    assert {"frontend", "redis-master", "redis-replica", "tf-serving"} <= names
    storage = http.get(f"{box.url}/apis/storage.k8s.io/v1/storageclasses/fast")
    assert storage.json()["provisioner"] == "k8s.io/minikube-hostpath"

    def running(name: str) -> bool:
        pods = http.get(
            f"{box.url}/api/v1/namespaces/default/pods",
            params={"labelSelector": f"app={name}"},
        ).json()["items"]
        return bool(pods) and all(p["status"].get("phase") == "Running" for p in pods)

    deadline = time.monotonic() + 15
    while (
        not (running("tf-serving") and running("cassandra"))
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert running("tf-serving"), "the pod of the pre-bound claim did not start"
    claim = http.get(
        f"{box.url}/api/v1/namespaces/default/persistentvolumeclaims/my-model-pvc"
    )
    assert claim.json()["status"]["phase"] == "Bound"


def test_cli_serves_benchmark_pods(tmp_path: Path) -> None:
    """`run(0, path, pods=40, pace=0)` serves the generated pods until SIGTERM."""
    code = (
        "import sys; from pathlib import Path; from krates_desktop.sandbox.cli import run; "
        f"sys.exit(run(0, Path({str(tmp_path / 'kc')!r}), pods=40, events=10, pace=0))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(
            "sandbox listening on https://127.0.0.1:"
        )
        api = config.new_client_from_config(str(tmp_path / "kc"))
        pods = client.CoreV1Api(api).list_namespaced_pod("bench-01")
        assert len(pods.items) == 40
        api.close()
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
