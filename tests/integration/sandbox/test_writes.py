"""Writes as kubectl makes them against a real API server: server-side apply with
field ownership and conflicts, the patch types, scale, annotate, set image,
replace and edit (through a scripted editor), unknown fields dropped (with a
warning by default) and custom resources pruned to their CRD's schema.

Runs the pinned kubectl, and the machine's own when there is one.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.integration.sandbox.support import new_namespace, write_manifests

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
APPS = "/apis/apps/v1"


def _deployment(ns: str, replicas: int = 1, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web", **labels}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "env": [{"name": "A", "value": "1"}]}]}}},
    }  # fmt: skip


def _get(kubectl: Kubectl, *args: str) -> dict[str, Any]:
    done = kubectl("get", *args, "-o", "json", "--show-managed-fields")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _managers(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (e["manager"], e["operation"]): e["fieldsV1"]
        for e in obj["metadata"].get("managedFields", [])
    }


def test_server_side_apply_owns_fields_and_reports_conflicts(
    any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """apply --server-side creates the object and records kubectl's fields (Apply);
    a field another manager changed is a conflict with the server's message until
    --force-conflicts takes it over; a field no longer applied is removed. A scale
    through the subresource is owned as such."""
    ns = new_namespace(any_kubectl, "wr")
    manifest = write_manifests(tmp_path / "d.yaml", _deployment(ns, tier="front"))
    first = any_kubectl("apply", "--server-side", "-f", manifest)
    assert first.stdout == "deployment.apps/web serverside-applied\n", first.stderr
    owned = _managers(_get(any_kubectl, "deployment", "web", "-n", ns))
    fields = owned[("kubectl", "Apply")]
    assert fields["f:metadata"]["f:labels"] == {"f:app": {}, "f:tier": {}}
    assert fields["f:spec"]["f:replicas"] == {}
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert container['k:{"name":"web"}']["f:image"] == {}
    assert container['k:{"name":"web"}']["f:env"]['k:{"name":"A"}']["f:value"] == {}
    assert "f:imagePullPolicy" not in container['k:{"name":"web"}']

    patched = any_kubectl(
        "patch", "deployment", "web", "-n", ns, "--type=merge",
        "-p", '{"spec":{"replicas":3}}',
    )  # fmt: skip
    assert patched.stdout == "deployment.apps/web patched\n", patched.stderr
    owned = _managers(_get(any_kubectl, "deployment", "web", "-n", ns))
    assert owned[("kubectl-patch", "Update")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owned[("kubectl", "Apply")]["f:spec"]

    refused = any_kubectl("apply", "--server-side", "-f", manifest)
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using '
        "apps/v1: .spec.replicas\n"
    ), refused.stderr
    assert "--force-conflicts" in refused.stderr

    untiered = write_manifests(tmp_path / "e.yaml", _deployment(ns))
    forced = any_kubectl("apply", "--server-side", "--force-conflicts", "-f", untiered)
    assert forced.stdout == "deployment.apps/web serverside-applied\n", forced.stderr
    live = _get(any_kubectl, "deployment", "web", "-n", ns)
    assert live["spec"]["replicas"] == 1
    assert live["metadata"]["labels"] == {"app": "web"}
    assert ("kubectl-patch", "Update") not in _managers(live)

    scaled = any_kubectl("scale", "deployment", "web", "-n", ns, "--replicas=2")
    assert scaled.stdout == "deployment.apps/web scaled\n", scaled.stderr
    scaler = next(
        e for e in _get(any_kubectl, "deployment", "web", "-n", ns)["metadata"]
        ["managedFields"] if e.get("subresource") == "scale"
    )  # fmt: skip
    assert (scaler["manager"], scaler["operation"]) == ("kubectl", "Update")
    assert scaler["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    again = any_kubectl("apply", "--server-side", "-f", untiered)
    assert again.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource '
        '"scale" using apps/v1: .spec.replicas\n'
    ), again.stderr
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_patch_types_scale_annotate_and_set_image(any_kubectl: Kubectl) -> None:
    """patch --type strategic/merge/json, scale, annotate and set image change what
    they say and print what kubectl prints against a real server."""
    ns = new_namespace(any_kubectl, "wr")
    created = any_kubectl(
        "create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=1"
    )
    assert created.stdout == "deployment.apps/web created\n", created.stderr
    target = ("deployment", "web", "-n", ns)
    strategic = any_kubectl(
        "patch", *target, "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":'
        '[{"name":"MODE","value":"fast"}]}]}}}}',
    )  # fmt: skip
    assert strategic.stdout == "deployment.apps/web patched\n", strategic.stderr
    merged = any_kubectl(
        "patch",
        *target,
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"tier":"front"}}}',
    )
    assert merged.stdout == "deployment.apps/web patched\n", merged.stderr
    jsoned = any_kubectl(
        "patch", *target, "--type=json",
        "-p", '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]',
    )  # fmt: skip
    assert jsoned.stdout == "deployment.apps/web patched\n", jsoned.stderr
    scaled = any_kubectl("scale", *target, "--replicas=3")
    assert scaled.stdout == "deployment.apps/web scaled\n", scaled.stderr
    annotated = any_kubectl("annotate", *target, "owner=team-a")
    assert annotated.stdout == "deployment.apps/web annotated\n", annotated.stderr
    imaged = any_kubectl("set", "image", "deployment/web", "nginx=nginx:1.28", "-n", ns)
    assert imaged.stdout == "deployment.apps/web image updated\n", imaged.stderr
    live = _get(any_kubectl, *target)
    (container,) = live["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.28"
    assert container["env"] == [{"name": "MODE", "value": "fast"}]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert live["spec"]["replicas"] == 3 and live["spec"]["revisionHistoryLimit"] == 4
    assert live["metadata"]["labels"]["tier"] == "front"
    assert live["metadata"]["annotations"]["owner"] == "team-a"
    # A patch that changes nothing: kubectl compares the object before and after, so
    # use one no controller touches meanwhile (the deployment is still rolling out).
    any_kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=mode=fast")
    same = any_kubectl(
        "patch", "configmap", "settings", "-n", ns, "--type=merge",
        "-p", '{"data":{"mode":"fast"}}',
    )  # fmt: skip
    assert same.stdout == "configmap/settings patched (no change)\n", same.stderr
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_replace_without_defaults_gets_them_back(
    any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """kubectl replace of a manifest that leaves out what the server defaults (image
    pull policy, protocol, strategy) stores them again, as a create does."""
    ns = new_namespace(any_kubectl, "wr")
    manifest = _deployment(ns)
    ports = [{"containerPort": 80}]
    manifest["spec"]["template"]["spec"]["containers"][0]["ports"] = ports
    path = write_manifests(tmp_path / "d.yaml", manifest)
    assert any_kubectl("create", "-f", path).returncode == 0
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:latest"
    path = write_manifests(tmp_path / "d.yaml", manifest)
    # kubectl replace reads the object's version, then writes: the deployment
    # controller may write its status in between (a 409, as on a real cluster),
    # and, like a user, the test tries again.
    for _attempt in range(3):
        replaced = any_kubectl("replace", "-f", path)
        if "the object has been modified" not in replaced.stderr:
            break
    assert replaced.stdout == "deployment.apps/web replaced\n", replaced.stderr
    live = _get(any_kubectl, "deployment", "web", "-n", ns)
    (container,) = live["spec"]["template"]["spec"]["containers"]
    assert container["imagePullPolicy"] == "Always"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert live["spec"]["strategy"]["type"] == "RollingUpdate"
    assert live["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_unknown_fields_are_dropped_with_a_warning_by_default(
    http: requests.Session, sandbox: Any, any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """Without fieldValidation the server drops an unknown field and warns about it;
    Ignore (kubectl's --validate=false) drops it silently."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    name = f"cm-{uuid.uuid4().hex[:6]}"
    body = {"metadata": {"name": name}, "data": {"a": "1"}, "colour": "red"}
    created = http.post(url, json=body)
    assert created.status_code == 201, created.text
    assert created.headers["Warning"] == '299 - "unknown field \\"colour\\""'
    assert "colour" not in http.get(f"{url}/{name}").json()
    ignored = http.put(
        f"{url}/{name}", params={"fieldValidation": "Ignore"}, json={**body, "shape": 1}
    )
    assert ignored.status_code == 200 and "Warning" not in ignored.headers
    assert "shape" not in ignored.json() and "colour" not in ignored.json()
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"b": "2"},
                "metadata": {"name": f"{name}-k", "namespace": "default"},
                "colour": "red"}  # fmt: skip
    quiet = any_kubectl(
        "create",
        "--validate=false",
        "-f",
        write_manifests(tmp_path / "c.yaml", manifest),
    )
    assert quiet.stdout == f"configmap/{name}-k created\n" and quiet.stderr == ""
    any_kubectl("delete", "configmap", name, f"{name}-k", "-n", "default")


def test_custom_resources_are_pruned_to_their_schema(
    any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """A custom resource keeps only the fields its CRD declares, except under
    x-kubernetes-preserve-unknown-fields; Strict refuses the others."""
    group = f"prune{uuid.uuid4().hex[:6]}.example.org"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {
                         "spec": {"type": "object", "properties": {
                             "size": {"type": "integer"},
                             "extras": {"type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True},
                             "limits": {"type": "object"}}}}}}}]},
    }  # fmt: skip
    assert (
        any_kubectl(
            "apply", "-f", write_manifests(tmp_path / "crd.yaml", crd)
        ).returncode
        == 0
    )
    gadget = {"apiVersion": f"{group}/v1", "kind": "Gadget",
              "metadata": {"name": "g1", "namespace": "default"},
              "spec": {"size": 2, "shape": "round", "extras": {"any": {"thing": 1}},
                       "limits": {"cpu": 1}},
              "colour": "red"}  # fmt: skip
    path = write_manifests(tmp_path / "g.yaml", gadget)
    refused = any_kubectl("create", "-f", path)
    assert refused.returncode == 1
    assert (
        'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: '
        'unknown field "colour", unknown field "spec.limits.cpu", '
        'unknown field "spec.shape"'
    ) in refused.stderr, refused.stderr
    warned = any_kubectl("create", "--validate=warn", "-f", path)
    assert warned.stdout == f"gadget.{group}/g1 created\n", warned.stderr
    assert 'Warning: unknown field "spec.shape"' in warned.stderr
    live = _get(any_kubectl, f"gadgets.{group}", "g1", "-n", "default")
    assert live["spec"] == {"size": 2, "extras": {"any": {"thing": 1}}, "limits": {}}
    assert "colour" not in live
    any_kubectl("delete", "crd", f"gadgets.{group}")


def test_edit_through_a_scripted_editor(
    kubectl: Kubectl, kube_env: dict[str, str], kubectl_args: list[str]
) -> None:
    """kubectl edit, with KUBE_EDITOR a command that changes the file, patches the
    object (kubectl-edit owns the change) and says so."""
    ns = new_namespace(kubectl, "wr")
    made = kubectl("create", "configmap", "cfg", "-n", ns, "--from-literal=mode=slow")
    assert made.returncode == 0, made.stderr
    edited = subprocess.run(
        [*kubectl_args, "edit", "configmap", "cfg", "-n", ns],
        env={**kube_env, "KUBE_EDITOR": "sed -i s/slow/fast/"},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert edited.stdout == "configmap/cfg edited\n", edited.stderr
    live = _get(kubectl, "configmap", "cfg", "-n", ns)
    assert live["data"] == {"mode": "fast"}
    assert _managers(live)[("kubectl-edit", "Update")] == {"f:data": {"f:mode": {}}}
    kubectl("delete", "namespace", ns, "--wait=false")


def test_apply_removes_only_what_nobody_else_owns(
    http: requests.Session, sandbox: Any
) -> None:
    """An apply that leaves out containers it applied before removes them, except
    the fields another manager set: a container someone gave an env var keeps it
    and its name, loses the applied image, and so fails validation as on a cluster."""
    url = (
        f"{sandbox.url}{APPS}/namespaces/default/deployments/ap-{uuid.uuid4().hex[:6]}"
    )

    def apply(*names: str) -> requests.Response:
        spec = {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {
                    "containers": [{"name": n, "image": "nginx:1"} for n in names]
                },
            },
        }
        body = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": spec}
        return http.patch(
            url, data=json.dumps(body), params={"fieldManager": "ci"},
            headers={"Content-Type": "application/apply-patch+yaml"},
        )  # fmt: skip

    assert apply("a", "b", "c").status_code == 201
    env = {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "env": [{"name": "E", "value": "1"}]}]}}}}  # fmt: skip
    added = http.patch(
        url, data=json.dumps(env), params={"fieldManager": "ops"},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )  # fmt: skip
    assert added.status_code == 200, added.text
    refused = apply("a")
    assert refused.status_code == 422
    assert refused.json()["message"].endswith(
        "spec.template.spec.containers[1].image: Required value"
    )
    kept = apply("a", "c")
    assert kept.status_code == 200, kept.text
    containers = kept.json()["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c.get("env")) for c in containers] == [
        ("a", None), ("c", [{"name": "E", "value": "1"}])
    ]  # fmt: skip
    assert http.delete(url).status_code == 200


def test_writes_of_an_object_that_sets_nothing(
    http: requests.Session, sandbox: Any
) -> None:
    """A ConfigMap with nothing but a name is created, replaced unchanged (same
    resourceVersion, as a no-op update is) and applied, with no managedFields."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    name = f"bare-{uuid.uuid4().hex[:6]}"
    created = http.post(url, json={"metadata": {"name": name}})
    assert created.status_code == 201, created.text
    assert "managedFields" not in created.json()["metadata"]
    replaced = http.put(f"{url}/{name}", json=created.json())
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["metadata"] == created.json()["metadata"]
    applied = http.patch(
        f"{url}/{name}", params={"fieldManager": "ci"},
        data='{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}',
        headers={"Content-Type": "application/apply-patch+yaml"},
    )  # fmt: skip
    assert applied.status_code == 200, applied.text
    (entry,) = applied.json()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("ci", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:k": {}}}
    assert http.delete(f"{url}/{name}").status_code == 200
