"""kubectl against the sandbox, compared with what it prints against a real API
server: the columns of every kind (from kube-apiserver's table printers and the
CRDs' printer columns), wide output, JSON and YAML, selectors, paging, watch
events, api-resources, CRD lifecycle and warnings.

Runs the pinned kubectl, and the machine's own when there is one.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.integration.sandbox.conftest import LineReader

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

# Per resource of `kubectl get <all of them> -A`: the singular name kubectl puts in
# front of each row, and the header it prints (the real printers' columns).
KINDS = {
    "namespaces": ("namespace", "NAME STATUS AGE"),
    "nodes": ("node", "NAME STATUS ROLES AGE VERSION"),
    "pods": ("pod", "NAMESPACE NAME READY STATUS RESTARTS AGE"),
    "deployments.apps": (
        "deployment.apps",
        "NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE",
    ),
    "replicasets.apps": ("replicaset.apps", "NAMESPACE NAME DESIRED CURRENT READY AGE"),
    "statefulsets.apps": ("statefulset.apps", "NAMESPACE NAME READY AGE"),
    "daemonsets.apps": (
        "daemonset.apps",
        "NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
    ),
    "jobs.batch": ("job.batch", "NAMESPACE NAME STATUS COMPLETIONS DURATION AGE"),
    "cronjobs.batch": (
        "cronjob.batch",
        "NAMESPACE NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
    ),
    "services": ("service", "NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE"),
    "endpoints": ("endpoints", "NAMESPACE NAME ENDPOINTS AGE"),
    "ingresses.networking.k8s.io": (
        "ingress.networking.k8s.io",
        "NAMESPACE NAME CLASS HOSTS ADDRESS PORTS AGE",
    ),
    "ingressclasses.networking.k8s.io": (
        "ingressclass.networking.k8s.io",
        "NAME CONTROLLER PARAMETERS AGE",
    ),
    "configmaps": ("configmap", "NAMESPACE NAME DATA AGE"),
    "secrets": ("secret", "NAMESPACE NAME TYPE DATA AGE"),
    "persistentvolumeclaims": (
        "persistentvolumeclaim",
        "NAMESPACE NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
    ),
    "persistentvolumes": (
        "persistentvolume",
        "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE",
    ),
    "storageclasses.storage.k8s.io": (
        "storageclass.storage.k8s.io",
        "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE",
    ),
    "events": ("event", "NAMESPACE LAST SEEN TYPE REASON OBJECT MESSAGE"),
    "serviceaccounts": ("serviceaccount", "NAMESPACE NAME SECRETS AGE"),
    "roles.rbac.authorization.k8s.io": (
        "role.rbac.authorization.k8s.io",
        "NAMESPACE NAME CREATED AT",
    ),
    "rolebindings.rbac.authorization.k8s.io": (
        "rolebinding.rbac.authorization.k8s.io",
        "NAMESPACE NAME ROLE AGE",
    ),
    "clusterroles.rbac.authorization.k8s.io": (
        "clusterrole.rbac.authorization.k8s.io",
        "NAME CREATED AT",
    ),
    "clusterrolebindings.rbac.authorization.k8s.io": (
        "clusterrolebinding.rbac.authorization.k8s.io",
        "NAME ROLE AGE",
    ),
    "customresourcedefinitions.apiextensions.k8s.io": (
        "customresourcedefinition.apiextensions.k8s.io",
        "NAME CREATED AT",
    ),
    "certificates.example.com": (
        "certificate.example.com",
        "NAMESPACE NAME READY SECRET AGE",
    ),
    "clusterissuers.example.com": ("clusterissuer.example.com", "NAME READY AGE"),
    "roles.iam.example.com": ("role.iam.example.com", "NAME PROVIDER AGE"),
}
# Rows that must read as on a real cluster: the cells after the name.
ROWS = {
    "node/node-1": ["Ready", "control-plane"],
    "deployment.apps/cart": ["0/2", "2", "0"],
    "statefulset.apps/ledger-db": ["2/3"],
    "daemonset.apps/kube-proxy": ["2", "2", "2", "2", "2", "kubernetes.io/os=linux"],
    "service/api-server": ["ClusterIP", "10.96.112.40", "<none>", "80/TCP,9090/TCP"],
    "secret/ledger-keystore": ["Opaque", "1"],
    "persistentvolumeclaim/ledger-data-0": ["Bound"],
    "storageclass.storage.k8s.io/standard": ["(default)", "rancher.io/local-path", "Delete", "Immediate", "true"],
    "ingress.networking.k8s.io/payments": ["nginx", "payments.example.com", "203.0.113.10", "80,", "443"],
    "role.iam.example.com/platform-admin": ["aws"],
}  # fmt: skip


def _sections(output: str) -> list[list[str]]:
    """The tables of a multi-kind `kubectl get`, separated by blank lines."""
    sections: list[list[str]] = [[]]
    for line in output.splitlines():
        if line.strip():
            sections[-1].append(line)
        elif sections[-1]:
            sections.append([])
    return [s for s in sections if s]


def test_get_every_kind_prints_kubectls_columns(any_kubectl: Kubectl) -> None:
    """`kubectl get <every kind> -A` prints each kind's table with the real server's columns."""
    result = any_kubectl("get", ",".join(KINDS), "-A")
    assert result.returncode == 0, result.stderr
    headers: dict[str, str] = {}
    rows: dict[str, list[str]] = {}
    for table in _sections(result.stdout):
        header = " ".join(table[0].split())
        if header.startswith("NAMESPACE LAST SEEN"):
            headers["event"] = header  # events name their object, not themselves
            continue
        for line in table[1:]:
            cells = line.split()
            name = next(c for c in cells if "/" in c)
            headers[name.split("/")[0]] = header
            rows[name] = cells[cells.index(name) + 1 :]
    # With -A, once kubectl has printed a namespaced table, it gives every later
    # table a NAMESPACE column (empty for cluster-scoped kinds).
    expected, seen_namespaced = {}, False
    for singular, header in KINDS.values():
        seen_namespaced = seen_namespaced or header.startswith("NAMESPACE")
        if seen_namespaced and not header.startswith("NAMESPACE"):
            header = f"NAMESPACE {header}"
        expected[singular] = header
    assert headers == expected
    for name, cells in ROWS.items():
        assert rows[name][: len(cells)] == cells, (name, rows[name])
    assert "Warning: v1 Endpoints is deprecated in v1.33+" in result.stderr


def test_wide_output_adds_the_priority_columns(any_kubectl: Kubectl) -> None:
    """-o wide adds IP/NODE for pods, container columns for deployments and node details."""
    pods = any_kubectl("get", "pods", "-n", "payments", "-o", "wide")
    assert pods.stdout.split("\n")[0].split() == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
        "NOMINATED", "NODE", "READINESS", "GATES",
    ]  # fmt: skip
    row = next(
        line.split()
        for line in pods.stdout.splitlines()
        if line.startswith("ledger-db-0")
    )
    assert row[-4:] == ["10.244.1.20", "node-1", "<none>", "<none>"]
    deploy = any_kubectl("get", "deploy", "api-server", "-n", "payments", "-o", "wide")
    assert deploy.stdout.split("\n")[1].split()[-3:] == [
        "api",
        "ghcr.io/acme/api-server:1.14.2",
        "app=api-server",
    ]
    nodes = any_kubectl("get", "node", "node-2", "-o", "wide")
    assert nodes.stdout.split("\n")[1].split()[5:8] == [
        "172.18.0.3",
        "<none>",
        "Debian",
    ]


def test_json_and_yaml_output(any_kubectl: Kubectl) -> None:
    """-o json lists items with kind and apiVersion; -o yaml of one object round-trips."""
    listed = json.loads(
        any_kubectl("get", "secrets", "-n", "payments", "-o", "json").stdout
    )
    assert listed["kind"] == "List"
    keystore = next(
        i for i in listed["items"] if i["metadata"]["name"] == "ledger-keystore"
    )
    assert (keystore["kind"], keystore["apiVersion"], keystore["type"]) == (
        "Secret",
        "v1",
        "Opaque",
    )
    one = yaml.safe_load(
        any_kubectl("get", "cert", "api-cert", "-n", "payments", "-o", "yaml").stdout
    )
    assert (one["apiVersion"], one["kind"], one["spec"]["secretName"]) == (
        "example.com/v1",
        "Certificate",
        "api-tls",
    )


def test_selectors_and_chunks(kubectl: Kubectl) -> None:
    """-l and --field-selector filter server-side; --chunk-size pages with continue tokens."""
    labelled = kubectl(
        "get", "pods", "-A", "-l", "app in (ledger-db, rapid-io)", "-o", "name"
    )
    assert sorted(labelled.stdout.split()) == [
        "pod/ledger-db-0", "pod/ledger-db-1", "pod/ledger-db-2", "pod/rapid-io-5b8f7-k3j9d"
    ]  # fmt: skip
    pending = kubectl(
        "get", "pods", "-A", "--field-selector=status.phase=Pending", "-o", "name"
    )
    assert "pod/ledger-db-2" in pending.stdout.split()
    bad = kubectl("get", "pods", "--field-selector=spec.colour=blue")
    assert "field label not supported: spec.colour" in bad.stderr
    paged = kubectl("get", "pods", "-A", "--chunk-size=4", "-v=6")
    requests = [line for line in paged.stderr.splitlines() if "/api/v1/pods?" in line]
    assert len(requests) >= 3 and all("limit=4" in line for line in requests)
    assert sum("continue=" in line for line in requests) == len(requests) - 1
    whole = kubectl("get", "pods", "-A", "--no-headers")
    assert len(paged.stdout.splitlines()) - 1 == len(whole.stdout.splitlines())


def test_watch_with_output_watch_events(
    kubectl: Kubectl, kubectl_stream: Callable[..., LineReader]
) -> None:
    """`get -w --output-watch-events` prints ADDED, MODIFIED and DELETED rows as they happen."""
    name = f"watched-{uuid.uuid4().hex[:6]}"
    watch = kubectl_stream("get", "cm", "-n", "default", "-w", "--output-watch-events")
    watch.wait_for(lambda line: line.split()[:2] == ["EVENT", "NAME"])
    assert (
        kubectl(
            "create", "configmap", name, "-n", "default", "--from-literal=a=1"
        ).returncode
        == 0
    )
    assert watch.wait_for(lambda line: name in line).split()[:3] == ["ADDED", name, "1"]
    kubectl("patch", "configmap", name, "-n", "default", "-p", '{"data":{"b":"2"}}')
    assert watch.wait_for(lambda line: name in line).split()[:3] == [
        "MODIFIED",
        name,
        "2",
    ]
    kubectl("delete", "configmap", name, "-n", "default")
    assert watch.wait_for(lambda line: name in line).split()[0] == "DELETED"


def test_api_resources_list_every_kind(any_kubectl: Kubectl) -> None:
    """api-resources names each built-in and custom kind with kubectl's columns, no warnings."""
    result = any_kubectl("api-resources")
    assert result.returncode == 0 and "warning" not in result.stderr.lower()
    rows = {
        tuple(r[:1] + r[-3:])
        for r in (line.split() for line in result.stdout.splitlines()[1:])
    }
    for expected in [
        ("persistentvolumes", "v1", "false", "PersistentVolume"),
        ("storageclasses", "storage.k8s.io/v1", "false", "StorageClass"),
        (
            "clusterrolebindings",
            "rbac.authorization.k8s.io/v1",
            "false",
            "ClusterRoleBinding",
        ),
        ("roles", "rbac.authorization.k8s.io/v1", "true", "Role"),
        ("roles", "iam.example.com/v1alpha1", "false", "Role"),
        (
            "selfsubjectreviews",
            "authentication.k8s.io/v1",
            "false",
            "SelfSubjectReview",
        ),
        ("clusterissuers", "example.com/v1", "false", "ClusterIssuer"),
    ]:
        assert expected in rows, expected


def test_kind_collision_is_told_apart(kubectl: Kubectl) -> None:
    """`get roles` is the built-in namespaced Role; `roles.iam.example.com` the cluster CRD's."""
    builtin = kubectl("get", "roles", "-A", "-o", "name")
    assert builtin.stdout.split() == [
        "role.rbac.authorization.k8s.io/api-server-reader"
    ]
    custom = kubectl("get", "roles.iam.example.com", "-o", "name")
    assert custom.stdout.split() == [
        "role.iam.example.com/ledger-backup",
        "role.iam.example.com/platform-admin",
    ]


def test_crd_lifecycle_drives_discovery(kubectl: Kubectl, tmp_path: Path) -> None:
    """Applying a CRD serves its kind (api-resources, get); deleting it removes both."""
    suffix = uuid.uuid4().hex[:6]
    group = f"demo{suffix}.example.org"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget",
                           "shortNames": [f"gd{suffix}"]},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                          "x-kubernetes-preserve-unknown-fields": True}},
                               "additionalPrinterColumns": [{"name": "Colour", "type": "string",
                                                             "jsonPath": ".spec.colour"}]}]},
    }  # fmt: skip
    gadget = {"apiVersion": f"{group}/v1", "kind": "Gadget",
              "metadata": {"name": "blue-one", "namespace": "default"},
              "spec": {"colour": "blue"}}  # fmt: skip
    (tmp_path / "crd.yaml").write_text(yaml.safe_dump(crd))
    (tmp_path / "gadget.yaml").write_text(yaml.safe_dump(gadget))
    defined = kubectl("apply", "-f", str(tmp_path / "crd.yaml"))
    assert (
        defined.stdout
        == f"customresourcedefinition.apiextensions.k8s.io/gadgets.{group} created\n"
    )
    applied = kubectl("apply", "-f", str(tmp_path / "gadget.yaml"))
    assert applied.stdout == f"gadget.{group}/blue-one created\n", applied.stderr
    listed = kubectl("get", f"gd{suffix}", "-n", "default")
    assert listed.stdout.split() == ["NAME", "COLOUR", "blue-one", "blue"]
    kubectl("delete", "crd", f"gadgets.{group}")
    resources = kubectl("api-resources", "--api-group", group)
    assert "gadgets" not in resources.stdout
    gone = kubectl("get", f"gadgets.{group}")
    assert gone.returncode == 1


def test_apply_label_and_delete_a_multi_document_file(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    """apply -f of several documents (kubectl's default strict validation) creates them
    in order, a second apply leaves them unchanged; label and delete work on them."""
    ns = f"apply-{uuid.uuid4().hex[:6]}"
    documents = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
         "data": {"mode": "fast"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}},
    ]  # fmt: skip
    manifest = tmp_path / "app.yaml"
    manifest.write_text(yaml.safe_dump_all(documents))
    objects = [f"namespace/{ns}", "configmap/settings", "deployment.apps/web"]
    created = kubectl("apply", "-f", str(manifest))
    assert created.stdout.splitlines() == [f"{o} created" for o in objects], (
        created.stderr
    )
    again = kubectl("apply", "-f", str(manifest))
    assert again.stdout.splitlines() == [f"{o} unchanged" for o in objects], (
        again.stderr
    )
    labelled = kubectl("label", "configmap", "settings", "-n", ns, "tier=cache")
    assert labelled.stdout == "configmap/settings labeled\n"
    deleted = kubectl("delete", "namespace", ns, "--timeout=20s")
    assert deleted.stdout == f'namespace "{ns}" deleted\n', deleted.stderr
