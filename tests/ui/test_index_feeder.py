"""Spotlight's index filled from a first sync of 20,000 pods without holding the window."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from krates_desktop.cluster.informer import Change
from krates_desktop.cluster.kinds import POD
from krates_desktop.ui.bridge import Dispatcher
from krates_desktop.ui.cluster_source import ClusterSource
from krates_desktop.ui.spotlight.spotlight import Spotlight


def pod(number: int) -> dict[str, object]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": f"orders-7c9d5-{number:05d}",
            "namespace": f"team-{number % 40}",
        },
    }


def test_a_big_first_sync_is_indexed_in_slices_between_which_the_window_runs(
    qtbot,
) -> None:  # type: ignore[no-untyped-def]
    """20,000 added pods arrive as one batch: the index takes them over many turns
    of the event loop (a 5 ms timer keeps firing in between), in order, and then
    every one is found; a removal queued behind them is applied after them."""
    host = QWidget()
    qtbot.addWidget(host)
    spotlight = Spotlight(host, candidates=lambda: [])
    feeder = spotlight.feed_from(ClusterSource(None, Dispatcher()).candidate_changes)
    ticks = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(feeder.pending))
    timer.start()

    changes = [Change("ADDED", POD, pod(n)) for n in range(20_000)]
    feeder.add(changes)
    feeder.add([Change("DELETED", POD, pod(7))])
    assert (
        spotlight.index.search("orders-7c9d5-19999") == []
    )  # nothing held the loop yet
    qtbot.waitUntil(lambda: feeder.pending == 0, timeout=60_000)
    timer.stop()

    in_between = [t for t in ticks if 0 < t < 20_001]
    assert len(set(in_between)) >= 3  # the window ran while the index filled
    found = spotlight.index.search("orders-7c9d5-19999")
    assert [r.candidate.name for r in found][:1] == ["orders-7c9d5-19999"]
    assert not any(
        r.candidate.name == "orders-7c9d5-00007"
        for r in spotlight.index.search("orders-7c9d5-00007")
    )
    assert len(spotlight.index.candidates()) == 19_999
