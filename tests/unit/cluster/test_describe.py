"""Describe text reads like `kubectl describe`, and the YAML view is clean and safe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from krates_desktop.cluster.describe import MASK, describe, to_yaml

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def sample_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "api-server-7c9d5-x2k4p",
            "namespace": "payments",
            "uid": "u1",
            "labels": {"app": "api-server", "pod-template-hash": "7c9d5"},
            "annotations": {
                "kubectl.kubernetes.io/default-container": "api",
                "kubectl.kubernetes.io/last-applied-configuration": '{"huge": true}',
            },
            "creationTimestamp": "2026-03-01T11:55:00Z",
            "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
        },
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "api", "image": "ghcr.io/acme/api:1.4.2"},
                {"name": "sidecar", "image": "envoy:1.30"},
            ],
            "volumes": [
                {"name": "config", "configMap": {"name": "api-config"}},
                {
                    "name": "data",
                    "persistentVolumeClaim": {"claimName": "ledger-data-0"},
                },
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.5",
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
            ],
            "containerStatuses": [
                {
                    "name": "api",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-03-01T11:55:10Z"}},
                },
                {
                    "name": "sidecar",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                },
            ],
        },
    }


EVENTS = [
    {
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container sidecar",
        "source": {"component": "kubelet"},
        "count": 4,
        "firstTimestamp": "2026-03-01T11:56:00Z",
        "lastTimestamp": "2026-03-01T11:59:00Z",
    },
    {
        "type": "Normal",
        "reason": "Scheduled",
        "message": "Successfully assigned payments/api-server-7c9d5-x2k4p to node-1",
        "source": {"component": "default-scheduler"},
        "lastTimestamp": "2026-03-01T11:55:00Z",
    },
]

POD_TEXT = """\
Name:               api-server-7c9d5-x2k4p
Namespace:          payments
Labels:             app=api-server
                    pod-template-hash=7c9d5
Annotations:        kubectl.kubernetes.io/default-container: api
Created:            2026-03-01T11:55:00Z (5m ago)
Status:             CrashLoopBackOff
IP:                 10.0.0.5
Node:               node-1
Containers:
  api:
    Image:          ghcr.io/acme/api:1.4.2
    State:          Running (since 2026-03-01T11:55:10Z)
    Ready:          True
    Restarts:       0
  sidecar:
    Image:          envoy:1.30
    State:          Waiting (CrashLoopBackOff)
    Ready:          False
    Restarts:       4
Conditions:
  Type         Status  Reason
  ----         ------  ------
  Initialized  True
  Ready        False   ContainersNotReady
Volumes:
  config:
    Type:           ConfigMap (api-config)
  data:
    Type:           PersistentVolumeClaim (ledger-data-0)
Events:
  Type     Reason     Age               From               Message
  ----     ------     ---               ----               -------
  Normal   Scheduled  5m                default-scheduler  Successfully assigned payments/api-server-7c9d5-x2k4p to node-1
  Warning  BackOff    60s (x4 over 4m)  kubelet            Back-off restarting failed container sidecar
"""


def test_pod_describe_matches_kubectl_layout() -> None:
    """A pod's describe has the header, containers, conditions, volumes and events, oldest first."""
    assert describe("Pod", sample_pod(), EVENTS, now=NOW) == POD_TEXT


def test_deployment_describe() -> None:
    """A deployment shows replicas, strategy, selector, images and conditions; no events is `<none>`."""
    deployment = {
        "kind": "Deployment",
        "metadata": {
            "name": "api-server",
            "namespace": "payments",
            "creationTimestamp": "2026-02-27T12:00:00Z",
        },
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": "api-server"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["web"]}
                ],
            },
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "spec": {
                    "containers": [
                        {"name": "api", "image": "ghcr.io/acme/api:1.4.2"},
                        {"name": "proxy", "image": "envoy:1.30"},
                    ]
                }
            },
        },
        "status": {
            "readyReplicas": 2,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                }
            ],
        },
    }

    text = describe("Deployment", deployment, [], now=NOW)

    assert text.splitlines() == [
        "Name:               api-server",
        "Namespace:          payments",
        "Labels:             <none>",
        "Annotations:        <none>",
        "Created:            2026-02-27T12:00:00Z (2d ago)",
        "Replicas:           2/3 ready",
        "Strategy:           RollingUpdate",
        "Selector:           app=api-server,tier in (web)",
        "Images:             api: ghcr.io/acme/api:1.4.2",
        "                    proxy: envoy:1.30",
        "Conditions:",
        "  Type       Status  Reason",
        "  ----       ------  ------",
        "  Available  False   MinimumReplicasUnavailable",
        "Events:             <none>",
    ]


def test_service_lists_endpoints_of_ready_matching_pods() -> None:
    """A Service's endpoints are the ready pods its selector matches, at the target port."""
    service = {
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "selector": {"app": "api-server"},
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}
            ],
        },
    }
    ready = sample_pod()
    ready["status"]["conditions"][1]["status"] = "True"
    ready["spec"]["containers"][0]["ports"] = [{"name": "web", "containerPort": 8080}]
    unready = sample_pod()

    lines = describe(
        "Service", service, [], pods=[ready, unready], now=NOW
    ).splitlines()

    assert "Type:               ClusterIP" in lines
    assert "Ports:              http 80/TCP → web" in lines
    assert "Selector:           app=api-server" in lines
    assert "Endpoints:          10.0.0.5:8080" in lines


def test_secret_describe_shows_byte_counts_never_values() -> None:
    """A Secret's describe lists its keys with decoded sizes and no values."""
    secret = {
        "kind": "Secret",
        "metadata": {"name": "api-tls", "namespace": "payments"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "aGVsbG8gd29ybGQ=", "tls.key": "c2VjcmV0"},
    }

    text = describe("Secret", secret, [], now=NOW)

    assert "  tls.crt:          11 bytes" in text.splitlines()
    assert "  tls.key:          6 bytes" in text.splitlines()
    assert "c2VjcmV0" not in text and "secret" not in text.replace("Secret", "")


def test_custom_resource_shows_spec_and_status_lines() -> None:
    """A custom resource shows spec and status as indented key: value lines."""
    cert = {
        "metadata": {"name": "api-cert", "namespace": "payments"},
        "spec": {"dnsNames": ["api.example"], "issuerRef": {"name": "ca"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }

    lines = describe("Certificate", cert, [], now=NOW).splitlines()

    assert lines[lines.index("Spec:") + 1 :][:5] == [
        "  dnsNames:",
        "    - api.example",
        "  issuerRef:",
        "    name: ca",
        "Status:",
    ]


def test_yaml_drops_managed_fields_and_keeps_api_order() -> None:
    """The YAML view has no managedFields and keeps the keys in the order the API sent."""
    text = to_yaml(sample_pod())

    assert "managedFields" not in text
    assert text.splitlines()[:4] == [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: api-server-7c9d5-x2k4p",
    ]
    assert "  containers:\n  - name: api\n    image: ghcr.io/acme/api:1.4.2\n" in text
    reloaded = yaml.safe_load(text)
    assert reloaded["status"]["containerStatuses"][1]["restartCount"] == 4


def test_yaml_masks_secret_values_until_revealed() -> None:
    """Secret data shows as dots; revealed, text values are decoded and binary stays base64."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "api-tls"},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg==", "keystore": "/+7d"},
        "stringData": {"extra": "plain"},
    }

    masked = to_yaml(secret)
    revealed = to_yaml(secret, reveal=True)

    assert f"  password: {MASK}\n" in masked
    assert "aHVudGVyMg" not in masked and "plain" not in masked
    assert "  password: hunter2\n" in revealed
    assert "  keystore: /+7d\n" in revealed
    assert secret["data"]["password"] == "aHVudGVyMg=="


def test_yaml_writes_multiline_strings_as_blocks() -> None:
    """A multi-line ConfigMap value is a literal block, not an escaped string."""
    config = {
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"app.yaml": "a: 1\nb: 2\n"},
    }

    assert "  app.yaml: |\n    a: 1\n    b: 2\n" in to_yaml(config)


def test_yaml_is_what_pyyamls_own_emitter_writes() -> None:
    """The fast (libyaml) emitter writes the same text as PyYAML's pure one, also for
    kept-newline blocks, quoting, unicode and empty values."""

    class PureDumper(yaml.SafeDumper):
        pass

    PureDumper.add_representer(
        str,
        lambda d, v: d.represent_scalar(
            "tag:yaml.org,2002:str", v, style="|" if "\n" in v else None
        ),
    )
    tricky: dict[str, Any] = {
        "kept": "tail\n\n",
        "block": "a: 1\n...\n",
        "quoted": "x: y",
        "bool_like": "yes",
        "number_like": "0123",
        "empty": "",
        "none": None,
        "lead": "  spaced",
        "tab": "a\tb",
        "unicode": "naïve ☃",
        "list": ["one", {"k": 1.5}, "two\n\n"],
    }
    pod = sample_pod()
    del pod["metadata"]["managedFields"]  # which to_yaml leaves out
    for obj in (pod, tricky, {"last": "kept\n\n"}, {"a": {"b": "c\n\n\n"}}):
        pure = yaml.dump(
            obj,
            Dumper=PureDumper,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=True,
            width=1_000_000,
        )
        assert to_yaml(obj) == pure
