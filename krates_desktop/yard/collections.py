"""Collection krates: a krate for a namespace or a category, holding one collection window.

A collection krate has `objRef = null` and a `collScope` in the yard document
(spec 10.1, 15.2); its id derives from the scope, so two peers opening the same
collection at once mint one krate. The yard model keeps these entries as raw
dictionaries (``Yard.collection_krates``); this module reads them as
``CollectionKrate`` values and writes the user's actions on them, each as one
transaction, so the document stays the single truth and persistence and sharing
work as for object krates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from pycrdt import Map

from krates_desktop.yard.model import (
    MAX_WINDOW,
    Krate,
    Window,
    Yard,
    collection_krate_id,
    user_tag,
)
from krates_desktop.yard.palette import namespace_color

log = logging.getLogger(__name__)

COLLECTION_W, COLLECTION_H = 540.0, 480.0
MIN_COLLECTION = (320.0, 240.0)  # spec 10.2
NEUTRAL = "#9aa7ba"

# Category value -> (kind listed, title word).
CATEGORIES: dict[str, tuple[str, str]] = {
    "pods": ("Pod", "Pods"),
    "deployments": ("Deployment", "Deployments"),
    "statefulsets": ("StatefulSet", "StatefulSets"),
    "daemonsets": ("DaemonSet", "DaemonSets"),
    "services": ("Service", "Services"),
    "ingresses": ("Ingress", "Ingresses"),
    "configmaps": ("ConfigMap", "ConfigMaps"),
    "secrets": ("Secret", "Secrets"),
    "pvcs": ("PersistentVolumeClaim", "PVCs"),
    "crds": ("CustomResourceDefinition", "CRDs"),
}


@dataclass(frozen=True)
class CollScope:
    """What a collection lists: a namespace, a category, or a category in a namespace."""

    kind: Literal["namespace", "category"]
    value: str
    namespace: str | None = None

    @property
    def title(self) -> str:
        """`ns/payments`, `All Pods` or `pods · ns/payments` (spec 10.1)."""
        if self.kind == "namespace":
            return f"ns/{self.value}"
        if self.namespace:
            return f"{self.value} · ns/{self.namespace}"
        return f"All {CATEGORIES.get(self.value, ('', self.value))[1]}"

    @property
    def listed_namespace(self) -> str | None:
        """The namespace the collection is limited to, if any."""
        return self.value if self.kind == "namespace" else self.namespace

    @property
    def category_kind(self) -> str | None:
        """The one kind a category lists (None for a namespace, which lists them all)."""
        if self.kind != "category":
            return None
        return CATEGORIES.get(self.value, (self.value, ""))[0]

    @property
    def color(self) -> str:
        """The namespace's colour, or the neutral grey for a cluster-wide category."""
        namespace = self.listed_namespace
        return namespace_color(namespace) if namespace else NEUTRAL

    @property
    def krate_id(self) -> str:
        """The collection krate's id (spec 15.3)."""
        return collection_krate_id(self.kind, self.value, self.namespace)

    def to_json(self) -> dict[str, Any]:
        """The document's `collScope` value."""
        value: dict[str, Any] = {"kind": self.kind, "value": self.value}
        if self.namespace:
            value["namespace"] = self.namespace
        return value

    @staticmethod
    def from_json(value: Any) -> CollScope | None:
        """Read a `collScope`; None when it is missing or malformed."""
        if not isinstance(value, dict) or value.get("kind") not in (
            "namespace",
            "category",
        ):
            return None
        if not value.get("value"):
            return None
        namespace = value.get("namespace")
        return CollScope(
            value["kind"], str(value["value"]), str(namespace) if namespace else None
        )


@dataclass
class CollectionWindow:
    """The collection window inside its krate, at (dx, dy) of size (w, h)."""

    wid: str
    dx: float = 0.0
    dy: float = 0.0
    w: float = COLLECTION_W
    h: float = COLLECTION_H
    kind: Literal["collection"] = "collection"
    tab: None = None

    geom = Window.geom  # the document's `geom` value, as for a detail window


@dataclass
class CollectionKrate:
    """A framed group holding the collection window of one scope."""

    id: str
    scope: CollScope
    label: str
    color: str
    pos: tuple[float, float]
    owner: str
    minimized: bool = False
    windows: dict[str, CollectionWindow] = field(default_factory=dict)

    # The frame follows the same rules as an object krate's (padding, header).
    frame_size = Krate.frame_size
    footprint = Krate.footprint
    center = Krate.center

    @property
    def namespace(self) -> str | None:
        """The namespace the card's footer names (none for a cluster-wide category)."""
        return self.scope.listed_namespace


def parse_collection(kid: str, raw: dict[str, Any]) -> CollectionKrate | None:
    """Read one collection krate map; malformed entries come back as None."""
    scope = CollScope.from_json(raw.get("collScope"))
    if scope is None:
        log.warning("collection krate %s has no usable collScope; it is not shown", kid)
        return None
    pos = raw.get("pos")
    if not isinstance(pos, list) or len(pos) != 2:
        pos = [0.0, 0.0]
    windows = {}
    for wid, value in (raw.get("windows") or {}).items():
        geom = value.get("geom") if isinstance(value, dict) else None
        if not isinstance(geom, list) or len(geom) != 4:
            geom = [0.0, 0.0, COLLECTION_W, COLLECTION_H]
        windows[str(wid)] = CollectionWindow(str(wid), *(float(g) for g in geom))
    return CollectionKrate(
        id=kid,
        scope=scope,
        label=str(raw.get("label") or scope.title),
        color=str(raw.get("color") or scope.color),
        pos=(float(pos[0]), float(pos[1])),
        owner=str(raw.get("owner") or ""),
        minimized=bool(raw.get("minimized", False)),
        windows=windows,
    )


def collection_krates(yard: Yard) -> dict[str, CollectionKrate]:
    """The yard's collection krates, read from its mirror of the document."""
    parsed = (parse_collection(kid, raw) for kid, raw in yard.collection_krates.items())
    return {krate.id: krate for krate in parsed if krate is not None}


def open_collection(
    yard: Yard, scope: CollScope, near: tuple[float, float]
) -> tuple[CollectionKrate, bool]:
    """Create the scope's krate centred near `near`, or find it; (krate, newly created)."""
    kid = scope.krate_id
    existing = collection_krates(yard).get(kid)
    if existing is not None:
        return existing, False
    window = CollectionWindow(f"w1-{user_tag(yard.user_id)}")
    probe = CollectionKrate(
        kid, scope, scope.title, scope.color, (0.0, 0.0), yard.user_id
    )
    probe.windows[window.wid] = window
    width, height = probe.frame_size()
    keep_clear(yard)
    # The yard's own placement: clamped to the world, nudged clear of every krate.
    pos = yard._free_position(probe, (near[0] - width / 2, near[1] - height / 2))  # type: ignore[arg-type]
    with yard.doc.transact():
        yard.doc.krates_map[kid] = Map(
            {
                "id": kid,
                "objRef": None,
                "collScope": scope.to_json(),
                "label": scope.title,
                "color": scope.color,
                "pos": [float(pos[0]), float(pos[1])],
                "minimized": False,
                "seq": 1,
                "owner": yard.user_id,
                "windows": Map(
                    {
                        window.wid: Map(
                            {"wid": window.wid, "kind": "collection", "tab": None,
                             "geom": window.geom()}
                        )
                    }
                ),
            }
        )  # fmt: skip
    log.info("collection krate %s created for %s", kid, scope.title)
    return collection_krates(yard)[kid], True


def keep_clear(yard: Yard) -> None:
    """Make the yard's placing and nudging of every krate keep clear of collection krates."""
    yard.obstacles = lambda: [k.footprint() for k in collection_krates(yard).values()]


def move_collection(yard: Yard, kid: str, pos: tuple[float, float]) -> None:
    """Move a collection krate's frame (world coordinates of its top-left corner)."""
    if kid in yard.collection_krates:
        with yard.doc.transact():
            yard.doc.krates_map[kid]["pos"] = [float(pos[0]), float(pos[1])]


def set_collection_minimized(yard: Yard, kid: str, minimized: bool) -> None:
    """Collapse a collection krate to its card, or expand it."""
    if kid in yard.collection_krates:
        with yard.doc.transact():
            yard.doc.krates_map[kid]["minimized"] = bool(minimized)


def resize_collection(
    yard: Yard, kid: str, wid: str, size: tuple[float, float]
) -> None:
    """Resize a collection window within 320x240 and 2000x1600; the frame re-fits."""
    krate = collection_krates(yard).get(kid)
    window = krate.windows.get(wid) if krate else None
    if window is None:
        return
    window.w = min(max(float(size[0]), MIN_COLLECTION[0]), MAX_WINDOW[0])
    window.h = min(max(float(size[1]), MIN_COLLECTION[1]), MAX_WINDOW[1])
    with yard.doc.transact():
        yard.doc.krates_map[kid]["windows"][wid]["geom"] = window.geom()
