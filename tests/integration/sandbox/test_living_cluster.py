"""The cluster moves on its own: rollouts create and retire pods, Jobs complete,
StatefulSets and DaemonSets place their pods, CronJobs start Jobs, crash loops
count restarts, Events are recorded; all at the pace the sandbox was given."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.integration.sandbox.conftest import KUBECTL, session_for
from tests.integration.sandbox.support import until

MakeSandbox = Callable[..., Any]
APPS = "/apis/apps/v1/namespaces/default"
BATCH = "/apis/batch/v1/namespaces/default"


def _merge(http: requests.Session, url: str, body: dict[str, Any]) -> requests.Response:
    return http.patch(
        url, json=body, headers={"Content-Type": "application/merge-patch+json"}
    )


def _deployment(name: str, image: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def _pods(http: requests.Session, box: Any, selector: str) -> list[dict[str, Any]]:
    url = f"{box.url}/api/v1/namespaces/default/pods"
    items: list[dict[str, Any]] = http.get(
        url, params={"labelSelector": selector}
    ).json()["items"]
    return items


def _live_pods(http: requests.Session, box: Any, selector: str) -> list[dict[str, Any]]:
    return [
        p
        for p in _pods(http, box, selector)
        if not p["metadata"].get("deletionTimestamp")
    ]


def _events(http: requests.Session, box: Any, name: str) -> list[str]:
    url = f"{box.url}/api/v1/namespaces/default/events"
    items = http.get(
        url, params={"fieldSelector": f"involvedObject.name={name}"}
    ).json()
    return [f"{e['reason']}: {e['message']}" for e in items["items"]]


def test_rollout_replaces_the_pods_of_the_old_replicaset(
    make_sandbox: MakeSandbox,
) -> None:
    """A new image rolls out: a second ReplicaSet scales up, the first to 0, with events."""
    box = make_sandbox(pace=10)
    http = session_for(box, box.token)
    url = f"{box.url}{APPS}/deployments"
    assert http.post(url, json=_deployment("web", "nginx:1.27", 3)).status_code == 201

    def rolled(image: str) -> bool:
        deploy = http.get(f"{url}/web").json()
        status = deploy["status"]
        pods = _live_pods(http, box, "app=web")
        return (
            status.get("observedGeneration") == deploy["metadata"]["generation"]
            and status.get("updatedReplicas") == status.get("readyReplicas") == 3
            and status.get("replicas") == 3
            and all(p["spec"]["containers"][0]["image"] == image for p in pods)
        )

    until(lambda: rolled("nginx:1.27"))
    first = {p["metadata"]["name"] for p in _live_pods(http, box, "app=web")}
    _merge(http, f"{url}/web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.28"}]}}}})  # fmt: skip
    until(lambda: rolled("nginx:1.28"), timeout=25)
    sets = http.get(f"{box.url}{APPS}/replicasets").json()["items"]
    replicas = sorted(
        (
            rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            rs["spec"]["replicas"],
        )
        for rs in sets
    )
    assert replicas == [("1", 0), ("2", 3)]
    assert not first & {p["metadata"]["name"] for p in _live_pods(http, box, "app=web")}
    events = _events(http, box, "web")
    assert any(
        e.startswith("ScalingReplicaSet: Scaled down replica set web-") for e in events
    )
    assert (
        http.get(f"{url}/web").json()["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )


def test_job_runs_to_completion(make_sandbox: MakeSandbox) -> None:
    """A Job's pods run and exit 0; the Job reports Complete with its completions."""
    box = make_sandbox(pace=10)
    http = session_for(box, box.token)
    job = {
        "metadata": {"name": "backup"},
        "spec": {"completions": 2, "parallelism": 2, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "dump", "image": "busybox:1.37"}]}}},
    }  # fmt: skip
    created = http.post(f"{box.url}{BATCH}/jobs", json=job)
    assert created.status_code == 201, created.text
    uid = created.json()["metadata"]["uid"]
    assert created.json()["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
    }

    def complete() -> dict[str, Any] | None:
        status = http.get(f"{box.url}{BATCH}/jobs/backup").json()["status"]
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        return status if conditions.get("Complete") == "True" else None

    status = until(complete, timeout=30)
    assert status["succeeded"] == 2 and "active" not in status
    pods = _pods(http, box, "batch.kubernetes.io/job-name=backup")
    assert [p["status"]["phase"] for p in pods] == ["Succeeded", "Succeeded"]
    assert "Completed: Job completed" in _events(http, box, "backup")
    invalid = http.post(f"{box.url}{BATCH}/jobs", json={
        "metadata": {"name": "bad"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}})  # fmt: skip
    assert invalid.status_code == 422
    assert (
        "spec.template.spec.restartPolicy: Required value" in invalid.json()["message"]
    )


def test_cronjob_starts_a_job_when_due(make_sandbox: MakeSandbox) -> None:
    """A CronJob whose last run was a schedule ago gets a Job named after the scheduled minute."""
    box = make_sandbox(pace=5)
    http = session_for(box, box.token)
    cron = {
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox:1.37"}]}}}}},
    }  # fmt: skip
    assert http.post(f"{box.url}{BATCH}/cronjobs", json=cron).status_code == 201
    last = (datetime.now(UTC) - timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%M:00Z")
    _merge(
        http,
        f"{box.url}{BATCH}/cronjobs/nightly/status",
        {"status": {"lastScheduleTime": last}},
    )

    def started() -> list[dict[str, Any]]:
        jobs = http.get(f"{box.url}{BATCH}/jobs").json()["items"]
        return [j for j in jobs if j["metadata"]["name"].startswith("nightly-")]

    job = until(started)[0]
    minute = int(job["metadata"]["name"].rsplit("-", 1)[1])
    assert minute % 5 == 0 and minute * 60 > time.time() - 300
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert any(
        e.startswith("SuccessfulCreate: Created job nightly-")
        for e in _events(http, box, "nightly")
    )


def test_statefulset_creates_ordered_pods_with_claims(
    make_sandbox: MakeSandbox,
) -> None:
    """Pods -0, -1 come up in order, each with a bound claim from volumeClaimTemplates."""
    box = make_sandbox(pace=5)
    http = session_for(box, box.token)
    sts = {
        "metadata": {"name": "cache"},
        "spec": {
            "replicas": 2, "serviceName": "cache",
            "selector": {"matchLabels": {"app": "cache"}},
            "template": {"metadata": {"labels": {"app": "cache"}},
                         "spec": {"containers": [{"name": "redis", "image": "redis:7.4"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}],
        },
    }  # fmt: skip
    assert http.post(f"{box.url}{APPS}/statefulsets", json=sts).status_code == 201
    until(
        lambda: (
            http.get(f"{box.url}{APPS}/statefulsets/cache")
            .json()["status"]
            .get("readyReplicas")
            == 2
        ),
        20,
    )
    pods = _pods(http, box, "app=cache")
    assert [p["metadata"]["name"] for p in pods] == ["cache-0", "cache-1"]
    created = [p["metadata"]["creationTimestamp"] for p in pods]
    assert created == sorted(created)
    claims = http.get(
        f"{box.url}/api/v1/namespaces/default/persistentvolumeclaims"
    ).json()["items"]
    bound = {c["metadata"]["name"]: c["status"]["phase"] for c in claims}
    assert bound == {"data-cache-0": "Bound", "data-cache-1": "Bound"}
    volume = pods[0]["spec"]["volumes"][0]
    assert volume == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "data-cache-0"},
    }


def test_daemonset_places_one_pod_per_node(make_sandbox: MakeSandbox) -> None:
    """A DaemonSet gets a running pod on each node."""
    box = make_sandbox(pace=5)
    http = session_for(box, box.token)
    ds = {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "a", "image": "fluent-bit:3.2"}]}}},
    }  # fmt: skip
    assert http.post(f"{box.url}{APPS}/daemonsets", json=ds).status_code == 201
    until(
        lambda: (
            http.get(f"{box.url}{APPS}/daemonsets/agent")
            .json()["status"]
            .get("numberReady")
            == 2
        )
    )
    assert sorted(p["spec"]["nodeName"] for p in _pods(http, box, "app=agent")) == [
        "node-1",
        "node-2",
    ]


def test_crash_loop_restarts_and_the_forwarder_never_runs(
    make_sandbox: MakeSandbox,
) -> None:
    """r5t7w restarts with a growing count; audit-forwarder stays in CrashLoopBackOff."""
    box = make_sandbox(pace=10)
    http = session_for(box, box.token)
    url = f"{box.url}/api/v1/namespaces/payments/pods/api-server-7c9d5-r5t7w"

    def restarts() -> int:
        return int(
            http.get(url).json()["status"]["containerStatuses"][0]["restartCount"]
        )

    until(lambda: restarts() >= 8, timeout=20)
    forwarder = f"{box.url}/api/v1/namespaces/platform/pods/audit-forwarder-6f9c8-zq4vw"
    state = http.get(forwarder).json()["status"]["containerStatuses"][0]["state"]
    assert state["waiting"]["reason"] == "CrashLoopBackOff"
    assert "back-off 5m0s" in state["waiting"]["message"]
    logs = http.get(f"{forwarder}/log").text
    assert "AUDIT_SINK_URL is not set" in logs


def test_frozen_sandbox_does_not_move(make_sandbox: MakeSandbox) -> None:
    """With pace 0 nothing changes on its own: the resourceVersion stays put (a paced
    sandbox changes several times a second)."""
    box = make_sandbox(pace=0)
    http = session_for(box, box.token)
    before = http.get(f"{box.url}/api/v1/pods").json()["metadata"]["resourceVersion"]
    time.sleep(0.8)
    assert (
        http.get(f"{box.url}/api/v1/pods").json()["metadata"]["resourceVersion"]
        == before
    )


def test_service_endpoints_follow_their_pods(make_sandbox: MakeSandbox) -> None:
    """A new Service's Endpoints list its ready pods' addresses and target ports."""
    box = make_sandbox(pace=5)
    http = session_for(box, box.token)
    assert http.post(
        f"{box.url}{APPS}/deployments", json=_deployment("shop", "nginx:1.27", 2)
    ).ok
    service = {"metadata": {"name": "shop"}, "spec": {"selector": {"app": "shop"},
               "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}  # fmt: skip
    made = http.post(
        f"{box.url}/api/v1/namespaces/default/services", json=service
    ).json()
    assert made["spec"]["clusterIP"].startswith("10.96.")

    def endpoints() -> list[dict[str, Any]]:
        got = http.get(f"{box.url}/api/v1/namespaces/default/endpoints/shop")
        subsets = got.json().get("subsets") or [] if got.ok else []
        return subsets if subsets and len(subsets[0].get("addresses", [])) == 2 else []

    subset = until(endpoints)[0]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    ips = {p["status"]["podIP"] for p in _pods(http, box, "app=shop")}
    assert {a["ip"] for a in subset["addresses"]} == ips


def test_orphan_deletion_keeps_the_dependents(make_sandbox: MakeSandbox) -> None:
    """Deleting a Deployment with propagationPolicy=Orphan leaves its ReplicaSet, unowned;
    a plain delete of the ReplicaSet then takes its pods with it."""
    box = make_sandbox(pace=10)
    http = session_for(box, box.token)
    url = f"{box.url}{APPS}/deployments"
    assert http.post(url, json=_deployment("keep", "nginx:1.27", 1)).status_code == 201
    until(lambda: _live_pods(http, box, "app=keep"))
    options = {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Orphan",
    }
    assert http.delete(f"{url}/keep", json=options).status_code == 200
    time.sleep(0.3)
    sets = http.get(f"{box.url}{APPS}/replicasets").json()["items"]
    assert len(sets) == 1 and "ownerReferences" not in sets[0]["metadata"]
    http.delete(f"{box.url}{APPS}/replicasets/{sets[0]['metadata']['name']}")
    until(lambda: not _pods(http, box, "app=keep"))


def test_kubectl_rollout_restart_undo_and_history(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    """`rollout restart`, `status` and `undo` behave as on a cluster: undo brings the
    old ReplicaSet back as the newest revision."""
    box = make_sandbox(pace=10)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "KUBECONFIG": str(box.state_dir / "kubeconfig")}  # fmt: skip

    def kubectl(*args: str) -> str:
        done = subprocess.run(
            [KUBECTL, "-n", "platform", *args], env=env, capture_output=True,
            text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout

    deploy = "deploy/metrics-gateway"
    assert (
        kubectl("rollout", "restart", deploy)
        == "deployment.apps/metrics-gateway restarted\n"
    )
    status = kubectl("rollout", "status", deploy, "--timeout=30s")
    assert (
        status.splitlines()[-1]
        == 'deployment "metrics-gateway" successfully rolled out'
    )
    assert (
        kubectl("rollout", "undo", deploy)
        == "deployment.apps/metrics-gateway rolled back\n"
    )
    kubectl("rollout", "status", deploy, "--timeout=30s")
    history = kubectl("rollout", "history", deploy).split()
    assert history[-6:] == ["REVISION", "CHANGE-CAUSE", "2", "<none>", "3", "<none>"]
    sets = kubectl(
        "get", "rs", "-l", "app=metrics-gateway", "--no-headers"
    ).splitlines()
    assert any(line.split()[:2] == ["metrics-gateway-84d7c", "1"] for line in sets)
