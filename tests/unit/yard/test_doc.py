"""The yard on its pycrdt document: transactions, remote changes, conflicts and growth."""

from __future__ import annotations

import hashlib
import random

import pytest

from krates_desktop.yard.doc import SCHEMA, YardDoc
from krates_desktop.yard.errors import SchemaMismatch, UpdateRejected
from krates_desktop.yard.model import (
    KrateClosedRemotely,
    ObjRef,
    Yard,
    collection_krate_id,
    krate_id,
)

POD = ObjRef("Pod", "", "v1", "payments", "api-server-7c9d5-x2k4p")
SVC = ObjRef("Service", "", "v1", "payments", "api-server")
DEPLOY = ObjRef("Deployment", "apps", "v1", "payments", "api-server")
NODE = ObjRef("Node", "", "v1", None, "node-1")


def exchange(a: Yard, b: Yard) -> None:
    """Bring two replicas level with each other, as the sync handshake does."""
    to_b = a.doc.update_since(b.doc.state_vector())
    to_a = b.doc.update_since(a.doc.state_vector())
    b.doc.apply_update(to_b, "peer-a")
    a.doc.apply_update(to_a, "peer-b")


def joined(name: str, source: Yard) -> Yard:
    """A replica that joined `source`'s yard (an empty document, then a sync)."""
    yard = Yard(name, YardDoc())
    exchange(source, yard)
    return yard


def test_krate_ids_follow_the_documented_formula() -> None:
    """Object ids hash group/kind/namespace/name; collection ids hash kind/value/namespace."""
    digest = hashlib.sha256(b"/Pod/payments/api-server-7c9d5-x2k4p").hexdigest()[:20]
    assert krate_id(POD) == f"o-{digest}"
    assert krate_id(NODE) == "o-" + hashlib.sha256(b"/Node//node-1").hexdigest()[:20]
    assert collection_krate_id("namespace", "payments") == (
        "c-" + hashlib.sha256(b"namespace/payments/").hexdigest()[:20]
    )


def test_each_user_action_is_one_transaction() -> None:
    """Create, add a window, move, change tab, minimize and close each emit one update."""
    yard = Yard("3f9c2a7e-0000-4000-8000-000000000001")
    updates: list[bytes] = []
    yard.doc.on_update(lambda update, origin: updates.append(update))
    krate, logs, _ = yard.open_view(POD, "logs", (6000, 4000))
    yard.open_view(POD, "yaml", (6000, 4000))
    yard.move_krate(krate.id, (100.0, 200.0))
    yard.set_tab(krate.id, logs.wid, "shell")
    yard.set_minimized(krate.id, True)
    yard.close_window(krate.id, logs.wid)
    assert len(updates) == 6
    assert logs.wid.endswith("-3f9c2a")


def test_the_document_holds_the_documented_shape() -> None:
    """A krate is a nested map with pos and geom as single values; numbers read back as floats."""
    yard = Yard("me")
    krate, window, _ = yard.open_view(POD, "logs", (6000, 4000))
    raw = yard.doc.krates_map[krate.id].to_py()
    assert raw["objRef"] == {
        "kind": "Pod",
        "group": "",
        "version": "v1",
        "namespace": "payments",
        "name": "api-server-7c9d5-x2k4p",
    }
    assert raw["collScope"] is None and raw["owner"] == "me" and raw["seq"] == 1.0
    assert isinstance(raw["pos"], list) and len(raw["pos"]) == 2
    assert raw["windows"][window.wid] == {
        "wid": window.wid,
        "kind": "detail",
        "tab": "logs",
        "geom": [0.0, 0.0, 380.0, 362.0],
    }
    assert yard.doc.meta is not None and yard.doc.meta.schema == SCHEMA
    assert isinstance(krate.seq, int) and isinstance(krate.pos[0], float)


def test_remote_changes_reach_listeners() -> None:
    """Krates created, moved and closed on one peer are added, changed and removed on another."""
    a = Yard("aaaaaa01")
    b = joined("bbbbbb02", a)
    events: list[tuple[str, str]] = []
    b.subscribe(lambda event, kid: events.append((event, kid)))
    krate, _, _ = a.open_view(POD, "logs", (6000, 4000))
    exchange(a, b)
    assert events == [("added", krate.id)]
    assert b.krates[krate.id].windows.keys() == krate.windows.keys()
    a.move_krate(krate.id, (1234.0, 2345.0))
    exchange(a, b)
    assert events[-1] == ("changed", krate.id) and b.krates[krate.id].pos == (
        1234.0,
        2345.0,
    )
    a.remove_krate(krate.id)
    exchange(a, b)
    assert events[-1] == ("removed", krate.id) and krate.id not in b.krates


def test_concurrent_opens_of_one_object_end_in_one_krate_with_both_windows() -> None:
    """Two peers opening the same pod at once converge on one krate holding both windows."""
    a = Yard("aaaaaa01")
    b = joined("bbbbbb02", a)
    a.open_view(POD, "logs", (6000, 4000))
    b.open_view(POD, "yaml", (6000, 4000))
    exchange(a, b)
    exchange(a, b)
    kid = krate_id(POD)
    assert a.doc.krates_map.to_py() == b.doc.krates_map.to_py()
    windows = a.krates[kid].windows
    assert sorted(w.tab for w in windows.values()) == ["logs", "yaml"]
    boxes = {(w.dx, w.dy) for w in windows.values()}
    assert boxes == {(0.0, 0.0), (412.0, 0.0)}


def test_a_close_wins_over_a_concurrent_window_and_the_adder_is_told() -> None:
    """A krate closed on one peer while another adds a window stays closed; the adder hears of it."""
    a = Yard("aaaaaa01")
    krate, _, _ = a.open_view(SVC, "describe", (6000, 4000))
    b = joined("bbbbbb02", a)
    notices: list[KrateClosedRemotely] = []
    b.subscribe_conflicts(notices.append)
    a.remove_krate(krate.id)
    b.open_view(SVC, "yaml", (6000, 4000))
    exchange(a, b)
    assert krate.id not in a.krates and krate.id not in b.krates
    assert [(n.krate_id, n.label) for n in notices] == [(krate.id, "api-server")]


def test_ten_thousand_moves_barely_grow_the_document() -> None:
    """Moving one krate 10,000 times grows the encoded document by under 2 KB."""
    yard = Yard("me")
    krate, _, _ = yard.open_view(DEPLOY, "logs", (6000, 4000))
    before = yard.doc.size()
    for i in range(10_000):
        yard.move_krate(krate.id, (float(i % 5000), float(i % 3000)))
    assert yard.doc.size() - before < 2048


@pytest.mark.parametrize(
    "payload",
    [b"\x01" + b"\xff" * 10, b"garbage that is not an update", b"\x00\x01\x02"],
)
def test_undecodable_updates_are_refused_and_the_document_keeps_working(
    payload: bytes,
) -> None:
    """Garbage bytes raise UpdateRejected (a person-readable error); later edits still apply."""
    yard = Yard("me")
    good = Yard("other")
    good.open_view(POD, "logs", (0, 0))
    update = good.doc.update_since()
    with pytest.raises(UpdateRejected, match="could not be decoded"):
        yard.doc.apply_update(payload, "peer-x")
    with pytest.raises(UpdateRejected):
        yard.doc.apply_update(update[: len(update) // 2], "peer-x")
    yard.doc.apply_update(update, "peer-y")
    assert krate_id(POD) in yard.krates


def test_a_malformed_remote_krate_is_not_shown() -> None:
    """A remote entry without a usable objRef is kept in the document but not mirrored."""
    a = Yard("me")
    b = joined("other", a)
    with b.doc.transact():
        b.doc.krates_map["o-broken"] = {"label": 3}
    exchange(a, b)
    assert "o-broken" in a.doc.krates_map and "o-broken" not in a.krates


def test_a_document_of_another_schema_is_refused() -> None:
    """A yard whose meta.schema differs says to update Krates."""
    doc = YardDoc.new(name="x", cluster="c")
    with doc.transact():
        doc.meta_map["schema"] = SCHEMA + 1
    with pytest.raises(SchemaMismatch, match="update Krates"):
        doc.check_schema()


def test_randomised_concurrent_edits_converge_in_memory() -> None:
    """Three replicas editing at random and syncing in random order end identical."""
    rng = random.Random(7)
    refs = [ObjRef("Pod", "", "v1", "payments", f"pod-{i}") for i in range(6)]
    first = Yard("aaaaaa01")
    yards = [first, joined("bbbbbb02", first), joined("cccccc03", first)]
    for _ in range(300):
        yard = rng.choice(yards)
        random_edit(yard, rng, refs)
        if rng.random() < 0.3:
            a, b = rng.sample(yards, 2)
            exchange(a, b)
    for _ in range(2):
        for a in yards:
            for b in yards:
                if a is not b:
                    exchange(a, b)
    states = [y.doc.krates_map.to_py() for y in yards]
    assert states[0] == states[1] == states[2]
    assert yards[0].krates.keys() == yards[1].krates.keys() == yards[2].krates.keys()


def random_edit(yard: Yard, rng: random.Random, refs: list[ObjRef]) -> None:
    """One random user action on `yard`."""
    action = rng.random()
    if action < 0.4 or not yard.krates:
        yard.open_view(
            rng.choice(refs), rng.choice(["logs", "yaml", "describe"]), (6000, 4000)
        )
        return
    kid = rng.choice(sorted(yard.krates))
    krate = yard.krates[kid]
    if action < 0.7:
        yard.move_krate(kid, (rng.uniform(0, 9000), rng.uniform(40, 6000)))
    elif action < 0.85:
        yard.close_window(kid, rng.choice(sorted(krate.windows)))
    else:
        yard.set_minimized(kid, not krate.minimized)
