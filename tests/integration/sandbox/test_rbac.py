"""Identity and RBAC: the kubeconfig's three users, every request authorised
against the RBAC objects in the store, and the access reviews kubectl and the
Python client send, compared with what a real API server answers."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from kubernetes import client, config

from tests.integration.sandbox.conftest import session_for

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
Users = Callable[[str], requests.Session]
VIEWER, DEV = "krates-sandbox-viewer", "krates-sandbox-payments"
STABLE_POD = "api-server-7c9d5-x2k4p"
REVIEWS = "/apis/authorization.k8s.io/v1"


def _forbidden(response: requests.Response) -> str:
    assert response.status_code == 403, response.text
    body = response.json()
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    return str(body["message"])


def test_kubeconfig_has_a_context_and_token_per_user(sandbox_kubeconfig: Path) -> None:
    """Three contexts on one cluster, the admin's current, each user with its own token."""
    document = yaml.safe_load(sandbox_kubeconfig.read_text())
    contexts = {c["name"]: c["context"] for c in document["contexts"]}
    assert document["current-context"] == "krates-sandbox"
    assert contexts == {
        "krates-sandbox": {"cluster": "demo-cluster", "user": "sandbox-admin"},
        VIEWER: {"cluster": "demo-cluster", "user": "sandbox-viewer"},
        DEV: {
            "cluster": "demo-cluster",
            "user": "payments-dev",
            "namespace": "payments",
        },
    }
    tokens = [u["user"]["token"] for u in document["users"]]
    assert len(set(tokens)) == 3 and all(len(t) > 30 for t in tokens)


def test_viewer_reads_but_is_refused_secrets_and_writes(
    as_user: Users, sandbox: Any
) -> None:
    """The viewer lists pods and reads logs; secrets and writes get the RBAC 403 messages."""
    viewer = as_user("sandbox-viewer")
    base = f"{sandbox.url}/api/v1/namespaces/payments"
    assert viewer.get(f"{base}/pods").status_code == 200
    assert viewer.get(f"{base}/pods/{STABLE_POD}/log", params={"tailLines": "1"}).ok
    assert viewer.get(f"{sandbox.url}/api/v1/nodes").status_code == 200
    assert _forbidden(viewer.get(f"{base}/secrets")) == (
        'secrets is forbidden: User "sandbox-viewer" cannot list resource "secrets" '
        'in API group "" in the namespace "payments"'
    )
    refused = viewer.get(f"{base}/secrets/api-tls")
    assert _forbidden(refused).startswith('secrets "api-tls" is forbidden: User')
    assert refused.json()["details"] == {"name": "api-tls", "kind": "secrets"}
    patch = viewer.patch(
        f"{sandbox.url}/apis/apps/v1/namespaces/payments/deployments/api-server",
        data="{}",
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert _forbidden(patch) == (
        'deployments.apps "api-server" is forbidden: User "sandbox-viewer" cannot '
        'patch resource "deployments" in API group "apps" in the namespace "payments"'
    )


def test_namespace_user_is_confined_to_its_namespace(
    as_user: Users, sandbox: Any
) -> None:
    """payments-dev works in payments, reads that namespace, but cannot list namespaces."""
    dev = as_user("payments-dev")
    api = f"{sandbox.url}/api/v1"
    assert dev.get(f"{api}/namespaces/payments/secrets").status_code == 200
    assert dev.get(f"{api}/namespaces/payments").status_code == 200
    assert _forbidden(dev.get(f"{api}/namespaces")) == (
        'namespaces is forbidden: User "payments-dev" cannot list resource '
        '"namespaces" in API group "" at the cluster scope'
    )
    assert _forbidden(dev.get(f"{api}/pods", params={"watch": "true"})) == (
        'pods is forbidden: User "payments-dev" cannot watch resource "pods" in API '
        'group "" at the cluster scope'
    )
    assert 'in the namespace "checkout"' in _forbidden(
        dev.get(f"{api}/namespaces/checkout/pods")
    )


def test_exec_needs_create_on_pods_exec(kubectl: Kubectl) -> None:
    """kubectl exec as the viewer fails the upgrade with the API server's 403; the developer's works."""
    refused = kubectl(
        "--context", VIEWER, "exec", "-n", "payments", STABLE_POD, "--", "true"
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        f'pods "{STABLE_POD}" is forbidden: User "sandbox-viewer" cannot create '
        'resource "pods/exec" in API group "" in the namespace "payments"'
    )
    allowed = kubectl("--context", DEV, "exec", STABLE_POD, "--", "echo", "in")
    assert (allowed.returncode, allowed.stdout) == (0, "in\n"), allowed.stderr


@pytest.mark.parametrize(
    ("context", "args", "answer"),
    [
        ("krates-sandbox", ("create", "pods/exec", "-n", "payments"), "yes"),
        (VIEWER, ("list", "pods", "-A"), "yes"),
        (VIEWER, ("get", "secrets", "-n", "payments"), "no"),
        (VIEWER, ("create", "pods/exec", "-n", "payments"), "no"),
        (DEV, ("create", "pods/exec"), "yes"),
        (DEV, ("list", "namespaces", "-A"), "no"),
        (DEV, ("get", "namespace/payments"), "yes"),
        (DEV, ("delete", "secrets", "-n", "checkout"), "no"),
    ],
)
def test_auth_can_i_answers_per_user(
    kubectl: Kubectl, context: str, args: tuple[str, ...], answer: str
) -> None:
    """`kubectl auth can-i` (a protobuf SelfSubjectAccessReview) answers yes or no per user."""
    result = kubectl("--context", context, "auth", "can-i", *args)
    assert result.stdout == f"{answer}\n", result.stderr
    assert result.returncode == (0 if answer == "yes" else 1)


def _rules(output: str) -> dict[str, list[str]]:
    lines = output.strip().splitlines()
    assert lines[0].split() == [
        "Resources",
        "Non-Resource",
        "URLs",
        "Resource",
        "Names",
        "Verbs",
    ]
    rows: dict[str, list[str]] = {}
    for line in lines[1:]:
        parts = line.split()
        if not line.startswith(" "):
            rows[parts[0]] = parts[1:]
    return rows


def test_auth_can_i_list_as_each_user(kubectl: Kubectl) -> None:
    """`auth can-i --list` prints each user's rules as kubectl renders a real server's."""
    admin = _rules(kubectl("auth", "can-i", "--list", "-n", "payments").stdout)
    assert admin["*.*"] == ["[]", "[]", "[*]"]
    assert admin["selfsubjectaccessreviews.authorization.k8s.io"] == [
        "[]",
        "[]",
        "[create]",
    ]
    viewer = _rules(kubectl("--context", VIEWER, "auth", "can-i", "--list").stdout)
    assert viewer["pods"] == ["[]", "[]", "[get", "list", "watch]"]
    assert viewer["deployments.apps"] == ["[]", "[]", "[get", "list", "watch]"]
    assert "secrets" not in viewer and "*.*" not in viewer
    dev = _rules(kubectl("--context", DEV, "auth", "can-i", "--list").stdout)
    assert dev["pods"][-1] == "watch]" and "create" in " ".join(dev["pods"])
    assert dev["secrets"][2].startswith("[create")
    outside = _rules(
        kubectl("--context", DEV, "auth", "can-i", "--list", "-n", "checkout").stdout
    )
    assert "pods" not in outside and "secrets" not in outside


def test_auth_whoami_names_each_user(kubectl: Kubectl) -> None:
    """`kubectl auth whoami` (a protobuf SelfSubjectReview) shows user name and groups."""
    viewer = kubectl("--context", VIEWER, "auth", "whoami")
    assert viewer.stdout.split() == [
        "ATTRIBUTE", "VALUE", "Username", "sandbox-viewer",
        "Groups", "[sandbox:viewers", "system:authenticated]",
    ], viewer.stderr  # fmt: skip


def test_access_reviews_over_json(as_user: Users, sandbox: Any) -> None:
    """SSAR and SSRR in JSON answer 201 with the RBAC reason and the user's rules."""
    dev = as_user("payments-dev")
    review = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "spec": {"resourceAttributes": {"namespace": "payments", "verb": "create",
                                        "resource": "pods", "subresource": "exec"}},
    }  # fmt: skip
    answer = dev.post(f"{sandbox.url}{REVIEWS}/selfsubjectaccessreviews", json=review)
    assert answer.status_code == 201
    assert answer.json()["status"] == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "payments-dev/payments" of ClusterRole '
        '"edit" to User "payments-dev"',
    }
    review["spec"]["resourceAttributes"]["namespace"] = "checkout"
    denied = dev.post(f"{sandbox.url}{REVIEWS}/selfsubjectaccessreviews", json=review)
    assert denied.json()["status"] == {"allowed": False}
    rules = dev.post(
        f"{sandbox.url}{REVIEWS}/selfsubjectrulesreviews",
        json={"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
              "spec": {"namespace": "payments"}},
    ).json()["status"]  # fmt: skip
    assert rules["incomplete"] is False
    assert {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz",
            "/version", "/version/"]} in rules["nonResourceRules"]  # fmt: skip
    assert any("pods/exec" in r["resources"] for r in rules["resourceRules"])


def test_python_client_access_review_per_user(sandbox_kubeconfig: Path) -> None:
    """The official client's create_self_subject_access_review answers as the context's user."""
    answers = {}
    for context in ("krates-sandbox", VIEWER):
        api = config.new_client_from_config(str(sandbox_kubeconfig), context=context)
        body = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    namespace="payments", verb="list", resource="secrets"
                )
            )
        )
        review = client.AuthorizationV1Api(api).create_self_subject_access_review(body)
        answers[context] = review.status.allowed
        api.close()
    assert answers == {"krates-sandbox": True, VIEWER: False}


def test_rbac_objects_take_effect_at_once(
    sandbox: Any, http: requests.Session, as_user: Users
) -> None:
    """A RoleBinding created through the API grants the viewer writes in default; deleting it revokes them."""
    viewer = as_user("sandbox-viewer")
    name = f"viewer-edit-{uuid.uuid4().hex[:6]}"
    configmaps = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    body = {"metadata": {"name": name}, "data": {"k": "v"}}
    assert viewer.post(configmaps, json=body).status_code == 403
    bindings = f"{sandbox.url}/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"
    binding = {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "sandbox-viewer"}],
    }  # fmt: skip
    assert http.post(bindings, json=binding).status_code == 201
    try:
        assert viewer.post(configmaps, json=body).status_code == 201
    finally:
        http.delete(f"{bindings}/{name}")
        http.delete(f"{configmaps}/{name}")
    assert viewer.delete(f"{configmaps}/{name}").status_code == 403


def test_aggregated_cluster_roles_follow_their_sources(
    make_sandbox: Callable[..., Any],
) -> None:
    """A ClusterRole labelled aggregate-to-view adds its rules to `view` and so to the viewer."""
    box = make_sandbox()
    admin, viewer = (
        session_for(box, box.token),
        session_for(box, box.token_for("sandbox-viewer")),
    )
    roles = f"{box.url}/apis/rbac.authorization.k8s.io/v1/clusterroles"
    secrets = f"{box.url}/api/v1/namespaces/payments/secrets"
    assert viewer.get(secrets).status_code == 403
    role = {
        "metadata": {"name": "secret-reader",
                     "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
    }  # fmt: skip
    assert admin.post(roles, json=role).status_code == 201
    view = admin.get(f"{roles}/view").json()
    assert {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]} in view[
        "rules"
    ]
    assert viewer.get(secrets).status_code == 200
    admin.delete(f"{roles}/secret-reader")
    assert viewer.get(secrets).status_code == 403


def test_discovery_needs_authentication_only(as_user: Users, sandbox: Any) -> None:
    """Every user may read discovery; a request without a token is 401, a bad token too."""
    assert as_user("payments-dev").get(f"{sandbox.url}/apis").status_code == 200
    bad = requests.get(
        f"{sandbox.url}/healthz",
        headers={"Authorization": "Bearer not-a-token"},
        verify=str(sandbox.ca_file),
    )
    assert bad.status_code == 401
    assert requests.get(f"{sandbox.url}/healthz", verify=str(sandbox.ca_file)).ok
