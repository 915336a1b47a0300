"""The collection builder: health order, metrics, the x-ray tree, filtering and counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from krates_desktop.cluster.records import compact
from krates_desktop.cluster.relations import (
    ROW_LIMIT,
    Relations,
    build_tree,
    filter_list,
    filter_tree,
    health_counts,
    list_items,
    pod_uses,
    worst_health,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NS = "shop"


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "uid": f"uid-{name}",
            "creationTimestamp": "2026-12-01T11:00:00Z", **extra}  # fmt: skip


def _pod(
    name: str, ready: bool = True, owner: tuple[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    labels = {"app": "web", "pod-template-hash": "5f9c"}
    meta = _meta(name, labels=labels)
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1]}]
    status = {"phase": "Running", "conditions": [{"type": "Ready", "status": str(ready)}],
              "containerStatuses": [{"name": "c", "ready": ready, "restartCount": 3,
                                     "state": {"running": {}} if ready else
                                     {"waiting": {"reason": "CrashLoopBackOff"}}}]}  # fmt: skip
    return {
        "metadata": meta,
        "spec": {"containers": [{"name": "c"}], **spec},
        "status": status,
    }


def _objects() -> dict[str, list[dict[str, Any]]]:
    uses = {
        "volumes": [
            {"name": "conf", "configMap": {"name": "web-config"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
        ],
        "containers": [
            {"name": "c", "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "web-token", "key": "t"}}}]}
        ],
    }  # fmt: skip
    return {
        "Deployment": [
            {
                "metadata": _meta("web"),
                "spec": {"replicas": 2},
                "status": {"readyReplicas": 1, "replicas": 2},
            }
        ],  # fmt: skip
        "Pod": [
            compact(
                "Pod", _pod("web-5f9c-a", owner=("ReplicaSet", "web-5f9c"), **uses)
            ),
            _pod("web-5f9c-b", ready=False, owner=("ReplicaSet", "web-5f9c")),
            _pod("loner"),
        ],
        "Service": [
            {
                "metadata": _meta("web"),
                "spec": {"selector": {"app": "web"}, "type": "ClusterIP"},
            }
        ],
        "Ingress": [
            {
                "metadata": _meta("shop"),
                "spec": {
                    "rules": [
                        {"http": {"paths": [{"backend": {"service": {"name": "web"}}}]}}
                    ]
                },
            }
        ],  # fmt: skip
        "ConfigMap": [
            {"metadata": _meta("web-config"), "data": {"a": "1"}},
            {"metadata": _meta("unused"), "data": {}},
        ],  # fmt: skip
        "Secret": [{"metadata": _meta("web-token"), "data": {"t": "eA=="}}],
        "PersistentVolumeClaim": [
            {"metadata": _meta("web-data"), "status": {"phase": "Bound"}}
        ],
    }


def _rows(rows) -> list[tuple[int, str, str, str]]:  # type: ignore[no-untyped-def]
    return [(r.depth, r.tag, r.item.kind, r.item.name) for r in rows if r.item]


def test_a_compact_pod_keeps_the_names_of_what_it_uses() -> None:
    """Volumes (projected too), envFrom and env.valueFrom survive compaction as names only."""
    pod = _pod(
        "p",
        volumes=[
            {"name": "v", "secret": {"secretName": "s1", "defaultMode": 420}},
            {"name": "t", "projected": {"sources": [{"configMap": {"name": "root-ca"}},
                                                    {"serviceAccountToken": {"path": "t"}}]}},
            {"name": "e", "emptyDir": {}},
        ],
        containers=[{"name": "c", "envFrom": [{"configMapRef": {"name": "cm1"}}],
                     "env": [{"name": "A", "value": "plain"}]}],
    )  # fmt: skip
    record = compact("Pod", pod)
    assert pod_uses(record) == [
        ("Secret", "s1"),
        ("ConfigMap", "root-ca"),
        ("ConfigMap", "cm1"),
    ]
    assert "env" not in record["spec"]["containers"][0], "plain values are not kept"
    assert len(record["spec"]["volumes"]) == 2, "the emptyDir refers to nothing"
    # Pods of one template differ in their service-account volume's name only: their
    # compact specs are one shared object.
    volumes = [dict(v, name=f"{v['name']}-x9k2") for v in pod["spec"]["volumes"]]
    sibling = _pod("p2", volumes=volumes, containers=pod["spec"]["containers"])
    assert compact("Pod", sibling)["spec"] is record["spec"]


def test_list_sorts_unhealthy_first_then_by_name_with_metrics() -> None:
    """error, warn, ok, alphabetical in each; pods show restarts and age, workloads ready/desired."""
    items = list_items(Relations(_objects(), NOW), None)
    assert [(i.health, i.name) for i in items[:2]] == [
        ("error", "web-5f9c-b"),
        ("warn", "web"),
    ]
    assert [i.health for i in items] == sorted(
        (i.health for i in items), key=["error", "warn", "ok", "unknown"].index
    )
    by_name = {(i.kind, i.name): i for i in items}
    assert by_name[("Pod", "loner")].metric == "↻ 3 · 60m"
    assert by_name[("Deployment", "web")].metric == "1/2"
    assert by_name[("ConfigMap", "unused")].metric == "60m"


def test_namespace_tree_nests_by_relation_and_lists_unreached_objects_as_roots() -> (
    None
):
    """Deployment > pods (through the ReplicaSet) > ConfigMap/Secret/PVC; Service selects
    pods; Ingress routes to the Service; pods and configs reached already are not roots."""
    rows = _rows(filter_tree(build_tree(Relations(_objects(), NOW), None), ""))
    assert rows[:5] == [
        (0, "", "Deployment", "web"),
        (1, "pod", "Pod", "web-5f9c-b"),
        (1, "pod", "Pod", "web-5f9c-a"),
        (2, "configMap", "ConfigMap", "web-config"),
        (2, "volume", "PersistentVolumeClaim", "web-data"),
    ]
    assert rows[5] == (2, "secret", "Secret", "web-token")
    assert (0, "", "Service", "web") in rows and (1, "selects", "Pod", "loner") in rows
    assert rows.index((0, "", "Ingress", "shop")) + 1 == rows.index(
        (1, "routes", "Service", "web")
    )
    roots = [r for r in rows if r[0] == 0]
    assert [r[2] for r in roots] == ["Deployment", "Service", "Ingress", "ConfigMap"]
    assert roots[-1][3] == "unused"


def test_config_categories_expand_to_the_pods_that_use_them() -> None:
    """In `All ConfigMaps` each config map lists the pods using it, tagged `used by`."""
    rows = _rows(filter_tree(build_tree(Relations(_objects(), NOW), "ConfigMap"), ""))
    assert rows[:2] == [
        (0, "", "ConfigMap", "unused"),
        (0, "", "ConfigMap", "web-config"),
    ]
    assert rows[2] == (1, "used by", "Pod", "web-5f9c-a")


def test_filtering_the_tree_keeps_every_ancestor_of_a_match() -> None:
    """A query matching one pod keeps its Deployment, its Service, and Ingress > Service."""
    rows = _rows(filter_tree(build_tree(Relations(_objects(), NOW), None), "5F9C-A"))
    assert rows == [
        (0, "", "Deployment", "web"),
        (1, "pod", "Pod", "web-5f9c-a"),
        (0, "", "Service", "web"),
        (1, "selects", "Pod", "web-5f9c-a"),
        (0, "", "Ingress", "shop"),
        (1, "routes", "Service", "web"),
        (2, "selects", "Pod", "web-5f9c-a"),
    ]


def test_connectors_know_which_ancestor_lines_continue() -> None:
    """`last` ends an L; `rails` carry the vertical lines of ancestors with later siblings."""
    rows = [
        r
        for r in filter_tree(build_tree(Relations(_objects(), NOW), None), "")
        if r.item
    ]
    pod_b, pod_a, config = rows[1], rows[2], rows[3]
    assert (pod_b.last, pod_a.last) == (False, True)
    assert config.rails == (False,), "pod a is the last pod: no line continues past it"
    assert config.path == ("uid-web", "uid-web-5f9c-a", "uid-web-config")


def test_counts_add_up_to_the_distinct_listed_objects() -> None:
    """✓/⚠/✗ count each listed object once, even where the tree shows it twice."""
    relations = Relations(_objects(), NOW)
    rows = filter_tree(build_tree(relations, None), "web-5f9c")
    # Deployment (warn), pod b (error); pod a, the Service and the Ingress (ok), once each.
    assert health_counts(rows) == {"ok": 3, "warn": 1, "error": 1}
    assert worst_health(list_items(relations, None)) == "error"
    assert worst_health([]) == "unknown"


def test_more_than_a_thousand_matches_end_with_a_note() -> None:
    """The list shows the first 1000 matches and `+N more — refine the filter`."""
    pods = [_pod(f"p-{i:04d}") for i in range(ROW_LIMIT + 25)]
    items = list_items(Relations({"Pod": pods}, NOW), "Pod")
    rows = filter_list(items, [i.name for i in items], "p-")
    assert len(rows) == ROW_LIMIT + 1
    assert rows[-1].item is None and rows[-1].note == "+25 more — refine the filter"
    assert (
        filter_list(items, [i.name for i in items], "p-0007")[0].item.name == "p-0007"
    )
