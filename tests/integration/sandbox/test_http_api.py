"""The sandbox's HTTP API seen byte by byte: auth, discovery, Table, selectors,
paging, watch semantics, writes and Status errors."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from cryptography import x509

from tests.integration.sandbox.conftest import AGGREGATED, TABLE

Json = dict[str, Any]


@contextmanager
def watching(
    http: requests.Session, url: str, **params: str
) -> Iterator[Iterator[Json]]:
    """Open a watch and yield an iterator over its decoded events."""
    params.setdefault("watch", "true")
    with http.get(url, params=params, stream=True, timeout=20) as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        yield (json.loads(line) for line in response.iter_lines() if line)


def _create_configmap(
    http: requests.Session, base: str, labels: dict[str, str] | None = None
) -> Json:
    name = f"cm-{uuid.uuid4().hex[:8]}"
    body = {"metadata": {"name": name, "labels": labels or {}}, "data": {"a": "1"}}
    response = http.post(f"{base}/api/v1/namespaces/default/configmaps", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _merge(http: requests.Session, url: str, body: Json) -> requests.Response:
    return http.patch(
        url,
        data=json.dumps(body),
        headers={"Content-Type": "application/merge-patch+json"},
    )


# Authentication, errors, transport


def test_request_without_token_is_401_status(sandbox: Any) -> None:
    """A request with no or a wrong bearer token gets a 401 Unauthorized Status."""
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = requests.get(
            f"{sandbox.url}/api/v1/pods", headers=headers, verify=str(sandbox.ca_file)
        )
        assert response.status_code == 401
        assert response.json() == {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
        }  # fmt: skip


def test_version_and_health_are_open(sandbox: Any) -> None:
    """/version, /version/ and the health endpoints answer without a token."""
    for path in ("/version", "/version/"):
        body = requests.get(sandbox.url + path, verify=str(sandbox.ca_file)).json()
        assert body["major"] == "1" and body["gitVersion"].startswith("v1.")
    for path in ("/healthz", "/readyz", "/livez"):
        response = requests.get(sandbox.url + path, verify=str(sandbox.ca_file))
        assert (response.status_code, response.text) == (200, "ok")


def test_unknown_resource_is_404_status(http: requests.Session, sandbox: Any) -> None:
    """An unknown resource path gets the generic NotFound Status, an unknown object a named one."""
    unknown = http.get(f"{sandbox.url}/api/v1/namespaces/default/widgets")
    assert unknown.status_code == 404
    assert (
        unknown.json()["message"] == "the server could not find the requested resource"
    )
    assert unknown.json()["reason"] == "NotFound"
    missing = http.get(
        f"{sandbox.url}/apis/apps/v1/namespaces/payments/deployments/nope"
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == 'deployments.apps "nope" not found'
    assert missing.json()["details"] == {
        "name": "nope",
        "group": "apps",
        "kind": "deployments",
    }


def test_certificate_covers_loopback_names(sandbox: Any) -> None:
    """The served certificate is for IP 127.0.0.1 and DNS localhost only."""
    pem = ssl.get_server_certificate(("127.0.0.1", sandbox.port))
    names = (
        x509.load_pem_x509_certificate(pem.encode())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1"
    ]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sandbox.url == f"https://127.0.0.1:{sandbox.port}"


# Discovery


def test_legacy_discovery_documents(http: requests.Session, sandbox: Any) -> None:
    """Legacy discovery names core as groupVersion v1 and lists subresources without short names."""
    core = http.get(f"{sandbox.url}/api/v1").json()
    assert core["kind"] == "APIResourceList" and core["groupVersion"] == "v1"
    entries = {r["name"]: r for r in core["resources"]}
    assert (
        entries["pods"]["shortNames"] == ["po"]
        and entries["pods"]["namespaced"] is True
    )
    assert (
        entries["pods/log"]["singularName"] == ""
        and "shortNames" not in entries["pods/log"]
    )
    assert entries["pods/exec"]["verbs"] == ["create", "get"]
    groups = http.get(f"{sandbox.url}/apis").json()
    names = [g["name"] for g in groups["groups"]]
    assert {"apps", "networking.k8s.io", "example.com", "apiextensions.k8s.io"} <= set(
        names
    )
    apps = http.get(f"{sandbox.url}/apis/apps").json()
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


def test_aggregated_discovery_echoes_media_type(
    http: requests.Session, sandbox: Any
) -> None:
    """Aggregated discovery answers with the full APIGroupDiscoveryList Content-Type."""
    response = http.get(f"{sandbox.url}/apis", headers={"Accept": AGGREGATED})
    expected = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert response.headers["Content-Type"] == expected
    items = {i["metadata"]["name"]: i for i in response.json()["items"]}
    deployments = next(
        r
        for r in items["apps"]["versions"][0]["resources"]
        if r["resource"] == "deployments"
    )
    assert (
        deployments["shortNames"] == ["deploy"] and deployments["scope"] == "Namespaced"
    )
    assert {s["subresource"] for s in deployments["subresources"]} == {
        "scale",
        "status",
    }
    core = http.get(f"{sandbox.url}/api", headers={"Accept": AGGREGATED}).json()
    assert "name" not in core["items"][0]["metadata"]
    plain = http.get(f"{sandbox.url}/api")
    assert plain.headers["Content-Type"] == "application/json"
    assert plain.json()["kind"] == "APIVersions"


# Lists, selectors, pages, Tables


def _names(http: requests.Session, url: str, **params: str) -> list[str]:
    response = http.get(url, params=params)
    assert response.status_code == 200, response.text
    return [item["metadata"]["name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=ledger-db", {"ledger-db-0", "ledger-db-1", "ledger-db-2"}),
        ("app==rapid-io", {"rapid-io-5b8f7-k3j9d"}),
        ("app!=api-server,app!=ledger-db", {"rapid-io-5b8f7-k3j9d"}),
        (
            "app in (rapid-io, ledger-db),apps.kubernetes.io/pod-index notin (0,1)",
            {"ledger-db-2", "rapid-io-5b8f7-k3j9d"},
        ),
        (
            "statefulset.kubernetes.io/pod-name",
            {"ledger-db-0", "ledger-db-1", "ledger-db-2"},
        ),
        ("!pod-template-hash,!statefulset.kubernetes.io/pod-name", set()),
    ],
)
def test_label_selectors(
    http: requests.Session, sandbox: Any, selector: str, expected: set[str]
) -> None:
    """Every label-selector operator filters pods as the API server does."""
    names = _names(
        http, f"{sandbox.url}/api/v1/namespaces/payments/pods", labelSelector=selector
    )
    assert set(names) == expected


def test_field_selectors(http: requests.Session, sandbox: Any) -> None:
    """Field selectors on pods and events match; an unsupported field is a 400."""
    base = f"{sandbox.url}/api/v1"
    assert _names(
        http, f"{base}/namespaces/payments/pods", fieldSelector="status.phase=Pending"
    ) == ["ledger-db-2"]
    on_node = _names(
        http,
        f"{base}/pods",
        fieldSelector="spec.nodeName=node-1,metadata.namespace=kube-system",
    )
    assert on_node == ["kube-proxy-7xk2m"]
    events = http.get(
        f"{base}/namespaces/payments/events",
        params={
            "fieldSelector": "involvedObject.name=api-server-7c9d5-r5t7w,type=Warning"
        },
    ).json()["items"]
    assert events and {e["reason"] for e in events} == {"BackOff"}
    bad = http.get(f"{base}/pods", params={"fieldSelector": "spec.colour=blue"})
    assert bad.status_code == 400
    assert (
        bad.json()["reason"] == "BadRequest"
        and "field label not supported: spec.colour" in bad.json()["message"]
    )


def test_list_pages_with_limit_and_continue(
    http: requests.Session, sandbox: Any
) -> None:
    """limit/continue pages through all pods once each, with remainingItemCount."""
    url = f"{sandbox.url}/api/v1/pods"
    everything = _names(http, url)
    seen, token = [], None
    while True:
        params = {"limit": "5", **({"continue": token} if token else {})}
        body = http.get(url, params=params).json()
        assert body["kind"] == "PodList" and body["metadata"]["resourceVersion"]
        seen += [i["metadata"]["name"] for i in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
        assert body["metadata"]["remainingItemCount"] == len(everything) - len(seen)
    assert seen == everything and len(everything) >= 12


def test_pod_table_has_kubectl_columns(http: requests.Session, sandbox: Any) -> None:
    """A Table of pods has kubectl's columns and row metadata for NAMESPACE and LABELS."""
    table = http.get(
        f"{sandbox.url}/api/v1/namespaces/payments/pods", headers={"Accept": TABLE}
    ).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    rows = {r["cells"][0]: r for r in table["rows"]}
    assert rows["ledger-db-0"]["cells"][1:3] == ["2/2", "Running"]
    assert rows["ledger-db-2"]["cells"][5] == "<none>"
    assert rows["ledger-db-0"]["object"]["kind"] == "PartialObjectMetadata"
    assert rows["ledger-db-0"]["object"]["metadata"]["labels"]["app"] == "ledger-db"
    restarts = rows["api-server-7c9d5-r5t7w"]["cells"][3]
    assert (
        restarts.split()[0].isdigit()
        and int(restarts.split()[0]) >= 7
        and "ago)" in restarts
    )


def test_table_include_object(http: requests.Session, sandbox: Any) -> None:
    """includeObject=None drops row objects; Object embeds the full object."""
    url = f"{sandbox.url}/api/v1/namespaces/payments/configmaps/api-config"
    none = http.get(
        url, params={"includeObject": "None"}, headers={"Accept": TABLE}
    ).json()
    assert "object" not in none["rows"][0]
    assert [c["name"] for c in none["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert none["rows"][0]["cells"][:2] == ["api-config", 3]
    full = http.get(
        url, params={"includeObject": "Object"}, headers={"Accept": TABLE}
    ).json()
    assert full["rows"][0]["object"]["data"]["LOG_LEVEL"] == "info"


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/api/v1/namespaces/payments/secrets", ["Name", "Type", "Data", "Age"]),
        ("/api/v1/namespaces", ["Name", "Status", "Age"]),
        (
            "/apis/apps/v1/namespaces/payments/deployments",
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        (
            "/api/v1/namespaces/payments/services",
            ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"],
        ),
        ("/api/v1/namespaces/payments/serviceaccounts", ["Name", "Secrets", "Age"]),
    ],
)
def test_table_columns_per_kind(
    http: requests.Session, sandbox: Any, path: str, columns: list[str]
) -> None:
    """Each kind's Table has the columns kubectl prints for it (Name/Age by default)."""
    table = http.get(sandbox.url + path, headers={"Accept": TABLE}).json()
    assert [c["name"] for c in table["columnDefinitions"]] == columns
    assert table["rows"]


def test_custom_resource_list(http: requests.Session, sandbox: Any) -> None:
    """The CRD's instances are served under their group, with kind on the list and items."""
    body = http.get(
        f"{sandbox.url}/apis/example.com/v1/namespaces/payments/certificates"
    ).json()
    assert body["kind"] == "CertificateList" and body["apiVersion"] == "example.com/v1"
    assert [(i["kind"], i["metadata"]["name"]) for i in body["items"]] == [
        ("Certificate", "api-cert")
    ]
    issuer = http.get(
        f"{sandbox.url}/apis/example.com/v1/clusterissuers/letsencrypt-staging"
    )
    assert issuer.status_code == 200 and "namespace" not in issuer.json()["metadata"]


# Watch


def test_watch_sends_added_and_deleted_on_selector_transitions(
    http: requests.Session, sandbox: Any
) -> None:
    """An object entering a watch's selector arrives as ADDED, leaving it as DELETED."""
    cm = _create_configmap(http, sandbox.url)
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    item = f"{url}/{cm['metadata']['name']}"
    rv = http.get(url).json()["metadata"]["resourceVersion"]
    with watching(
        http, url, labelSelector="tier=watched", resourceVersion=rv
    ) as events:
        _merge(http, item, {"metadata": {"labels": {"tier": "watched"}}})
        first = next(events)
        _merge(http, item, {"data": {"a": "2"}})
        second = next(events)
        _merge(http, item, {"metadata": {"labels": {"tier": None}}})
        third = next(events)
    assert [first["type"], second["type"], third["type"]] == [
        "ADDED",
        "MODIFIED",
        "DELETED",
    ]
    assert third["object"]["metadata"]["labels"] == {}
    assert int(third["object"]["metadata"]["resourceVersion"]) > int(
        first["object"]["metadata"]["resourceVersion"]
    )


def test_watch_replays_from_resource_version(
    http: requests.Session, sandbox: Any
) -> None:
    """A watch from an RV replays later changes, also on the legacy /watch/ path."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    rv = http.get(url).json()["metadata"]["resourceVersion"]
    cm = _create_configmap(http, sandbox.url)
    http.delete(f"{url}/{cm['metadata']['name']}")
    legacy = f"{sandbox.url}/api/v1/watch/namespaces/default/configmaps"
    with watching(http, legacy, resourceVersion=rv) as events:
        seen = [next(events), next(events)]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in seen] == [
        ("ADDED", cm["metadata"]["name"]),
        ("DELETED", cm["metadata"]["name"]),
    ]


def test_a_long_history_is_sent_in_pieces(http: requests.Session, sandbox: Any) -> None:
    """A watch resumed from an old RV gets the history as an API server flushes it:
    every event, in order, in HTTP chunks of about 64 KB, not one chunk of it all."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    rv = http.get(url).json()["metadata"]["resourceVersion"]
    names = []
    for _ in range(150):
        body = {
            "metadata": {"name": f"hist-{uuid.uuid4().hex[:8]}"},
            "data": {"a": "x" * 2000},
        }
        response = http.post(url, json=body)
        assert response.status_code == 201, response.text
        names.append(body["metadata"]["name"])
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "1"}
    with http.get(url, params=params, stream=True, timeout=20) as response:
        chunks = list(response.raw.read_chunked(decode_content=False))
    seen = [json.loads(line) for line in b"".join(chunks).splitlines() if line.strip()]
    added = [e["object"]["metadata"]["name"] for e in seen if e["type"] == "ADDED"]
    assert [n for n in added if n.startswith("hist-")] == names
    assert len(chunks) >= 4 and max(map(len, chunks)) < 70_000
    for name in names:
        http.delete(f"{url}/{name}")


def test_table_watch_sends_columns_once(http: requests.Session, sandbox: Any) -> None:
    """In a Table watch only the first event carries columnDefinitions."""
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps"
    cm = _create_configmap(http, sandbox.url)
    with http.get(
        url,
        params={"watch": "true"},
        headers={"Accept": TABLE},
        stream=True,
        timeout=20,
    ) as response:
        lines = response.iter_lines()
        events = [json.loads(next(lines)) for _ in range(2)]
    assert events[0]["object"]["kind"] == "Table"
    assert [c["name"] for c in events[0]["object"]["columnDefinitions"]] == [
        "Name",
        "Data",
        "Age",
    ]
    assert not events[1]["object"]["columnDefinitions"]
    assert len(events[1]["object"]["rows"]) == 1
    http.delete(f"{url}/{cm['metadata']['name']}")


def test_send_initial_events_ends_with_bookmark(
    http: requests.Session, sandbox: Any
) -> None:
    """sendInitialEvents streams the current objects, then an initial-events-end BOOKMARK."""
    url = f"{sandbox.url}/api/v1/namespaces"
    params = {
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
    }
    with watching(http, url, **params) as events:
        seen = []
        for event in events:
            seen.append(event)
            if event["type"] == "BOOKMARK":
                break
    names = {e["object"]["metadata"]["name"] for e in seen if e["type"] == "ADDED"}
    assert {"default", "payments", "checkout", "platform", "kube-system"} <= names
    bookmark = seen[-1]["object"]
    assert bookmark["kind"] == "Namespace"
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    refused = http.get(url, params={"watch": "true", "sendInitialEvents": "true"})
    assert refused.status_code == 422 and refused.json()["reason"] == "Invalid"


def test_watch_ends_after_timeout_seconds(http: requests.Session, sandbox: Any) -> None:
    """A watch with timeoutSeconds=1 ends cleanly after about a second."""
    url = f"{sandbox.url}/api/v1/namespaces/payments/secrets"
    rv = http.get(url).json()["metadata"]["resourceVersion"]
    with watching(http, url, resourceVersion=rv, timeoutSeconds="1") as events:
        assert list(events) == []


def test_watch_from_compacted_rv_sends_expired_error(
    http: requests.Session, sandbox: Any
) -> None:
    """A too-old resourceVersion gives one ERROR event with a 410 Expired Status."""
    with watching(http, f"{sandbox.url}/api/v1/pods", resourceVersion="1") as events:
        seen = list(events)
    assert len(seen) == 1 and seen[0]["type"] == "ERROR"
    status = seen[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith("too old resource version: 1 (")


# Writes


def test_patch_variants_and_stale_put(http: requests.Session, sandbox: Any) -> None:
    """Merge, strategic-merge and JSON patches apply; an apply patch needs a field
    manager; a stale PUT is a 409 Conflict."""
    cm = _create_configmap(http, sandbox.url)
    url = f"{sandbox.url}/api/v1/namespaces/default/configmaps/{cm['metadata']['name']}"
    merged = _merge(http, url, {"data": {"b": "2"}}).json()
    assert merged["data"] == {"a": "1", "b": "2"}
    strategic = http.patch(
        url,
        data=json.dumps({"data": {"c": "3"}}),
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    ).json()
    assert strategic["data"]["c"] == "3"
    ops = [
        {"op": "remove", "path": "/data/a"},
        {"op": "add", "path": "/data/d", "value": "4"},
    ]
    patched = http.patch(
        url,
        data=json.dumps(ops),
        headers={"Content-Type": "application/json-patch+json"},
    ).json()
    assert patched["data"] == {"b": "2", "c": "3", "d": "4"}
    apply = http.patch(
        url, data="{}", headers={"Content-Type": "application/apply-patch+yaml"}
    )
    assert apply.status_code == 422
    assert apply.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
        "is required for apply patch"
    )
    stale = http.put(url, json=cm)
    assert stale.status_code == 409 and stale.json()["reason"] == "Conflict"
    deleted = http.delete(url)
    assert deleted.json()["status"] == "Success"
    assert deleted.json()["details"]["name"] == cm["metadata"]["name"]


def test_create_errors(http: requests.Session, sandbox: Any) -> None:
    """Creating a duplicate, an invalid pod or into a missing namespace gives the real Statuses."""
    taken = http.post(
        f"{sandbox.url}/api/v1/namespaces/payments/configmaps",
        json={"metadata": {"name": "api-config"}},
    )
    assert (
        taken.status_code == 409
        and taken.json()["message"] == 'configmaps "api-config" already exists'
    )
    invalid = http.post(
        f"{sandbox.url}/api/v1/namespaces/default/pods",
        json={"metadata": {"name": "bad"}, "spec": {}},
    )
    assert invalid.status_code == 422
    assert (
        invalid.json()["message"]
        == 'Pod "bad" is invalid: spec.containers: Required value'
    )
    nowhere = http.post(
        f"{sandbox.url}/api/v1/namespaces/nowhere/configmaps",
        json={"metadata": {"name": "x"}},
    )
    assert (
        nowhere.status_code == 404
        and nowhere.json()["message"] == 'namespaces "nowhere" not found'
    )


def test_created_pod_is_scheduled_and_runs(
    http: requests.Session, sandbox: Any
) -> None:
    """A pod created through the API is scheduled onto a node and reaches Running."""
    name = f"pod-{uuid.uuid4().hex[:6]}"
    url = f"{sandbox.url}/api/v1/namespaces/default/pods"
    body = {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]},
    }
    created = http.post(url, json=body)
    assert created.status_code == 201 and created.json()["status"]["phase"] == "Pending"
    rv = created.json()["metadata"]["resourceVersion"]
    with watching(
        http,
        url,
        resourceVersion=rv,
        fieldSelector=f"metadata.name={name}",
        timeoutSeconds="30",
    ) as events:
        phase = next(
            e for e in events if e["object"]["status"].get("phase") == "Running"
        )
    assert phase["object"]["spec"]["nodeName"] in ("node-1", "node-2")
    assert phase["object"]["status"]["containerStatuses"][0]["ready"] is True
    deleted = http.delete(f"{url}/{name}")
    assert (
        deleted.status_code == 200 and deleted.json()["metadata"]["deletionTimestamp"]
    )


def test_access_review_allows_the_admin(http: requests.Session, sandbox: Any) -> None:
    """A SelfSubjectAccessReview from the admin is answered 201 allowed=true."""
    review = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "spec": {
            "resourceAttributes": {
                "namespace": "payments",
                "verb": "create",
                "resource": "pods",
                "subresource": "exec",
            }
        },
    }
    response = http.post(
        f"{sandbox.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        json=review,
    )
    assert response.status_code == 201
    assert response.json()["status"]["allowed"] is True


# Logs and exec edge cases


def test_log_options(http: requests.Session, sandbox: Any) -> None:
    """tailLines, timestamps and limitBytes shape the text/plain log body."""
    url = f"{sandbox.url}/api/v1/namespaces/payments/pods/ledger-db-0/log"
    response = http.get(
        url, params={"container": "db", "tailLines": "3", "timestamps": "true"}
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert len(lines) == 3
    stamp = lines[0].split(" ", 1)[0]
    assert len(stamp) == 30 and stamp.endswith("Z") and stamp[19] == "."
    limited = http.get(url, params={"container": "db", "limitBytes": "10"})
    assert len(limited.content) == 10
    previous = http.get(url, params={"container": "db", "previous": "true"})
    assert previous.status_code == 400
    assert (
        previous.json()["message"]
        == 'previous terminated container "db" in pod "ledger-db-0" not found'
    )


def test_exec_into_waiting_container_is_refused(
    http: requests.Session, sandbox: Any
) -> None:
    """Exec into a container that is not running fails before any upgrade."""
    url = f"{sandbox.url}/api/v1/namespaces/payments/pods/ledger-db-2/exec"
    response = http.get(
        url, params={"command": "ls", "container": "db", "stdout": "true"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == 'container not found ("db")'
