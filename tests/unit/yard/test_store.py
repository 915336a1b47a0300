"""Yards on disk: documents, settings, camera, schema refusal and offline merges."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from krates_desktop.yard.doc import SCHEMA, YardDoc
from krates_desktop.yard.errors import SchemaMismatch, StoreError
from krates_desktop.yard.model import ObjRef, Yard
from krates_desktop.yard.store import AutoSaver, YardSettings, YardStore

POD = ObjRef("Pod", "", "v1", "payments", "api-server-7c9d5-x2k4p")
SVC = ObjRef("Service", "", "v1", "payments", "api-server")


def test_a_saved_yard_reopens_with_its_krates(tmp_path: Path) -> None:
    """Saving and loading gives back the layout, under a fresh client id."""
    store = YardStore(tmp_path)
    yard = Yard("me", YardDoc.new(name="demo-cluster", cluster="ab" * 32))
    krate, _, _ = yard.open_view(POD, "logs", (6000, 4000))
    yard.move_krate(krate.id, (500.0, 600.0))
    path = store.save(yard.doc)
    assert path == tmp_path / "yards" / yard.doc.meta.yard_id / "doc.bin"  # type: ignore[union-attr]
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = store.load(yard.doc.meta.yard_id)  # type: ignore[union-attr]
    assert loaded is not None and loaded.client_id != yard.doc.client_id
    again = Yard("me", loaded)
    assert again.krates[krate.id].pos == (500.0, 600.0)
    settings = store.load_settings(loaded.meta.yard_id)  # type: ignore[union-attr]
    assert settings is not None and settings.name == "demo-cluster"


def test_offline_edits_on_both_sides_merge(tmp_path: Path) -> None:
    """Two peers edit while apart (each saved and reopened); after a sync both krates exist."""
    first = Yard("aaaaaa01", YardDoc.new(name="y", cluster="c"))
    second = Yard("bbbbbb02", YardDoc.from_update(first.doc.update_since()))
    store_a, store_b = YardStore(tmp_path / "a"), YardStore(tmp_path / "b")
    first.open_view(POD, "logs", (1000, 1000))
    second.open_view(SVC, "describe", (5000, 5000))
    store_a.save(first.doc)
    store_b.save(second.doc)
    yard_id = first.doc.meta.yard_id  # type: ignore[union-attr]
    a = Yard("aaaaaa01", store_a.load(yard_id))
    b = Yard("bbbbbb02", store_b.load(yard_id))
    b.doc.apply_update(a.doc.update_since(b.doc.state_vector()), "a")
    a.doc.apply_update(b.doc.update_since(a.doc.state_vector()), "b")
    assert sorted(k.label for k in a.krates.values()) == [
        "api-server",
        "api-server-7c9d5-x2k4p",
    ]
    assert a.doc.krates_map.to_py() == b.doc.krates_map.to_py()


def test_a_yard_of_another_schema_is_refused(tmp_path: Path) -> None:
    """A saved yard marked with another schema raises SchemaMismatch instead of loading."""
    store = YardStore(tmp_path)
    doc = YardDoc.new(name="y", cluster="c")
    store.save(doc)
    yard_id = doc.meta.yard_id  # type: ignore[union-attr]
    settings = store.load_settings(yard_id)
    assert settings is not None
    store.save_settings(YardSettings(**{**settings.__dict__, "schema": SCHEMA + 1}))
    with pytest.raises(SchemaMismatch, match="update Krates"):
        store.load(yard_id)


def test_a_damaged_file_is_reported_not_loaded(tmp_path: Path) -> None:
    """A doc.bin that does not decode raises a StoreError saying what to do."""
    store = YardStore(tmp_path)
    doc = YardDoc.new(name="y", cluster="c")
    path = store.save(doc)
    path.write_bytes(b"\x01\xff\xff\xff")
    with pytest.raises(StoreError, match="damaged"):
        store.load(doc.meta.yard_id)  # type: ignore[union-attr]


def test_camera_and_cluster_index(tmp_path: Path) -> None:
    """The camera round-trips; a cluster's new yard archives the previous one."""
    store = YardStore(tmp_path)
    old, new = (
        YardDoc.new(name="old", cluster="f1"),
        YardDoc.new(name="new", cluster="f1"),
    )
    store.save(old)
    store.save(new)
    old_id, new_id = old.meta.yard_id, new.meta.yard_id  # type: ignore[union-attr]
    store.save_camera(new_id, {"camX": 10.0, "camY": -4.0, "zoom": 0.92})
    assert store.load_camera(new_id) == {"camX": 10.0, "camY": -4.0, "zoom": 0.92}
    assert store.set_cluster_yard("f1", old_id) is None
    assert store.set_cluster_yard("f1", new_id) == old_id
    assert store.yard_for_cluster("f1") == new_id
    assert [s.yard_id for s in store.archived()] == [old_id]
    store.delete(new_id)
    assert store.yard_for_cluster("f1") is None and new_id not in store.yard_ids()
    json.loads((tmp_path / "yards" / "clusters.json").read_text())


def test_autosave_waits_for_a_quiet_moment(tmp_path: Path) -> None:
    """Changes are saved once, after the delay following the last change, and on close."""

    async def scenario() -> tuple[int, int, int]:
        store = YardStore(tmp_path)
        yard = Yard("me", YardDoc.new(name="y", cluster="c"))
        saver = AutoSaver(store, yard.doc, delay=0.05)
        krate, _, _ = yard.open_view(POD, "logs", (0, 0))
        for i in range(5):
            yard.move_krate(krate.id, (float(i), 0.0))
            await asyncio.sleep(0.01)
        during = saver.saves
        await asyncio.sleep(0.1)
        after = saver.saves
        yard.move_krate(krate.id, (9.0, 9.0))
        saver.close()
        return during, after, saver.saves

    assert asyncio.run(scenario()) == (0, 1, 2)
