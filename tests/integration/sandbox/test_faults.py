"""The fault switch (429 with Retry-After, 500, dropped connections; in-process and
over the loopback admin API) and the public, thread-safe history compaction."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.integration.sandbox.conftest import KUBECTL, session_for

MakeSandbox = Callable[..., Any]


def test_throttle_answers_429_with_retry_after(make_sandbox: MakeSandbox) -> None:
    """The next N matching requests get the API server's 429 Status; then service resumes."""
    box = make_sandbox()
    http = session_for(box, box.token)
    box.faults.throttle(2, retry_after=3, path="/api/v1/namespaces")
    url = f"{box.url}/api/v1/namespaces"
    assert http.get(f"{box.url}/api/v1/nodes").status_code == 200
    first = http.get(url)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Too many requests, please try again later.",
        "reason": "TooManyRequests", "details": {"retryAfterSeconds": 3}, "code": 429,
    }  # fmt: skip
    assert http.get(url).status_code == 429
    assert http.get(url).status_code == 200
    assert box.faults.served == 2 and box.faults.pending() == []


def test_fail_and_drop(make_sandbox: MakeSandbox) -> None:
    """A 500 InternalError Status, then a connection closed without an answer."""
    box = make_sandbox()
    http = session_for(box, box.token)
    box.faults.fail(1)
    box.faults.drop(1)
    failed = http.get(f"{box.url}/api/v1/pods")
    assert failed.status_code == 500 and failed.json()["reason"] == "InternalError"
    with pytest.raises(requests.ConnectionError):
        http.get(f"{box.url}/api/v1/pods")
    assert http.get(f"{box.url}/api/v1/pods").status_code == 200


def test_admin_api_arms_faults_for_the_admin_only(make_sandbox: MakeSandbox) -> None:
    """POST /sandbox/faults arms a rule with the admin token; other users get 403."""
    box = make_sandbox()
    admin = session_for(box, box.token)
    viewer = session_for(box, box.token_for("sandbox-viewer"))
    rule = {"fault": "500", "count": 1, "path": "/api/v1/configmaps", "method": "GET"}
    assert viewer.post(f"{box.url}/sandbox/faults", json=rule).status_code == 403
    armed = admin.post(f"{box.url}/sandbox/faults", json=rule)
    assert armed.status_code == 201
    assert armed.json()["pending"] == [{**rule, "retryAfter": 1}]
    assert admin.get(f"{box.url}/api/v1/configmaps").status_code == 500
    assert admin.get(f"{box.url}/sandbox/faults").json() == {"served": 1, "pending": []}
    bad = admin.post(f"{box.url}/sandbox/faults", json={"fault": "418"})
    assert bad.status_code == 400
    admin.post(f"{box.url}/sandbox/faults", json={"fault": "drop", "count": 5})
    assert admin.delete(f"{box.url}/sandbox/faults").json()["pending"] == []


def test_kubectl_retries_after_a_throttle(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    """kubectl honours Retry-After on 429 and succeeds once the throttle passes."""
    box = make_sandbox()
    box.faults.throttle(1, retry_after=1, path="/api/v1/namespaces/payments/pods")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "KUBECONFIG": str(box.state_dir / "kubeconfig")}  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        [KUBECTL, "get", "pods", "-n", "payments", "-o", "name"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pod/ledger-db-0" in result.stdout
    assert time.monotonic() - started >= 1.0
    assert box.faults.served == 1


def test_python_client_sees_500_as_api_exception(make_sandbox: MakeSandbox) -> None:
    """The official client raises ApiException(500) with the Status body for a failed request."""
    box = make_sandbox()
    api = config.new_client_from_config(str(box.state_dir / "kubeconfig"))
    box.faults.fail(1, path="/api/v1/namespaces/payments/configmaps")
    with pytest.raises(ApiException) as raised:
        client.CoreV1Api(api).list_namespaced_config_map("payments")
    assert raised.value.status == 500
    assert json.loads(raised.value.body)["reason"] == "InternalError"
    api.close()


def test_compact_makes_old_resource_versions_expire(make_sandbox: MakeSandbox) -> None:
    """After Sandbox.compact() (from the test's thread) a watch from an older RV gets 410."""
    box = make_sandbox(pace=0)
    http = session_for(box, box.token)
    url = f"{box.url}/api/v1/namespaces/default/configmaps"
    rv = http.get(url).json()["metadata"]["resourceVersion"]
    http.post(url, json={"metadata": {"name": "before-compaction"}})
    replay = http.get(
        url, params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "1"}
    )
    assert json.loads(replay.text.splitlines()[0])["type"] == "ADDED"
    compacted = box.compact()
    assert compacted >= int(rv) + 1
    expired = http.get(url, params={"watch": "true", "resourceVersion": rv})
    event = json.loads(expired.text.splitlines()[0])
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
    via_http = http.post(f"{box.url}/sandbox/compact")
    assert via_http.json() == {"compactedTo": compacted}


def test_python_client_recovers_from_a_dropped_connection(
    make_sandbox: MakeSandbox,
) -> None:
    """urllib3 retries a dropped list; a watch from the list's RV then sees later changes."""
    box = make_sandbox(pace=0)
    api = config.new_client_from_config(str(box.state_dir / "kubeconfig"))
    core = client.CoreV1Api(api)
    box.faults.drop(1, path="/api/v1/namespaces/default/configmaps")
    listed = core.list_namespaced_config_map("default")
    assert box.faults.served == 1 and listed.metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "after-drop"}})
    seen = []
    stream = watch.Watch()
    for event in stream.stream(
        core.list_namespaced_config_map, "default",
        resource_version=listed.metadata.resource_version, timeout_seconds=5,
    ):  # fmt: skip
        seen.append((event["type"], event["object"].metadata.name))
        stream.stop()
    assert seen == [("ADDED", "after-drop")]
    api.close()
