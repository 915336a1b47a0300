"""Exec over the v4 protocol with text frames, and watch/log stream lifetimes."""

from __future__ import annotations

import json
import ssl
import time
from typing import Any

import requests
import websocket


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
