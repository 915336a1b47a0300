"""Collection krates in the yard document: scope, title, id, placement, persistence."""

from __future__ import annotations

import hashlib
from pathlib import Path

from krates_desktop.yard.collections import (
    CollScope,
    collection_krates,
    keep_clear,
    move_collection,
    open_collection,
    set_collection_minimized,
)
from krates_desktop.yard.doc import YardDoc
from krates_desktop.yard.model import ObjRef, Yard, _overlaps
from krates_desktop.yard.palette import namespace_color
from krates_desktop.yard.store import YardStore


def test_titles_ids_and_colours_follow_the_scope() -> None:
    """`ns/payments`, `All Pods`, `pods · ns/payments`; ids are `c-` + 20 hex of SHA-256."""
    namespace = CollScope("namespace", "payments")
    everything = CollScope("category", "pods")
    inside = CollScope("category", "pods", "payments")
    assert [s.title for s in (namespace, everything, inside)] == [
        "ns/payments",
        "All Pods",
        "pods · ns/payments",
    ]
    assert CollScope("category", "pvcs").title == "All PVCs"
    digest = hashlib.sha256(b"namespace/payments/").hexdigest()[:20]
    assert namespace.krate_id == f"c-{digest}"
    assert namespace.color == inside.color == namespace_color("payments")
    assert everything.color == "#9aa7ba"
    assert CollScope.from_json(inside.to_json()) == inside
    assert CollScope.from_json({"kind": "label", "value": "x"}) is None


def test_opening_writes_one_krate_with_objref_null_and_one_collection_window() -> None:
    """The krate holds `objRef: null`, `collScope`, and a 540x480 window of kind collection
    with tab null; opening the same scope again finds it."""
    yard = Yard("u-1")
    events: list[tuple[str, str]] = []
    yard.subscribe(lambda event, kid: events.append((event, kid)))
    krate, created = open_collection(yard, CollScope("category", "pods"), (3000, 2000))
    assert created and events == [("added", krate.id)]
    raw = yard.collection_krates[krate.id]
    assert raw["objRef"] is None and raw["collScope"] == {
        "kind": "category",
        "value": "pods",
    }
    (window,) = raw["windows"].values()
    assert (window["kind"], window["tab"], window["geom"][2:]) == (
        "collection",
        None,
        [540, 480],
    )
    assert krate.frame_size() == (600, 540)
    again, created = open_collection(yard, CollScope("category", "pods"), (0, 0))
    assert not created and again.id == krate.id and len(collection_krates(yard)) == 1


def test_collection_and_object_krates_keep_clear_of_each_other() -> None:
    """A collection opened over an object krate is nudged off it, and the other way round."""
    yard = Yard("u-1")
    keep_clear(yard)
    pod, _w, _c = yard.open_view(
        ObjRef("Pod", "", "v1", "a", "p"), "logs", (3000, 2000)
    )
    collection, _ = open_collection(yard, CollScope("namespace", "a"), (3000, 2000))
    assert not _overlaps(pod.footprint(), collection.footprint(), 0.0)
    svc, _w, _c = yard.open_view(
        ObjRef("Service", "", "v1", "a", "s"), "yaml", collection.center()
    )
    assert not _overlaps(svc.footprint(), collection.footprint(), 0.0)


def test_moves_and_minimising_are_saved_and_reloaded(tmp_path: Path) -> None:
    """Position and minimised state live in the document, so they survive a save and load."""
    doc = YardDoc.new(name="y", cluster="c")
    yard = Yard("u-1", doc)
    krate, _ = open_collection(yard, CollScope("namespace", "payments"), (1000, 1000))
    move_collection(yard, krate.id, (120, 340))
    set_collection_minimized(yard, krate.id, True)
    store = YardStore(tmp_path)
    store.save(doc)
    loaded = store.load(doc.meta.yard_id)  # type: ignore[union-attr]
    assert loaded is not None
    back = collection_krates(Yard("u-1", loaded))[krate.id]
    assert back.pos == (120, 340) and back.minimized and back.label == "ns/payments"
    assert back.scope == CollScope("namespace", "payments")
