"""The pure parts of the streams: line splitting, change coalescing, batching, backoff."""

from __future__ import annotations

import threading
import time

from krates_desktop.cluster.backoff import Backoff
from krates_desktop.cluster.batching import Batcher
from krates_desktop.cluster.cache import Change, coalesce
from krates_desktop.cluster.kinds import POD
from krates_desktop.cluster.log_stream import LineSplitter


def test_lines_split_at_lf_crlf_and_cr_across_chunks() -> None:
    """Lines end at LF, CRLF or a lone CR, even when a CRLF or a line spans chunks."""
    splitter = LineSplitter()

    got = splitter.feed("one\ntw") + splitter.feed("o\r") + splitter.feed("\nthree\rfo")
    got += splitter.feed("ur\r\n\nlast") + splitter.flush()

    assert got == ["one", "two", "three", "four", "", "last"]


def test_flush_of_a_clean_end_adds_nothing() -> None:
    """A stream that ends on a line break leaves no partial line behind."""
    splitter = LineSplitter()

    assert splitter.feed("a\r\n") == ["a"]
    assert splitter.flush() == []


def pod(uid: str, version: str) -> dict[str, object]:
    return {"metadata": {"uid": uid, "name": uid, "resourceVersion": version}}


def test_coalesce_folds_changes_of_one_object() -> None:
    """Added-then-modified stays an addition, added-then-deleted vanishes, the rest keep order."""
    changes = [
        Change("ADDED", POD, pod("a", "1")),
        Change("MODIFIED", POD, pod("b", "2")),
        Change("MODIFIED", POD, pod("a", "3")),
        Change("ADDED", POD, pod("c", "4")),
        Change("DELETED", POD, pod("c", "5")),
        Change("MODIFIED", POD, pod("b", "6")),
        Change("DELETED", POD, pod("d", "7")),
    ]

    merged = [
        (c.type, c.obj["metadata"]["uid"], c.obj["metadata"]["resourceVersion"])
        for c in coalesce(changes)
    ]  # type: ignore[index]

    assert merged == [
        ("ADDED", "a", "3"),
        ("MODIFIED", "b", "6"),
        ("DELETED", "d", "7"),
    ]


def test_batcher_delivers_in_order_at_most_every_interval() -> None:
    """Items added in quick succession arrive in order, in few batches spaced by the interval."""
    batches: list[tuple[float, list[int]]] = []
    done = threading.Event()

    def deliver(items: list[int]) -> None:
        batches.append((time.monotonic(), items))
        if items[-1] == 99:
            done.set()

    batcher: Batcher[int] = Batcher(deliver, 0.1, name="test-batcher")
    batcher.start()
    for number in range(100):
        batcher.add([number])
        time.sleep(0.002)
    assert done.wait(2)
    batcher.stop()

    assert [n for _, items in batches for n in items] == list(range(100))
    assert 2 <= len(batches) <= 5
    gaps = [b[0] - a[0] for a, b in zip(batches, batches[1:], strict=False)]
    assert all(gap >= 0.095 for gap in gaps)


def test_backoff_doubles_to_the_ceiling_and_resets() -> None:
    """Delays go 1, 2, 4 ... 30 and start again at 1 after a reset."""
    backoff = Backoff(1, 30)

    delays = [backoff.next_delay() for _ in range(7)]
    backoff.reset()

    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.next_delay() == 1
