"""The sandbox's OpenAPI v3 documents, as kubectl uses them: apply with its default
strict validation (checked on the server), dry runs, explain of built-in and custom
kinds, strategic merges by key, diff, and the hash-named, cacheable documents.

Runs the pinned kubectl, and the machine's own when there is one.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.integration.sandbox.support import new_namespace, write_manifests

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


def _deployment(ns: str, image: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": image,
                                                       "ports": [{"containerPort": 80}]}]}},
                 **spec},
    }  # fmt: skip


def test_dry_runs_change_nothing(any_kubectl: Kubectl, tmp_path: Path) -> None:
    """--dry-run=client and --dry-run=server report what would happen and create nothing."""
    ns = new_namespace(any_kubectl, "oa")
    manifest = write_manifests(tmp_path / "app.yaml", _deployment(ns, "nginx:1.27"))
    client = any_kubectl("apply", "--dry-run=client", "-f", manifest)
    assert client.stdout == "deployment.apps/web created (dry run)\n", client.stderr
    server = any_kubectl("apply", "--dry-run=server", "-f", manifest)
    assert server.stdout == "deployment.apps/web created (server dry run)\n", (
        server.stderr
    )
    listed = any_kubectl("get", "deployments", "-n", ns, "-o", "name")
    assert listed.stdout == "" and listed.returncode == 0
    assert any_kubectl("apply", "-f", manifest).returncode == 0
    changed = write_manifests(tmp_path / "new.yaml", _deployment(ns, "nginx:1.28"))
    dry = any_kubectl("apply", "--dry-run=server", "-f", changed)
    assert dry.stdout == "deployment.apps/web configured (server dry run)\n", dry.stderr
    image = any_kubectl(
        "get", "deployment", "web", "-n", ns,
        "-o", "jsonpath={.spec.template.spec.containers[0].image}",
    )  # fmt: skip
    assert image.stdout == "nginx:1.27"
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_unknown_field_fails_strict_validation(
    any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """An unknown field fails apply with the strict decoder's message; --validate=warn
    warns, drops the field and creates the rest."""
    ns = new_namespace(any_kubectl, "oa")
    manifest = write_manifests(
        tmp_path / "bad.yaml", _deployment(ns, "nginx:1.27", foo="bar")
    )
    strict = any_kubectl("apply", "-f", manifest)
    assert strict.returncode == 1
    assert (
        f'Error from server (BadRequest): error when creating "{manifest}": Deployment in '
        'version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo"'
    ) in strict.stderr
    warned = any_kubectl("apply", "--validate=warn", "-f", manifest)
    assert warned.stdout == "deployment.apps/web created\n", warned.stderr
    assert 'Warning: unknown field "spec.foo"' in warned.stderr
    spec = any_kubectl("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec}")
    assert "foo" not in spec.stdout and '"replicas":1' in spec.stdout
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_apply_of_a_changed_image_merges_containers_by_name(
    any_kubectl: Kubectl, tmp_path: Path
) -> None:
    """A second apply with another image changes only the image: the container keeps
    its ports and defaults, as a strategic merge by name does; diff shows the one line."""
    ns = new_namespace(any_kubectl, "oa")
    first = write_manifests(tmp_path / "a.yaml", _deployment(ns, "nginx:1.27"))
    assert any_kubectl("apply", "-f", first).returncode == 0
    changed = write_manifests(tmp_path / "b.yaml", _deployment(ns, "nginx:1.28"))
    diff = any_kubectl("diff", "-f", changed)
    assert diff.returncode == 1, diff.stderr
    changes = [
        line for line in diff.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]  # fmt: skip
    assert [c.split() for c in changes] == [
        ["-", "-", "image:", "nginx:1.27"],
        ["+", "-", "image:", "nginx:1.28"],
    ]
    applied = any_kubectl("apply", "-f", changed)
    assert applied.stdout == "deployment.apps/web configured\n", applied.stderr
    container = any_kubectl(
        "get", "deployment", "web", "-n", ns,
        "-o", "jsonpath={.spec.template.spec.containers[0]}",
    )  # fmt: skip
    assert '"image":"nginx:1.28"' in container.stdout
    assert '"ports":[{"containerPort":80,"protocol":"TCP"}]' in container.stdout
    any_kubectl("delete", "namespace", ns, "--wait=false")


def test_explain_prints_the_fields_of_a_builtin_kind(any_kubectl: Kubectl) -> None:
    """kubectl explain pods.spec.containers prints the Container fields with their types."""
    explained = any_kubectl("explain", "pods.spec.containers")
    assert explained.returncode == 0, explained.stderr
    lines = explained.stdout.splitlines()
    assert lines[:4] == [
        "KIND:       Pod",
        "VERSION:    v1",
        "",
        "FIELD: containers <[]Container>",
    ]
    for field in ("image\t<string>", "ports\t<[]ContainerPort>", "env\t<[]EnvVar>",
                  "name\t<string> -required-"):  # fmt: skip
        assert f"  {field}" in lines
    assert "List of containers belonging to the pod." in explained.stdout


def test_custom_kind_is_explained_validated_and_leaves_the_index(
    any_kubectl: Kubectl, http: requests.Session, sandbox: Any, tmp_path: Path
) -> None:
    """A CRD's schema is served: explain shows its fields, strict validation uses it,
    and deleting the CRD removes its group-version from /openapi/v3."""
    group = f"toys{uuid.uuid4().hex[:6]}.example.org"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "description": "What the widget should be.",
                         "properties": {"colour": {"type": "string",
                                                   "description": "The widget's colour."},
                                        "size": {"type": "integer"}}}}}}}]},
    }  # fmt: skip
    defined = any_kubectl("apply", "-f", write_manifests(tmp_path / "crd.yaml", crd))
    assert defined.returncode == 0, defined.stderr
    explained = any_kubectl("explain", f"widgets.{group}.spec")
    assert explained.returncode == 0, explained.stderr
    assert f"GROUP:      {group}" in explained.stdout
    assert "  colour\t<string>" in explained.stdout
    assert "The widget's colour." in explained.stdout
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget",
              "metadata": {"name": "w1", "namespace": "default"},
              "spec": {"colour": "blue", "shape": "round"}}  # fmt: skip
    refused = any_kubectl("apply", "-f", write_manifests(tmp_path / "w.yaml", widget))
    assert 'strict decoding error: unknown field "spec.shape"' in refused.stderr
    del widget["spec"]["shape"]
    created = any_kubectl("apply", "-f", write_manifests(tmp_path / "w.yaml", widget))
    assert created.stdout == f"widget.{group}/w1 created\n", created.stderr
    index = http.get(f"{sandbox.url}/openapi/v3").json()["paths"]
    assert f"apis/{group}/v1" in index and "api/v1" in index
    any_kubectl("delete", "crd", f"widgets.{group}")
    assert (
        f"apis/{group}/v1" not in http.get(f"{sandbox.url}/openapi/v3").json()["paths"]
    )


def test_documents_are_named_by_hash_and_cached_for_good(
    http: requests.Session, sandbox: Any
) -> None:
    """The index names each document by its hash; that URL is immutable, a stale hash
    is redirected to the current one, and the PATCH operations declare fieldValidation."""
    url = http.get(f"{sandbox.url}/openapi/v3").json()["paths"]["apis/apps/v1"][
        "serverRelativeURL"
    ]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    pinned = http.get(sandbox.url + url)
    assert pinned.headers["Cache-Control"] == "public, immutable"
    assert pinned.headers["ETag"] == f'"{url.split("=")[1]}"'
    document = pinned.json()
    patch = document["paths"][
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    ]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps", "kind": "Deployment", "version": "v1",
    }  # fmt: skip
    assert {"name": "fieldValidation", "in": "query"}.items() <= next(
        p for p in patch["parameters"] if p["name"] == "fieldValidation"
    ).items()
    containers = document["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"][
        "properties"
    ]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    stale = http.get(
        f"{sandbox.url}/openapi/v3/apis/apps/v1?hash=0", allow_redirects=False
    )
    assert stale.status_code == 301 and stale.headers["Location"] == url
    unpinned = http.get(f"{sandbox.url}/openapi/v3/apis/apps/v1")
    assert "immutable" not in unpinned.headers.get("Cache-Control", "")
    assert (
        http.get(f"{sandbox.url}/openapi/v3/apis/nothing.example/v1").status_code == 404
    )


def test_strategic_merge_patch_follows_merge_keys_and_directives(
    http: requests.Session, sandbox: Any
) -> None:
    """A strategic merge patch deletes a container by name, adds one, keeps the others
    whole and orders them as `$setElementOrder` says; Warn reports an unknown field."""
    base = f"{sandbox.url}/apis/apps/v1/namespaces/default/deployments"
    name = f"smp-{uuid.uuid4().hex[:6]}"
    body = _deployment("default", "nginx:1.27")
    body["metadata"]["name"] = name
    body["spec"]["template"]["spec"]["containers"] += [
        {"name": "b", "image": "busybox:1", "ports": [{"containerPort": 81}]}
    ]
    assert http.post(base, json=body).status_code == 201
    change = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "c"}, {"name": "b"}],
        "containers": [{"name": "web", "$patch": "delete"}, {"name": "c", "image": "redis:7"}],
    }}}, "colour": "red"}  # fmt: skip
    patched = http.patch(
        f"{base}/{name}?fieldValidation=Warn",
        json=change,
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.headers["Warning"] == '299 - "unknown field \\"colour\\""'
    containers = patched.json()["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["c", "b"]
    assert containers[1]["ports"] == [{"containerPort": 81, "protocol": "TCP"}]
    assert "colour" not in patched.json()
    http.delete(f"{base}/{name}")


def test_every_served_kind_has_a_schema(http: requests.Session, sandbox: Any) -> None:
    """Each kind that discovery lists has a component schema with its group-version-kind
    in the document of its group-version, and a PATCH that takes fieldValidation."""
    index = http.get(f"{sandbox.url}/openapi/v3").json()["paths"]
    for path, entry in index.items():
        served = http.get(f"{sandbox.url}/{path}").json()["resources"]
        kinds = {r["kind"] for r in served if "/" not in r["name"]}
        document = http.get(sandbox.url + entry["serverRelativeURL"]).json()
        described = {
            gvk["kind"]
            for schema in document["components"]["schemas"].values()
            for gvk in schema.get("x-kubernetes-group-version-kind", [])
            if f"{gvk['group']}/{gvk['version']}".lstrip("/") in path
        }
        assert kinds <= described, path
        patched = {
            op["x-kubernetes-group-version-kind"]["kind"]
            for item in document["paths"].values()
            if "patch" in item
            for op in [item["patch"]]
            if any(p["name"] == "fieldValidation" for p in op["parameters"])
        }
        reviews = {k for k in kinds if k.startswith("SelfSubject")}
        assert kinds - reviews <= patched, path
