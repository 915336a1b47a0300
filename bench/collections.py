"""How fast a collection window relates and filters a big cluster.

Run: `.venv/bin/python bench/collections.py [--pods 50000]`.

Builds `All Pods` over compact pod records (20 namespaces, pods of one
ReplicaSet sharing their spec as the cache shares it, each using a ConfigMap),
then times one filter keystroke in list and in tree mode, median and 99th
percentile over 50 queries. The tree keystroke is measured twice in this
process: with the per-root name index the window keeps (`subtree_texts`) and,
as the baseline, walking every node; the ratio is printed. Goal: a keystroke
under 16 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from krates_desktop.cluster.records import compact
from krates_desktop.cluster.relations import (
    Relations,
    build_tree,
    filter_list,
    filter_tree,
    list_items,
    subtree_texts,
)

NAMESPACES = 20
GOAL_MS = 16.0


def pod(index: int) -> dict[str, Any]:
    """A ReplicaSet's pod as the API sends it, using ConfigMap `cfg-<n>`."""
    return {
        "metadata": {
            "name": f"orders-7c9d5-{index:05d}",
            "namespace": f"bench-{index % NAMESPACES:02d}",
            "uid": f"uid-{index}",
            "creationTimestamp": "2026-11-30T18:03:11Z",
            "labels": {"app": "orders", "pod-template-hash": "7c9d5"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "orders-7c9d5"}],
        },
        "spec": {
            "containers": [{"name": "app", "image": "ghcr.io/acme/orders:4.2.1"}],
            "volumes": [{"name": "conf", "configMap": {"name": f"cfg-{index % 50}"}}],
        },
        "status": {
            "phase": "Running",
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}],
        },
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def timed(fn: Any, queries: list[str]) -> list[float]:
    samples = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=50_000)
    count = parser.parse_args().pods
    pods = [compact("Pod", pod(i)) for i in range(count)]
    configs = [
        {
            "metadata": {
                "name": f"cfg-{j}",
                "namespace": f"bench-{n:02d}",
                "uid": f"c{j}-{n}",
            }
        }
        for j in range(50)
        for n in range(NAMESPACES)
    ]
    started = time.perf_counter()
    relations = Relations({"Pod": pods, "ConfigMap": configs}, datetime.now(UTC))
    items = list_items(relations, "Pod")
    roots = build_tree(relations, "Pod")
    built = time.perf_counter() - started
    names = [item.lower for item in items]
    texts = subtree_texts(roots)
    queries = [f"{i * 977 % count:05d}"[:4] for i in range(50)]
    listed = percentiles(timed(lambda q: filter_list(items, names, q), queries))
    indexed = percentiles(timed(lambda q: filter_tree(roots, q, texts), queries))
    walked = percentiles(timed(lambda q: filter_tree(roots, q), queries))
    print(
        f"All Pods over {count} pods: relate and build {built * 1000:.0f} ms (worker thread)"
    )
    print(f"list keystroke: median {listed[0]:.1f} ms, p99 {listed[1]:.1f} ms")
    print(
        f"tree keystroke, indexed: median {indexed[0]:.1f} ms, p99 {indexed[1]:.1f} ms"
    )
    print(
        f"tree keystroke, baseline walk: median {walked[0]:.1f} ms, p99 {walked[1]:.1f} ms"
    )
    print(f"tree ratio baseline/indexed (median): {walked[0] / indexed[0]:.1f}x")
    worst = max(listed[1], indexed[1])
    print(
        f"goal keystroke p99 < {GOAL_MS:.0f} ms: {'met' if worst < GOAL_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
