"""Exec over the v4 protocol with text frames, and watch/log stream lifetimes."""

from __future__ import annotations

import json
import re
import ssl
import time
import uuid
from typing import Any

import requests
import websocket

STABLE_POD = "api-server-7c9d5-x2k4p"


def _exec_url(sandbox: Any, command: list[str]) -> str:
    params = "&".join(f"command={c}" for c in command)
    base = sandbox.url.replace("https://", "wss://")
    return f"{base}/api/v1/namespaces/payments/pods/ledger-db-0/exec?container=metrics&{params}&stdout=true&stderr=true&stdin=true"


def test_exec_v4_with_text_frames(sandbox: Any) -> None:
    """A v4-only client sending text frames gets binary output and a JSON status."""
    ws = websocket.create_connection(
        _exec_url(sandbox, ["head", "-c", "5"]),
        header=[f"Authorization: Bearer {sandbox.token}"],
        subprotocols=["v4.channel.k8s.io"],
        sslopt={"ca_certs": str(sandbox.ca_file), "cert_reqs": ssl.CERT_REQUIRED},
        timeout=15,
    )
    assert ws.subprotocol == "v4.channel.k8s.io"
    ws.send("\x00hello")
    frames: list[tuple[int, bytes]] = []
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        assert opcode == websocket.ABNF.OPCODE_BINARY
        frames.append((data[0], data[1:]))
    output = b"".join(d for c, d in frames if c == 1)
    status = json.loads(b"".join(d for c, d in frames if c == 3))
    assert output == b"hello"
    assert status == {"metadata": {}, "status": "Success"}


def test_exec_passes_raw_bytes(sandbox: Any) -> None:
    """Output that is not UTF-8 reaches the client byte for byte."""
    ws = websocket.create_connection(
        _exec_url(sandbox, ["printf", "%5Cxd4%5Cxff"]),
        header=[f"Authorization: Bearer {sandbox.token}"],
        subprotocols=["v5.channel.k8s.io"],
        sslopt={"ca_certs": str(sandbox.ca_file), "cert_reqs": ssl.CERT_REQUIRED},
        timeout=15,
    )
    stdout = b""
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        if data[:1] == b"\x01":
            stdout += data[1:]
    assert stdout == b"\xd4\xff"


def test_closed_watch_is_unsubscribed(sandbox: Any, http: requests.Session) -> None:
    """When a client drops a watch, the server stops and forgets it."""
    store = sandbox.state.store
    before = store.watch_count()
    url = f"{sandbox.url}/api/v1/namespaces/payments/pods"
    with http.get(url, params={"watch": "true"}, stream=True, timeout=10) as response:
        lines = response.iter_lines()  # kept: a dropped generator closes the stream
        next(lines)
        assert store.watch_count() == before + 1
    for _ in range(50):
        if store.watch_count() == before:
            break
        time.sleep(0.1)
    assert store.watch_count() == before


def test_follow_ends_when_the_pod_is_deleted(
    sandbox: Any, http: requests.Session
) -> None:
    """A log follow stream ends once its pod is gone."""
    name = "follow-me"
    base = f"{sandbox.url}/api/v1/namespaces/default/pods"
    body = {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.37"}]},
    }
    assert http.post(base, json=body).status_code == 201
    for _ in range(150):
        pod = http.get(f"{base}/{name}").json()
        if pod["status"].get("phase") == "Running":
            break
        time.sleep(0.1)
    with http.get(
        f"{base}/{name}/log", params={"follow": "true"}, stream=True, timeout=20
    ) as response:
        lines = response.iter_lines()
        assert next(lines).startswith(b"starting c")
        http.delete(f"{base}/{name}", params={"gracePeriodSeconds": "0"})
        rest = list(lines)
    assert len(rest) < 100


def test_distroless_container_has_no_shell(
    sandbox: Any, http: requests.Session, core_v1: Any
) -> None:
    """In a container from a distroless image, sh is not found (exit 126), as in a cluster."""
    from kubernetes.stream import stream

    name = "no-shell"
    base = f"{sandbox.url}/api/v1/namespaces/default/pods"
    image = "gcr.io/distroless/static-debian12:nonroot"
    body = {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }
    assert http.post(base, json=body).status_code == 201
    for _ in range(100):
        if http.get(f"{base}/{name}").json()["status"].get("phase") == "Running":
            break
        time.sleep(0.1)
    resp = stream(
        core_v1.connect_get_namespaced_pod_exec, name, "default", command=["sh"],
        stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False,
    )  # fmt: skip
    resp.run_forever(timeout=15)
    assert 'exec: "sh": executable file not found in $PATH' in resp.read_stdout()
    assert resp.returncode == 126
    http.delete(f"{base}/{name}", params={"gracePeriodSeconds": "0"})


def test_log_options_are_validated_like_pod_log_options(
    http: requests.Session, sandbox: Any
) -> None:
    """Negative tailLines, limitBytes 0 and both since* options give the server's 422s."""
    url = f"{sandbox.url}/api/v1/namespaces/payments/pods/{STABLE_POD}/log"
    cases = {
        "tailLines=-2": "tailLines: Invalid value: -2: must be greater than or equal to 0",
        "limitBytes=0": "limitBytes: Invalid value: 0: must be greater than 0",
        "sinceSeconds=0": "sinceSeconds: Invalid value: 0: must be greater than 0",
        "sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z": "at most one of `sinceTime` or "
        "`sinceSeconds` may be specified",
    }
    for query, message in cases.items():
        response = http.get(f"{url}?{query}")
        assert response.status_code == 422, query
        body = response.json()
        assert body["reason"] == "Invalid"
        assert body["message"].startswith(f'PodLogOptions "{STABLE_POD}" is invalid: ')
        assert message in body["message"]
    future = http.get(url, params={"sinceTime": "2099-01-01T00:00:00Z"})
    assert future.status_code == 200 and future.text == ""


def test_kubectl_log_flags(kubectl: Any) -> None:
    """--tail, --timestamps, --since, --since-time, --limit-bytes and --previous shape kubectl logs."""
    base = ("logs", "-n", "payments", STABLE_POD)
    stamped = kubectl(*base, "--tail=2", "--timestamps").stdout.splitlines()
    assert len(stamped) == 2 and all(
        line[:2] == "20" and line[29] == "Z" for line in stamped
    )
    recent = kubectl(*base, "--since=90s").stdout.splitlines()
    everything = kubectl(*base, "--since-time=2000-01-01T00:00:00Z").stdout.splitlines()
    assert 0 < len(recent) < len(everything)
    assert kubectl(*base, "--limit-bytes=12").stdout == "starting api"
    previous = kubectl(*base, "--previous")
    assert previous.returncode == 1
    assert (
        f'previous terminated container "api" in pod "{STABLE_POD}" not found'
        in previous.stderr
    )
    crashed = kubectl(
        "logs", "-n", "platform", "audit-forwarder-6f9c8-zq4vw", "--tail=1"
    )
    assert "AUDIT_SINK_URL is not set" in crashed.stdout


def test_kubectl_run_attaches_to_the_container(kubectl: Any) -> None:
    """`kubectl run -i --rm` attaches to the container's real process, relays its
    output and reports its exit code, then deletes the pod."""
    name = f"attach-{uuid.uuid4().hex[:6]}"
    result = kubectl(
        "run", name, "-i", "--rm", "--restart=Never", "--image=busybox:1.37",
        "-n", "default", "--", "sh", stdin="echo attached-ok\nexit 3\n", timeout=60,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "attached-ok" in result.stdout
    assert f"pod default/{name} terminated (Error)" in result.stderr
    assert "couldn't attach" not in result.stderr


def test_attach_to_a_server_container_streams_its_output(sandbox: Any) -> None:
    """Attaching to a non-interactive container relays what it writes from then on."""
    url = (
        sandbox.url.replace("https://", "wss://")
        + f"/api/v1/namespaces/payments/pods/{STABLE_POD}/attach?stdout=true&stderr=true"
    )
    ws = websocket.create_connection(
        url,
        header=[f"Authorization: Bearer {sandbox.token}"],
        subprotocols=["v5.channel.k8s.io"],
        sslopt={"ca_certs": str(sandbox.ca_file), "cert_reqs": ssl.CERT_REQUIRED},
        timeout=15,
    )
    opcode, data = ws.recv_data()
    ws.close()
    assert opcode == websocket.ABNF.OPCODE_BINARY and data.endswith(b"\n")
    # A line of the Go API server: a timestamp, a JSON record or a stack frame.
    assert re.match(rb"\x01(\d{4}-\d\d-\d\dT|\{|goroutine |\t|[a-z]+[./])", data), data


def test_attach_needs_create_on_pods_attach(as_user: Any, sandbox: Any) -> None:
    """The viewer may not attach: 403 for create on pods/attach."""
    viewer = as_user("sandbox-viewer")
    response = viewer.post(
        f"{sandbox.url}/api/v1/namespaces/payments/pods/{STABLE_POD}/attach",
        params={"stdout": "true"},
    )
    assert response.status_code == 403
    assert 'cannot create resource "pods/attach"' in response.json()["message"]
