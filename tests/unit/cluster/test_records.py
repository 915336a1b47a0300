"""Compact records keep what badges, lists and spotlight read, share what repeats, and stay small."""

from __future__ import annotations

import copy
import tracemalloc
import uuid
from typing import Any

import orjson
import pytest

from krates_desktop.cluster.records import (
    NotAnObject,
    clear_shared,
    compact,
    decode,
)
from krates_desktop.cluster.status import object_status

from .test_status import POD_ROWS


def realistic_pod(index: int) -> dict[str, Any]:
    """A pod of a ReplicaSet as an API server sends it, managedFields and all."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"orders-7c9d5-{index:05d}",
            "generateName": "orders-7c9d5-",
            "namespace": f"bench-{index % 20:02d}",
            "uid": str(uuid.uuid4()),
            "resourceVersion": str(1000 + index),
            "creationTimestamp": "2026-11-30T18:03:11Z",
            "labels": {"app": "orders", "pod-template-hash": "7c9d5"},
            "annotations": {
                "kubectl.kubernetes.io/default-container": "app",
                "kubectl.kubernetes.io/last-applied-configuration": "{" + "x" * 900 + "}",
            },
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "orders-7c9d5",
                 "uid": "c1e20d67-8c39-4917-8d72-fcf0b629059d", "controller": True}
            ],
            "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {"x": {}}}}] * 4,
        },
        "spec": {
            "containers": [
                {"name": "app", "image": "ghcr.io/acme/orders:4.2.1",
                 "env": [{"name": f"E{i}", "value": "v" * 40} for i in range(8)],
                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                 "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
                {"name": "sidecar", "image": "ghcr.io/acme/proxy:1.0"},
            ],
            "nodeName": f"node-{index % 3}",
            "volumes": [{"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
        },
        "status": {
            "phase": "Running",
            "podIP": f"10.1.{index // 256 % 256}.{index % 256}",
            "startTime": "2026-11-30T18:03:12Z",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-30T18:03:20Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-30T18:03:11Z"},
            ],
            "containerStatuses": [
                {"name": "app", "ready": True, "restartCount": 0, "image": "ghcr.io/acme/orders:4.2.1",
                 "containerID": "containerd://" + uuid.uuid4().hex * 2,
                 "state": {"running": {"startedAt": "2026-11-30T18:03:15Z"}}},
                {"name": "sidecar", "ready": True, "restartCount": 2, "image": "ghcr.io/acme/proxy:1.0",
                 "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": "x"}},
                 "state": {"running": {"startedAt": "2026-11-30T18:04:15Z"}}},
            ],
        },
    }  # fmt: skip


@pytest.mark.parametrize(("obj", "text", "health"), POD_ROWS)
def test_compact_pods_keep_their_status(
    obj: dict[str, Any], text: str, health: str
) -> None:
    """Every pod row of the status table gives the same badge from its compact record."""
    assert object_status("Pod", compact("Pod", copy.deepcopy(obj))) == (text, health)


def test_compact_pod_keeps_what_lists_logs_and_shells_read() -> None:
    """Names, labels, owner, containers, default container, restarts and IP survive; bulk goes."""
    record = compact("Pod", realistic_pod(7))

    metadata = record["metadata"]
    assert (
        metadata["name"] == "orders-7c9d5-00007" and metadata["namespace"] == "bench-07"
    )
    assert metadata["labels"] == {"app": "orders", "pod-template-hash": "7c9d5"}
    assert metadata["ownerReferences"][0]["name"] == "orders-7c9d5"
    assert metadata["annotations"] == {"kubectl.kubernetes.io/default-container": "app"}
    assert "managedFields" not in metadata
    assert [c["name"] for c in record["spec"]["containers"]] == ["app", "sidecar"]
    assert record["spec"]["containers"][0]["ports"][0]["containerPort"] == 8080
    assert (
        "env" not in record["spec"]["containers"][0] and "volumes" not in record["spec"]
    )
    statuses = record["status"]["containerStatuses"]
    assert (
        statuses[1]["restartCount"] == 2
        and statuses[1]["lastState"]["terminated"]["exitCode"] == 1
    )
    assert record["status"]["podIP"] == "10.1.0.7"


def test_other_kinds_only_lose_managed_fields_and_last_applied() -> None:
    """A Deployment keeps its spec and status; managedFields and last-applied go."""
    deployment = {
        "kind": "Deployment",
        "metadata": {
            "name": "d",
            "managedFields": [{}],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "team": "a",
            },
        },
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "x"}]}}},
        "status": {"readyReplicas": 2},
    }

    record = compact("Deployment", deployment)

    assert record["spec"] == deployment["spec"] and record["status"] == {
        "readyReplicas": 2
    }
    assert record["metadata"] == {"name": "d", "annotations": {"team": "a"}}
    assert "managedFields" in deployment["metadata"], "the input is not changed"


def test_replicas_share_their_repeated_parts() -> None:
    """Pods of one ReplicaSet on one node share labels, owners and spec objects."""
    first, second = compact("Pod", realistic_pod(3)), compact("Pod", realistic_pod(6))

    assert first["metadata"]["labels"] is second["metadata"]["labels"]
    assert first["metadata"]["ownerReferences"] is second["metadata"]["ownerReferences"]
    assert first["spec"] is second["spec"]
    assert first["metadata"]["uid"] != second["metadata"]["uid"]


def test_a_cached_pod_costs_under_two_kilobytes() -> None:
    """Two thousand realistic pods, compacted, hold well under 2 KB each."""
    clear_shared()
    wire = [orjson.dumps(realistic_pod(i)) for i in range(2000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        records = [compact("Pod", orjson.loads(data)) for data in wire]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    per_pod = (after - before) / len(records)
    assert len(wire[0]) > 3000, "the pods are realistic in size"
    assert 300 < per_pod < 2048, f"{per_pod:.0f} bytes per pod"


def test_a_pod_read_from_its_json_is_the_record_compact_makes() -> None:
    """Lists read each pod straight into its compact shape: the same record as
    compacting the parsed pod, sharing the same parts; a pod whose fields have
    unexpected types keeps its names (instead of failing the list); what is not an
    object at all is refused, saying what it is."""
    pod = realistic_pod(9)
    pod["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "settings"}},
        {"prefix": "X_"},
    ]
    pod["spec"]["containers"][0]["env"].append(
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "p"}}}
    )
    pod["spec"]["volumes"] += [
        {
            "name": "c",
            "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a"}]},
        },
        {"name": "s", "secret": {"secretName": "tls", "defaultMode": 420}},
        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "e", "emptyDir": {}},
    ]
    other = compact("Pod", realistic_pod(12))

    read = decode("Pod", orjson.dumps(pod))

    assert read == compact("Pod", copy.deepcopy(pod))
    assert read["spec"] is not other["spec"], "another template: env and volumes differ"
    assert read["metadata"]["labels"] is other["metadata"]["labels"]
    assert read["status"]["conditions"] is other["status"]["conditions"]
    container = read["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "settings"}}]
    assert container["env"] == [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db"}}}
    ]
    assert read["spec"]["volumes"] == [
        {"configMap": {"name": "cfg"}},
        {"secret": {"secretName": "tls"}},
        {"persistentVolumeClaim": {"claimName": "data"}},
    ]
    plain = decode("Pod", orjson.dumps(realistic_pod(15)))
    assert plain["spec"] is other["spec"]

    odd = copy.deepcopy(pod)
    odd["spec"]["containers"] = "not a list"
    kept = decode("Pod", orjson.dumps(odd))
    assert kept == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            k: pod["metadata"][k]
            for k in (
                "name",
                "namespace",
                "uid",
                "resourceVersion",
                "creationTimestamp",
            )
        },
    }
    assert compact("Pod", odd) == kept
    assert object_status("Pod", kept)[1] == "unknown"
    for value, found in ((7, "a number"), (None, "null"), ([], "an array")):
        for kind in ("Pod", "ConfigMap"):
            with pytest.raises(NotAnObject, match=f"expected an object, found {found}"):
                decode(kind, orjson.dumps(value))


def test_a_null_field_counts_as_a_missing_one() -> None:
    """Nulls where objects, lists or names are expected (a server never sends them,
    a hand-written manifest may hold them) read as if the field were not there."""
    pod = realistic_pod(5)
    nulled = copy.deepcopy(pod)
    nulled["metadata"]["deletionTimestamp"] = None
    nulled["spec"].update(initContainers=None, serviceAccountName=None)
    nulled["spec"]["volumes"].append({"name": "n", "configMap": None})
    nulled["spec"]["volumes"][0]["projected"]["sources"].append({"secret": None})
    app, sidecar = nulled["spec"]["containers"]
    app["envFrom"] = None
    sidecar.update(ports=None, envFrom=[{"configMapRef": None}])
    sidecar["env"] = [
        {"name": "X", "valueFrom": None},
        {"name": "Y", "valueFrom": {"secretKeyRef": None}},
    ]
    nulled["status"]["initContainerStatuses"] = None
    nulled["status"]["containerStatuses"][0]["lastState"] = None

    assert decode("Pod", orjson.dumps(nulled)) == decode("Pod", orjson.dumps(pod))


def test_a_status_update_keeps_the_spec_and_a_spec_change_is_seen() -> None:
    """A watch event of the same pod reuses its compact spec; a new image, a node
    set by scheduling, an added ephemeral container or a new pod of the same name
    (new uid) are compacted afresh; the same holds for a pod read from its JSON."""
    pod = realistic_pod(4)
    first = compact("Pod", copy.deepcopy(pod))

    pod["status"]["containerStatuses"][0]["restartCount"] = 1
    again = compact("Pod", copy.deepcopy(pod), previous=first)
    assert again["spec"] is first["spec"]
    assert again["status"]["containerStatuses"][0]["restartCount"] == 1
    asked: list[str] = []

    def last_version(metadata: dict[str, Any]) -> dict[str, Any]:
        asked.append(metadata["name"])
        return first

    read = decode("Pod", orjson.dumps(pod), previous=last_version)
    assert read == again and read["spec"] is first["spec"]
    assert asked == [pod["metadata"]["name"]]

    changes = {
        "image": lambda p: p["spec"]["containers"][0].update(
            image="ghcr.io/acme/orders:4.3"
        ),
        "node": lambda p: p["spec"].update(nodeName="node-9"),
        "debug": lambda p: p["spec"].update(
            ephemeralContainers=[{"name": "debugger", "image": "busybox"}]
        ),
        "uid": lambda p: p["metadata"].update(uid="another-pod"),
    }
    for name, change in changes.items():
        changed = copy.deepcopy(pod)
        change(changed)
        record = compact("Pod", changed, previous=first)
        assert record["spec"] == compact("Pod", changed)["spec"], name
        read = decode("Pod", orjson.dumps(changed), previous=lambda _: first)
        assert read["spec"] == record["spec"], name
        assert record["spec"] != first["spec"] or name == "uid", name
