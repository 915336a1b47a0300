"""DELETE as kube-apiserver answers it (typed objects for the official client, kubectl's
output and waits), propagation policies, and the sessions a deleted pod ends."""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from typing import Any

import requests
import websocket
from kubernetes import client

from tests.integration.sandbox.support import until

APPS = "/apis/apps/v1/namespaces/default"


def _running_pod(http: requests.Session, sandbox: Any, spec: dict[str, Any]) -> str:
    name = f"del-{uuid.uuid4().hex[:6]}"
    base = f"{sandbox.url}/api/v1/namespaces/default/pods"
    created = http.post(base, json={"metadata": {"name": name}, "spec": spec})
    assert created.status_code == 201, created.text
    until(lambda: http.get(f"{base}/{name}").json()["status"].get("phase") == "Running")
    return name


def _busybox() -> dict[str, Any]:
    return {"containers": [{"name": "c", "image": "busybox:1.37"}]}


def _deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def _sets_of(apps: client.AppsV1Api, name: str) -> list[Any]:
    return [
        rs
        for rs in apps.list_namespaced_replica_set("default").items
        if rs.metadata.name.startswith(f"{name}-")
    ]


def test_client_delete_returns_the_pod_and_service_and_a_status_for_the_rest(
    sandbox: Any, http: requests.Session, core_v1: client.CoreV1Api
) -> None:
    """delete_namespaced_pod returns a V1Pod (the final one at grace 0, a terminating
    one otherwise); a Service comes back as a V1Service; a ConfigMap as a Status."""
    gone = _running_pod(http, sandbox, _busybox())
    pod = core_v1.delete_namespaced_pod(gone, "default", grace_period_seconds=0)
    assert isinstance(pod, client.V1Pod) and pod.metadata.name == gone
    assert (
        http.get(f"{sandbox.url}/api/v1/namespaces/default/pods/{gone}").status_code
        == 404
    )
    slow = _running_pod(http, sandbox, _busybox())
    pod = core_v1.delete_namespaced_pod(slow, "default", grace_period_seconds=5)
    assert pod.metadata.deletion_timestamp is not None
    assert pod.metadata.deletion_grace_period_seconds == 5
    name = f"del-{uuid.uuid4().hex[:6]}"
    core_v1.create_namespaced_service(
        "default",
        {"metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}},
    )
    service = core_v1.delete_namespaced_service(name, "default")
    assert isinstance(service, client.V1Service) and service.metadata.name == name
    made = core_v1.create_namespaced_config_map("default", {"metadata": {"name": name}})
    status = core_v1.delete_namespaced_config_map(name, "default")
    assert status["status"] == "Success"
    assert status["details"] == {
        "name": name,
        "kind": "configmaps",
        "uid": made.metadata.uid,
    }


def test_foreground_deletion_waits_for_the_dependents(
    api_client: client.ApiClient,
) -> None:
    """Foreground: the Deployment comes back marked with the foregroundDeletion
    finalizer, and is gone only with its ReplicaSet and pods."""
    apps = client.AppsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    name = f"fg-{uuid.uuid4().hex[:6]}"
    apps.create_namespaced_deployment("default", _deployment(name))
    until(
        lambda: core.list_namespaced_pod("default", label_selector=f"app={name}").items
    )
    marked = apps.delete_namespaced_deployment(
        name, "default", propagation_policy="Foreground"
    )
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert marked["metadata"]["deletionTimestamp"]
    until(lambda: not _sets_of(apps, name))
    until(
        lambda: (
            not core.list_namespaced_pod("default", label_selector=f"app={name}").items
        )
    )
    names = [d.metadata.name for d in apps.list_namespaced_deployment("default").items]
    assert name not in names


def test_orphan_deletion_marks_then_removes_the_owner_only(
    api_client: client.ApiClient,
) -> None:
    """Orphan: the Deployment comes back with the orphan finalizer and goes; its
    ReplicaSet stays, with no owner."""
    apps = client.AppsV1Api(api_client)
    name = f"or-{uuid.uuid4().hex[:6]}"
    apps.create_namespaced_deployment("default", _deployment(name))
    until(lambda: _sets_of(apps, name))
    marked = apps.delete_namespaced_deployment(
        name, "default", body=client.V1DeleteOptions(propagation_policy="Orphan")
    )
    assert marked["metadata"]["finalizers"] == ["orphan"]
    until(
        lambda: (
            name
            not in [
                d.metadata.name
                for d in apps.list_namespaced_deployment("default").items
            ]
        )
    )
    (kept,) = _sets_of(apps, name)
    assert kept.metadata.owner_references is None
    apps.delete_namespaced_replica_set(kept.metadata.name, "default")


def test_a_bad_propagation_policy_is_refused(
    sandbox: Any, http: requests.Session
) -> None:
    """An unknown propagationPolicy is a 422 naming the field, and nothing is deleted."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    name = f"del-{uuid.uuid4().hex[:6]}"
    assert http.post(url, json={"metadata": {"name": name}}).status_code == 201
    refused = http.delete(f"{url}/{name}", params={"propagationPolicy": "Sideways"})
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        '"Sideways": supported values: "Foreground", "Background", "Orphan"'
    )
    assert http.delete(f"{url}/{name}").status_code == 200


def test_kubectl_delete_output_wait_and_force(
    sandbox: Any, http: requests.Session, kubectl: Any
) -> None:
    """kubectl prints what it prints against a cluster: `pod "x" deleted` once the pod
    is gone (--wait), the force warning, and cascade=foreground for a Deployment."""
    slow = _running_pod(http, sandbox, _busybox())
    dry = kubectl("delete", "pod", slow, "-n", "default", "--dry-run=server")
    assert (
        dry.stdout == f'pod "{slow}" deleted from default namespace (server dry run)\n'
    ), dry.stderr
    pod = http.get(f"{sandbox.url}/api/v1/namespaces/default/pods/{slow}").json()
    assert "deletionTimestamp" not in pod["metadata"]
    waited = kubectl("delete", "pod", slow, "-n", "default", "--timeout=30s")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == f'pod "{slow}" deleted from default namespace\n'
    assert (
        http.get(f"{sandbox.url}/api/v1/namespaces/default/pods/{slow}").status_code
        == 404
    )
    forced = _running_pod(http, sandbox, _busybox())
    result = kubectl(
        "delete", "pod", forced, "-n", "default", "--grace-period=0", "--force"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "Warning: Immediate deletion does not wait for confirmation that the running "
        "resource has been terminated. The resource may continue to run on the cluster "
        "indefinitely.\n"
    )
    assert result.stdout == f'pod "{forced}" force deleted from default namespace\n'
    name = f"fg-{uuid.uuid4().hex[:6]}"
    assert http.post(f"{sandbox.url}{APPS}/deployments", json=_deployment(name)).ok
    cascade = kubectl(
        "delete", "deployment", name, "-n", "default", "--cascade=foreground",
        "--timeout=30s",
    )  # fmt: skip
    assert cascade.returncode == 0, cascade.stderr
    assert (
        cascade.stdout == f'deployment.apps "{name}" deleted from default namespace\n'
    )
    sets = http.get(f"{sandbox.url}{APPS}/replicasets").json()["items"]
    assert not [s for s in sets if s["metadata"]["name"].startswith(f"{name}-")]


def _connect(sandbox: Any, url: str) -> websocket.WebSocket:
    return websocket.create_connection(
        url.replace("https://", "wss://"),
        header=[f"Authorization: Bearer {sandbox.token}"],
        subprotocols=["v5.channel.k8s.io"],
        sslopt={"ca_certs": str(sandbox.ca_file), "cert_reqs": ssl.CERT_REQUIRED},
        timeout=30,
    )


def _status_then_close(ws: websocket.WebSocket) -> bytes:
    """Read frames up to the server's close; the last one must be the status."""
    frames = []
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        frames.append(data)
    ws.close()
    assert frames and frames[-1].startswith(b"\x03"), frames[-3:]
    return frames[-1][1:]


def test_deleting_a_pod_ends_its_exec_attach_and_log_follow(
    sandbox: Any, http: requests.Session
) -> None:
    """An exec running in a pod, an attach to it and a log follow of it all end when
    the pod is deleted: the exec with exit code 137 on the status channel (its
    process dies with the container), the attach with Success, each then closed."""
    name = _running_pod(http, sandbox, _busybox())
    base = f"{sandbox.url}/api/v1/namespaces/default/pods/{name}"
    command = "command=sh&command=-c&command=echo+ready%3B+sleep+120"
    execs = _connect(sandbox, f"{base}/exec?{command}&stdout=true&stderr=true")
    assert execs.recv_data() == (websocket.ABNF.OPCODE_BINARY, b"\x01ready\n")
    attached = _connect(sandbox, f"{base}/attach?stdout=true&stderr=true")
    follow = http.get(f"{base}/log", params={"follow": "true"}, stream=True, timeout=30)
    followed: list[bytes] = []
    reader = threading.Thread(target=lambda: followed.extend(follow.iter_lines()))
    reader.start()
    assert http.delete(base, params={"gracePeriodSeconds": "0"}).status_code == 200
    assert json.loads(_status_then_close(execs)) == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing "
        "command [137], exit code 137",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "137"}]},
    }
    assert json.loads(_status_then_close(attached)) == {
        "metadata": {},
        "status": "Success",
    }
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert followed[0].startswith(b"starting c")
    follow.close()


def test_a_restarting_container_ends_the_exec_into_it(
    sandbox: Any, http: requests.Session
) -> None:
    """When a container's main process exits and the kubelet restarts it, an exec into
    the old run ends too: its process killed with the container (exit 137)."""
    spec = {
        "containers": [
            {"name": "c", "image": "busybox:1.37", "command": ["sh"], "stdin": True}
        ]
    }
    name = _running_pod(http, sandbox, spec)
    base = f"{sandbox.url}/api/v1/namespaces/default/pods/{name}"
    attached = _connect(sandbox, f"{base}/attach?stdin=true&stdout=true&stderr=true")
    command = "command=sh&command=-c&command=echo+ready%3B+sleep+120"
    execs = _connect(sandbox, f"{base}/exec?{command}&stdout=true&stderr=true")
    assert execs.recv_data() == (websocket.ABNF.OPCODE_BINARY, b"\x01ready\n")
    attached.send_binary(b"\x00exit 3\n")
    status = json.loads(_status_then_close(execs))
    assert status["details"] == {"causes": [{"reason": "ExitCode", "message": "137"}]}
    pod = http.get(base).json()
    (container,) = pod["status"]["containerStatuses"]
    assert container["restartCount"] == 1
    assert container["lastState"]["terminated"]["exitCode"] == 3
    attached.close()
    http.delete(base, params={"gracePeriodSeconds": "0"})
