"""What a collection window lists: its objects, how they relate, and the rows shown.

A collection is every object of one category (``All Pods``), of one namespace
(``ns/payments``), or of one category inside one namespace. This module turns the
cached objects into list rows sorted unhealthy first, or into the x-ray tree of
the spec: workloads contain their pods (through ReplicaSets, which are not
shown), pods contain the ConfigMaps, Secrets and claims they use, Services
contain the pods they select and Ingresses the Services they route to. Filtering
is a case-insensitive substring match on names; in the tree a match keeps all its
ancestors so the hierarchy still reads.

Plain Python over compact records (``cluster/records.py``), so the builder can be
tested on its own and run wherever the caller likes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from krates_desktop.cluster.describe import age
from krates_desktop.cluster.status import Health, object_status

Obj = Mapping[str, Any]
Key = tuple[str, str, str]  # kind, namespace, name

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
USED_KINDS = ("ConfigMap", "Secret", "PersistentVolumeClaim")
# Roots of a namespace tree, in this order; any other kind follows them.
ROOT_ORDER = (*WORKLOADS, "Service", "Ingress", "Pod", *USED_KINDS)
HEALTH_ORDER: dict[str, int] = {"error": 0, "warn": 1, "ok": 2, "unknown": 3}
USES_TAGS = {
    "ConfigMap": "configMap",
    "Secret": "secret",
    "PersistentVolumeClaim": "volume",
}
ROW_LIMIT = 1000


@dataclass(frozen=True)
class Item:
    """One listed object, with what its row shows."""

    kind: str
    namespace: str | None
    name: str
    uid: str
    status: str
    health: Health
    metric: str
    lower: str = ""  # the name in lower case, for filtering
    crd: bool = False  # an instance of a custom resource

    @property
    def key(self) -> Key:
        """The object's identity among the collection's objects."""
        return (self.kind, self.namespace or "", self.name)


@dataclass
class Node:
    """A tree node: an object, its relation tag to its parent, and its children."""

    item: Item
    tag: str = ""
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """One line of a collection window.

    `rails[i]` says whether the connector of ancestor level `i + 1` continues down
    past this row; `last` whether this row is the last of its siblings. A row
    without an item is the final note (`+N more — refine the filter`).
    """

    item: Item | None
    depth: int = 0
    tag: str = ""
    last: bool = True
    rails: tuple[bool, ...] = ()
    path: tuple[str, ...] = ()
    note: str = ""


def make_item(kind: str, obj: Obj, now: datetime, crd: bool = False) -> Item:
    """The row facts of one cached object: status, health and health metric."""
    meta = obj.get("metadata") or {}
    status, health = object_status(kind, obj)
    name = str(meta.get("name", ""))
    return Item(
        kind=kind,
        namespace=meta.get("namespace"),
        name=name,
        uid=str(
            meta.get("uid") or f"{kind}/{meta.get('namespace')}/{meta.get('name')}"
        ),
        status=status,
        health=health,
        metric=health_metric(kind, obj, now),
        lower=name.lower(),
        crd=crd,
    )


def health_metric(kind: str, obj: Obj, now: datetime) -> str:
    """`↻ <restarts> · <age>` for pods, `<ready>/<desired>` for workloads, else the age."""
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if kind == "Pod":
        statuses = (obj.get("status") or {}).get("containerStatuses") or []
        restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
        return f"↻ {restarts} · {_age(created, now)}"
    if kind in WORKLOADS:
        status = obj.get("status") or {}
        if kind == "DaemonSet":
            ready, desired = (
                status.get("numberReady"),
                status.get("desiredNumberScheduled"),
            )
        else:
            ready, desired = (
                status.get("readyReplicas"),
                (obj.get("spec") or {}).get("replicas"),
            )
        return f"{int(ready or 0)}/{int(desired if desired is not None else 1)}"
    return _age(created, now)


@lru_cache(maxsize=8192)
def _age(created: Any, now: datetime) -> str:
    # Pods of one rollout share their creation second: parse each stamp once.
    return age(created, now)


def sort_key(item: Item) -> tuple[int, str]:
    """Unhealthy first (error, warn, ok, then unknown), alphabetical within each."""
    return (HEALTH_ORDER.get(item.health, 3), item.name)


def pod_uses(pod: Obj) -> list[tuple[str, str]]:
    """The (kind, name) of each ConfigMap, Secret and claim a pod uses, in spec order.

    Found through volumes (projected sources too), `envFrom` and `env.valueFrom`.
    """
    spec = pod.get("spec") or {}
    found: list[tuple[str, str]] = []
    for volume in spec.get("volumes") or []:
        found += _volume_uses(volume)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            found += _container_uses(container)
    return list(dict.fromkeys((k, n) for k, n in found if n))


def _volume_uses(volume: Obj) -> list[tuple[str, str]]:
    found = []
    if isinstance(volume.get("configMap"), dict):
        found.append(("ConfigMap", volume["configMap"].get("name")))
    if isinstance(volume.get("secret"), dict):
        found.append(("Secret", volume["secret"].get("secretName")))
    if isinstance(volume.get("persistentVolumeClaim"), dict):
        found.append(
            ("PersistentVolumeClaim", volume["persistentVolumeClaim"].get("claimName"))
        )
    for source in (volume.get("projected") or {}).get("sources") or []:
        if isinstance(source.get("configMap"), dict):
            found.append(("ConfigMap", source["configMap"].get("name")))
        if isinstance(source.get("secret"), dict):
            found.append(("Secret", source["secret"].get("name")))
    return found


def _container_uses(container: Obj) -> list[tuple[str, str]]:
    found = []
    for entry in container.get("envFrom") or []:
        if isinstance(entry.get("configMapRef"), dict):
            found.append(("ConfigMap", entry["configMapRef"].get("name")))
        if isinstance(entry.get("secretRef"), dict):
            found.append(("Secret", entry["secretRef"].get("name")))
    for entry in container.get("env") or []:
        source = entry.get("valueFrom") or {}
        if isinstance(source.get("configMapKeyRef"), dict):
            found.append(("ConfigMap", source["configMapKeyRef"].get("name")))
        if isinstance(source.get("secretKeyRef"), dict):
            found.append(("Secret", source["secretKeyRef"].get("name")))
    return found


def _selects(selector: Any, labels: Any) -> bool:
    if not isinstance(selector, dict) or not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _routes(ingress: Obj) -> list[str]:
    """The Service names an Ingress's default backend and rules name."""
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend") or {}]
    for rule in spec.get("rules") or []:
        backends += [
            p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or []
        ]
    names = [(b.get("service") or {}).get("name") for b in backends]
    return list(dict.fromkeys(n for n in names if n))


class Relations:
    """The objects of one collection and how they relate, indexed once per build.

    `objects` maps kind names to cached objects, already limited to the
    collection's namespace when it has one; `custom` names the custom resource
    kinds among them.
    """

    def __init__(
        self,
        objects: Mapping[str, Sequence[Obj]],
        now: datetime,
        custom: frozenset[str] = frozenset(),
    ) -> None:
        self.objects = objects
        self.items: dict[Key, Item] = {}
        self._raw: dict[Key, Obj] = {}
        self._by_kind: dict[str, list[Key]] = {}
        for kind, objs in objects.items():
            for obj in objs:
                item = make_item(kind, obj, now, kind in custom)
                self.items[item.key] = item
                self._raw[item.key] = obj
                self._by_kind.setdefault(kind, []).append(item.key)
        self._pods_in: dict[str, list[Key]] = {}
        for pod in self._of_kind("Pod"):
            self._pods_in.setdefault(pod[1], []).append(pod)
        self._pods_of_owner = self._index_owners()
        self._uses: dict[int, list[tuple[str, str]]] = {}
        self._users: dict[Key, list[Key]] = {}
        for pod in self._of_kind("Pod"):
            for kind, name in self.uses_of(pod):
                self._users.setdefault((kind, pod[1], name), []).append(pod)

    def _of_kind(self, kind: str) -> list[Key]:
        return self._by_kind.get(kind, [])

    def _index_owners(self) -> dict[Key, list[Key]]:
        """Workload -> its pods, following ReplicaSets by their `<deployment>-<hash>` name."""
        owned: dict[Key, list[Key]] = {}
        for pod in self._of_kind("Pod"):
            meta = self._raw[pod].get("metadata") or {}
            hash_ = (meta.get("labels") or {}).get("pod-template-hash")
            for ref in meta.get("ownerReferences") or []:
                kind, name = ref.get("kind"), str(ref.get("name", ""))
                if kind == "ReplicaSet" and hash_ and name.endswith(f"-{hash_}"):
                    kind, name = "Deployment", name[: -len(hash_) - 1]
                owner = (str(kind), pod[1], name)
                if owner in self.items:
                    owned.setdefault(owner, []).append(pod)
        return owned

    def uses_of(self, pod: Key) -> list[tuple[str, str]]:
        """What a pod uses, worked out once per pod spec: compact pods of one
        ReplicaSet share one spec dict."""
        spec = self._raw[pod].get("spec") or {}
        found = self._uses.get(id(spec))
        if found is None:
            found = self._uses[id(spec)] = pod_uses(self._raw[pod])
        return found

    def keys_of(self, kind: str) -> list[Key]:
        """The listed objects of one kind."""
        return list(self._of_kind(kind))

    def kinds(self) -> list[str]:
        """The kinds that have listed objects."""
        return [kind for kind, keys in self._by_kind.items() if keys]

    def children(self, key: Key) -> list[tuple[Key, str]]:
        """The related objects shown under `key`, with their relation tags."""
        kind = key[0]
        if kind in WORKLOADS:
            return [(pod, "pod") for pod in self._pods_of_owner.get(key, [])]
        if kind == "Pod":
            uses = ((k, key[1], n) for k, n in self.uses_of(key))
            return [(used, USES_TAGS[used[0]]) for used in uses if used in self.items]
        if kind == "Service":
            selector = (self._raw[key].get("spec") or {}).get("selector")
            return [
                (pod, "selects")
                for pod in self._pods_in.get(key[1], [])
                if _selects(
                    selector, (self._raw[pod].get("metadata") or {}).get("labels")
                )
            ]
        if kind == "Ingress":
            names = _routes(self._raw[key])
            services = (("Service", key[1], n) for n in names)
            return [(svc, "routes") for svc in services if svc in self.items]
        return []

    def used_by(self, key: Key) -> list[tuple[Key, str]]:
        """The pods that use a ConfigMap, Secret or claim."""
        return [(pod, "used by") for pod in self._users.get(key, [])]

    def node(self, key: Key, tag: str = "", expand_used: bool = False) -> Node:
        """The subtree under `key`; a path never revisits an object."""
        return self._node(key, tag, expand_used, ())

    def _node(
        self, key: Key, tag: str, expand_used: bool, above: tuple[Key, ...]
    ) -> Node:
        related = self.used_by(key) if expand_used else self.children(key)
        path = (*above, key)
        children = [
            self._node(child, child_tag, False, path)
            for child, child_tag in related
            if child not in path
        ]
        if len(children) > 1:
            children.sort(key=lambda node: sort_key(node.item))
        return Node(self.items[key], tag, children)


def list_items(relations: Relations, category: str | None) -> list[Item]:
    """The collection's objects (a category's, or all), unhealthy first."""
    if category is None:
        return sorted(relations.items.values(), key=sort_key)
    return sorted(
        (relations.items[k] for k in relations.keys_of(category)), key=sort_key
    )


def build_tree(relations: Relations, category: str | None) -> list[Node]:
    """The tree's roots: a category's objects, or a namespace's in the spec's order.

    In a namespace, pods, ConfigMaps, Secrets and claims already reached from a
    workload, Service or Ingress are not roots again.
    """
    if category is not None:
        keys = sorted(relations.keys_of(category), key=_item_sort(relations))
        used = category in USED_KINDS
        return [relations.node(k, "", used) for k in keys]
    roots: list[Node] = []
    reached: set[Key] = set()
    order = {kind: i for i, kind in enumerate(ROOT_ORDER)}
    groups = sorted(relations.kinds(), key=lambda k: (order.get(k, 99), k))
    for kind in groups:
        keys = sorted(relations.keys_of(kind), key=_item_sort(relations))
        for key in keys:
            if key in reached and kind in ("Pod", *USED_KINDS):
                continue
            node = relations.node(key)
            reached.update(item.key for item in _items(node))
            roots.append(node)
    return roots


def _item_sort(relations: Relations):  # type: ignore[no-untyped-def]
    return lambda key: sort_key(relations.items[key])


def filter_list(items: Sequence[Item], names: Sequence[str], query: str) -> list[Row]:
    """List rows whose name contains `query` (`names` are the lower-case names).

    More than 1000 matches show the first 1000 and a final `+N more` note.
    """
    needle = query.lower()
    picked = [item for item, name in zip(items, names, strict=True) if needle in name]
    rows = [Row(item, path=(item.uid,)) for item in picked[:ROW_LIMIT]]
    if len(picked) > ROW_LIMIT:
        rows.append(
            Row(None, note=f"+{len(picked) - ROW_LIMIT} more — refine the filter")
        )
    return rows


def subtree_texts(roots: Sequence[Node]) -> list[str]:
    """Each root's subtree names in lower case, one string: a root whose string lacks
    the query is skipped by one substring search instead of a walk."""
    return ["\n".join(item.lower for item in _items(root)) for root in roots]


def filter_tree(
    roots: Sequence[Node], query: str, texts: Sequence[str] | None = None
) -> list[Row]:
    """Tree rows, depth first; with a query, the matches and all their ancestors.

    `texts` (from :func:`subtree_texts`) lets whole roots be skipped. Rows past the
    first 1000 are counted, not built, for the final `+N more` note.
    """
    needle = query.lower()
    if needle and texts is not None:
        roots = [
            root for root, text in zip(roots, texts, strict=True) if needle in text
        ]
    kept = [n for n in (_prune(root, needle) for root in roots) if n is not None]
    rows: list[Row] = []
    unbuilt = 0
    for index, root in enumerate(kept):
        if len(rows) > ROW_LIMIT:
            unbuilt += sum(1 for _ in _items(root))
            continue
        _flatten(root, 0, index == len(kept) - 1, (), (), rows)
    if len(rows) > ROW_LIMIT:
        extra = len(rows) - ROW_LIMIT + unbuilt
        rows = rows[:ROW_LIMIT] + [Row(None, note=f"+{extra} more — refine the filter")]
    return rows


def _items(node: Node) -> Iterator[Item]:
    yield node.item
    for child in node.children:
        yield from _items(child)


def _prune(node: Node, needle: str) -> Node | None:
    if not needle:
        return node
    children = [c for c in (_prune(child, needle) for child in node.children) if c]
    if children or needle in node.item.lower:
        return Node(node.item, node.tag, children)
    return None


def _flatten(
    node: Node,
    depth: int,
    last: bool,
    rails: tuple[bool, ...],
    path: tuple[str, ...],
    rows: list[Row],
) -> None:
    here = (*path, node.item.uid)
    rows.append(Row(node.item, depth, node.tag, last, rails, here))
    below = (*rails, not last) if depth else rails
    for index, child in enumerate(node.children):
        _flatten(child, depth + 1, index == len(node.children) - 1, below, here, rows)


def health_counts(rows: Sequence[Row]) -> dict[str, int]:
    """How many distinct listed objects are ok, warn and error (the header badges)."""
    seen = {row.item.key: row.item.health for row in rows if row.item is not None}
    return {
        bucket: sum(1 for h in seen.values() if h == bucket)
        for bucket in ("ok", "warn", "error")
    }


def worst_health(items: Sequence[Item]) -> Health:
    """A collection krate's status: the worst member bucket, unknown only if all are."""
    for bucket in ("error", "warn", "ok"):
        if any(item.health == bucket for item in items):
            return bucket  # type: ignore[return-value]
    return "unknown"
