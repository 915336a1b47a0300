"""Every row of the status mapping: the text and bucket a badge shows for an object."""

from __future__ import annotations

from typing import Any

import pytest

from krates_desktop.cluster.status import object_status


def pod(phase: str | None, *containers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"containerStatuses": list(containers)}
    if phase is not None:
        status["phase"] = phase
    spec = {
        "containers": [{"name": c["name"]} for c in containers] or [{"name": "app"}]
    }
    obj: dict[str, Any] = {"metadata": {"name": "p"}, "spec": spec, "status": status}
    obj["metadata"].update(extra)
    return obj


def container(name: str, ready: bool, **state: Any) -> dict[str, Any]:
    return {"name": name, "ready": ready, "state": state or {"running": {}}}


def waiting(reason: str) -> dict[str, Any]:
    return container("app", False, waiting={"reason": reason})


POD_ROWS = [
    (
        pod(
            "Running", container("app", True), deletionTimestamp="2026-01-01T00:00:00Z"
        ),
        "Terminating",
        "warn",
    ),
    (pod("Running", waiting("CrashLoopBackOff")), "CrashLoopBackOff", "error"),
    (pod("Pending", waiting("ImagePullBackOff")), "ImagePullBackOff", "error"),
    (pod("Pending", waiting("ErrImagePull")), "ErrImagePull", "error"),
    (
        pod("Pending", waiting("CreateContainerConfigError")),
        "CreateContainerConfigError",
        "error",
    ),
    (
        pod("Failed", container("app", False, terminated={"reason": "Error"})),
        "Error",
        "error",
    ),
    (
        pod("Failed", container("app", False, terminated={"reason": "OOMKilled"})),
        "Failed",
        "error",
    ),
    (pod("Pending", waiting("ContainerCreating")), "ContainerCreating", "warn"),
    (pod("Pending", waiting("PodInitializing")), "PodInitializing", "warn"),
    (pod("Pending"), "Pending", "warn"),
    (pod("Running", container("a", True), container("b", True)), "Running", "ok"),
    (
        pod("Running", container("a", True), container("b", False)),
        "Running 1/2",
        "warn",
    ),
    (
        pod("Succeeded", container("app", False, terminated={"reason": "Completed"})),
        "Completed",
        "ok",
    ),
    (pod("Unknown"), "Unknown", "unknown"),
]


@pytest.mark.parametrize(("obj", "text", "health"), POD_ROWS)
def test_pod_rows(obj: dict[str, Any], text: str, health: str) -> None:
    """Each pod state maps to the spec's text and bucket."""
    assert object_status("Pod", obj) == (text, health)


def test_init_container_crash_is_an_error() -> None:
    """A crashing init container makes the pod an error even while it is Pending."""
    obj = pod("Pending")
    obj["status"]["initContainerStatuses"] = [waiting("CrashLoopBackOff")]
    assert object_status("Pod", obj) == ("CrashLoopBackOff", "error")


def workload(desired: int | None, ready: int | None) -> dict[str, Any]:
    spec = {} if desired is None else {"replicas": desired}
    status = {} if ready is None else {"readyReplicas": ready}
    return {"spec": spec, "status": status}


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
@pytest.mark.parametrize(
    ("desired", "ready", "text", "health"),
    [
        (3, 3, "3/3", "ok"),
        (0, None, "0/0", "ok"),
        (3, 2, "2/3", "warn"),
        (2, None, "0/2", "error"),
        (None, 1, "1/1", "ok"),
    ],
)
def test_replicated_workloads(
    kind: str, desired: int | None, ready: int | None, text: str, health: str
) -> None:
    """Deployments and StatefulSets show ready/desired: ok when equal, warn part-way, error at 0."""
    assert object_status(kind, workload(desired, ready)) == (text, health)


@pytest.mark.parametrize(
    ("ready", "desired", "text", "health"),
    [
        (2, 2, "2/2", "ok"),
        (1, 3, "1/3", "warn"),
        (0, 3, "0/3", "error"),
        (0, 0, "0/0", "ok"),
    ],
)
def test_daemonset(ready: int, desired: int, text: str, health: str) -> None:
    """A DaemonSet shows numberReady/desiredNumberScheduled with the same rule."""
    obj = {"status": {"numberReady": ready, "desiredNumberScheduled": desired}}
    assert object_status("DaemonSet", obj) == (text, health)


@pytest.mark.parametrize(
    "service_type", ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
)
def test_service_shows_its_type(service_type: str) -> None:
    """A Service's status is its type, always ok."""
    assert object_status("Service", {"spec": {"type": service_type}}) == (
        service_type,
        "ok",
    )


def test_ingress_first_host_or_star() -> None:
    """An Ingress shows its first host, or `*` when its rules have none."""
    with_host = {
        "spec": {"rules": [{"http": {}}, {"host": "pay.example"}, {"host": "b"}]}
    }
    assert object_status("Ingress", with_host) == ("pay.example", "ok")
    assert object_status("Ingress", {"spec": {"rules": [{"http": {}}]}}) == ("*", "ok")


def test_configmap_counts_keys() -> None:
    """A ConfigMap shows how many keys it holds."""
    obj = {"data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert object_status("ConfigMap", obj) == ("3 keys", "ok")
    assert object_status("ConfigMap", {}) == ("0 keys", "ok")


def test_secret_keys_only_once_loaded() -> None:
    """A Secret shows `—` from metadata alone and `N keys` once its data is loaded."""
    assert object_status("Secret", {"metadata": {"name": "s"}}) == ("—", "ok")
    loaded = {"metadata": {"name": "s"}, "data": {"tls.crt": "eA==", "tls.key": "eQ=="}}
    assert object_status("Secret", loaded) == ("2 keys", "ok")


@pytest.mark.parametrize(
    ("phase", "health"), [("Bound", "ok"), ("Pending", "warn"), ("Lost", "error")]
)
def test_pvc_phases(phase: str, health: str) -> None:
    """A PVC shows its phase: Bound ok, Pending warn, Lost error."""
    assert object_status("PersistentVolumeClaim", {"status": {"phase": phase}}) == (
        phase,
        health,
    )


def test_namespace_phases() -> None:
    """A Namespace is Active (ok) or Terminating (warn)."""
    assert object_status("Namespace", {"status": {"phase": "Active"}}) == (
        "Active",
        "ok",
    )
    terminating = {"status": {"phase": "Terminating"}}
    assert object_status("Namespace", terminating) == ("Terminating", "warn")


def test_event_types() -> None:
    """An Event is Normal (ok) or Warning (warn)."""
    assert object_status("Event", {"type": "Normal"}) == ("Normal", "ok")
    assert object_status("Event", {"type": "Warning"}) == ("Warning", "warn")


def conditions(kind: str, status: str) -> dict[str, Any]:
    return {"status": {"conditions": [{"type": kind, "status": status}]}}


def test_crd_definition() -> None:
    """A CRD is Established when its Established condition is True, else pending."""
    established = conditions("Established", "True")
    assert object_status("CustomResourceDefinition", established) == (
        "Established",
        "ok",
    )
    waiting_crd = conditions("Established", "False")
    assert object_status("CustomResourceDefinition", waiting_crd) == ("pending", "warn")


@pytest.mark.parametrize(
    ("obj", "text", "health"),
    [
        (conditions("Ready", "True"), "True", "ok"),
        (conditions("Ready", "Unknown"), "Unknown", "warn"),
        (conditions("Ready", "False"), "False", "error"),
        ({"spec": {}}, "—", "ok"),
    ],
)
def test_custom_resource_ready_condition(
    obj: dict[str, Any], text: str, health: str
) -> None:
    """A custom resource shows its Ready condition, or `—` (ok) without conditions."""
    assert object_status("Certificate", obj) == (text, health)


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("ConfigMap", {"metadata": {"name": "c"}, "data": 5}),
        ("Ingress", {"metadata": {"name": "i"}, "spec": {"rules": 5}}),
        ("Pod", {"metadata": {"name": "p"}, "status": {"containerStatuses": "x"}}),
    ],
)
def test_fields_of_odd_types_read_as_unknown(kind: str, obj: dict[str, Any]) -> None:
    """An object whose fields have types the API never gives them gets the Unknown
    badge instead of breaking the list that shows it."""
    assert object_status(kind, obj) == ("Unknown", "unknown")
