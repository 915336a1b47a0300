"""Cache changes reach spotlight's index: adds and deletes do, status-only updates cost nothing."""

from __future__ import annotations

from krates_desktop.cluster.informer import Change
from krates_desktop.cluster.kinds import BUILTIN_KINDS, POD
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.cluster_source import ClusterSource
from krates_desktop.ui.spotlight.index import SearchIndex

NAMESPACE = next(k for k in BUILTIN_KINDS if k.kind == "Namespace")
EVENT = next(k for k in BUILTIN_KINDS if k.kind == "Event")


def _pod(name: str, phase: str = "Running") -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": "shop"}, "status": {"phase": phase}}


def _names(index: SearchIndex, query: str) -> list[str]:
    return [r.candidate.name for r in index.search(query)]


def test_adds_and_deletes_reach_the_index_and_known_updates_are_left_out() -> None:
    source = ClusterSource(None, Dispatcher())
    index = SearchIndex()
    added = [
        Change("ADDED", POD, _pod("cart-7d9f")),
        Change("ADDED", NAMESPACE, {"metadata": {"name": "shop"}}),
        Change(
            "ADDED", EVENT, {"metadata": {"name": "cart-7d9f.17a", "namespace": "shop"}}
        ),
    ]
    index.update(source.candidate_changes(added, known=index))
    assert _names(index, "cart") == ["cart-7d9f"]
    assert _names(index, "shop") == ["shop"]  # a namespace, events are not searched

    modified = [Change("MODIFIED", POD, _pod("cart-7d9f", "Failed"))]
    assert list(source.candidate_changes(modified, known=index)) == []
    # an object the index never heard of (its add was missed) is added by its update
    missed = [Change("MODIFIED", POD, _pod("ledger-0"))]
    index.update(source.candidate_changes(missed, known=index))
    assert _names(index, "ledger") == ["ledger-0"]

    deleted = [Change("DELETED", POD, _pod("cart-7d9f"))]
    index.update(source.candidate_changes(deleted, known=index))
    assert _names(index, "cart") == []
    pod = index.search("ledger")[0].candidate
    assert (pod.kind, pod.namespace, pod.payload.name) == ("Pod", "shop", "ledger-0")  # type: ignore[attr-defined]
