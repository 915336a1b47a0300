"""The official Python client 37 against the sandbox: list, watch, patch, exec, logs."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

STABLE_POD = "api-server-7c9d5-m8q1z"


def test_list_namespaced_pods_returns_typed_models(core_v1: client.CoreV1Api) -> None:
    """list_namespaced_pod returns full Pod models with owner, node, IPs and statuses."""
    pods = {p.metadata.name: p for p in core_v1.list_namespaced_pod("payments").items}
    pod = pods[STABLE_POD]
    assert pod.metadata.owner_references[0].kind == "ReplicaSet"
    assert pod.metadata.owner_references[0].name == "api-server-7c9d5"
    assert pod.spec.node_name == "node-2"
    assert pod.spec.containers[0].image == "ghcr.io/acme/api-server:1.14.2"
    assert pod.status.phase == "Running" and pod.status.pod_ip
    assert pod.status.container_statuses[0].ready is True
    assert (
        pods["ledger-db-1"].metadata.annotations[
            "kubectl.kubernetes.io/default-container"
        ]
        == "db"
    )


def test_watch_streams_added_then_modified_after_patch(
    core_v1: client.CoreV1Api,
) -> None:
    """Watch().stream sends ADDED for current pods, then MODIFIED when a pod is patched."""
    value = uuid.uuid4().hex[:8]
    stream_watch = watch.Watch()
    added: set[str] = set()
    modified: list[dict[str, str]] = []
    patched = threading.Event()
    for event in stream_watch.stream(
        core_v1.list_namespaced_pod, "payments", timeout_seconds=20, _request_timeout=30
    ):
        name = event["object"].metadata.name
        if event["type"] == "ADDED":
            added.add(name)
        if STABLE_POD in added and not patched.is_set():
            patched.set()
            core_v1.patch_namespaced_pod(
                STABLE_POD, "payments", {"metadata": {"labels": {"py-watch": value}}}
            )
        if event["type"] == "MODIFIED" and name == STABLE_POD:
            modified.append(event["object"].metadata.labels)
            if event["object"].metadata.labels.get("py-watch") == value:
                stream_watch.stop()
    assert {"api-server-7c9d5-x2k4p", STABLE_POD, "ledger-db-0"} <= added
    assert modified and modified[-1]["py-watch"] == value


def test_watch_from_compacted_resource_version_raises_410(
    core_v1: client.CoreV1Api,
) -> None:
    """A watch from a resourceVersion older than the event log ends in ApiException 410."""
    stream_watch = watch.Watch()
    with pytest.raises(ApiException) as raised:
        for _ in stream_watch.stream(
            core_v1.list_namespaced_pod,
            "payments",
            resource_version="1",
            _request_timeout=15,
        ):
            pass
    assert raised.value.status == 410
    assert "too old resource version" in str(raised.value)


def test_exec_stream_returns_output_and_exit_code(core_v1: client.CoreV1Api) -> None:
    """stream(connect_get_namespaced_pod_exec) gives stdout, stderr and returncode 2."""
    resp = stream(
        core_v1.connect_get_namespaced_pod_exec,
        STABLE_POD,
        "payments",
        command=["sh", "-c", "echo hello; echo oops >&2; exit 2"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    resp.run_forever(timeout=15)
    assert resp.read_stdout() == "hello\n"
    assert resp.read_stderr() == "oops\n"
    assert resp.returncode == 2


def test_exec_stream_with_stdin_and_close(core_v1: client.CoreV1Api) -> None:
    """Text frames on stdin reach the process, and the v5 close signal ends its input."""
    resp = stream(
        core_v1.connect_get_namespaced_pod_exec,
        STABLE_POD,
        "payments",
        command=["sh", "-c", "tr a-z A-Z"],
        stderr=True,
        stdin=True,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    resp.write_stdin("shout\n")
    resp.close_channel(0)
    resp.run_forever(timeout=15)
    assert resp.read_stdout() == "SHOUT\n"
    assert resp.returncode == 0


def test_exec_preloaded_returns_combined_output(core_v1: client.CoreV1Api) -> None:
    """With _preload_content the exec call returns the command's output as a string."""
    output = stream(
        core_v1.connect_get_namespaced_pod_exec,
        STABLE_POD,
        "payments",
        command=["echo", "from", "python"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert output == "from python\n"


def test_read_log_with_tail_and_container(core_v1: client.CoreV1Api) -> None:
    """read_namespaced_pod_log honours container and tail_lines."""
    text = core_v1.read_namespaced_pod_log(
        "ledger-db-1", "payments", container="metrics", tail_lines=4
    )
    lines = text.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("ts=") for line in lines)


def test_log_without_container_on_multi_container_pod_is_400(
    core_v1: client.CoreV1Api,
) -> None:
    """Without a container name, a two-container pod's log is a 400 naming the choices."""
    with pytest.raises(ApiException) as raised:
        core_v1.read_namespaced_pod_log("ledger-db-0", "payments")
    assert raised.value.status == 400
    assert (
        "a container name must be specified for pod ledger-db-0, choose one of: [db metrics]"
        in (raised.value.body)
    )


def test_create_read_and_delete_configmap(core_v1: client.CoreV1Api) -> None:
    """A ConfigMap created by the client can be read back, replaced and deleted."""
    name = f"py-{uuid.uuid4().hex[:8]}"
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"k": "v"})
    created = core_v1.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version
    created.data["k"] = "w"
    replaced = core_v1.replace_namespaced_config_map(name, "default", created)
    assert replaced.data == {"k": "w"}
    with pytest.raises(ApiException) as stale:
        core_v1.replace_namespaced_config_map(name, "default", created)
    assert stale.value.status == 409
    core_v1.delete_namespaced_config_map(name, "default")
    with pytest.raises(ApiException) as gone:
        core_v1.read_namespaced_config_map(name, "default")
    assert gone.value.status == 404


def test_watch_bookmarks_carry_the_resource_version(make_sandbox: Any) -> None:
    """With allow_watch_bookmarks the client receives BOOKMARKs and keeps their RV."""
    box = make_sandbox(pace=10)
    api = config.new_client_from_config(str(box.state_dir / "kubeconfig"))
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_secret("payments").metadata.resource_version
    stream_watch = watch.Watch()
    kinds = []
    for event in stream_watch.stream(
        core.list_namespaced_secret, "payments", resource_version=rv,
        allow_watch_bookmarks=True, timeout_seconds=5,
    ):  # fmt: skip
        kinds.append(event["type"])
        if event["type"] == "BOOKMARK":
            stream_watch.stop()
    assert kinds == ["BOOKMARK"]
    assert int(stream_watch.resource_version) >= int(rv)
    api.close()


def test_watch_with_initial_events_then_changes(core_v1: client.CoreV1Api) -> None:
    """sendInitialEvents streams every namespace, the initial-events-end BOOKMARK, then changes."""
    stream_watch = watch.Watch()
    added, bookmark = set(), None
    for event in stream_watch.stream(
        core_v1.list_namespace, send_initial_events=True,
        resource_version_match="NotOlderThan", allow_watch_bookmarks=True,
        timeout_seconds=10,
    ):  # fmt: skip
        if event["type"] == "ADDED":
            added.add(event["object"].metadata.name)
        if event["type"] == "BOOKMARK":
            bookmark = event["raw_object"]
            stream_watch.stop()
    assert {"payments", "checkout", "platform", "kube-system"} <= added
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_reconnects_when_the_server_ends_it(make_sandbox: Any) -> None:
    """When the server closes a watch, Watch().stream resumes from its RV and misses nothing."""
    box = make_sandbox(pace=0)
    api = config.new_client_from_config(str(box.state_dir / "kubeconfig"))
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    seen: list[str] = []
    stream_watch = watch.Watch()

    def changes() -> None:
        core.create_namespaced_config_map("default", {"metadata": {"name": "one"}})
        for _ in range(50):
            if box.end_watches():
                break
        core.create_namespaced_config_map("default", {"metadata": {"name": "two"}})

    worker = threading.Timer(0.3, changes)
    worker.start()
    for event in stream_watch.stream(
        core.list_namespaced_config_map,
        "default",
        resource_version=rv,
        _request_timeout=10,
    ):
        seen.append(event["object"].metadata.name)
        if len(seen) == 2:
            stream_watch.stop()
    worker.join()
    assert seen == ["one", "two"]
    api.close()


def test_log_follow_yields_lines_as_written(core_v1: client.CoreV1Api) -> None:
    """Watch().stream over read_namespaced_pod_log(follow=True) yields new lines one by one."""
    stream_watch = watch.Watch()
    lines = []
    started = time.monotonic()
    for line in stream_watch.stream(
        core_v1.read_namespaced_pod_log, STABLE_POD, "payments", tail_lines=1,
        follow=True, _request_timeout=20,
    ):  # fmt: skip
        lines.append(line)
        if len(lines) == 3:
            stream_watch.stop()
    assert len(lines) == 3 and all(isinstance(line, str) for line in lines)
    assert time.monotonic() - started > 0.3
