"""Watch events as the informer handles them: bookmarks (C10), errors, and diffs after a re-list."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from kubernetes.client import Configuration

from krates_desktop.cluster import api
from krates_desktop.cluster.errors import AccessDenied
from krates_desktop.cluster.informer import Change, Informer, _diff
from krates_desktop.cluster.kinds import POD, Kind

JOB = Kind("batch", "v1", "Job", "jobs", True, "job")


class Listener:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def informer_changes(self, informer: Informer, changes: list[Change]) -> None:
        self.changes.extend(changes)

    def informer_state(self, informer: Informer, state: str, message: str) -> None:
        pass


@pytest.fixture
def informer() -> tuple[Informer, Listener]:
    configuration = Configuration()
    configuration.host = "https://127.0.0.1:1"
    found = Informer(configuration, JOB, "team-a", ("test",))
    listener = Listener()
    found.add_listener(listener)
    return found, listener


def line(event_type: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": event_type, "object": obj})


def test_a_bookmark_moves_the_version_and_reaches_nobody(
    informer: tuple[Informer, Listener],
) -> None:
    """A Job BOOKMARK (no pod template at all) only advances the resource version (C10)."""
    found, listener = informer
    bookmark = {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {"resourceVersion": "112", "creationTimestamp": None},
    }

    version = found._handle(line("BOOKMARK", bookmark), "100")

    assert version == "112"
    assert listener.changes == [] and found.objects() == []


def test_events_update_the_store_and_the_version(
    informer: tuple[Informer, Listener],
) -> None:
    """ADDED then MODIFIED then DELETED reach the listener once each, in order."""
    found, listener = informer
    job = {
        "metadata": {
            "name": "backup",
            "namespace": "team-a",
            "uid": "u1",
            "resourceVersion": "5",
        }
    }

    found._handle(line("ADDED", job), "4")
    job["metadata"]["resourceVersion"] = "6"
    found._handle(line("MODIFIED", job), "5")
    version = found._handle(line("DELETED", job), "6")

    assert [c.type for c in listener.changes] == ["ADDED", "MODIFIED", "DELETED"]
    assert listener.changes[0].obj["kind"] == "Job" and version == "6"
    assert found.objects() == []


def test_a_followed_pod_that_cannot_be_read_whole_still_reaches_the_listener() -> None:
    """A window follows the pod; an event whose skipped fields hold bytes that are
    not UTF-8 still updates the cache and tells the listener (the window then
    fetches the pod whole), instead of changing the cache silently."""
    configuration = Configuration()
    configuration.host = "https://127.0.0.1:1"
    found = Informer(configuration, POD, "team-a", ("test",))
    listener = Listener()
    found.add_listener(listener)
    job = {"metadata": {"name": "backup", "namespace": "team-a", "uid": "u1"}}
    job["metadata"]["resourceVersion"] = "5"
    found._handle(line("ADDED", job), "4")
    found.follow("team-a", "backup")  # (its fetch fails: no server at that address)
    job["metadata"]["resourceVersion"] = "6"
    job["spec"] = {"note": "NOTE"}
    broken = line("MODIFIED", job).replace(b"NOTE", b"\xff")

    version = found._handle(broken, "5")

    assert version == "6"
    assert [c.type for c in listener.changes] == ["ADDED", "MODIFIED"]
    assert listener.changes[-1].obj["metadata"]["resourceVersion"] == "6"
    assert found.get("team-a", "backup")["metadata"]["resourceVersion"] == "6"


@pytest.mark.parametrize(
    ("code", "error"), [(410, api.Expired), (403, AccessDenied), (429, api.Throttled)]
)
def test_error_events_become_errors(
    informer: tuple[Informer, Listener], code: int, error: type
) -> None:
    """An ERROR event's Status decides: 410 lists again, 403 is no access, 429 waits."""
    found, _ = informer
    status = {
        "kind": "Status",
        "code": code,
        "message": "too old resource version: 1 (5)",
    }

    with pytest.raises(error):
        found._handle(line("ERROR", status), "1")


def test_diff_after_a_relist_emits_only_what_changed() -> None:
    """Unchanged objects stay silent; new, changed, recreated and vanished ones are reported."""

    def obj(name: str, uid: str, version: str) -> dict[str, Any]:
        return {
            "metadata": {
                "name": name,
                "namespace": "a",
                "uid": uid,
                "resourceVersion": version,
            }
        }

    old = {
        ("a", n): o
        for n, o in [
            ("same", obj("same", "1", "1")),
            ("edit", obj("edit", "2", "1")),
            ("gone", obj("gone", "3", "1")),
            ("again", obj("again", "4", "1")),
        ]
    }
    new = {
        ("a", n): o
        for n, o in [
            ("same", obj("same", "1", "1")),
            ("edit", obj("edit", "2", "2")),
            ("new", obj("new", "5", "1")),
            ("again", obj("again", "6", "1")),
        ]
    }

    changes = [(c.type, c.obj["metadata"]["name"]) for c in _diff(JOB, old, new)]

    assert changes == [
        ("MODIFIED", "edit"),
        ("ADDED", "new"),
        ("DELETED", "again"),
        ("ADDED", "again"),
        ("DELETED", "gone"),
    ]
