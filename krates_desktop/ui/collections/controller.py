"""Keeps the canvas's collection krates in step with the yard and the cluster cache.

Each collection krate (spec 10) is drawn as a `KrateItem` holding one
`CollectionWindowItem`. Its objects are gathered from the cache and related on a
worker thread (a big category holds tens of thousands of pods); the result comes
back through the dispatcher's queued signal and replaces the window's data. Cache
changes are coalesced so a burst of watch events rebuilds once.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from krates_desktop.cluster.relations import (
    Item,
    Node,
    Relations,
    Row,
    build_tree,
    list_items,
    worst_health,
)
from krates_desktop.ui.canvas.view import CanvasView
from krates_desktop.ui.cluster_source import SEARCHABLE, ClusterSource
from krates_desktop.ui.collections.window import CollectionWindowItem, is_plain
from krates_desktop.ui.krate.krate_item import KrateItem
from krates_desktop.ui.spotlight.fuzzy import Candidate
from krates_desktop.ui.windows.maximize import Maximizer
from krates_desktop.yard.collections import (
    CATEGORIES,
    CollectionKrate,
    CollScope,
    collection_krates,
    keep_clear,
    move_collection,
    open_collection,
    resize_collection,
    set_collection_minimized,
)
from krates_desktop.yard.model import ObjRef, Yard, default_tab

log = logging.getLogger(__name__)

REFRESH_MS = 120
USED = ("Pod", "ConfigMap", "Secret", "PersistentVolumeClaim")
# What a category needs besides its own kind to draw its tree.
RELATED: dict[str, tuple[str, ...]] = {"Ingress": ("Service", *USED)}
CRDS = "CustomResourceDefinition"


@dataclass(frozen=True)
class Listing:
    """A collection's rows as built on the worker: list order, tree roots, notes."""

    items: list[Item]
    roots: list[Node]
    notes: list[Row]


def gather(source: ClusterSource, scope: CollScope) -> Listing:
    """Read the scope's objects from the cache and relate them (runs on a worker).

    `All CRDs` lists the instances of every custom resource; a namespace lists its
    custom resources with the built-in kinds.
    """
    namespace = scope.listed_namespace
    category = scope.category_kind
    custom = [
        k.kind for k in source.custom_kinds() if namespace is None or k.namespaced
    ]
    wanted = [k.kind for k in SEARCHABLE] + custom
    if category == CRDS:
        wanted, category = custom, None
    elif category is not None:
        wanted = [category, *RELATED.get(category, USED)]
    objects: dict[str, list[Any]] = {}
    for kind in dict.fromkeys(wanted):
        try:
            found = source.objects(kind)
        except KeyError:
            continue  # a custom resource whose CRD has just gone
        if namespace is not None:
            found = [
                o
                for o in found
                if (o.get("metadata") or {}).get("namespace") == namespace
            ]
        objects[kind] = found
    relations = Relations(objects, datetime.now(UTC), frozenset(custom))
    denied = _denied(source, scope)
    notes = [Row(None, note=f"no access: {', '.join(denied)}")] if denied else []
    return Listing(
        list_items(relations, category), build_tree(relations, category), notes
    )


def _denied(source: ClusterSource, scope: CollScope) -> list[str]:
    """The plural names of the listed kinds this peer may not list (spec 10.3, 15.10)."""
    cache = source.cache
    if cache is None:
        return []
    category = scope.category_kind
    names = []
    for (kind, namespace), _message in cache.no_access().items():
        if category is not None and kind.kind != category:
            continue
        whole = kind in cache.denied
        if whole or (namespace is not None and namespace == scope.listed_namespace):
            names.append(kind.plural)
    return list(dict.fromkeys(names))


class CollectionController(QObject):
    """Builds the krate and window items of every collection krate; routes their keys."""

    view_requested = Signal(object, str)  # ObjRef, tab
    close_requested = Signal(str)  # krate id: the yard controller closes it, with Undo
    hover_changed = Signal(str)  # "collection" or ""

    def __init__(
        self, yard: Yard, view: CanvasView, source: ClusterSource, maximizer: Maximizer
    ) -> None:
        super().__init__(view)
        self.yard = yard
        self.view = view
        self.source = source
        self.maximizer = maximizer
        self.krate_items: dict[str, KrateItem] = {}
        self.windows: dict[str, CollectionWindowItem] = {}
        self.scopes: dict[str, CollScope] = {}
        self.hovered: str | None = None
        self.sticky: str | None = None
        self._generation: dict[str, int] = {}
        self._building: set[str] = set()
        self._again: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collections")
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self.refresh_all)
        yard.subscribe(
            lambda event, kid, y=yard: self._on_yard_changed_in(y, event, kid)
        )
        keep_clear(yard)
        source.subscribe(self._on_source_changes)
        source.subscribe_status(lambda _status: self._refresh.start())
        view.lod_changed.connect(self._on_view_lod_changed)
        # A click on empty canvas takes the keyboard from the new collection (spec 7.3).
        view.spotlight_requested.connect(
            lambda _query: self.other_window_hovered("canvas")
        )

    # opening ---------------------------------------------------------------------

    def open(self, scope: CollScope) -> str:
        """Create or find the scope's collection krate, fly to it, focus its filter."""
        krate, _created = open_collection(self.yard, scope, self.view.view_center())
        self.view.fly_to(*krate.center())
        if krate.minimized:
            set_collection_minimized(self.yard, krate.id, False)
        window = self.windows.get(krate.id)
        if window is not None:
            self.sticky = krate.id
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            window.focus_filter()
        return krate.id

    def candidates(self) -> list[Candidate]:
        """Spotlight results of their own: the collection krates and the categories."""
        krates = [
            Candidate("krate", k.label, k.namespace, payload=k.id)
            for k in collection_krates(self.yard).values()
        ]
        categories = [
            Candidate("category", scope.title, payload=scope)
            for scope in (CollScope("category", value) for value in CATEGORIES)
        ]
        return krates + categories

    def open_candidate(self, candidate: Candidate, tab: str) -> bool:
        """Open what a spotlight result names if it is a collection (spec 11.6).

        `⏎` on a namespace opens its collection krate (its ⌥D and ⌥Y open the
        Namespace object instead); a category opens its krate; a collection krate
        result flies to it.
        """
        payload = candidate.payload
        if candidate.kind == "krate" and str(payload).startswith("c-"):
            krate = collection_krates(self.yard).get(str(payload))
            if krate is not None:
                self.open(krate.scope)
            return True
        if candidate.kind == "category" and isinstance(payload, CollScope):
            self.open(payload)
            return True
        if candidate.kind == "namespace" and not tab:
            self.open(CollScope("namespace", candidate.name))
            return True
        return False

    def set_yard(self, yard: Yard) -> None:
        """Show another yard: rebuild every collection krate."""
        for kid in list(self.krate_items):
            self._remove(kid)
        self.yard = yard
        yard.subscribe(
            lambda event, kid, y=yard: self._on_yard_changed_in(y, event, kid)
        )
        keep_clear(yard)
        for kid in collection_krates(yard):
            self._sync(kid)

    # yard events --------------------------------------------------------------------

    def _on_yard_changed_in(self, yard: Yard, event: str, kid: str) -> None:
        if yard is not self.yard or not kid.startswith("c-"):
            return
        if event == "removed":
            self._remove(kid)
        else:
            self._sync(kid)

    def _sync(self, kid: str) -> None:
        krate = collection_krates(self.yard).get(kid)
        if krate is None:
            self._remove(kid)
            return
        item = self.krate_items.get(kid)
        if item is None:
            item = self._make_krate_item(krate)
        item.sync(krate)
        window = self.windows.get(kid)
        geometry = next(iter(krate.windows.values()), None)
        if window is None and geometry is not None:
            window = self._make_window(krate, item)
        if window is not None and geometry is not None:
            origin = item.window_origin(geometry.dx, geometry.dy)
            if self.maximizer.window is window:
                self.maximizer.update_home_geometry(
                    origin.x(), origin.y(), geometry.w, geometry.h
                )
            else:
                window.set_geometry(origin.x(), origin.y(), geometry.w, geometry.h)

    def _make_krate_item(self, krate: CollectionKrate) -> KrateItem:
        item = KrateItem(krate, self.view.world)
        item.close_requested.connect(self.close_requested)
        item.minimize_requested.connect(self._on_krate_minimize_requested)
        item.expand_requested.connect(self._on_krate_expand_requested)
        item.moved.connect(lambda kid, x, y: move_collection(self.yard, kid, (x, y)))
        item.set_lod_collapsed(self.view.collapsed)
        self.krate_items[krate.id] = item
        self.scopes[krate.id] = krate.scope
        return item

    def _make_window(
        self, krate: CollectionKrate, item: KrateItem
    ) -> CollectionWindowItem:
        wid = next(iter(krate.windows))
        window = CollectionWindowItem(wid, krate.scope.title, item)
        window.open_requested.connect(self._on_window_open_requested)
        window.close_requested.connect(
            lambda _wid, k=krate.id: self.close_requested.emit(k)
        )
        window.maximize_requested.connect(
            lambda _wid, w=window: self.maximizer.toggle(w)
        )
        window.hovered.connect(lambda _wid, k=krate.id: self._on_window_hovered(k))
        window.unhovered.connect(lambda _wid, k=krate.id: self._on_window_unhovered(k))
        for signal in (window.resize_dragged, window.resize_released):
            signal.connect(
                lambda wid, w, h, k=krate.id: resize_collection(
                    self.yard, k, wid, (w, h)
                )
            )
        self.windows[krate.id] = window
        self.refresh(krate.id)
        return window

    def _remove(self, kid: str) -> None:
        window = self.windows.pop(kid, None)
        if window is not None:
            self.maximizer.forget(window)  # type: ignore[arg-type]
            if window.scene() is not None:
                window.scene().removeItem(window)
        item = self.krate_items.pop(kid, None)
        if item is not None and item.scene() is not None:
            item.scene().removeItem(item)
        self.scopes.pop(kid, None)
        if self.hovered == kid:
            self._on_window_unhovered(kid)
        if self.sticky == kid:
            self.sticky = None

    def _on_krate_minimize_requested(self, kid: str) -> None:
        krate = collection_krates(self.yard).get(kid)
        if krate is not None:
            set_collection_minimized(self.yard, kid, not krate.minimized)

    def _on_krate_expand_requested(self, kid: str) -> None:
        krate = collection_krates(self.yard).get(kid)
        if krate is not None:
            set_collection_minimized(self.yard, kid, False)
            self.view.fly_to(*krate.center())

    def _on_view_lod_changed(self, collapsed: bool) -> None:
        for item in self.krate_items.values():
            item.set_lod_collapsed(collapsed)

    # data ------------------------------------------------------------------------------

    def refresh_all(self) -> None:
        """Rebuild every collection's rows from the cache (after a burst of changes)."""
        for kid in list(self.windows):
            self.refresh(kid)

    def refresh(self, kid: str) -> None:
        """Rebuild one collection's rows on the worker.

        One build per collection at a time: a change arriving during a build marks
        the collection for one more build when it ends, so builds never pile up.
        """
        scope = self.scopes.get(kid)
        if scope is None:
            return
        if kid in self._building:
            self._again.add(kid)
            return
        self._building.add(kid)
        generation = self._generation.get(kid, 0) + 1
        self._generation[kid] = generation
        post = self.source.dispatcher.post

        def work() -> None:
            listing: Listing | None = None
            started = time.monotonic()
            try:
                listing = gather(self.source, scope)
            except Exception:
                log.exception("could not list the collection %s", scope.title)
            post(self._apply, kid, generation, listing, time.monotonic() - started)

        self._pool.submit(work)

    def _apply(
        self, kid: str, generation: int, listing: Listing | None, took: float
    ) -> None:
        self._building.discard(kid)
        # A big collection (tens of thousands of pods) takes a while to relate: wait
        # twice as long as the last build before the next, so the worker leaves the
        # interpreter to the GUI most of the time.
        self._refresh.setInterval(max(REFRESH_MS, round(took * 2000)))
        if kid in self._again:
            self._again.discard(kid)
            self.refresh(kid)
        window = self.windows.get(kid)
        if window is None or listing is None or self._generation.get(kid) != generation:
            return
        window.set_data(listing.items, listing.roots, listing.notes)
        health = worst_health(listing.items)
        count = len(listing.items)
        text = f"{count} object" + ("" if count == 1 else "s")
        self.krate_items[kid].set_status(text, health)

    def _on_source_changes(self, changes: list[Any]) -> None:
        # Events are not listed; a steady stream of changes still refreshes every
        # REFRESH_MS because a running timer is not restarted.
        if (
            any(c.kind.kind != "Event" for c in changes)
            and not self._refresh.isActive()
        ):
            self._refresh.start()

    # opening rows -----------------------------------------------------------------------

    def _on_window_open_requested(self, item: Item, tab: str) -> None:
        kind = self.source.kinds.get(item.kind)
        if kind is None:
            return
        ref = ObjRef(item.kind, kind.group, kind.version, item.namespace, item.name)
        self.view_requested.emit(ref, tab or default_tab(item.kind, item.crd))

    # keyboard ------------------------------------------------------------------------------

    def keyboard_window(self) -> CollectionWindowItem | None:
        """The maximised collection, else the hovered one, else the sticky new one."""
        maximized = self.maximizer.window
        if maximized is not None:
            return maximized if isinstance(maximized, CollectionWindowItem) else None
        return self.windows.get(self.hovered or self.sticky or "")

    def handle_key(self, event: QKeyEvent) -> bool:
        """Keys while the filter does not have focus (spec 10.5): t, z, lists, typing."""
        window = self.keyboard_window()
        if window is None:
            return False
        if window.handle_list_key(event):
            return True
        text = event.text()
        if is_plain(event) and event.key() == Qt.Key.Key_T:
            window.toggle_view()
        elif is_plain(event) and event.key() == Qt.Key.Key_Z:
            self.maximizer.toggle(window)  # type: ignore[arg-type]
        elif is_plain(event) and len(text) == 1 and text.isprintable() and text != " ":
            window.focus_filter(text)
        else:
            return False
        return True

    def other_window_hovered(self, over: str) -> None:
        """The pointer entered a detail window or shell, or the canvas was clicked: the
        sticky collection lets go of the keyboard."""
        if over:
            self.sticky = None

    def _on_window_hovered(self, kid: str) -> None:
        self.hovered = kid
        if self.sticky != kid:
            self.sticky = None
        window = self.windows.get(kid)
        if window is not None and not window.filter_has_focus():
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            window.focus_filter()
        self.hover_changed.emit("collection")

    def _on_window_unhovered(self, kid: str) -> None:
        if self.hovered == kid:
            self.hovered = None
            self.hover_changed.emit("")

    def stop(self) -> None:
        """The cluster is going away: results of builds under way are dropped."""
        self._refresh.stop()
        for kid in self._generation:
            self._generation[kid] += 1
